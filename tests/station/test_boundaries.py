"""The station package stays HA-free: no homeassistant, and only core.reports from the rest."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "imaprotect" / "station"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_home_assistant_and_only_core_reports() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) > 10
    for path in files:
        for name in _imports(path):
            assert not name.startswith("homeassistant"), (path.name, name)
            if name.startswith("custom_components"):
                assert name == "custom_components.imaprotect.core.reports", (path.name, name)
            assert name.split(".")[0] in {
                "__future__",
                "asyncio",
                "collections",
                "contextlib",
                "cryptography",
                "custom_components",
                "dataclasses",
                "datetime",
                "enum",
                "json",
                "logging",
                "os",
                "pathlib",
                "re",
                "typing",
                "unicodedata",
            }, (path.name, name)
