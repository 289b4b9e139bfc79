"""When calls cannot be made, end to end: real Asterisk stopped, a trunk answering 503, SIPp.

The pure decisions are pinned in test_outage.py and test_runner.py; these show that Asterisk's
real causes and a real restart lead there: queued with a reason, calling again, expired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from testkit.asterisk import asterisk_settings, launch_asterisk, stop_asterisk
from testkit.polling import until
from tests.voice.harness import NUMBERS, alert_body, contact, finished, outcomes, site_body

if TYPE_CHECKING:
    from testkit.asterisk import AsteriskInstance
    from testkit.callbacks import CallbackSink
    from testkit.ports import PortPool
    from tests.voice.conftest import SippFactory, VoiceFactory

pytestmark = pytest.mark.voice


def _statuses(sink: CallbackSink, alert_id: str) -> list[tuple[str, str | None]]:
    payloads: list[dict[str, Any]] = sink.payloads
    return [
        (p["status"], p.get("reason"))
        for p in payloads
        if p["alert_id"] == alert_id and p["event"] == "alert_status"
    ]


async def test_a_trunk_refusing_every_call_queues_the_alert_until_it_expires(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    callback_sink: CallbackSink,
) -> None:
    trunk = sipp_phone("uas_unavailable", name="trunk-503")
    running = await voice(
        asterisk=asterisk, routes={NUMBERS[0]: trunk.endpoint}, rounds=2, max_alert_age=6.0
    )
    api = running.api
    await api.put_site("home", site_body([contact(0)], callback_url=callback_sink.url))
    assert await api.post_alert("home", alert_body("o-1")) == (
        201,
        {"alert_id": "o-1", "status": "calling"},
    )
    queued = await api.wait_alert("o-1", lambda a: a["status"] == "queued", within=10)
    assert queued["reason"] == "trunk_unavailable"
    alert = await api.wait_alert("o-1", finished, within=15)
    # Once it used to be "exhausted" within a second: two rounds spent on the dead trunk.
    assert (alert["status"], alert["reason"]) == ("expired", "too_old")
    attempts = alert["attempts"]
    assert len(attempts) >= 3
    assert {(a["round"], a["outcome"], a["cause"]) for a in attempts} == {(1, "unreachable", 34)}
    await until(lambda: len(_statuses(callback_sink, "o-1")) == 3, within=10)
    assert _statuses(callback_sink, "o-1") == [
        ("calling", None),
        ("queued", "trunk_unavailable"),
        ("expired", "too_old"),
    ]


async def test_asterisk_stopped_queues_the_alert_then_it_calls_and_is_acknowledged(
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    callback_sink: CallbackSink,
    port_pool: PortPool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = asterisk_settings(tmp_path_factory.mktemp("ast-away"), port_pool)
    instance: AsteriskInstance = launch_asterisk(settings)
    try:
        right = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
        running = await voice(asterisk=instance, routes={NUMBERS[0]: right.endpoint})
        api = running.api
        await api.put_site("home", site_body([contact(0)], callback_url=callback_sink.url))
        stop_asterisk(instance)

        async def degraded() -> bool:
            return await api.health() == "degraded"

        await until(degraded, within=5, every=0.05, what="health degraded")
        assert await api.post_alert("home", alert_body("o-2")) == (
            201,
            {"alert_id": "o-2", "status": "queued"},
        )
        assert (await api.alert("o-2"))["reason"] == "asterisk_unavailable"

        instance = launch_asterisk(settings)
        alert = await api.wait_alert("o-2", finished, within=30)
        assert alert["status"] == "acknowledged"
        assert outcomes(alert) == [("c0", "acknowledged")]
        await until(lambda: len(_statuses(callback_sink, "o-2")) == 3, within=10)
        assert _statuses(callback_sink, "o-2") == [
            ("queued", "asterisk_unavailable"),
            ("calling", None),
            ("acknowledged", None),
        ]
    finally:
        stop_asterisk(instance)


async def test_a_phone_code_typed_without_pound_acknowledges(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    phone = sipp_phone("uas_dtmf", digits="246810", delay_ms=300, name="no-pound")
    running = await voice(
        asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint}, code_pause=1.5, digit_timeout=6.0
    )
    await running.api.put_site("home", site_body([contact(0, code="246810")]))
    await running.api.post_alert("home", alert_body("o-3"))
    alert = await running.api.wait_alert("o-3", finished, within=30)
    assert alert["status"] == "acknowledged"
    assert outcomes(alert) == [("c0", "acknowledged")]
