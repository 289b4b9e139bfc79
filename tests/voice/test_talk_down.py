"""Talk-down against the in-memory ARI: the key, the speaker bridge, the warning, their records.

The real Asterisk and SIPp path is in test_talk_down_e2e.py; these pin each branch in milliseconds.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
import pytest

from custom_components.imaprotect.contract.enums import (
    AlertKind,
    AlertStatus,
    Outcome,
    TalkDownMode,
)
from custom_components.imaprotect.contract.models import Site
from tests.voice import test_call_session as _session
from tests.voice.fake_ari import until
from tests.voice.test_call_session import (
    _FAST,
    _WORDS,
    Running,
    World,
    WorldFactory,
    _alert,
    _answered,
    _call,
)
from voice_server import second_leg
from voice_server.ari import CONNECTION_LOST, AriError, AriEvent
from voice_server.call_media import cancelled_event
from voice_server.callees import callees
from voice_server.calltree import CallResult
from voice_server.config import CallSettings
from voice_server.home_speaker import ALERT_INFO, AUTO_ANSWER, CALL_INFO
from voice_server.keypad import Collect, Keypad, Prompt, StartSos, StartTalkDown
from voice_server.phones import Dialer
from voice_server.talk_downs import TalkDownLog

if TYPE_CHECKING:
    from voice_server.store import Alert

SPEAKER = "sip:speaker@192.0.2.30"
make_world = _session.make_world  # the fixture, shared


def _with(world: World, **changes: Any) -> World:
    world.site = world.site.model_copy(update=changes)
    world.store.put_site("home", world.site)
    return world


def _talk_downs(world: World) -> list[tuple[str, dict[str, Any]]]:
    return [(c["event"], c["talk_down"]) for c in world.callbacks() if "talk_down" in c]


def _rows(world: World) -> list[tuple[Any, ...]]:
    return world.store.conn.execute(
        "SELECT mode, end_reason, spoke_at IS NOT NULL, ended_at IS NOT NULL FROM talkdowns"
    ).fetchall()


def _opening(hint: str) -> str:
    return f"{_WORDS.enter_code} {hint}"


async def _listen(world: World, call: Running) -> str:
    """The contact presses *: the speaker is dialled, answers, the instructions end; its id."""
    world.ari.dtmf(call.channel, "*")
    await until(lambda: len(world.ari.originated) == 2)
    speaker: str = world.ari.originated[1][1]
    world.ari.emit("StasisStart", speaker)
    assert world.ari.heard()[-1] == f"sound:{_WORDS.listening}"
    world.ari.finish_playback()
    await until(lambda: len(world.ari.bridges) == 3)
    return speaker


async def _answered_call(world: World, settings: CallSettings = _FAST) -> Running:
    """The first contact's call of a new alert, answered: the code prompt starts."""
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    return call


async def _back_to_the_code(world: World, said: str) -> None:
    """The talk-down is over: ``said``, then the code prompt again."""
    expected = f"sound:{said} {_opening(_WORDS.talk_down_key)}"
    await until(lambda: world.ari.heard()[-1] == expected)


async def _acknowledged(world: World, call: Running) -> None:
    """The contact types the code: the call ends acknowledged."""
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)


# --- the keypad ---------------------------------------------------------------------------------


def test_the_star_key_asks_for_the_talk_down_only_first_and_only_when_offered() -> None:
    keypad = Keypad(can_sos=True, digit_timeout=5.0, max_wrong_codes=3, can_talk_down=True)
    assert keypad.digit("*", 0.0) == StartTalkDown()
    assert keypad.time_left(0.0) is None  # no silence deadline while it lasts
    assert keypad.talk_down_over(Prompt.TALK_DOWN_OVER).prompt is Prompt.TALK_DOWN_OVER  # type: ignore[union-attr]
    assert keypad.digit("1", 1.0) == Collect()
    assert keypad.digit("*", 1.1) == Collect()  # within a code: a code digit, as before
    assert keypad.typed == 2
    assert keypad.digit("#", 1.2).__class__.__name__ == "CheckCode"
    assert keypad.digit("9", 2.0) == StartSos()
    with pytest.raises(ValueError, match="does not end a talk-down"):
        keypad.talk_down_over(Prompt.WRONG_CODE)
    without = Keypad(can_sos=False, digit_timeout=5.0, max_wrong_codes=3)
    assert without.digit("*", 0.0) == Collect()
    assert without.typed == 1


