"""The SIP trunk's state in /healthz, from the real Asterisk over ARI (self-diagnosis).

An Asterisk of its own with a trunk to a SIPp "provider" that answers Asterisk's qualify requests
(``-aa``): online while it answers, offline once it is gone. The session's Asterisk has no trunk,
and /healthz then says nothing of one.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from testkit.asterisk import ASTERISK, asterisk_settings, launch_asterisk, stop_asterisk
from testkit.sipp import SIPP, SippPhone, start_sipp
from voice_server import server as server_module
from voice_server.sip_trunk import SipTrunk

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from testkit.asterisk import AsteriskInstance
    from tests.voice.conftest import PortPool, VoiceFactory
    from voice_server.server import VoiceServer

LINE = "0977000111"


@pytest.fixture
def provider(tmp_path: Path, port_pool: PortPool) -> Iterator[SippPhone]:
    """The SIP provider: SIPp answering every OPTIONS (``-aa``), as a provider answers qualify."""
    if not ASTERISK.exists() or not SIPP.exists():
        pytest.skip("Asterisk and SIPp come with the dev root: scripts/devroot/build run …")
    phone = start_sipp(
        "uas_answer_hangup", log_dir=tmp_path / "provider", pool=port_pool, extra=("-aa",)
    )
    try:
        yield phone
    finally:
        phone.stop()


@pytest.fixture
def trunked(tmp_path: Path, port_pool: PortPool, provider: SippPhone) -> Iterator[AsteriskInstance]:
    """An Asterisk whose trunk is the provider (not registered: nothing to register)."""
    trunk = SipTrunk(
        host="127.0.0.1",
        port=provider.port,
        username=LINE,
        password="trunk-secret-0123",
        from_number=LINE,
        register=False,
    )
    settings = replace(asterisk_settings(tmp_path / "ast", port_pool), trunk=trunk)
    instance = launch_asterisk(settings)
    try:
        yield instance
    finally:
        stop_asterisk(instance)


async def _trunk_becomes(
    server: VoiceServer, asterisk: AsteriskInstance, wanted: str, within: float = 20.0
) -> None:
    """Ask Asterisk to qualify the trunk now (instead of within a minute) until ``wanted``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (state := await server.check_trunk()) != wanted:
        assert loop.time() < deadline, f"trunk still {state!r}\n{asterisk.log_tail()}"
        await asyncio.to_thread(asterisk.cli, "pjsip qualify trunk")
        await asyncio.sleep(0.5)


async def test_the_trunk_is_online_while_its_provider_answers_and_offline_once_gone(
    trunked: AsteriskInstance,
    voice: VoiceFactory,
    provider: SippPhone,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "TRUNK_GRACE", 0.0)
    running = await voice(asterisk=trunked)
    await _trunk_becomes(running.server, trunked, "online")
    status, health = await running.api.call("GET", "/healthz")
    assert (status, health["status"], health["trunk"]) == (200, "ok", "online")
    provider.stop()  # the provider is gone (its line cut)
    await _trunk_becomes(running.server, trunked, "offline", within=30)
    _, health = await running.api.call("GET", "/healthz")
    assert health["trunk"] == "offline"
    assert health["status"] == "ok"  # Asterisk runs: the calls wait for the line, not for it
    assert "OPTIONS sip:127.0.0.1" in provider.trace.read_text()


async def test_a_trunk_offline_only_since_the_start_is_not_known_yet(
    trunked: AsteriskInstance, voice: VoiceFactory, provider: SippPhone
) -> None:
    provider.stop()  # nobody answers: offline, but maybe only not qualified yet
    running = await voice(asterisk=trunked)
    for _ in range(3):
        await asyncio.to_thread(trunked.cli, "pjsip qualify trunk")
        await asyncio.sleep(0.5)
        assert await running.server.check_trunk() is None
    _, health = await running.api.call("GET", "/healthz")
    assert "trunk" not in health


async def test_without_a_trunk_healthz_says_nothing_of_one(
    asterisk: AsteriskInstance, voice: VoiceFactory
) -> None:
    running = await voice(asterisk=asterisk)
    assert await running.server.check_trunk() is None
    _, health = await running.api.call("GET", "/healthz")
    assert health["status"] == "ok"
    assert "trunk" not in health


async def test_with_asterisk_away_the_trunk_is_not_known(voice: VoiceFactory) -> None:
    running = await voice()  # nobody listens on its ARI port
    assert await running.server.check_trunk() is None
    _, health = await running.api.call("GET", "/healthz")
    assert (health["status"], "trunk" in health) == ("degraded", False)
