"""What every blueprint the project ships must hold, checked on every run (including future ones).

Each is a valid automation blueprint for Home Assistant's own schema, runs on the oldest release
the HACS manifest allows, says where it comes from (its own file, for the import button), names
and describes each input with a selector, uses every input it declares, picks its run mode
itself, is loaded and run by at least one test, and is listed in the README's Blueprints section.
"""

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.util import yaml as yaml_util
import pytest

from .blueprint_harness import BLUEPRINTS, ROOT, blueprint_files

SOURCE = "https://github.com/imaprotect/imaprotect/blob/main/blueprints/automation/imaprotect/"
HACS_MIN = AwesomeVersion(json.loads((ROOT / "hacs.json").read_text())["homeassistant"])
FILES = blueprint_files()


def _load(path: Path) -> Blueprint:
    data: Any = yaml_util.load_yaml(path)
    return Blueprint(
        data, path=str(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )


def test_the_project_ships_its_blueprints() -> None:
    assert len(FILES) >= 6
    assert all(path.parent == BLUEPRINTS for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_metadata_and_inputs(path: Path) -> None:
    blueprint = _load(path)
    meta = blueprint.metadata
    assert meta["name"].startswith("imaprotect — "), path.name
    assert len(meta["description"].strip()) > 80, path.name
    assert meta["source_url"] == SOURCE + path.name
    assert blueprint.validate() is None  # runs on the release under test
    assert AwesomeVersion(meta["homeassistant"]["min_version"]) <= HACS_MIN
    for key, spec in blueprint.inputs.items():
        assert spec.get("name", "").strip(), (path.name, key)
        assert "selector" in spec, (path.name, key)
        assert spec.get("description", "").strip(), (path.name, key)
    # No input is declared and left unused (HA itself refuses the opposite).
    assert yaml_util.extract_inputs(blueprint.data) == set(blueprint.inputs), path.name
    assert "mode" in blueprint.data, path.name  # single (the default) drops runs silently


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_blueprint_is_run_by_a_test(path: Path) -> None:
    tests = [
        t
        for t in (ROOT / "tests" / "ha").glob("test_blueprint_*.py")
        if t.name != Path(__file__).name
    ]
    assert any(f'"{path.name}"' in t.read_text() for t in tests), path.name


def test_the_readme_lists_every_blueprint() -> None:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Blueprints\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section is not None
    listed = set(re.findall(r"`([a-z0-9_]+\.yaml)`", section.group(1)))
    assert listed == {path.name for path in FILES}
    assert "my.home-assistant.io/redirect/blueprint_import" in section.group(1)
