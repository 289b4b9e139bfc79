"""Fixtures running a real Asterisk and SIPp "phones", all on 127.0.0.1 (helpers in ``testkit``).

- ``asterisk`` (session): one Asterisk 22 rendered from voice_server/asterisk into a tmp dir,
  on free ports, fully booted; stopped with "core stop now" at the end of the session.
- ``ari`` (function): an AriClient for app ``ARI_APP`` with its events WebSocket connected.
- ``sipp_phone`` (function): factory ``sipp_phone("uas_dtmf", digits="1234#", delay_ms=300)``
  starting one SIPp UAS per call on its own SIP and media ports; ``.endpoint`` is the ARI dial
  string. Every instance is stopped at teardown; its logs stay in the test's tmp dir.
- ``voice`` (function): factory of in-process voice servers (options of ``voice_config``).
- ``voice_process`` (function): factory of voice servers as real processes (``VoiceProcess``).
- ``smtp_sink``, ``callback_sink``: the SMTP server and Home Assistant's webhook, started.

Session fixtures cannot open sockets (Home Assistant's harness blocks them before any fixture
runs), so free ports are found in /proc/net and readiness is checked through Asterisk's CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from testkit.asterisk import (
    ARI_APP,
    ARI_PASSWORD,
    ARI_USER,
    ASTERISK,
    AsteriskInstance,
    asterisk_settings,
    launch_asterisk,
    stop_asterisk,
)
from testkit.callbacks import CallbackSink
from testkit.ports import LOOPBACK, PortPool
from testkit.sipp import SIPP, SippPhone, start_sipp
from testkit.smtp import SmtpSink
from testkit.voice import VoiceProcess, voice_config
from testkit.voice_api import VoiceApi
from voice_server.ari import AriClient
from voice_server.server import VoiceServer

__all__ = [  # the names test modules import from here
    "ARI_APP",
    "ARI_PASSWORD",
    "ARI_USER",
    "LOOPBACK",
    "AsteriskInstance",
    "PortPool",
    "RunningVoice",
    "SippFactory",
    "SippPhone",
    "VoiceFactory",
    "VoiceProcessFactory",
    "asterisk_settings",
    "launch_asterisk",
    "stop_asterisk",
    "voice_config",
]


@pytest.fixture(autouse=True)
def _voice_sockets(socket_enabled: None) -> None:
    """Let voice tests reach Asterisk; the harness still limits connections to 127.0.0.1."""


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: voice tests need no Home Assistant instance."""


@pytest.fixture(scope="session")
def port_pool() -> PortPool:
    """Free loopback ports for Asterisk, the SIPp phones, the servers and the sinks."""
    return PortPool()


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


SippFactory = Callable[..., SippPhone]


@pytest.fixture
def sipp_phone(tmp_path: Path, port_pool: PortPool) -> Iterator[SippFactory]:
    """Start SIPp UAS phones on demand; see the module docstring."""
    phones: list[SippPhone] = []

    def start(
        scenario: str, *, digits: str = "", delay_ms: int = 0, name: str = "phone"
    ) -> SippPhone:
        """Run ``scenarios/<scenario>.xml``; ``digits`` fills @PCAP@, ``delay_ms`` its pause."""
        log_dir = tmp_path / f"sipp-{len(phones)}-{name}"
        phone = start_sipp(
            scenario, log_dir=log_dir, pool=port_pool, name=name, digits=digits, delay_ms=delay_ms
        )
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        phone.stop()


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


VoiceProcessFactory = Callable[..., VoiceProcess]


@pytest.fixture
def voice_process(
    tmp_path: Path, prompt_dir: Path, port_pool: PortPool
) -> Iterator[VoiceProcessFactory]:
    """Write the settings of real voice-server processes (not started); all stopped at the end.

    ``voice_process(asterisk=…, routes=…, ring_timeout=4.0)``: keywords go to
    ``VoiceProcess.write``; the folder, port and prompts are the test's.
    """
    made: list[VoiceProcess] = []

    def write(*, asterisk: AsteriskInstance, **options: Any) -> VoiceProcess:
        options.setdefault("routes", {})
        server = VoiceProcess.write(
            tmp_path / f"voice-process-{len(made)}",
            asterisk=asterisk,
            port=port_pool.take(),
            prompts=prompt_dir,
            **options,
        )
        made.append(server)
        return server

    yield write
    for server in made:
        server.stop()


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
