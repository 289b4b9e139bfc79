"""One Asterisk 22 rendered from voice_server/asterisk into a temporary folder, on free ports.

The configuration is the project's own (``voice_server.asterisk_config.render``), so tests and
the benchmark run against what an installation runs. Readiness is read through the CLI control
socket (``core waitfullybooted`` blocks until every module, ARI's HTTP server included, is
loaded), not through a network probe, for the reason given in ``testkit.ports``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import logging
from pathlib import Path
import subprocess
import time

from testkit.polling import until_sync
from testkit.ports import PortPool
from testkit.processes import stop_process
from voice_server.ari import AriClient
from voice_server.asterisk_config import AsteriskPaths, AsteriskSettings, render

_LOGGER = logging.getLogger(__name__)

ASTERISK = Path("/usr/sbin/asterisk")
ARI_USER = "voice-test"
ARI_PASSWORD = "voice-test-secret-0123"  # noqa: S105 - a throwaway Asterisk on loopback
ARI_APP = "imaprotect-test"
_BOOT_SECONDS = 30.0
_STOP_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class AsteriskInstance:
    """A running Asterisk started from the project's rendered configuration."""

    settings: AsteriskSettings
    paths: AsteriskPaths
    process: subprocess.Popen[bytes]
    boot_seconds: float

    def cli(self, command: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
        """Run one CLI command through the control socket (``asterisk -rx``)."""
        return subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            [ASTERISK, "-C", str(self.paths.config), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def client(self, app: str = ARI_APP) -> AriClient:
        """Make an (unstarted) AriClient for this instance."""
        return AriClient(self.settings.ari_url, ARI_USER, ARI_PASSWORD, app)

    def log_tail(self, lines: int = 40) -> str:
        """End of messages.log, for failure messages."""
        log = self.paths.log / "messages.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    def stop(self) -> None:
        """Stop gracefully (``core stop now``), or kill it."""
        stop_asterisk(self)


def asterisk_settings(
    run_dir: Path, pool: PortPool, rtp_ports: int = 200, *, run_user: str | None = None
) -> AsteriskSettings:
    """Settings for one Asterisk on free loopback ports (two RTP ports per call).

    A port pair is only reused some time after its call ended, so a burst of calls (the
    benchmark's 100 sites) needs a wider range than the tests' default. ``run_user``: the user
    Asterisk drops to (its run directory's parents must let that user through).
    """
    rtp_start = pool.take(rtp_ports)
    return AsteriskSettings(
        run_dir=run_dir,
        ari_user=ARI_USER,
        ari_password=ARI_PASSWORD,
        sip_port=pool.take(),
        http_port=pool.take(),
        rtp_start=rtp_start,
        rtp_end=rtp_start + rtp_ports - 1,
        run_user=run_user,
    )


def launch_asterisk(
    settings: AsteriskSettings,
    *,
    prefix: Sequence[str] = (),
    after_render: Callable[[AsteriskPaths], None] | None = None,
) -> AsteriskInstance:
    """Render the configuration, start Asterisk (behind ``prefix``) and wait until fully booted.

    ``after_render`` may add to the rendered files first (the demo's softphone account).
    It runs in its own session, so a Ctrl-C meant for the test run reaches the runner, which
    then stops Asterisk in order. If it does not boot it is stopped and ``NotReachedError`` raised.
    """
    paths = render(settings)
    if after_render is not None:
        after_render(paths)
    started = time.monotonic()
    with (paths.log / "console.log").open("ab") as console:
        process = subprocess.Popen(  # noqa: S603 - fixed binary, our own arguments
            [*prefix, str(ASTERISK), "-C", str(paths.config), "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = AsteriskInstance(settings, paths, process, 0.0)
    try:
        until_sync(
            lambda: instance.cli("core waitfullybooted").returncode == 0,
            within=_BOOT_SECONDS,
            every=0.05,
            what=lambda: f"Asterisk fully booted\n{instance.log_tail()}",
            alive=lambda: process.poll() is None,
        )
    except BaseException:
        stop_asterisk(instance)
        raise
    instance = AsteriskInstance(settings, paths, process, time.monotonic() - started)
    _LOGGER.info("Asterisk fully booted in %.3f s", instance.boot_seconds)
    return instance


def stop_asterisk(instance: AsteriskInstance) -> None:
    """Stop Asterisk gracefully, or kill it.

    With a thousand calls still up (the benchmark's avalanche) "core stop now" can take longer
    than the CLI waits; that is not an error, the process is then waited for or killed.
    """
    if instance.process.poll() is None:
        try:
            instance.cli("core stop now")
        except subprocess.TimeoutExpired:
            _LOGGER.warning("Asterisk did not answer 'core stop now' in time; killing it")
    stop_process(instance.process, grace=_STOP_GRACE)
