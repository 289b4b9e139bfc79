"""``imaprotect-addon`` as a real process on an options file, as the add-on's container runs it.

Its folder is made in /tmp with mode 0755 (pytest's are root's, 0700) so that Asterisk and the
voice server may enter it as the ``asterisk`` user. Started as that user, the voice server cannot
read the repository (the dev root's sandbox keeps it from other users), so it then runs on a copy
of the distribution's packages instead of links to them.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any

from testkit.layout import REPO, packages, voice_layout
from testkit.polling import until_sync
from testkit.processes import stop_process

_STOP_GRACE = 30.0


def open_folder(prefix: str) -> Path:
    """A fresh folder in /tmp that other users may enter (not list: 0711 would do; 0755 here)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(0o755)
    return folder


def _copied_layout(target: Path) -> Path:
    """The distribution's packages copied (not linked) into ``target``, readable by anyone."""
    for package in packages():
        parts = package.split(".")
        shutil.copytree(
            REPO.joinpath(*parts),
            target.joinpath(*parts),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    for path in (target, *target.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@dataclass(slots=True)
class AddonProcess:
    """One ``python -m voice_server.addon_run`` on its own data folder."""

    data: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def write(cls, folder: Path, options: dict[str, Any] | str) -> AddonProcess:
        """Data folder ``folder/data`` holding ``options`` (a dict, or the file's raw text)."""
        data = folder / "data"
        data.mkdir(mode=0o755)
        text = options if isinstance(options, str) else json.dumps(options)
        (data / "options.json").write_text(text)
        return cls(data, folder / "addon.log")

    def start(self, *, run_user: str = "", rotate_every: float | None = None) -> None:
        """Start it; ``run_user`` is its ``--run-user`` ('' keeps both processes root's)."""
        site = self.data.parent / "site"
        if not site.exists():
            _copied_layout(site) if run_user else voice_layout(site)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")}
        env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
        command = [
            sys.executable, "-P", "-m", "voice_server.addon_run",
            "--data", str(self.data), "--run-user", run_user,
        ]  # fmt: skip
        if rotate_every is not None:
            command += ["--rotate-every", str(rotate_every)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env
            )

    def running(self) -> bool:
        """Whether the supervisor is alive."""
        return self.process is not None and self.process.poll() is None

    def children(self) -> dict[str, int]:
        """Its children by what they are: ``asterisk`` and ``voice`` (the voice server)."""
        assert self.process is not None
        found: dict[str, int] = {}
        listed = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in map(int, listed.read_text().split()) if listed.exists() else ():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            name = "asterisk" if command[0].endswith(b"asterisk") else "voice"
            if b"-rx" not in command:  # not one of its CLI calls
                found[name] = pid
        return found

    def wait_children(self, *names: str, within: float = 30.0) -> dict[str, int]:
        """Until each of ``names`` runs; its children then."""
        until_sync(
            lambda: set(names) <= set(self.children()),
            within=within,
            what=lambda: f"children {names} running\n{self.log_text()}",
            alive=self.running,
        )
        return self.children()

    def log_text(self) -> str:
        """What it and its children wrote."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        """SIGTERM and wait; its exit status (None if it had to be killed, children too)."""
        if self.process is None:
            return None
        children = self.children() if self.running() else {}
        status = stop_process(self.process, _STOP_GRACE)
        for pid in children.values() if status is None else ():  # it could not stop them
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        return status