# --- the contract and the dial string -----------------------------------------------------------


def test_the_site_speaker_is_a_sip_uri_or_an_endpoint_name(make_world: WorldFactory) -> None:
    body = make_world().site.model_dump()
    site = Site.model_validate(body | {"speaker": " sip:speaker@192.0.2.30:5062 "})
    assert site.speaker == "sip:speaker@192.0.2.30:5062"
    assert site.talk_down is TalkDownMode.SPEAKER
    assert Site.model_validate(body | {"speaker": "intercom-1"}).speaker == "intercom-1"
    assert Site.model_validate(body | {"warning": True}).talk_down is TalkDownMode.WARNING
    assert Site.model_validate(body).talk_down is None
    for bad in ("sip:nobody", "two words", "x" * 201, 'sip:a@b;x="y"'):
        with pytest.raises(ValidationError) as caught:
            Site.model_validate(body | {"speaker": bad})
        assert caught.value.errors()[0]["type"] == "invalid_speaker"


def test_the_speaker_dial_string() -> None:
    dialer = Dialer("PJSIP/{number}@trunk", {"intercom-9": "PJSIP/direct/sip:x@127.0.0.1:5999"})
    assert dialer.speaker(SPEAKER) == f"PJSIP/direct/{SPEAKER}"
    assert dialer.speaker("intercom-1") == "PJSIP/intercom-1"
    assert dialer.speaker("intercom-9") == "PJSIP/direct/sip:x@127.0.0.1:5999"


def test_a_duress_alert_offers_no_talk_down(make_world: WorldFactory) -> None:
    """Nothing may sound at home when someone gave a duress code: no speaker, no warning."""
    site = _with(make_world(contacts=2), speaker=SPEAKER, warning=True).site
    plan = callees(site, AlertKind.SOS, skip=("c0",))
    assert [c.id for c in plan.contacts] == ["c1"]
    assert (plan.speaker, plan.warning, plan.talk_down) == (None, False, None)
    kept = callees(site, AlertKind.INTRUSION)
    assert (kept.speaker, kept.talk_down) == (SPEAKER, TalkDownMode.SPEAKER)


# --- the warning --------------------------------------------------------------------------------


async def test_without_a_speaker_the_key_asks_home_assistant_for_the_warning(
    make_world: WorldFactory,
) -> None:
    world = _with(make_world(), warning=True)
    call = await _answered_call(world)
    assert world.ari.plays[0][2][1] == f"sound:{_opening(_WORDS.warning_key)}"
    world.ari.dtmf(call.channel, "*")
    expected = f"sound:{_WORDS.warning_sent} {_opening(_WORDS.warning_key)}"
    await until(lambda: world.ari.heard()[-1] == expected)
    assert len(world.ari.originated) == 1  # nothing dialled
    ((event, view),) = _talk_downs(world)
    assert event == "warning_requested"
    assert (view["mode"], view["by_station"]) == ("warning", False)
    assert view["ended_at"] == view["started_at"]
    await _acknowledged(world, call)
    assert _rows(world) == [("warning", "played", 0, 1)]


# --- the speaker bridge -------------------------------------------------------------------------


