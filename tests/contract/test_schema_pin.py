"""The wire format is pinned to its ``SCHEMA_VERSION``: a change without raising it fails here.

Home Assistant and the voice server check each other's schema version on connect; that check is
worth only as much as the discipline of raising the version with every change of the wire format.
This test holds it: the digest of every model's JSON schema and every enum's members is recorded
for the current version. A change of the format fails until ``SCHEMA_VERSION`` is raised (and its
docstring says what changed) and the new digest is recorded below; an old version's digest never
changes. A pydantic upgrade that writes schemas differently fails too: then record the new digest
under the same version, once checked that no model changed.
"""

from __future__ import annotations

from enum import StrEnum
import hashlib
import inspect
import json

from pydantic import BaseModel

from custom_components.imaprotect.contract import enums, models
from custom_components.imaprotect.contract.limits import SCHEMA_VERSION

#: SCHEMA_VERSION -> the digest of its wire format (``wire_digest``).
PINNED = {5: "74450a57489925d4d6167a9f1a086cab407beb8b1abbca37dd88a2937592e123"}


def _public(module: object, base: type) -> list[type]:
    return sorted(
        (
            member
            for name, member in inspect.getmembers(module, inspect.isclass)
            if issubclass(member, base)
            and member is not base
            and not name.startswith("_")
            and member.__module__ == module.__name__  # type: ignore[attr-defined]
        ),
        key=lambda member: member.__name__,
    )


def wire_format() -> dict[str, object]:
    """Every model's JSON schema and every enum's values, by name."""
    return {
        "models": {m.__name__: m.model_json_schema() for m in _public(models, BaseModel)},
        "enums": {e.__name__: [str(v.value) for v in e] for e in _public(enums, StrEnum)},
    }


def wire_digest() -> str:
    text = json.dumps(wire_format(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_wire_format_is_the_one_recorded_for_its_schema_version() -> None:
    digest = wire_digest()
    assert SCHEMA_VERSION in PINNED, (
        f"SCHEMA_VERSION {SCHEMA_VERSION} has no recorded digest: add {SCHEMA_VERSION}: {digest!r}"
    )
    assert PINNED[SCHEMA_VERSION] == digest, (
        "the wire format changed without raising SCHEMA_VERSION: raise it in contract/limits.py,"
        f" say what changed in its docstring, and record {SCHEMA_VERSION + 1}: {digest!r}"
    )


def test_every_exported_model_and_enum_is_in_the_digest() -> None:
    """What the contract exports is what is pinned: nothing on the wire escapes the digest."""
    pinned = wire_format()
    exported_models = {
        name
        for name in models.__all__
        if isinstance(getattr(models, name), type) and issubclass(getattr(models, name), BaseModel)
    }
    exported_enums = {
        name
        for name in enums.__all__
        if isinstance(getattr(enums, name), type) and issubclass(getattr(enums, name), StrEnum)
    }
    assert exported_models <= set(pinned["models"])  # type: ignore[arg-type]
    assert exported_enums <= set(pinned["enums"])  # type: ignore[arg-type]
    assert "Site" in exported_models
    assert "AlertKind" in exported_enums
