"""The add-on's image recipe: what it installs is what the tests ran.

The image is not built here (no Docker): the Dockerfile's pins are checked against the dev root,
which is the same Debian unstable with the same packages, and the Python constraints against the
dev lock. A release that moves one must move the other, after ``scripts/test`` passed.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import tomllib

from packaging.requirements import Requirement
import pytest
import yaml

from testkit.layout import REPO

ADDON = REPO / "addon" / "imaprotect_voice"
DOCKERFILE = (ADDON / "Dockerfile").read_text()
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _arg(name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert match, name
    return match.group(1)


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def _installed(package: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.stdout if result.returncode == 0 else None


def test_the_base_is_the_one_build_yaml_gives() -> None:
    build = yaml.safe_load((ADDON / "build.yaml").read_text())
    assert _arg("BUILD_FROM") == build["build_from"]["amd64"]
    assert re.search(r"^FROM \$\{BUILD_FROM\}$", DOCKERFILE, re.MULTILINE)


@pytest.mark.parametrize(
    ("argument", "package"),
    [("ASTERISK_VERSION", "asterisk"), ("ASTERISK_VERSION", "asterisk-modules"),
     ("SOUNDS_VERSION", "asterisk-core-sounds-fr"), ("PYTHON_VERSION", "python3.14")],
)  # fmt: skip
def test_the_image_pins_the_packages_the_dev_root_runs(argument: str, package: str) -> None:
    installed = _installed(package)
    if installed is None:
        pytest.skip("not in the dev root")
    assert _arg(argument) == installed
    assert f'"{package}=${{{argument}}}"' in DOCKERFILE


def test_the_image_installs_this_version_of_the_voice_server_and_runs_the_add_on() -> None:
    assert '"${wheel:-imaprotect==${BUILD_VERSION}}"' in DOCKERFILE
    assert 'name "imaprotect-${BUILD_VERSION}-*.whl"' in DOCKERFILE
    assert PROJECT["name"] == "imaprotect"
    entry = re.search(r'^ENTRYPOINT \["/usr/bin/tini", "--", "/opt/imaprotect/bin/(\S+)"\]$',
                      DOCKERFILE, re.MULTILINE)  # fmt: skip
    assert entry
    assert PROJECT["scripts"][entry.group(1)] == "voice_server.addon_run:main"
    for copied in re.findall(r"^COPY (\S+) ", DOCKERFILE, re.MULTILINE):
        assert (ADDON / copied).exists(), copied


def test_the_constraints_pin_the_whole_closure_at_the_locked_versions() -> None:
    constraints = _pins((ADDON / "requirements.txt").read_text())
    locked = _pins((REPO / "requirements" / "dev.lock").read_text())
    assert {name: locked.get(name) for name in constraints} == constraints
    closure: set[str] = set()
    todo = [Requirement(text) for text in PROJECT["dependencies"]]
    while todo:
        requirement = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if name in closure:
            continue
        closure.add(name)
        todo += [Requirement(text) for text in importlib.metadata.requires(name) or []]
    assert set(constraints) == closure
