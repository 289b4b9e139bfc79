"""The voice server's distribution runs without Home Assistant, with the contract inside it.

The wheel holds the packages ``pyproject.toml`` lists and nothing else, so this test lays those
packages out the same way (the integration's own ``__init__`` files left out, as in the wheel)
and imports the whole server from there in a fresh interpreter that refuses to import
Home Assistant or the integration's HA modules.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

from testkit.layout import REPO, packages, voice_layout

_GUARD = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "homeassistant" or name in (
            "custom_components.imaprotect.core", "custom_components.imaprotect.const"
        ):
            raise ImportError(f"the voice server must not import {name}")
        return None
sys.meta_path.insert(0, Refuse())
import voice_server.cli, voice_server.server, voice_server.api, voice_server.openapi
import custom_components.imaprotect.contract.models as models
assert "homeassistant" not in sys.modules
print(models.__file__)
"""


def _wheel_layout(target: Path) -> list[str]:
    voice_layout(target)
    return packages()


def test_the_voice_server_imports_without_home_assistant(tmp_path: Path) -> None:
    packages = _wheel_layout(tmp_path)
    assert "custom_components.imaprotect.contract" in packages
    assert not (tmp_path / "custom_components" / "__init__.py").exists()
    assert not (tmp_path / "custom_components" / "imaprotect" / "__init__.py").exists()
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{_GUARD}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(tmp_path))


def test_the_guard_does_refuse_home_assistant(tmp_path: Path) -> None:
    """The check above can fail: the integration's own package imports Home Assistant."""
    done = subprocess.run(
        [sys.executable, "-P", "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
         + _GUARD.replace("import voice_server.cli", "import custom_components.imaprotect\nimport voice_server.cli")],  # noqa: E501
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "must not import homeassistant" in done.stderr
