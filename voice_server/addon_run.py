"""The add-on's main process (``imaprotect-addon``): options in, Asterisk and the voice server run.

Started by the image's init (tini, which reaps orphans and passes signals on), it reads the
options file, renders the configuration (``voice_server.addon_render``), then starts Asterisk,
waits until it is fully booted, and starts the voice server. Either one that exits is started
again, after 1 s, then twice as long each time it dies quickly again (30 s at most): a crashed
voice server resumes its unfinished alerts on restart, and while Asterisk is away it queues them.
SIGTERM (the Supervisor's stop, ``docker stop``, systemd) stops the voice server first, so it
finishes its writes, then Asterisk. Once a day it asks Asterisk to rotate its logs, which
Asterisk never does by itself (``logger.conf`` keeps seven archives).

Bad options stop it at once with exit status 2 and one line per problem, none showing a value.
Docker Compose and systemd run this same program on an options file of their own.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import json
import logging
import os
from pathlib import Path
import pwd
import secrets
import signal
import sys
import time

from voice_server.addon_options import OptionsError, parse_options
from voice_server.addon_render import AddonLayout, Rendered, detect_module_dir, render_addon
from voice_server.asterisk_config import DEFAULT_DATA_DIR

__all__ = ["EXIT_BAD_OPTIONS", "build_parser", "main"]

_LOGGER = logging.getLogger("imaprotect.addon")
ASTERISK = Path("/usr/sbin/asterisk")
_BOOT_SECONDS = 30.0
_FIRST_BACKOFF = 1.0
_MAX_BACKOFF = 30.0
#: A child that ran this long before dying is restarted after the first backoff again.
_STEADY_SECONDS = 60.0
_STOP_GRACE = 10.0
_ROTATE_SECONDS = 24 * 3600.0
#: The options (or their file) cannot be used: starting again would not help (systemd is told).
EXIT_BAD_OPTIONS = 2


@dataclass(slots=True)
class Child:
    """One supervised process: its command, the user it runs as, and its restarts."""

    name: str
    command: list[str]
    user: str | None = None
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        """Start it once more (as ``user`` when given: its uid, primary group, no other group)."""
        account = pwd.getpwnam(self.user) if self.user is not None else None
        env = {**self.env, "HOME": account.pw_dir, "USER": account.pw_name} if account else self.env
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.DEVNULL,
            cwd=self.cwd,
            env=env,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            start_new_session=True,
        )
        self.starts += 1
        _LOGGER.info("%s started (pid %s)", self.name, self.process.pid)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), _STOP_GRACE)
        except TimeoutError:
            _LOGGER.warning("%s did not stop within %.0f s: killed", self.name, _STOP_GRACE)
            process.kill()
            await process.wait()
        _LOGGER.info("%s stopped", self.name)


class Supervisor:
    """Asterisk, then the voice server, kept running until ``stopping`` is set."""

    def __init__(self, rendered: Rendered, *, asterisk: Path, run_user: str | None) -> None:
        self.stopping = asyncio.Event()
        self._asterisk_up = asyncio.Event()
        self._config = str(rendered.asterisk.config)
        self._asterisk_bin = str(asterisk)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")}
        self.asterisk = Child("Asterisk", [self._asterisk_bin, "-C", self._config, "-f", "-n"])
        self.asterisk.env = env
        voice = [sys.executable, "-m", "voice_server", "--log-level", rendered.log_level.upper()]
        self.voice = Child(
            "voice server",
            [*voice, "--config", str(rendered.settings)],
            user=run_user,
            cwd=rendered.voice,
            env=env,
        )

    async def cli(self, command: str, within: float = 10.0) -> bool:
        """Run one Asterisk CLI command over its control socket; whether it succeeded."""
        process = await asyncio.create_subprocess_exec(
            self._asterisk_bin, "-C", self._config, "-rx", command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            return await asyncio.wait_for(process.wait(), within) == 0
        except TimeoutError:
            process.kill()
            await process.wait()
            return False

    async def _booted(self) -> None:
        """Until Asterisk is fully booted (ARI up), it has died, or the boot time is over."""
        started = time.monotonic()
        while time.monotonic() - started < _BOOT_SECONDS and not self.stopping.is_set():
            process = self.asterisk.process
            if process is None or process.returncode is not None:
                return
            if await self.cli("core waitfullybooted"):
                _LOGGER.info("Asterisk fully booted in %.1f s", time.monotonic() - started)
                return
            await asyncio.sleep(0.1)
        _LOGGER.warning("Asterisk not fully booted after %.0f s", _BOOT_SECONDS)

    async def _keep(self, child: Child) -> None:
        """Run ``child`` until stopping, starting it again each time it exits."""
        backoff = _FIRST_BACKOFF
        while not self.stopping.is_set():
            started = time.monotonic()
            await child.start()
            if child is self.asterisk:
                await self._booted()
                self._asterisk_up.set()
            assert child.process is not None
            status = await child.process.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - started >= _STEADY_SECONDS:
                backoff = _FIRST_BACKOFF
            _LOGGER.error("%s exited with status %s: restarting in %.0f s", child.name, status,
                          backoff)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _rotate(self, every: float) -> None:
        while True:
            try:
                await asyncio.wait_for(self.stopping.wait(), every)
            except TimeoutError:
                if not await self.cli("logger rotate"):
                    _LOGGER.warning("Asterisk did not rotate its logs (is it running?)")
            else:
                return

    async def run(self, rotate_every: float = _ROTATE_SECONDS) -> None:
        """Until SIGTERM or SIGINT; then the voice server stops first, Asterisk second."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        asterisk = asyncio.create_task(self._keep(self.asterisk))
        await asyncio.wait(
            [
                asyncio.create_task(self._asterisk_up.wait()),
                asyncio.create_task(self.stopping.wait()),
            ],
            return_when=asyncio.FIRST_COMPLETED,
        )
        tasks = [asterisk, asyncio.create_task(self._rotate(rotate_every))]
        if not self.stopping.is_set():
            tasks.append(asyncio.create_task(self._keep(self.voice)))
        await self.stopping.wait()
        _LOGGER.info("stopping")
        await self.voice.stop()
        await self.asterisk.stop()
        await asyncio.gather(*tasks)


