"""Crash safety: ``kill -9`` of the voice server and an Asterisk restart during a campaign."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from testkit.asterisk import asterisk_settings, launch_asterisk, stop_asterisk
from testkit.bodies import NUMBERS, alert_body, contact, site_body
from testkit.polling import until
from testkit.voice_api import VoiceApi
from tests.voice.harness import finished, first_answered, outcomes

if TYPE_CHECKING:
    from testkit.asterisk import AsteriskInstance
    from testkit.callbacks import CallbackSink
    from testkit.ports import PortPool
    from tests.voice.conftest import SippFactory, VoiceFactory, VoiceProcessFactory

pytestmark = pytest.mark.voice
FIRST = {"id": "c0", "name": "Contact 0"}


async def test_kill_9_during_campaign_then_resume(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice_process: VoiceProcessFactory,
    *,
    callback_sink: CallbackSink,
) -> None:
    ringing = sipp_phone("uas_noanswer", name="ringing")
    right = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
    server = voice_process(
        asterisk=asterisk,
        routes={NUMBERS[0]: ringing.endpoint, NUMBERS[1]: right.endpoint},
        ring_timeout=4.0,
        rounds=1,
    )
    server.start()
    async with aiohttp.ClientSession() as session:
        api = VoiceApi(server.base, session)
        await api.wait_healthy(15, alive=server.running)
        body = site_body([contact(0), contact(1)], callback_url=callback_sink.url)
        await api.put_site("home", body)
        assert (await api.post_alert("home", alert_body("k-1")))[0] == 201
        await api.wait_alert("k-1", lambda a: a["current_contact"] == FIRST)
        await asyncio.sleep(0.3)  # c0's phone is ringing
        server.kill()

        server.start()
        await api.wait_healthy(15, alive=server.running)
        alert = await api.wait_alert("k-1", finished, within=20)
        assert alert["status"] == "acknowledged"
        assert outcomes(alert) == [("c0", "unreachable"), ("c1", "acknowledged")]
        # The ringing call the dead process left behind was hung up at restart.
        await until(
            lambda: "CANCEL" in ringing.trace.read_text(), within=5, what="stale call cancelled"
        )

        # Once acknowledged, a crash and a restart call nobody again.
        server.kill()
        server.start()
        await api.wait_healthy(15, alive=server.running)
        await asyncio.sleep(1.0)
        assert outcomes(await api.alert("k-1")) == outcomes(alert)
        assert (await api.post_alert("home", alert_body("k-1")))[0] == 200
        # The attempt the dead process left open ends at restart; each status change is told
        # once (repeats of the same delivery aside), and nothing more after the last restart.
        assert callback_sink.events("k-1") == [
            ("alert_status", "calling", None, None),
            ("attempt_started", "calling", "c0", None),
            ("attempt_ended", "calling", "c0", "unreachable"),
            ("attempt_started", "calling", "c1", None),
            ("alert_status", "acknowledged", "c1", "acknowledged"),
            ("attempt_ended", "acknowledged", "c1", "acknowledged"),
        ]
    assert server.log.read_text().count("listening on") == 3


async def test_asterisk_restart_during_campaign(
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    port_pool: PortPool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = asterisk_settings(tmp_path_factory.mktemp("ast-restart"), port_pool)
    instance: AsteriskInstance = launch_asterisk(settings)
    try:
        silent = sipp_phone("uas_dtmf", digits="1", delay_ms=20000, name="silent")
        right = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
        running = await voice(
            asterisk=instance,
            routes={NUMBERS[0]: silent.endpoint, NUMBERS[1]: right.endpoint},
            digit_timeout=20.0,
        )
        api = running.api
        await api.put_site("home", site_body([contact(0), contact(1)]))
        await api.post_alert("home", alert_body("r-1"))
        await api.wait_alert("r-1", first_answered)

        stop_asterisk(instance)

        async def degraded() -> bool:
            return await api.health() == "degraded"

        await until(degraded, within=5, every=0.05, what="health degraded")
        assert (await api.call("GET", "/healthz")) == (
            200,
            {"status": "degraded", "asterisk": False, "dead_letters": 0},
        )
        alert = await api.wait_alert("r-1", lambda a: a["attempts"][0]["ended_at"] is not None)
        assert outcomes(alert) == [("c0", "unreachable")]
        await asyncio.sleep(0.5)
        assert len((await api.alert("r-1"))["attempts"]) == 1  # nobody called while away

        instance = launch_asterisk(settings)
        alert = await api.wait_alert("r-1", finished, within=20)
        assert outcomes(alert) == [("c0", "unreachable"), ("c1", "acknowledged")]
        assert (await api.call("GET", "/healthz"))[1]["status"] == "ok"
    finally:
        stop_asterisk(instance)
