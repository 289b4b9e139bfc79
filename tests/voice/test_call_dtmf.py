"""Calls through real Asterisk ARI to SIPp phones: DTMF codes, failure causes, bridging."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
import uuid

import pytest

from voice_server.ari import CHANNEL_GONE

if TYPE_CHECKING:
    from tests.voice.conftest import SippFactory
    from voice_server.ari import AriClient, AriEvent, Subscription

pytestmark = pytest.mark.voice
_LOGGER = logging.getLogger(__name__)


def _channel_id() -> str:
    return f"test-{uuid.uuid4()}"


async def _digits_until_pound(events: Subscription, within: float) -> str:
    """Every DTMF digit up to and including '#'; fails if the channel goes away first."""
    digits = ""
    while not digits.endswith("#"):
        event = await events.wait_for("ChannelDtmfReceived", *CHANNEL_GONE, within=within)
        assert event.type == "ChannelDtmfReceived", f"{event.type} after digits {digits!r}"
        assert event.digit is not None
        digits += event.digit
    return digits


async def _answered(ari: AriClient, events: Subscription, endpoint: str, channel_id: str) -> None:
    await ari.originate(endpoint, channel_id=channel_id, app_args=("alarm", "contact-1"))
    event = await events.wait_for("StasisStart", "ChannelDestroyed", within=10)
    assert event.type == "StasisStart", f"not answered: cause {event.cause} {event.cause_txt}"
    assert event.args == ("alarm", "contact-1")


async def _hang_up(ari: AriClient, events: Subscription, channel_id: str) -> AriEvent:
    await ari.hangup(channel_id)
    return await events.wait_for("ChannelDestroyed", within=5)


async def test_phone_sends_code_then_pound(ari: AriClient, sipp_phone: SippFactory) -> None:
    phone = sipp_phone("uas_dtmf", digits="1234#", delay_ms=300)
    channel_id = _channel_id()
    with ari.subscribe(channel_id) as events:
        started = time.monotonic()
        await _answered(ari, events, phone.endpoint, channel_id)
        answered = time.monotonic()
        digits = await _digits_until_pound(events, within=10)
        done = time.monotonic()
        assert (digits[:-1], digits[-1]) == ("1234", "#")
        destroyed = await _hang_up(ari, events, channel_id)
    assert destroyed.cause == 16  # normal clearing: we hung up
    _LOGGER.info(
        "originate->answer %.3f s, answer->'#' %.3f s (SIPp: 0.5 s ring, 0.3 s pause, 2 s DTMF)",
        answered - started,
        done - answered,
    )


async def test_other_phone_gives_other_code(ari: AriClient, sipp_phone: SippFactory) -> None:
    phone = sipp_phone("uas_dtmf", digits="4321#")
    channel_id = _channel_id()
    with ari.subscribe(channel_id) as events:
        await _answered(ari, events, phone.endpoint, channel_id)
        digits = await _digits_until_pound(events, within=10)
        await _hang_up(ari, events, channel_id)
    assert digits == "4321#"
    assert digits[:-1] != "1234"


@pytest.mark.parametrize(
    ("scenario", "cause"),
    [("uas_busy", 17), ("uas_reject", 21), ("uas_noanswer", 19)],
)
async def test_unanswered_call_reports_cause(
    ari: AriClient, sipp_phone: SippFactory, scenario: str, cause: int
) -> None:
    phone = sipp_phone(scenario)
    channel_id = _channel_id()
    with ari.subscribe(channel_id) as events:
        started = time.monotonic()
        await ari.originate(phone.endpoint, channel_id=channel_id, dial_timeout=2)
        event = await events.wait_for("StasisStart", "ChannelDestroyed", within=10)
    assert (event.type, event.cause) == ("ChannelDestroyed", cause), event.cause_txt
    _LOGGER.info("%s: cause %s after %.3f s", scenario, cause, time.monotonic() - started)


async def test_callee_hangs_up_without_code(ari: AriClient, sipp_phone: SippFactory) -> None:
    phone = sipp_phone("uas_answer_hangup", delay_ms=300)
    channel_id = _channel_id()
    with ari.subscribe(channel_id) as events:
        await _answered(ari, events, phone.endpoint, channel_id)
        event = await events.wait_for("ChannelDtmfReceived", *CHANNEL_GONE, within=5)
    assert event.type in CHANNEL_GONE


async def test_digit_stops_prompt_and_bridges_station(
    ari: AriClient, sipp_phone: SippFactory
) -> None:
    phone = sipp_phone("uas_dtmf", digits="9", delay_ms=800)
    station = sipp_phone("uas_station", name="station")
    caller_id, station_id = _channel_id(), _channel_id()
    with ari.subscribe(caller_id) as events, ari.subscribe(station_id) as station_events:
        await _answered(ari, events, phone.endpoint, caller_id)
        playback_id = await ari.play(caller_id, ["sound:agent-pass", "sound:vm-goodbye"], lang="fr")
        started = await events.wait_for("PlaybackStarted", "ChannelDtmfReceived", within=5)
        assert (started.type, started.playback_id) == ("PlaybackStarted", playback_id)
        digit = await events.wait_for("ChannelDtmfReceived", *CHANNEL_GONE, within=5)
        assert digit.digit == "9"
        await ari.stop_playback(playback_id)
        finished = await events.wait_for("PlaybackFinished", within=2)
        assert finished.playback_id == playback_id

        bridge_id = await ari.create_bridge(name="sos")
        with ari.subscribe(bridge_id) as bridge_events:
            await ari.add_to_bridge(bridge_id, caller_id)
            await ari.originate(station.endpoint, channel_id=station_id, app_args=("station",))
            answer = await station_events.wait_for("StasisStart", "ChannelDestroyed", within=10)
            assert answer.type == "StasisStart"
            await ari.add_to_bridge(bridge_id, station_id)
            entered = {
                (await bridge_events.wait_for("ChannelEnteredBridge", within=5)).channel_id
                for _ in range(2)
            }
            assert entered == {caller_id, station_id}
            await _hang_up(ari, station_events, station_id)
            await _hang_up(ari, events, caller_id)
            await ari.destroy_bridge(bridge_id)