def build_parser() -> argparse.ArgumentParser:
    """The command line (the deployment tests check the systemd unit's against it)."""
    parser = argparse.ArgumentParser(
        prog="imaprotect-addon",
        description=(
            "Run Asterisk and the imaprotect voice server from an options file (DATA/options.json)"
            ", as the Home Assistant add-on, Docker Compose and systemd do."
        ),
    )
    parser.add_argument("--data", type=Path, default=Path("/data"), help="data folder (/data)")
    parser.add_argument("--ssl", type=Path, default=Path("/ssl"), help="certificates (/ssl)")
    parser.add_argument("--asterisk", type=Path, default=ASTERISK, help="Asterisk's binary")
    parser.add_argument(
        "--run-user",
        default="asterisk",
        help="user both processes run as when started as root (default: asterisk; '' = root)",
    )
    parser.add_argument("--module-dir", type=Path, help="Asterisk's modules (found by default)")
    parser.add_argument("--sounds-dir", type=Path, default=DEFAULT_DATA_DIR, help="its sounds")
    parser.add_argument(
        "--rotate-every", type=float, default=_ROTATE_SECONDS, help=argparse.SUPPRESS
    )
    return parser


def _fail(problems: Sequence[str]) -> int:
    lines = "".join(f"  - {problem}\n" for problem in problems)
    sys.stderr.write(f"imaprotect-addon: the options cannot be used:\n{lines}")
    return EXIT_BAD_OPTIONS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2: the options or the folder cannot be used)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_user = (args.run_user or None) if os.geteuid() == 0 else None
    for name in [k for k in os.environ if k.startswith("IMAPROTECT_")]:
        del os.environ[name]  # settings come from the options file only
    layout = AddonLayout(
        data=args.data.resolve(),
        ssl=args.ssl,
        module_dir=args.module_dir or detect_module_dir(),
        sounds_dir=args.sounds_dir,
        run_user=run_user,
    )
    try:
        raw = json.loads(layout.options.read_text(encoding="utf-8"))
    except OSError as err:
        return _fail([f"{layout.options}: cannot be read ({err.strerror})"])
    except (ValueError, UnicodeError) as err:
        where = f" (line {err.lineno})" if isinstance(err, json.JSONDecodeError) else ""
        return _fail([f"{layout.options}: not a JSON object{where}"])
    try:
        rendered = render_addon(parse_options(raw), layout, ari_password=secrets.token_urlsafe(24))
    except OptionsError as err:
        return _fail(err.problems)
    supervisor = Supervisor(rendered, asterisk=args.asterisk, run_user=run_user)
    asyncio.run(supervisor.run(args.rotate_every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
