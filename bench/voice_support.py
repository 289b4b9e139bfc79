"""Processes and receivers of the voice-server benchmark: Asterisk, SIPp phones, the voice server.

Everything runs on 127.0.0.1 on ports found free in /proc/net (the tests' ``PortPool``), and every
process started here is recorded in a ``Processes`` set that stops it (terminate, then kill) at the
end, whatever happens. Helpers of tests/voice are reused by import, never copied.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from custom_components.imaprotect.contract.signing import (  # noqa: E402
    DELIVERY_HEADER,
)
from tests.voice.conftest import (  # noqa: E402 - needs the repository on sys.path
    ARI_PASSWORD,
    ARI_USER,
    ASTERISK,
    SCENARIOS,
    SIPP,
    AsteriskInstance,
    PortPool,
    asterisk_settings,
    stop_asterisk,
)
from tests.voice.dtmf_pcap import write_dtmf_pcap  # noqa: E402
from tests.voice.harness import (  # noqa: E402
    TOKEN,
    signed_body,
    stop_process,
)
from voice_server.asterisk_config import render  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CallbackSink",
    "ProcStat",
    "Processes",
    "SippPhone",
    "VoiceProcess",
    "invites_seen",
    "start_asterisk",
]

LOOPBACK = "127.0.0.1"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
_READY_SECONDS = 5.0
_STOP_GRACE = 10.0
_TRACE_HEADER = "----------------------------------------------- "
_BOOT_SECONDS = 30.0
#: Prefix of every child's command: it is killed if the benchmark dies (even by SIGKILL). The dev
#: root's sandbox has no PID namespace, so its --die-with-parent only reaches the benchmark itself.
#: Children must be started from the main thread: the signal follows the thread that forked.
DIE_WITH_US = ("setpriv", "--pdeathsig", "KILL", "--")


class Processes:
    """Every child process of the benchmark, stopped in reverse order by ``stop_all``."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[bytes]] = []
        self._asterisk: list[AsteriskInstance] = []

    def add(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Track ``process``."""
        self._running.append(process)
        return process

    def add_asterisk(self, instance: AsteriskInstance) -> None:
        """Track an Asterisk (stopped with ``core stop now``, then killed if needed)."""
        self._asterisk.append(instance)

    def stop_all(self) -> None:
        """Stop everything still running."""
        for process in reversed(self._running):
            stop_process(process, _STOP_GRACE)
        for instance in self._asterisk:
            stop_asterisk(instance)
        self._running.clear()
        self._asterisk.clear()


# --- /proc figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcStat:
    """CPU seconds of one process (and its waited-for children) and its memory, from /proc."""

    cpu: float
    children_cpu: float
    rss_kib: int
    hwm_kib: int

    @classmethod
    def read(cls, pid: int) -> ProcStat:
        """Current figures of ``pid``."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        memory = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                memory[key] = int(value.split()[0])
        return cls(
            cpu=(utime + stime) / CLOCK_TICK,
            children_cpu=(cutime + cstime) / CLOCK_TICK,
            rss_kib=memory.get("VmRSS", 0),
            hwm_kib=memory.get("VmHWM", 0),
        )


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# --- Asterisk ---------------------------------------------------------------------------------


def start_asterisk(run_dir: Path, pool: PortPool, processes: Processes) -> AsteriskInstance:
    """The project's Asterisk configuration on free loopback ports, fully booted.

    A wider RTP range than the tests': 100 simultaneous calls need 200 ports, and a port pair
    is only reused some time after its call ended.
    """
    settings = asterisk_settings(run_dir, pool, rtp_ports=1000)
    paths = render(settings)
    started = time.monotonic()
    with (paths.log / "console.log").open("ab") as console:
        process = subprocess.Popen(
            [*DIE_WITH_US, str(ASTERISK), "-C", str(paths.config), "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    instance = AsteriskInstance(settings, paths, process, 0.0)
    processes.add_asterisk(instance)
    # "core waitfullybooted" answers once every module (ARI's HTTP server too) is loaded.
    while instance.cli("core waitfullybooted").returncode != 0:
        if process.poll() is not None or time.monotonic() > started + _BOOT_SECONDS:
            raise RuntimeError(f"Asterisk did not boot:\n{instance.log_tail()}")
        time.sleep(0.05)
    return AsteriskInstance(settings, paths, process, time.monotonic() - started)


# --- SIPp phones ------------------------------------------------------------------------------


def _udp_bound(port: int) -> bool:
    wanted = f"0100007F:{port:04X}"
    return any(
        line.split()[1] == wanted for line in Path("/proc/net/udp").read_text().splitlines()[1:]
    )


@dataclass(slots=True)
class SippPhone:
    """One SIPp UAS taking every call routed to it (SIPp runs each call on its own)."""

    name: str
    port: int
    log_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def dial(self, user: str) -> str:
        """ARI dial string reaching this phone as ``sip:user@…`` (the user tells calls apart)."""
        return f"PJSIP/direct/sip:{user}@{LOOPBACK}:{self.port}"

    @property
    def trace(self) -> Path:
        """SIPp's message trace (every SIP message with the time SIPp saw it)."""
        return self.log_dir / "messages.log"

    def stop(self) -> None:
        """Stop SIPp (its trace is complete afterwards)."""
        stop_process(self.process, grace=5)

    def errors(self) -> int:
        """Lines in SIPp's error log (unexpected messages, retransmissions after the end...)."""
        path = self.log_dir / "errors.log"
        return len(path.read_text(errors="replace").splitlines()) if path.exists() else 0


def start_sipp(
    scenario: str,
    *,
    name: str,
    log_root: Path,
    pool: PortPool,
    processes: Processes,
    digits: str = "",
    delay_ms: int = 0,
) -> SippPhone:
    """Run tests/voice/sipp/<scenario>.xml as a UAS; ``digits`` fills its DTMF pcap."""
    log_dir = log_root / f"sipp-{name}"
    log_dir.mkdir(parents=True)
    script = (SCENARIOS / f"{scenario}.xml").read_text()
    if "@PCAP@" in script:
        script = script.replace("@PCAP@", str(write_dtmf_pcap(log_dir / "dtmf.pcap", digits)))
    scenario_file = log_dir / f"{scenario}.xml"
    scenario_file.write_text(script)
    port, media_port, control_port = pool.take(), pool.take(4), pool.take()
    command = [
        *DIE_WITH_US, str(SIPP), "-sf", str(scenario_file),
        "-i", LOOPBACK, "-p", str(port), "-bind_local",
        "-mi", LOOPBACK, "-mp", str(media_port), "-cp", str(control_port),
        "-d", str(delay_ms), "-nostdin",
        # A burst of 100 INVITEs is ~100 kB: a larger socket buffer than SIPp's 64 kB default.
        "-buff_size", str(1 << 20),
        "-trace_err", "-error_file", str(log_dir / "errors.log"),
        "-trace_msg", "-message_file", str(log_dir / "messages.log"),
    ]  # fmt: skip
    with (log_dir / "screen.log").open("wb") as screen:
        process = processes.add(
            subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.STDOUT
            )
        )
    deadline = time.monotonic() + _READY_SECONDS
    while not _udp_bound(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"SIPp {scenario} did not start; see {log_dir}")
        time.sleep(0.02)
    return SippPhone(name, port, log_dir, process)


def invites_seen(trace: Path) -> tuple[dict[str, float], Counter[str], Counter[str]]:
    """From a SIPp message trace: first INVITE time per request-URI user, INVITEs and BYEs per user.

    The trace has one block per message: a dashed line with the time SIPp saw it (UTC, µs), a
    "UDP message received"/"sent" line, an empty line, then the message.
    """
    first: dict[str, float] = {}
    invites: Counter[str] = Counter()
    byes: Counter[str] = Counter()
    stamp: float | None = None
    received = False
    expect_start = 0
    for line in trace.read_text(errors="replace").splitlines():
        if line.startswith(_TRACE_HEADER):
            text = line.removeprefix(_TRACE_HEADER).strip()
            stamp = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
            expect_start = 3
            continue
        if expect_start:
            expect_start -= 1
            if line.startswith("UDP message"):
                received = "received" in line
            elif line and received and stamp is not None:
                method, _, rest = line.partition(" ")
                user = rest.removeprefix("sip:").split("@", 1)[0]
                if method == "INVITE":
                    invites[user] += 1
                    first.setdefault(user, stamp)
                elif method == "BYE":
                    byes[user] += 1
                expect_start = 0
    return first, invites, byes


# --- the voice server -------------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def _toml_table(name: str, values: Mapping[str, object]) -> str:
    lines = [f"[{name}]"]
    lines += [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


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
        smtp_port: int,
        ari_app: str,
        **voice: object,
    ) -> VoiceProcess:
        """Write the TOML settings (the same keys an installation uses) into ``folder``."""
        folder.mkdir(parents=True)
        config = folder / "voice.toml"
        config.write_text(
            _toml_table(
                "asterisk",
                {
                    "ari_user": ARI_USER,
                    "ari_password": ARI_PASSWORD,
                    "http_port": asterisk.settings.http_port,
                },
            )
            + _toml_table(
                "voice",
                {
                    "token": TOKEN,
                    "database": folder / "voice.db",
                    "prompts_dir": prompts,
                    "listen": LOOPBACK,
                    "port": port,
                    "ari_app": ari_app,
                    "reconnect_max": 0.5,
                    **voice,
                },
            )
            + _toml_table("voice.routes", routes)
            + _toml_table(
                "smtp", {"host": LOOPBACK, "port": smtp_port, "sender": "alarme@example.org"}
            )
        )
        return cls(config, folder / "voice.log", port)

    @property
    def base(self) -> str:
        """Base URL of its API."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def start(self, processes: Processes) -> None:
        """Start it, as an installation would (no IMAPROTECT_* variables inherited)."""
        with self.log.open("ab") as out:
            self.process = processes.add(
                subprocess.Popen(
                    [
                        *DIE_WITH_US,
                        sys.executable,
                        "-m",
                        "voice_server",
                        "--config",
                        str(self.config),
                    ],
                    cwd=REPO,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")},
                )
            )

    async def wait_healthy(self, session: aiohttp.ClientSession, within: float = 20.0) -> None:
        """Until /healthz says ok (Asterisk connected and booted)."""
        deadline = time.monotonic() + within
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"voice server exited; see {self.log}")
            try:
                async with session.get(self.base + "/healthz") as resp:
                    if (await resp.json())["status"] == "ok":
                        return
            except aiohttp.ClientError, ValueError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"voice server never became healthy; see {self.log}")
            await asyncio.sleep(0.1)

    def stop(self) -> int | None:
        """SIGTERM, wait for a clean stop; its exit status (None if it had to be killed)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(_STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        return self.process.returncode


# --- Home Assistant stand-in ------------------------------------------------------------------


@dataclass(slots=True)
class Delivery:
    """One status callback as received."""

    at: float
    delivery: str
    payload: dict[str, Any]


class CallbackSink:
    """The sites' webhook: checks every signature, keeps every callback, wakes waiters."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Delivery] = []
        self.by_alert: dict[str, list[Delivery]] = {}
        self.refused = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Callback URL for the sites."""
        return f"http://{LOOPBACK}:{self.port}/api/webhook/bench"

    async def _receive(self, request: web.Request) -> web.Response:
        body = await signed_body(request)
        if body is None:
            self.refused += 1
            return web.Response(status=401)
        delivery = Delivery(time.time(), request.headers.get(DELIVERY_HEADER, ""), json.loads(body))
        self.received.append(delivery)
        self.by_alert.setdefault(delivery.payload["alert_id"], []).append(delivery)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=200)

    async def start(self) -> None:
        """Listen."""
        app = web.Application()
        app.router.add_post("/api/webhook/bench", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, self.port).start()

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    def statuses(self, alert_id: str) -> list[str]:
        """Statuses of ``alert_id``'s callbacks in arrival order."""
        return [d.payload["status"] for d in self.by_alert.get(alert_id, ())]

    def first(self, alert_id: str, status: str) -> Delivery | None:
        """First callback of ``alert_id`` with ``status``."""
        for delivery in self.by_alert.get(alert_id, ()):
            if delivery.payload["status"] == status:
                return delivery
        return None

    async def wait(self, done: Any, within: float) -> bool:
        """Until ``done()`` holds (checked at each callback); False after ``within`` seconds."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(done)
        except TimeoutError:
            return False
        return True
