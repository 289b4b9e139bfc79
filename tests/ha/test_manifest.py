"""The manifest asks for everything the integration imports, at versions Home Assistant allows.

A HACS user's Home Assistant installs only the manifest's requirements, under its own package
constraints; the load check on the next release runs with ``skip_pip`` in a venv frozen from
``requirements/ha-next.lock``. So each requirement must be met by the pins of both locks (the
test harness's Home Assistant and the next release's), and every third-party module the
integration imports must come from a requirement or from Home Assistant itself.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
import pytest

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "imaprotect"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
# Imported by the integration but installed by Home Assistant core itself.
# cryptography: the station link's AES (station/cipher.py); Home Assistant core requires it.
# PIL: Pillow re-encodes the alarm photos (photo_codec.py); Home Assistant core requires it.
FROM_HOME_ASSISTANT = {
    "homeassistant", "aiohttp", "voluptuous", "probatio", "cryptography", "PIL",
}  # fmt: skip
IMPORT_NAMES = {"phonenumbers": "phonenumbers", "pydantic": "pydantic", "pydantic_core": "pydantic"}


def _pins(lock: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


@pytest.mark.parametrize("lock", ["dev.lock", "ha-next.lock"])
def test_every_requirement_is_met_by_the_lock(lock: str) -> None:
    pins = _pins(lock)
    for text in MANIFEST["requirements"]:
        requirement = Requirement(text)
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {lock}"
        assert requirement.specifier.contains(version), f"{lock}: {requirement.name}=={version}"


def test_every_third_party_import_is_a_requirement() -> None:
    required = {canonicalize_name(Requirement(t).name) for t in MANIFEST["requirements"]}
    imported: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    import sys

    third_party = {
        name
        for name in imported
        if name not in sys.stdlib_module_names and name not in FROM_HOME_ASSISTANT
        and name != "custom_components"
    }  # fmt: skip
    missing = {
        name
        for name in third_party
        if canonicalize_name(IMPORT_NAMES.get(name, name)) not in required
    }
    assert missing == set()