async def test_listen_then_speak_then_back_to_the_code(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    assert world.ari.plays[0][2][1] == f"sound:{_opening(_WORDS.talk_down_key)}"
    speaker = await _listen(world, call)
    assert world.ari.originated[1][0] == f"PJSIP/direct/{SPEAKER}"
    assert world.ari.variables[speaker] == AUTO_ANSWER
    assert AUTO_ANSWER == {
        "PJSIP_HEADER(add,Call-Info)": CALL_INFO,
        "PJSIP_HEADER(add,Alert-Info)": ALERT_INFO,
    }
    assert "answer-after=0" in CALL_INFO
    assert "info=alert-autoanswer" in ALERT_INFO
    create, *adds = world.ari.bridges
    assert create[0] == "create"
    assert create[2] == "dtmf_events"  # the contact's keys never reach the home
    assert [a[2] for a in adds] == [call.channel, speaker]
    assert world.ari.mutes == [(call.channel, True)]  # listening only
    assert [e for e, _ in _talk_downs(world)] == ["talk_down_started"]

    world.ari.dtmf(speaker, "1#")  # the home's keys change nothing
    world.ari.dtmf(call.channel, "1")
    await until(lambda: world.ari.mutes[-1] == (call.channel, False))
    world.ari.dtmf(call.channel, "1")  # already speaking
    world.ari.dtmf(call.channel, "#")
    await _back_to_the_code(world, _WORDS.talk_down_over)
    assert world.ari.mutes == [(call.channel, True), (call.channel, False)]
    assert speaker in world.ari.hung_up
    assert world.ari.bridges[-1][0] == "destroy"
    (_, started), (ended_event, ended) = _talk_downs(world)
    assert ended_event == "talk_down_ended"
    assert started["spoke_at"] is None
    assert ended["spoke_at"] is not None
    assert ended["ended_at"] is not None
    assert _rows(world) == [("speaker", "key", 1, 1)]
    await _acknowledged(world, call)


async def test_a_speaker_that_does_not_answer(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    world.ari.dtmf(call.channel, "*")
    await until(lambda: len(world.ari.originated) == 2)
    world.ari.emit("ChannelDestroyed", world.ari.originated[1][1], cause=19)
    await _back_to_the_code(world, _WORDS.speaker_unreachable)
    assert world.ari.originated[1][1] in world.ari.hung_up
    assert _talk_downs(world) == []  # nobody listened in: nothing for the station
    assert world.ari.mutes == []
    await _acknowledged(world, call)


async def test_a_speaker_that_cannot_be_dialled(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    world.ari.originate_errors.append(AriError("POST", "/channels", 400, "bad endpoint"))
    world.ari.dtmf(call.channel, "*")
    await _back_to_the_code(world, _WORDS.speaker_unreachable)
    assert _rows(world) == []
    world.ari.emit("StasisEnd", call.channel)
    assert (await call.result()).outcome is Outcome.HUNG_UP


async def test_the_speaker_hanging_up_ends_the_bridge_not_the_call(
    make_world: WorldFactory,
) -> None:
    world = _with(make_world(), speaker="intercom-1")
    call = await _answered_call(world)
    speaker = await _listen(world, call)
    assert world.ari.originated[1][0] == "PJSIP/intercom-1"
    world.ari.emit("ChannelLeftBridge", speaker)
    await _back_to_the_code(world, _WORDS.talk_down_over)
    assert world.ari.mutes == [(call.channel, True), (call.channel, False)]  # heard again
    assert _rows(world) == [("speaker", "speaker_gone", 0, 1)]
    await _acknowledged(world, call)


@pytest.mark.parametrize(
    ("ending", "outcome", "reason"),
    [
        ("hangup", Outcome.HUNG_UP, "contact_gone"),
        ("asterisk", Outcome.UNREACHABLE, "unreachable"),
        ("cancel", Outcome.CANCELLED, "cancelled"),
    ],
)
async def test_the_call_ending_in_the_bridge_ends_the_talk_down(
    make_world: WorldFactory, ending: str, outcome: Outcome, reason: str
) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    speaker = await _listen(world, call)
    queue = world.ari._routes[call.channel].queue
    if ending == "hangup":
        world.ari.emit("StasisEnd", call.channel)
    elif ending == "asterisk":
        queue.put_nowait(_lost())
    else:
        queue.put_nowait(cancelled_event("Marie"))
        await until(lambda: "Marie" in world.ari.heard()[-1])
        world.ari.finish_playback()
    assert (await call.result()).outcome is outcome
    assert speaker in world.ari.hung_up
    assert _rows(world) == [("speaker", reason, 0, 1)]
    assert [e for e, _ in _talk_downs(world)] == ["talk_down_started", "talk_down_ended"]
    assert world.ari.mutes == [(call.channel, True)]  # nobody to unmute


def _lost() -> AriEvent:
    return AriEvent(type=CONNECTION_LOST)


async def test_the_contact_hanging_up_while_the_speaker_rings(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    world.ari.dtmf(call.channel, "*")
    await until(lambda: len(world.ari.originated) == 2)
    world.ari.emit("StasisEnd", call.channel)
    assert (await call.result()).outcome is Outcome.HUNG_UP
    assert world.ari.originated[1][1] in world.ari.hung_up
    assert _rows(world) == []


async def test_the_alert_cancelled_while_the_speaker_rings(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)
    world.ari.dtmf(call.channel, "*")
    await until(lambda: len(world.ari.originated) == 2)
    world.ari._routes[call.channel].queue.put_nowait(cancelled_event("Marie"))
    await until(lambda: "Marie" in world.ari.heard()[-1])
    world.ari.finish_playback()
    assert (await call.result()).outcome is Outcome.CANCELLED
    assert world.ari.originated[1][1] in world.ari.hung_up
    assert _rows(world) == []


async def test_a_speaker_that_never_answers_in_time(
    make_world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(second_leg, "RING_SLACK", 0.0)  # Asterisk's own verdict never comes
    world = _with(make_world(), speaker=SPEAKER)
    settings = CallSettings(
        ring_timeout=0.05, digit_timeout=1.0, call_watchdog=3.0, sos_max_duration=1.0
    )
    call = await _answered_call(world, settings)
    world.ari.dtmf(call.channel, "*")
    await _back_to_the_code(world, _WORDS.speaker_unreachable)
    assert world.ari.originated[1][1] in world.ari.hung_up
    assert _rows(world) == []
    await _acknowledged(world, call)


async def test_the_talk_down_time_limit_returns_to_the_dialogue(
    make_world: WorldFactory,
) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    settings = CallSettings(
        ring_timeout=1.0, digit_timeout=1.0, call_watchdog=3.0, sos_max_duration=0.05
    )
    call = await _answered_call(world, settings)
    await _listen(world, call)
    await _back_to_the_code(world, _WORDS.talk_down_over)
    assert _rows(world) == [("speaker", "time_limit", 0, 1)]
    await _acknowledged(world, call)


async def test_a_bridge_refused_by_asterisk(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    call = await _answered_call(world)

    async def refuse(*_args: object, **_kwargs: object) -> str:
        raise AriError("POST", "/bridges", 500, "no bridge")

    world.ari.create_bridge = refuse  # type: ignore[method-assign]
    world.ari.dtmf(call.channel, "*")
    await until(lambda: len(world.ari.originated) == 2)
    world.ari.emit("StasisStart", world.ari.originated[1][1])
    world.ari.finish_playback()
    await _back_to_the_code(world, _WORDS.speaker_unreachable)
    assert world.ari.mutes == [(call.channel, True), (call.channel, False)]
    assert _rows(world) == []
    await _acknowledged(world, call)


# --- the log ------------------------------------------------------------------------------------


def test_a_talk_down_left_open_is_closed_at_the_next_start(make_world: WorldFactory) -> None:
    world = _with(make_world(), speaker=SPEAKER)
    alert: Alert = _alert(world)
    contact = alert.plan.contacts[0]
    attempt_id = world.ledger.start_attempt(alert, contact, "chan-x")
    log = TalkDownLog(world.ledger)
    talk_id = log.start(alert, contact, attempt_id, TalkDownMode.SPEAKER)
    log.spoke(talk_id)
    assert log.close_stale() == 1
    assert log.close_stale() == 0
    (view,) = log.of_alert(alert.alert_id)
    assert view.ended_at is not None
    assert view.spoke_at is not None
    assert _rows(world) == [("speaker", "restart", 1, 1)]
    assert [e for e, _ in _talk_downs(world)] == ["talk_down_started", "talk_down_ended"]
    assert world.store.get_alert(alert.alert_id).status is AlertStatus.CALLING  # type: ignore[union-attr]
    # A purge of the finished alert takes its talk-downs with it.
    world.ledger.finish(alert, AlertStatus.EXHAUSTED)
    assert world.store.purge(retention_days=1, now=datetime.now(UTC) + timedelta(days=2))[0] == 1
    assert _rows(world) == []


# --- the operator, on an SOS bridge -------------------------------------------------------------

_STATION = "+33123456789"


async def _sos_bridged(world: World, call: Running) -> str:
    """The contact presses 9, the station answers: both are bridged; the station's channel."""
    world.ari.dtmf(call.channel, "9")
    await until(lambda: len(world.ari.originated) == 2)
    station: str = world.ari.originated[1][1]
    world.ari.emit("StasisStart", station)
    await until(lambda: len(world.ari.bridges) == 3)
    return station


async def _operator_listens(world: World, station: str) -> tuple[str, str]:
    """The operator presses *: the speaker answers, its snoop joins; both channels' ids."""
    world.ari.dtmf(station, "*")
    await until(lambda: len(world.ari.originated) == 3)
    speaker: str = world.ari.originated[2][1]
    world.ari.emit("StasisStart", speaker)
    await until(lambda: len(world.ari.snoops) == 1)
    snoop: str = world.ari.snoops[0][1]
    world.ari.emit("StasisStart", snoop)
    await until(lambda: len(_talk_downs(world)) == 1)
    return speaker, snoop


async def test_the_operator_listens_in_then_speaks_then_stops(make_world: WorldFactory) -> None:
    world = _with(make_world(station=_STATION), speaker=SPEAKER)
    call = await _answered_call(world)
    station = await _sos_bridged(world, call)
    create, *_ = world.ari.bridges
    assert create[2:] == ("dtmf_events",)
    bridge = create[1]
    world.ari.dtmf(call.channel, "*")  # the contact's star is not the operator's
    world.ari.dtmf(station, "1#")  # nothing to speak into or stop yet
    world.ari.dtmf(station, "*")
    await until(lambda: len(world.ari.originated) == 3)
    speaker = world.ari.originated[2][1]
    assert world.ari.variables[speaker] == AUTO_ANSWER
    world.ari.dtmf(station, "*")  # ringing: a second star stops it
    await until(lambda: speaker in world.ari.hung_up)
    assert _rows(world) == []  # nobody listened in

    world.ari.dtmf(station, "*")
    await until(lambda: len(world.ari.originated) == 4)
    speaker = world.ari.originated[3][1]
    world.ari.emit("StasisStart", speaker)
    await until(lambda: len(world.ari.snoops) == 1)
    spied, snoop = world.ari.snoops[0]
    assert spied == speaker
    world.ari.emit("StasisStart", snoop)
    await until(lambda: ("add", bridge, snoop) in world.ari.bridges)
    assert ("add", bridge, speaker) not in world.ari.bridges  # the home hears nobody
    ((event, started),) = _talk_downs(world)
    assert (event, started["by_station"]) == ("talk_down_started", True)
    world.ari.dtmf(station, "1")
    await until(lambda: ("add", bridge, speaker) in world.ari.bridges)
    await until(lambda: snoop in world.ari.hung_up)
    world.ari.dtmf(station, "#")
    await until(lambda: speaker in world.ari.hung_up)
    assert _rows(world) == [("speaker", "key", 1, 1)]
    assert not call.task.done()  # the SOS bridge goes on
    world.ari.emit("ChannelLeftBridge", call.channel)
    assert await call.result() == CallResult(Outcome.SOS)
    assert world.store.get_alert("a-1").status is AlertStatus.ESCALATED  # type: ignore[union-attr]


async def test_the_end_of_the_sos_bridge_ends_the_operators_talk_down(
    make_world: WorldFactory,
) -> None:
    world = _with(make_world(station=_STATION), speaker=SPEAKER)
    call = await _answered_call(world)
    station = await _sos_bridged(world, call)
    speaker, _snoop = await _operator_listens(world, station)
    world.ari.emit("ChannelLeftBridge", station)
    assert await call.result() == CallResult(Outcome.SOS)
    assert speaker in world.ari.hung_up
    assert _rows(world) == [("speaker", "sos_ended", 0, 1)]


async def test_the_speaker_hanging_up_on_the_operator(make_world: WorldFactory) -> None:
    world = _with(make_world(station=_STATION), speaker=SPEAKER)
    call = await _answered_call(world)
    station = await _sos_bridged(world, call)
    speaker, snoop = await _operator_listens(world, station)
    world.ari.emit("StasisEnd", snoop)  # its own end changes nothing
    world.ari.emit("ChannelDestroyed", speaker, cause=16)
    await until(lambda: len(_talk_downs(world)) == 2)
    assert _rows(world) == [("speaker", "speaker_gone", 0, 1)]
    world.ari.emit("ChannelDestroyed", speaker, cause=16)  # late: not the talk-down's any more
    await asyncio.sleep(0.02)
    assert not call.task.done()
    world.ari.emit("ChannelLeftBridge", call.channel)
    assert await call.result() == CallResult(Outcome.SOS)


@pytest.mark.parametrize("failing", ["originate", "snoop", "listen", "speak"])
async def test_an_operator_talk_down_asterisk_refuses(
    make_world: WorldFactory, failing: str
) -> None:
    world = _with(make_world(station=_STATION), speaker=SPEAKER)
    call = await _answered_call(world)
    station = await _sos_bridged(world, call)
    refusal = AriError("POST", "/x", 500, "refused")

    async def refuse(*_args: object, **_kwargs: object) -> str:
        raise refusal

    adds = 0
    real_add = world.ari.add_to_bridge

    async def add(bridge_id: str, channel_id: str) -> None:
        nonlocal adds
        adds += 1
        if (failing, adds) in {("listen", 1), ("speak", 2)}:
            raise refusal
        await real_add(bridge_id, channel_id)

    if failing == "originate":
        world.ari.originate_errors.append(refusal)
    elif failing == "snoop":
        world.ari.snoop = refuse  # type: ignore[method-assign]
    world.ari.add_to_bridge = add  # type: ignore[method-assign]
    world.ari.dtmf(station, "*")
    await asyncio.sleep(0.02)
    if failing != "originate":
        speaker = world.ari.originated[2][1]
        world.ari.emit("StasisStart", speaker)
        await asyncio.sleep(0.02)
        if failing != "snoop":
            world.ari.emit("StasisStart", world.ari.snoops[0][1])
            await asyncio.sleep(0.02)
            if failing == "speak":
                world.ari.dtmf(station, "1")
                await asyncio.sleep(0.02)
        assert speaker in world.ari.hung_up
    expected = [("speaker", "unreachable", 0, 1)] if failing == "speak" else []
    assert _rows(world) == expected
    world.ari.emit("ChannelLeftBridge", call.channel)
    assert await call.result() == CallResult(Outcome.SOS)
