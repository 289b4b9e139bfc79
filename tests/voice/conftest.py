"""Fixtures running a real Asterisk and SIPp "phones", all on 127.0.0.1.

- ``asterisk`` (session): one Asterisk 22 rendered from voice_server/asterisk into a tmp dir,
  on free ports, fully booted; stopped with "core stop now" at the end of the session.
- ``ari`` (function): an AriClient for app ``ARI_APP`` with its events WebSocket connected.
- ``sipp_phone`` (function): factory ``sipp_phone("uas_dtmf", digits="1234#", delay_ms=300)``
  starting one SIPp UAS per call on its own SIP and media ports; ``.endpoint`` is the ARI dial
  string. Every instance is stopped at teardown; its logs stay in the test's tmp dir.

Session fixtures cannot open sockets (Home Assistant's harness blocks them before any fixture
runs), so free ports are found in /proc/net and readiness is checked through Asterisk's CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
import logging
from pathlib import Path
import random
import subprocess
import time
from typing import Any
import uuid

import aiohttp
import pytest

from tests.voice.dtmf_pcap import write_dtmf_pcap
from tests.voice.harness import TOKEN, CallbackSink, SmtpSink, VoiceApi, stop_process
from voice_server.ari import AriClient
from voice_server.asterisk_config import AsteriskPaths, AsteriskSettings, render
from voice_server.config import CallSettings, VoiceConfig
from voice_server.outbox import SmtpSettings
from voice_server.server import VoiceServer

_LOGGER = logging.getLogger(__name__)

ASTERISK = Path("/usr/sbin/asterisk")
SIPP = Path("/usr/bin/sipp")
SCENARIOS = Path(__file__).parent / "sipp"
LOOPBACK = "127.0.0.1"
ARI_USER = "voice-test"
ARI_PASSWORD = "voice-test-secret-0123"
ARI_APP = "imaprotect-test"
_PORTS = (20000, 60000)
_BOOT_SECONDS = 20.0
_SIPP_READY_SECONDS = 5.0


@pytest.fixture(autouse=True)
def _voice_sockets(socket_enabled: None) -> None:
    """Let voice tests reach Asterisk; the harness still limits connections to 127.0.0.1."""


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: voice tests need no Home Assistant instance."""


def _bound_ports() -> set[int]:
    """Local ports in use (TCP and UDP, IPv4 and IPv6), read from /proc without a socket."""
    ports: set[int] = set()
    for name in ("tcp", "tcp6", "udp", "udp6"):
        table = Path("/proc/net") / name
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                ports.add(int(line.split()[1].rsplit(":", 1)[1], 16))
    return ports


def _udp_bound(port: int) -> bool:
    wanted = f"0100007F:{port:04X}"
    return any(
        line.split()[1] == wanted for line in Path("/proc/net/udp").read_text().splitlines()[1:]
    )


class PortPool:
    """Hands out ranges of ports nobody listens on, never the same port twice in a session."""

    def __init__(self) -> None:
        self._given: set[int] = set()
        self._random = random.Random()

    def take(self, span: int = 1) -> int:
        """First port of ``span`` consecutive free ports (the first one even, as RTP wants)."""
        for _ in range(1000):
            base = self._random.randrange(*_PORTS, 2)
            wanted = set(range(base, base + span))
            if not wanted & (self._given | _bound_ports()):
                self._given |= wanted
                return base
        raise RuntimeError("no free port range found")


@pytest.fixture(scope="session")
def port_pool() -> PortPool:
    """Free loopback ports for Asterisk and the SIPp phones."""
    return PortPool()


