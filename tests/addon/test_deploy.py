"""The Docker Compose file and the systemd unit point at what exists.

Compose (Home Assistant Container) and systemd (Home Assistant Core) run the add-on's own program
on an options file of their own.

``systemd-analyze verify`` runs when the machine has it (the dev root has no systemd).
"""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import tomllib

import pytest
import yaml

from testkit.layout import REPO
from voice_server.addon_options import parse_options
from voice_server.addon_run import EXIT_BAD_OPTIONS, build_parser

DEPLOY = REPO / "deploy"
UNIT = DEPLOY / "systemd" / "imaprotect-voice.service"
CONFIG = yaml.safe_load((REPO / "addon" / "imaprotect_voice" / "config.yaml").read_text())
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def _unit() -> configparser.RawConfigParser:
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text())
    return unit


def test_compose_builds_the_add_ons_image_of_this_version_on_the_host_network() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    service = compose["services"]["imaprotect-voice"]
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert context == REPO / "addon" / "imaprotect_voice"
    assert (context / "Dockerfile").is_file()
    assert service["build"]["args"]["BUILD_VERSION"] == CONFIG["version"]
    assert service["image"].endswith(f":{CONFIG['version']}")
    assert service["network_mode"] == "host"
    targets = {volume.split(":")[1] for volume in service["volumes"]}
    defaults = build_parser().parse_args([])
    assert targets == {str(defaults.data), str(defaults.ssl)}


def test_the_example_options_are_valid_and_hold_every_option_of_the_form() -> None:
    example = json.loads((DEPLOY / "options.example.json").read_text())
    options = parse_options(example)
    assert options.trunk is not None
    assert options.smtp is not None
    assert set(CONFIG["options"]) <= set(example)


def test_the_systemd_unit_runs_the_add_ons_program_on_its_state_folder() -> None:
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    program = command[0].rsplit("/", 1)[1]
    assert SCRIPTS[program] == "voice_server.addon_run:main"
    args = build_parser().parse_args(command[1:])
    assert str(args.data) == service["ReadWritePaths"]
    assert service["User"] == "asterisk"
    # Bad options exit with this status: systemd must not start it again and again.
    assert service["RestartPreventExitStatus"] == str(EXIT_BAD_OPTIONS)
    # SIGTERM to the supervisor only: it stops the voice server, then Asterisk.
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) >= 20


def test_the_systemd_unit_verifies_where_systemd_is() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze here (the dev root has no systemd)")
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(UNIT)], capture_output=True, text=True, check=False
    )
    # The program is not installed here; anything else it says is a fault of the unit.
    problems = [line for line in result.stderr.splitlines() if "imaprotect-addon" not in line]
    assert problems == []


def test_the_readme_says_how_to_install_the_voice_server_three_ways() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Installing the voice server", 1)[1].split("\n## ", 1)[0]
    for what in ("repository.yaml", "deploy/docker-compose.yaml", "deploy/systemd/"):
        assert what in section, what
