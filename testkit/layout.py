"""The voice server laid out as its wheel installs it, for processes started from the repository.

The distribution holds only the packages ``pyproject.toml`` lists: ``voice_server`` and the
contract from inside the integration, without the integration's own ``__init__`` files. Run from
the repository instead, ``import custom_components.imaprotect.contract`` would first run the
integration's ``__init__``, which imports Home Assistant (0.9 s and some 80 MiB per process). So
processes of the voice server (tests, bench, demo) run on this layout: links to the packages in
a folder of their own, with ``python -P`` so the repository is not on the path.
"""

from __future__ import annotations

from pathlib import Path
import tomllib

__all__ = ["REPO", "packages", "voice_layout"]

REPO = Path(__file__).resolve().parents[1]


def packages() -> list[str]:
    """The packages of the voice server's distribution, as ``pyproject.toml`` lists them."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed: list[str] = project["tool"]["setuptools"]["packages"]
    return listed


def voice_layout(target: Path) -> Path:
    """Link each package of the distribution into ``target`` (created); returns ``target``.

    Parent folders get no ``__init__.py``: they are namespace packages, as in the wheel.
    """
    for package in packages():
        link = target.joinpath(*package.split("."))
        if link.is_symlink() or link.exists():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO.joinpath(*package.split(".")), target_is_directory=True)
    return target


if __name__ == "__main__":  # scripts/demo: print the folder to put on PYTHONPATH
    import sys

    print(voice_layout(Path(sys.argv[1])))  # noqa: T201 - its output is the answer