@dataclass(frozen=True, slots=True)
class AsteriskInstance:
    """A running Asterisk started from the project's rendered configuration."""

    settings: AsteriskSettings
    paths: AsteriskPaths
    process: subprocess.Popen[bytes]
    boot_seconds: float

    def cli(self, command: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
        """Run one CLI command through the control socket (``asterisk -rx``)."""
        return subprocess.run(
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


def asterisk_settings(run_dir: Path, port_pool: PortPool, rtp_ports: int = 200) -> AsteriskSettings:
    """Settings for one Asterisk on free loopback ports (two RTP ports per call)."""
    rtp_start = port_pool.take(rtp_ports)
    return AsteriskSettings(
        run_dir=run_dir,
        ari_user=ARI_USER,
        ari_password=ARI_PASSWORD,
        sip_port=port_pool.take(),
        http_port=port_pool.take(),
        rtp_start=rtp_start,
        rtp_end=rtp_start + rtp_ports - 1,
    )


def launch_asterisk(settings: AsteriskSettings) -> AsteriskInstance:
    """Render the configuration, start Asterisk and wait until it is fully booted."""
    paths = render(settings)
    started = time.monotonic()
    with (paths.log / "console.log").open("ab") as console:
        process = subprocess.Popen(
            [ASTERISK, "-C", str(paths.config), "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = AsteriskInstance(settings, paths, process, 0.0)
    # The control socket appears during start-up; "core waitfullybooted" then blocks until
    # every module (ARI's HTTP server included) is loaded.
    deadline = started + _BOOT_SECONDS
    while instance.cli("core waitfullybooted").returncode != 0:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_asterisk(instance)
            pytest.fail(f"Asterisk did not boot:\n{instance.log_tail()}")
        time.sleep(0.05)
    instance = AsteriskInstance(settings, paths, process, time.monotonic() - started)
    _LOGGER.info("Asterisk fully booted in %.3f s", instance.boot_seconds)
    return instance


def stop_asterisk(instance: AsteriskInstance) -> None:
    """Stop Asterisk gracefully, or kill it."""
    if instance.process.poll() is None:
        instance.cli("core stop now")
    stop_process(instance.process, grace=10)


@pytest.fixture(scope="session")
def asterisk(
    tmp_path_factory: pytest.TempPathFactory, port_pool: PortPool
) -> Iterator[AsteriskInstance]:
    """Asterisk 22 on free loopback ports, fully booted, for the whole session."""
    if not ASTERISK.exists() or not SIPP.exists():
        pytest.skip("Asterisk and SIPp come with the dev root: scripts/devroot/build run …")
    instance = launch_asterisk(asterisk_settings(tmp_path_factory.mktemp("asterisk"), port_pool))
    try:
        yield instance
    finally:
        stop_asterisk(instance)


@pytest.fixture
async def ari(asterisk: AsteriskInstance) -> AsyncIterator[AriClient]:
    """ARI client with its events WebSocket up (the Stasis app is registered)."""
    async with asterisk.client() as client:
        await client.wait_connected(within=10)
        info = await client.asterisk_info()
        assert info["system"]["version"].startswith("22."), info["system"]
        yield client


@dataclass(slots=True)
class SippPhone:
    """One SIPp UAS standing in for a contact's phone or the monitoring station."""

    name: str
    port: int
    media_port: int
    log_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def uri(self) -> str:
        """SIP URI the phone answers on."""
        return f"sip:{self.name}@{LOOPBACK}:{self.port}"

    @property
    def endpoint(self) -> str:
        """ARI/PJSIP dial string through the project's ``direct`` endpoint."""
        return f"PJSIP/direct/{self.uri}"


SippFactory = Callable[..., SippPhone]


@pytest.fixture
def sipp_phone(tmp_path: Path, port_pool: PortPool) -> Iterator[SippFactory]:
    """Start SIPp UAS phones on demand; see the module docstring."""
    phones: list[SippPhone] = []

    def start(
        scenario: str, *, digits: str = "", delay_ms: int = 0, name: str = "phone"
    ) -> SippPhone:
        """Run ``sipp/<scenario>.xml``; ``digits`` fills @PCAP@, ``delay_ms`` sets ``<pause/>``."""
        index = len(phones)
        log_dir = tmp_path / f"sipp-{index}-{name}"
        log_dir.mkdir()
        script = (SCENARIOS / f"{scenario}.xml").read_text()
        if "@PCAP@" in script:
            if not digits:
                raise ValueError(f"{scenario} needs digits")
            pcap = write_dtmf_pcap(log_dir / "dtmf.pcap", digits)
            script = script.replace("@PCAP@", str(pcap))
        elif digits:
            raise ValueError(f"{scenario} sends no DTMF")
        scenario_file = log_dir / f"{scenario}.xml"
        scenario_file.write_text(script)
        port, media_port, control_port = port_pool.take(), port_pool.take(4), port_pool.take()
        command = [
            str(SIPP), "-sf", str(scenario_file),
            "-i", LOOPBACK, "-p", str(port), "-bind_local",
            "-mi", LOOPBACK, "-mp", str(media_port), "-cp", str(control_port),
            "-d", str(delay_ms), "-nostdin",
            "-trace_err", "-error_file", str(log_dir / "errors.log"),
            "-trace_msg", "-message_file", str(log_dir / "messages.log"),
        ]  # fmt: skip
        with (log_dir / "screen.log").open("wb") as screen:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.STDOUT
            )
        phone = SippPhone(name, port, media_port, log_dir, process)
        phones.append(phone)
        deadline = time.monotonic() + _SIPP_READY_SECONDS
        while not _udp_bound(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"SIPp {scenario} did not start; see {log_dir}")
            time.sleep(0.02)
        return phone

    yield start
    for phone in phones:
        stop_process(phone.process, grace=5)


# --- the voice server and its peers -----------------------------------------------------------


@pytest.fixture(scope="session")
def prompt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthesised prompts shared by every server of the session (espeak-ng runs once per text)."""
    return tmp_path_factory.mktemp("prompts")


@dataclass
class RunningVoice:
    """An in-process voice server and a client for its API."""

    server: VoiceServer
    api: VoiceApi


VoiceFactory = Callable[..., Awaitable[RunningVoice]]


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
    """Settings for a test server: short timers, a fresh Stasis app name, routes to SIPp."""
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
        ari_app=f"imaprotect-{uuid.uuid4().hex[:8]}",
        prompts_dir=prompts,
        reconnect_max=0.5,
        routes=routes or {},
        allowed_regions=allowed_regions,
        calls=CallSettings(**settings),
        smtp=SmtpSettings(LOOPBACK, smtp_port, "alarme@example.org") if smtp_port else None,
        retention_days=retention_days,
    )


@pytest.fixture
async def voice(
    tmp_path: Path, prompt_dir: Path, port_pool: PortPool
) -> AsyncIterator[VoiceFactory]:
    """Start in-process servers; options go to voice_config (routes, timers, regions)."""
    running: list[RunningVoice] = []
    session = aiohttp.ClientSession()

    async def start(*, asterisk: AsteriskInstance | None = None, **options: Any) -> RunningVoice:
        if asterisk is None:
            options.setdefault("ari_port", port_pool.take())  # nobody listens: Asterisk away
        database = tmp_path / f"voice-{len(running)}.db"
        server = VoiceServer(voice_config(database, prompt_dir, asterisk=asterisk, **options))
        await server.start()
        if asterisk is not None:
            await asyncio.wait_for(server.ready.wait(), 10)
        voice = RunningVoice(server, VoiceApi(f"http://{LOOPBACK}:{server.port}", session))
        running.append(voice)
        return voice

    yield start
    for voice in running:
        await voice.server.stop()
    await session.close()


@pytest.fixture
async def smtp_sink(port_pool: PortPool) -> AsyncIterator[SmtpSink]:
    """An SMTP server keeping every message."""
    sink = SmtpSink(port_pool.take())
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
async def callback_sink(port_pool: PortPool) -> AsyncIterator[CallbackSink]:
    """A Home Assistant webhook checking signatures."""
    sink = CallbackSink(port_pool.take())
    await sink.start()
    yield sink
    await sink.stop()
