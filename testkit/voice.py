"""A voice server set up for a test run: in process (``voice_config``) or as a real process.

Both point at a ``testkit.asterisk`` instance with the same credentials and token, listen on
loopback, and reconnect fast (``reconnect_max`` 0.5 s) so that an Asterisk restart is seen at once.
``VoiceProcess`` writes the TOML keys an installation uses and runs ``python -m voice_server``,
for what only a process shows: ``kill -9``, SIGTERM, the CLI, the benchmark's CPU figures.
A process inherits no ``IMAPROTECT_*`` variable (they would override the file), but does inherit
the rest of the environment, coverage's subprocess settings included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import os
from pathlib import Path
import subprocess
import sys
from typing import Any
import uuid

import aiohttp

from testkit.asterisk import ARI_PASSWORD, ARI_USER, AsteriskInstance
from testkit.bodies import TOKEN
from testkit.layout import REPO, voice_layout
from testkit.ports import LOOPBACK
from testkit.processes import kill_process, stop_process
from testkit.voice_api import VoiceApi
from voice_server.config import CallSettings, VoiceConfig
from voice_server.outbox import SmtpSettings
from voice_server.toml_out import toml_document

SENDER = "alarme@example.org"
_STOP_GRACE = 10.0


def _ari_app() -> str:
    """A fresh Stasis app name: servers sharing one Asterisk must not see each other's calls."""
    return f"imaprotect-{uuid.uuid4().hex[:8]}"


def voice_config(
    database: Path,
    prompts: Path,
    *,
    asterisk: AsteriskInstance | None,
    routes: dict[str, str] | None = None,
    smtp_port: int | None = None,
    port: int = 0,
    ari_port: int | None = None,
    allowed_regions: tuple[str, ...] = ("FR",),
    retention_days: int = 90,
    **calls: Any,
) -> VoiceConfig:
    """Settings for an in-process server: short timers, a fresh Stasis app name, routes to SIPp.

    Without ``asterisk``, ``ari_port`` is where nobody listens (Asterisk away).
    """
    settings = {"ring_timeout": 2.0, "digit_timeout": 3.0, "rounds": 1, **calls}
    ari_url = asterisk.settings.ari_url if asterisk else f"http://{LOOPBACK}:{ari_port}"
    return VoiceConfig(
        token=TOKEN,
        database=database,
        ari_url=ari_url,
        ari_user=ARI_USER,
        ari_password=ARI_PASSWORD,
        listen=LOOPBACK,
        port=port,
        ari_app=_ari_app(),
        prompts_dir=prompts,
        reconnect_max=0.5,
        routes=routes or {},
        allowed_regions=allowed_regions,
        calls=CallSettings(**settings),
        smtp=SmtpSettings(LOOPBACK, smtp_port, SENDER) if smtp_port else None,
        retention_days=retention_days,
    )


@dataclass(slots=True)
class VoiceProcess:
    """``python -m voice_server --config FILE`` as a real process, with its own database."""

    config: Path
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def write(
        cls,
        folder: Path,
        *,
        asterisk: AsteriskInstance,
        port: int,
        prompts: Path,
        routes: Mapping[str, str],
        smtp_port: int | None = None,
        ari_app: str | None = None,
        **voice: object,
    ) -> VoiceProcess:
        """Write the TOML settings into ``folder`` (created); ``voice`` adds ``[voice]`` keys."""
        folder.mkdir(parents=True)
        config = folder / "voice.toml"
        tables: dict[str, Mapping[str, object]] = {
            "asterisk": {
                "ari_user": ARI_USER,
                "ari_password": ARI_PASSWORD,
                "http_port": asterisk.settings.http_port,
            },
            "voice": {
                "token": TOKEN,
                "database": folder / "voice.db",
                "prompts_dir": prompts,
                "listen": LOOPBACK,
                "port": port,
                "ari_app": ari_app or _ari_app(),
                "reconnect_max": 0.5,
                **voice,
            },
            "voice.routes": routes,
        }
        if smtp_port is not None:
            tables["smtp"] = {"host": LOOPBACK, "port": smtp_port, "sender": SENDER}
        config.write_text(toml_document(tables))
        return cls(config, folder / "voice.log", port)

    @property
    def base(self) -> str:
        """Base URL of its API."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def database(self) -> Path:
        """Its SQLite database (read it once the process has stopped)."""
        return self.config.parent / "voice.db"

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        """Whether the current process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(
        self, *, prefix: Sequence[str] = (), profile: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start it behind ``prefix``, as an installation would; its output goes to ``log``.

        ``profile``: run it under cProfile, whose statistics are written there at a clean stop
        (the benchmark's ``--profile``, to find where a scenario's time goes).
        """
        site = voice_layout(self.config.parent / "site")
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        profiler = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
        command = [
            sys.executable, "-P", *profiler, "-m", "voice_server", "--config", str(self.config)
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
                [*prefix, *command],
                cwd=REPO,  # for coverage's relative paths; -P keeps it off sys.path
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        return self.process

    async def wait_healthy(self, session: aiohttp.ClientSession, within: float = 20.0) -> None:
        """Until /healthz says ok; gives up at once if the process exits (see ``log``)."""
        await VoiceApi(self.base, session).wait_healthy(within, alive=self.running)

    def kill(self) -> None:
        """``kill -9``: a crash, nothing flushed, nothing closed."""
        assert self.process is not None
        kill_process(self.process)

    def stop(self) -> int | None:
        """SIGTERM and wait for a clean stop; its exit status (None if it had to be killed)."""
        if self.process is None:
            return None
        return stop_process(self.process, _STOP_GRACE)
