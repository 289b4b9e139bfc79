"""Every test the documents name as a proof exists: a renamed or deleted test fails here.

The README's *Guarantees* say, point by point, which test proves what survives what; a proof
that no longer exists would make that table a claim. The same holds for the benchmarks' and the
voice server's documents.
"""

from __future__ import annotations

from pathlib import Path
import re

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "bench/README.md", "voice_server/API.md")


def _documents() -> str:
    return "\n".join((ROOT / name).read_text(encoding="utf-8") for name in DOCUMENTS)


def _test_sources() -> list[Path]:
    return [path for folder in ("tests", "bench") for path in (ROOT / folder).rglob("*.py")]


def test_every_test_file_named_exists() -> None:
    named = set(re.findall(r"\b(test_\w+\.py)\b", _documents()))
    assert named, "the documents name no test file: the pattern is wrong"
    assert sorted(named - {path.name for path in _test_sources()}) == []


def test_every_test_function_named_exists() -> None:
    named = set(re.findall(r"::(test_\w+)", _documents()))
    assert len(named) > 20, "the Guarantees name fewer proofs than they did: the pattern is wrong"
    defined = set(
        re.findall(
            r"^\s*(?:async )?def (test_\w+)",
            "\n".join(path.read_text(encoding="utf-8") for path in _test_sources()),
            re.M,
        )
    )
    assert sorted(named - defined) == []
