"""One call, the SOS bridge, the ledger and the runner against the in-memory ARI (no Asterisk).

The end-to-end paths stay in test_campaign.py and test_call_dtmf.py with a real Asterisk; these
pin each branch of the dialogue and what it commits, in milliseconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
import json
import time
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import pytest

from custom_components.imaprotect.contract.enums import (
    AlertKind,
    AlertStatus,
    Formula,
    Language,
    Outcome,
)
from tests.voice.fake_ari import FakeAri, FakePrompts, until
from tests.voice.harness import CALLBACK_SECRET, NUMBERS, code_hash
from voice_server import call_session, campaign as campaign_module
from voice_server.ari import CONNECTION_LOST, AriError
from voice_server.call_media import cancelled_event
from voice_server.call_session import CallSession, CallTools
from voice_server.calltree import CallResult
from voice_server.campaign import AlertRequest, Campaigns
from voice_server.config import CallSettings
from voice_server.ledger import AlertLedger
from voice_server.metrics import Metrics
from voice_server.phones import Dialer
from voice_server.prompts import texts
from voice_server.store import Alert, Contact, Site, Store, now_iso

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_WORDS = texts("fr")
_STATION = "+33123456789"
_FAST = CallSettings(ring_timeout=1.0, digit_timeout=1.0, call_watchdog=3.0, sos_max_duration=1.0)


@dataclass
class World:
    """A store with one site, the fake ARI and the call tools."""

    store: Store
    ari: FakeAri
    metrics: Metrics
    ledger: AlertLedger
    site: Site
    prompts: FakePrompts = field(default_factory=FakePrompts)

    def tools(self, settings: CallSettings = _FAST) -> CallTools:
        return CallTools(
            self.ari,
            prompts=self.prompts,
            dialer=Dialer("PJSIP/{number}@trunk", {}),
            settings=settings,
            metrics=self.metrics,
            ledger=self.ledger,
        )

    def campaigns(self, settings: CallSettings = _FAST) -> Campaigns:
        """The call trees of this world's store, Asterisk connected."""
        ready = asyncio.Event()
        ready.set()
        return Campaigns(
            self.store, self.ari, prompts=FakePrompts(), dialer=Dialer("PJSIP/{number}@trunk", {}),
            settings=settings, metrics=self.metrics, ready=ready, wake_outbox=lambda: None,
        )  # fmt: skip

    def callbacks(self) -> list[dict[str, Any]]:
        rows = self.store.conn.execute(
            "SELECT body FROM outbox WHERE kind = 'callback' ORDER BY id"
        ).fetchall()
        return [json.loads(bytes(r[0])) for r in rows]

    def email_subjects(self) -> list[str]:
        rows = self.store.conn.execute(
            "SELECT subject FROM outbox WHERE kind = 'email' ORDER BY id"
        ).fetchall()
        return [r[0] for r in rows]


def _contact(index: int, code: str = "4321") -> Contact:
    return Contact(
        id=f"c{index}",
        name=f"Contact {index}",
        phone=NUMBERS[index],
        email=f"c{index}@example.org",
        ack_code_hash=code_hash(code),
    )


def _world(
    folder: Path, *, station: str | None = None, contacts: int = 1, code: str = "4321"
) -> World:
    store = Store(folder / "v.db")
    site = Site(
        name="Maison",
        language=Language.FR,
        formula=Formula.A_LA_CARTE,
        contacts=tuple(_contact(i, code) for i in range(contacts)),
        station=station,
        callback_url="https://ha.example/api/webhook/x",
        callback_secret=CALLBACK_SECRET,
    )
    store.put_site("home", site)
    metrics = Metrics()
    return World(store, FakeAri(), metrics, AlertLedger(store, metrics, lambda: None), site)


class WorldFactory(Protocol):
    """Builds a World in the test's folder (``make_world``)."""

    def __call__(
        self, *, station: str | None = None, contacts: int = 1, code: str = "4321"
    ) -> World: ...


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[WorldFactory]:
    """Worlds whose databases are closed when the test ends."""
    made: list[World] = []

    def make(*, station: str | None = None, contacts: int = 1, code: str = "4321") -> World:
        made.append(
            _world(tmp_path / str(len(made)), station=station, contacts=contacts, code=code)
        )
        return made[-1]

    yield make
    for world in made:
        world.store.close()


def _alert(world: World, alert_id: str = "a-1") -> Alert:
    at = now_iso()
    alert = Alert(
        alert_id, "home", AlertKind.INTRUSION, "Porte", "Entrée", at,
        world.site.without_callback(), AlertStatus.CALLING, at, 1, 0, None, None, None, None, None,
    )  # fmt: skip
    world.ledger.open(alert)
    return alert


@dataclass
class Running:
    """A call in progress."""

    channel: str
    attempt_id: int
    task: asyncio.Task[CallResult]

    async def result(self) -> CallResult:
        async with asyncio.timeout(3):
            return await self.task


def _call(world: World, alert: Alert, settings: CallSettings = _FAST) -> Running:
    channel = f"chan-{len(world.ari.originated)}"
    events = world.ari.subscribe(channel)
    attempt_id = world.ledger.start_attempt(alert, alert.plan.contacts[0], channel)
    session = CallSession(
        world.tools(settings),
        alert=alert,
        contact=alert.plan.contacts[0],
        attempt_id=attempt_id,
        channel_id=channel,
        events=events,
    )
    return Running(channel, attempt_id, asyncio.create_task(session.run()))


async def _answered(world: World, call: Running) -> None:
    """The phone rings, the contact answers, the message and the code prompt start."""
    await until(lambda: bool(world.ari.originated))
    world.ari.emit("StasisStart", call.channel)
    await until(lambda: bool(world.ari.plays))


async def _press_sos(world: World, call: Running) -> str:
    """The contact presses 9: the station is dialled; its channel id."""
    world.ari.dtmf(call.channel, "9")
    await until(lambda: len(world.ari.originated) == 2)
    channel: str = world.ari.originated[1][1]
    return channel


async def test_wrong_code_then_right_code_acknowledges(make_world: WorldFactory) -> None:
    world = make_world()
    alert = _alert(world)
    call = _call(world, alert)
    await _answered(world, call)
    assert world.ari.heard()[-1] == f"sound:{_WORDS.enter_code}"
    assert "Porte" in world.ari.heard()[0]  # the alert message comes first
    world.ari.dtmf(call.channel, "1111#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.wrong_code}")
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)
    assert call.channel in world.ari.hung_up
    assert world.ari.stopped  # the first digit interrupted the prompt
    stored = world.store.get_alert("a-1")
    assert stored is not None
    assert stored.status is AlertStatus.ACKNOWLEDGED
    assert stored.acknowledged_by_id == "c0"
    attempt = world.store.attempt(call.attempt_id)
    assert attempt.outcome is Outcome.ACKNOWLEDGED
    assert attempt.answered_at is not None
    final = world.callbacks()[-1]
    assert (final["event"], final["status"], final["contact"]["id"]) == (
        "alert_status", "acknowledged", "c0",
    )  # fmt: skip
    assert len(world.email_subjects()) == 2  # information, then acknowledgement


async def test_three_wrong_codes_say_goodbye(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await _answered(world, call)
    world.ari.dtmf(call.channel, "1#2#3#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.too_many}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.WRONG_CODE)
    assert world.ari.heard().count(f"sound:{_WORDS.wrong_code}") == 2
    assert world.store.get_alert("a-1").active  # type: ignore[union-attr]


async def test_silence_after_the_prompt_gives_up_answered(make_world: WorldFactory) -> None:
    world = make_world()
    settings = CallSettings(ring_timeout=1.0, digit_timeout=0.05, call_watchdog=3.0)
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    world.ari.finish_playback()
    # Issue 8: the first silence says the message again; the second gives up.
    await until(lambda: len(world.ari.plays) == 2)
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ANSWERED)


async def test_silence_repeats_the_message_once(make_world: WorldFactory) -> None:
    world = make_world()
    settings = CallSettings(ring_timeout=1.0, digit_timeout=0.05, call_watchdog=3.0)
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    first = world.ari.plays[0][2]
    assert "Porte" in first[0]
    assert first[1] == f"sound:{_WORDS.enter_code}"
    world.ari.finish_playback()
    await until(lambda: len(world.ari.plays) == 2)
    assert world.ari.plays[1][2] == first  # the message and the prompt, again
    world.ari.dtmf(call.channel, "4321#")  # heard it the second time
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)


async def test_a_phone_code_without_pound_acknowledges_after_a_pause(
    make_world: WorldFactory,
) -> None:
    world = make_world(code="246810")
    settings = CallSettings(ring_timeout=1.0, digit_timeout=2.0, code_pause=0.05)
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    world.ari.dtmf(call.channel, "246810")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)


async def test_a_late_event_of_the_station_leg_never_ends_the_call(
    make_world: WorldFactory,
) -> None:
    world = make_world(station=_STATION)
    call = _call(world, _alert(world))
    await _answered(world, call)
    station_channel = await _press_sos(world, call)
    world.ari.emit("ChannelDestroyed", station_channel, cause=16)  # the station refuses
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.station_unreachable}")
    # Its StasisEnd and a second ChannelDestroyed come late, during code entry.
    world.ari.emit("StasisEnd", station_channel)
    world.ari.emit("ChannelDestroyed", station_channel, cause=16)
    await asyncio.sleep(0.05)
    assert not call.task.done()
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.emit("StasisEnd", station_channel)  # even while the last sentence plays
    await asyncio.sleep(0.05)
    assert not call.task.done()
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)


async def test_a_second_sos_ignores_the_first_station_legs_late_end(
    make_world: WorldFactory,
) -> None:
    world = make_world(station=_STATION)
    call = _call(world, _alert(world))
    await _answered(world, call)
    first_station = await _press_sos(world, call)
    world.ari.emit("ChannelDestroyed", first_station, cause=34)
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.station_unreachable}")
    world.ari.dtmf(call.channel, "9")  # tries again
    await until(lambda: len(world.ari.originated) == 3)
    world.ari.emit("StasisEnd", first_station)  # the first leg's late end
    second_station = world.ari.originated[2][1]
    world.ari.emit("StasisStart", second_station)
    await until(lambda: len(world.ari.bridges) == 3)
    assert world.store.get_alert("a-1").status is AlertStatus.ESCALATED  # type: ignore[union-attr]
    world.ari.emit("ChannelLeftBridge", call.channel)
    assert await call.result() == CallResult(Outcome.SOS)


async def test_wrong_codes_count_across_calls_and_lock_the_code(make_world: WorldFactory) -> None:
    world = make_world(station=_STATION)
    settings = CallSettings(
        ring_timeout=1.0, digit_timeout=1.0, call_watchdog=3.0, code_lock_after=3
    )
    first = _call(world, _alert(world, "a-1"), settings)
    await _answered(world, first)
    world.ari.dtmf(first.channel, "1111#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.wrong_code}")
    world.ari.dtmf(first.channel, "2222#")
    await until(lambda: world.ari.heard().count(f"sound:{_WORDS.wrong_code}") == 2)
    world.ari.emit("StasisEnd", first.channel)
    assert (await first.result()).outcome is Outcome.HUNG_UP

    second = _call(world, _alert(world, "a-2"), settings)  # another alert, another call
    await _answered(world, second)
    world.ari.dtmf(second.channel, "3333#")  # the third in 24 hours: locked
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.code_locked_or_sos}")
    world.ari.dtmf(second.channel, "4321#")  # even the right code no longer acknowledges
    await until(lambda: world.ari.heard().count(f"sound:{_WORDS.code_locked_or_sos}") == 2)
    assert world.store.get_alert("a-2").active  # type: ignore[union-attr]
    world.ari.dtmf(second.channel, "9")  # but the station can still be reached
    await until(lambda: len(world.ari.originated) == 3)
    world.ari.emit("StasisStart", world.ari.originated[2][1])
    await until(lambda: len(world.ari.bridges) == 3)
    world.ari.emit("ChannelLeftBridge", second.channel)
    assert await second.result() == CallResult(Outcome.SOS)

    rejected = [c for c in world.callbacks() if c["event"] == "code_rejected"]
    assert [(c["alert_id"], c["contact"]["id"], c["wrong_codes"]) for c in rejected] == [
        ("a-1", "c0", 1), ("a-1", "c0", 2), ("a-2", "c0", 3),
    ]  # fmt: skip
    assert all(c["status"] == "calling" and c["attempt"] for c in rejected)
    assert all("wrong_codes" not in c for c in world.callbacks() if c["event"] != "code_rejected")
    # A fresh Keypad for a later call starts locked (read from the store, not from memory).
    third = _call(world, _alert(world, "a-3"), settings)
    await _answered(world, third)
    world.ari.dtmf(third.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.code_locked_or_sos}")
    world.ari.emit("StasisEnd", third.channel)
    assert (await third.result()).outcome is Outcome.HUNG_UP
    assert len([c for c in world.callbacks() if c["event"] == "code_rejected"]) == 3


async def test_watchdog_while_the_prompt_plays_is_answered(make_world: WorldFactory) -> None:
    world = make_world()
    settings = CallSettings(ring_timeout=1.0, digit_timeout=5.0, call_watchdog=0.1)
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    assert await call.result() == CallResult(Outcome.ANSWERED)


async def test_nobody_answers_before_the_watchdog(make_world: WorldFactory) -> None:
    world = make_world()
    settings = CallSettings(ring_timeout=1.0, call_watchdog=0.1)
    call = _call(world, _alert(world), settings)
    assert await call.result() == CallResult(Outcome.NO_ANSWER)
    assert world.store.attempt(call.attempt_id).answered_at is None


async def test_busy_line_gives_its_cause(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await until(lambda: bool(world.ari.originated))
    world.ari.emit("ChannelDestroyed", call.channel, cause=17)
    assert await call.result() == CallResult(Outcome.BUSY, 17)
    # Issue 8 (avalanche): no hang-up request for a channel Asterisk has destroyed already.
    assert world.ari.hung_up == []


async def test_cancelled_while_ringing(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await until(lambda: bool(world.ari.originated))
    world.ari.subscribe("unrelated")  # other calls' routes do not matter
    world.ari._routes[call.channel].queue.put_nowait(cancelled_event(None))
    assert await call.result() == CallResult(Outcome.CANCELLED)


async def test_cancelled_during_the_call_says_by_whom(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await _answered(world, call)
    world.ari._routes[call.channel].queue.put_nowait(cancelled_event("Marie"))
    expected = f"sound:{_WORDS.cancelled_by.format(by='Marie')}"
    await until(lambda: world.ari.heard()[-1] == expected)
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.CANCELLED)


async def test_acknowledgement_too_late_after_a_cancellation(make_world: WorldFactory) -> None:
    world = make_world()
    alert = _alert(world)
    call = _call(world, alert)
    await _answered(world, call)
    world.ledger.cancel(alert, "Paul")  # the API cancels; its event is still on its way
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.store.attempt(call.attempt_id).answered_at is not None)
    world.ari._routes[call.channel].queue.put_nowait(cancelled_event("Paul"))
    await until(lambda: "Paul" in world.ari.heard()[-1])
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.CANCELLED)
    assert world.store.get_alert("a-1").status is AlertStatus.CANCELLED  # type: ignore[union-attr]


async def test_hang_up_is_told_from_an_asterisk_shutdown(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await _answered(world, call)
    world.ari.emit("StasisEnd", call.channel)
    assert await call.result() == CallResult(Outcome.HUNG_UP)

    second = _call(world, _alert(world, "a-2"))
    await _answered(world, second)
    world.ari.emit("StasisEnd", second.channel)
    world.ari.emit(CONNECTION_LOST, second.channel)
    world.ari.connected = False
    assert await second.result() == CallResult(Outcome.UNREACHABLE)
    assert second.channel not in world.ari.hung_up  # Asterisk is gone: nothing to hang up


async def test_connection_lost_during_the_call(make_world: WorldFactory) -> None:
    world = make_world()
    call = _call(world, _alert(world))
    await _answered(world, call)
    world.ari.emit(CONNECTION_LOST, call.channel)
    assert await call.result() == CallResult(Outcome.UNREACHABLE)
    assert call.channel in world.ari.hung_up  # still connected: hang up anyway


async def test_originate_refused(make_world: WorldFactory) -> None:
    world = make_world()
    world.ari.originate_errors.append(AriError("POST", "/channels", 500, "no"))
    call = _call(world, _alert(world))
    assert await call.result() == CallResult(Outcome.UNREACHABLE)
    assert world.ari.originated == []


async def test_originate_resent_after_a_dropped_request(make_world: WorldFactory) -> None:
    world = make_world()
    # The first request got through but its answer was lost; the repeat says 409: dialled.
    world.ari.originate_errors += [
        aiohttp.ClientConnectionError(),
        AriError("POST", "/channels", 409, "exists"),
    ]
    call = _call(world, _alert(world))
    await asyncio.sleep(0.3)
    world.ari.emit("ChannelDestroyed", call.channel, cause=19)
    assert await call.result() == CallResult(Outcome.NO_ANSWER, 19)


async def test_sos_bridges_the_station_and_escalates(make_world: WorldFactory) -> None:
    world = make_world(station=_STATION)
    call = _call(world, _alert(world))
    await _answered(world, call)
    assert world.ari.heard()[-1] == f"sound:{_WORDS.enter_code_or_sos}"
    world.ari.dtmf(call.channel, "9")
    await until(lambda: len(world.ari.originated) == 2)
    endpoint, station_channel = world.ari.originated[1]
    assert endpoint == f"PJSIP/{_STATION}@trunk"
    assert world.ari.heard()[-1] == f"sound:{_WORDS.connecting}"
    world.ari.emit("StasisStart", station_channel)
    await until(lambda: len(world.ari.bridges) == 3)
    alert = world.store.get_alert("a-1")
    assert alert is not None
    assert alert.status is AlertStatus.ESCALATED
    assert world.store.attempt(call.attempt_id).outcome is Outcome.SOS
    world.ari.emit("ChannelLeftBridge", call.channel)
    assert await call.result() == CallResult(Outcome.SOS)
    assert world.ari.bridges[-1][0] == "destroy"
    assert station_channel in world.ari.hung_up


async def test_sos_time_limit_hangs_up_both_legs(make_world: WorldFactory) -> None:
    world = make_world(station=_STATION)
    settings = CallSettings(ring_timeout=1.0, call_watchdog=0.5, sos_max_duration=0.1)
    call = _call(world, _alert(world), settings)
    await _answered(world, call)
    world.ari.emit("StasisStart", await _press_sos(world, call))
    # The bridge outlives the call watchdog (rescheduled); the SOS limit ends it.
    assert await call.result() == CallResult(Outcome.SOS)
    assert {call.channel, world.ari.originated[1][1]} <= set(world.ari.hung_up)


async def test_station_unreachable_then_code_still_accepted(make_world: WorldFactory) -> None:
    world = make_world(station=_STATION)
    call = _call(world, _alert(world))
    await _answered(world, call)
    world.ari.originate_errors.append(AriError("POST", "/channels", 500, "no"))
    world.ari.dtmf(call.channel, "9")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.station_unreachable}")
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)


@pytest.mark.parametrize(("event", "outcome"), [("StasisEnd", None), ("ChannelDestroyed", 16)])
async def test_station_leg_ends_before_the_bridge(
    make_world: WorldFactory, event: str, outcome: int | None
) -> None:
    world = make_world(station=_STATION)
    call = _call(world, _alert(world))
    await _answered(world, call)
    station_channel = await _press_sos(world, call)
    if outcome is None:  # the contact hangs up while the station rings
        world.ari.emit(event, call.channel)
        assert (await call.result()).outcome is Outcome.HUNG_UP
    else:  # the station refuses: back to code entry
        world.ari.emit(event, station_channel, cause=outcome)
        await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.station_unreachable}")
        world.ari.emit("StasisEnd", call.channel)
        assert (await call.result()).outcome is Outcome.HUNG_UP
    assert station_channel in world.ari.hung_up


async def test_runner_walks_rounds_then_exhausts(make_world: WorldFactory) -> None:
    world = make_world(contacts=2)
    world.ari.on_originate = lambda channel: world.ari.emit("ChannelDestroyed", channel, cause=17)
    campaigns = world.campaigns(CallSettings(rounds=2))
    request = AlertRequest("a-9", "smoke", None, "Cuisine", datetime.now().astimezone())
    alert, created = campaigns.create("home", request)
    assert created
    assert campaigns.create("home", request) == (world.store.get_alert("a-9"), False)
    await until(lambda: not world.store.get_alert("a-9").active)  # type: ignore[union-attr]
    await until(lambda: campaigns.running == 0)
    final = world.store.get_alert("a-9")
    assert final is not None
    assert final.status is AlertStatus.EXHAUSTED
    attempts = world.store.attempts("a-9")
    assert [(a.round, a.position, a.outcome) for a in attempts] == [
        (1, 0, Outcome.BUSY), (1, 1, Outcome.BUSY), (2, 0, Outcome.BUSY), (2, 1, Outcome.BUSY),
    ]  # fmt: skip
    events = [(c["event"], c["status"]) for c in world.callbacks()]
    assert events[0] == ("alert_status", "calling")
    assert events[-1] == ("alert_status", "exhausted")
    assert events.count(("attempt_ended", "calling")) == 4
    assert alert.kind == "smoke"


async def test_runner_cancel_reaches_the_call_in_progress(make_world: WorldFactory) -> None:
    world = make_world()
    campaigns = world.campaigns()
    when = datetime.now().astimezone()
    campaigns.create("home", AlertRequest("a-7", "intrusion", None, None, when))
    await until(lambda: bool(world.ari.originated))
    cancelled = campaigns.cancel("a-7", "Marie")
    assert cancelled is not None
    assert cancelled.status is AlertStatus.CANCELLED
    await until(lambda: campaigns.running == 0)
    attempt = world.store.attempts("a-7")[0]
    assert attempt.outcome is Outcome.CANCELLED
    again = campaigns.cancel("a-7", "Paul")  # already finished: unchanged
    assert again is not None
    assert (again.status, again.cancelled_by) == (AlertStatus.CANCELLED, "Marie")
    assert campaigns.cancel("missing", None) is None
    await campaigns.stop()


async def test_an_alerts_first_call_goes_before_later_calls_waiting_for_asterisk(
    make_world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8 (avalanche): a site that has just alerted is dialled before other sites' next calls.

    Asterisk takes one call at a time here; while it is busy with one, another alert's second
    call and a new alert's first call wait: the first call goes first, each is dialled once.
    """
    monkeypatch.setattr(call_session, "MAX_ORIGINATES", 1)
    world = make_world()
    tools = world.tools()
    world.ari.originate_hold = asyncio.Event()
    world.ari.on_originate = lambda channel: world.ari.emit("ChannelDestroyed", channel, cause=17)

    def start(alert_id: str, channel: str, received: float | None) -> asyncio.Task[CallResult]:
        alert = _alert(world, alert_id)
        contact = alert.plan.contacts[0]
        session = CallSession(
            tools,
            alert=alert,
            contact=contact,
            attempt_id=world.ledger.start_attempt(alert, contact, channel),
            channel_id=channel,
            events=world.ari.subscribe(channel),
            received=received,
        )
        return asyncio.create_task(session.run())

    calls = [start("a-1", "held", time.monotonic())]
    await until(lambda: world.ari.originate_asked == ["held"])
    calls.append(start("a-2", "second-call", None))  # a-2's first contact was busy
    calls.append(start("a-3", "first-call", time.monotonic()))  # a-3 has just arrived
    await asyncio.sleep(0.05)
    assert world.ari.originate_asked == ["held"]  # Asterisk is asked one call at a time
    world.ari.originate_hold.set()
    results = await asyncio.gather(*calls)
    assert [channel for _, channel in world.ari.originated] == ["held", "first-call", "second-call"]
    assert results == [CallResult(Outcome.BUSY, 17)] * 3
    assert tools.originates.waiting == 0


async def test_the_message_is_made_in_the_background_until_the_contact_answers(
    make_world: WorldFactory,
) -> None:
    """Issue 8 (avalanche): a ringing phone's message waits behind the prompts someone hears."""
    world = make_world()
    world.prompts.hold = asyncio.Event()  # the background synthesis is slow
    call = _call(world, _alert(world))
    await until(lambda: bool(world.prompts.asked))
    text = world.prompts.asked[0][0]
    assert "Porte" in text
    assert world.prompts.asked == [(text, False)]  # while the phone rings: in the background
    world.ari.emit("StasisStart", call.channel)
    await until(lambda: bool(world.ari.plays))
    assert (text, True) in world.prompts.asked  # answered: the contact waits for it now
    assert world.ari.heard()[0] == f"sound:{text}"
    world.ari.dtmf(call.channel, "4321#")
    await until(lambda: world.ari.heard()[-1] == f"sound:{_WORDS.acknowledged}")
    world.ari.finish_playback()
    assert await call.result() == CallResult(Outcome.ACKNOWLEDGED)
    world.prompts.hold.set()


async def test_calls_ending_together_share_their_fsync(make_world: WorldFactory) -> None:
    """Issue 8 (avalanche): the busy first contacts' calls end together and share one fsync.

    A thousand of them end within milliseconds; one synced commit each held up the next calls.
    """
    world = make_world()
    alerts = [_alert(world, f"a-{n}") for n in range(20)]
    attempts = [
        world.ledger.start_attempt(alert, alert.plan.contacts[0], f"chan-{n}")
        for n, alert in enumerate(alerts)
    ]
    commits: list[str] = []
    world.store.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    busy = CallResult(Outcome.BUSY, 17)
    await asyncio.gather(*(
        world.ledger.async_end_attempt(alert, alert.plan.contacts[0], attempt, busy)
        for alert, attempt in zip(alerts, attempts, strict=True)
    ))  # fmt: skip
    world.store.conn.set_trace_callback(None)
    assert commits == ["COMMIT"]
    for alert, attempt in zip(alerts, attempts, strict=True):
        assert world.store.attempt(attempt).outcome is Outcome.BUSY
        stored = world.store.get_alert(alert.alert_id)
        assert stored is not None
        assert (stored.next_round, stored.next_position) == (2, 0)  # on to the next round
    ended = [c for c in world.callbacks() if c["event"] == "attempt_ended"]
    assert len(ended) == 20


async def test_a_call_that_raises_ends_unreachable_and_the_next_contact_is_called(
    make_world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug or an unexpected ARI answer in one call must not stop the alert's calls."""
    monkeypatch.setattr(campaign_module, "_RETRY_AFTER_CRASH", 0.0)
    world = make_world(contacts=2)
    world.ari.originate_errors = [ValueError("an ARI answer nobody expected")]
    world.ari.on_originate = lambda channel: world.ari.emit("ChannelDestroyed", channel, cause=17)
    campaigns = world.campaigns(CallSettings(rounds=1))
    campaigns.create(
        "home", AlertRequest("a-8", "intrusion", None, None, datetime.now().astimezone())
    )
    await until(lambda: not world.store.get_alert("a-8").active)  # type: ignore[union-attr]
    await until(lambda: campaigns.running == 0)
    attempts = world.store.attempts("a-8")
    assert [(a.position, a.outcome) for a in attempts] == [
        (0, Outcome.UNREACHABLE), (1, Outcome.BUSY),
    ]  # fmt: skip
    assert world.store.get_alert("a-8").status is AlertStatus.EXHAUSTED  # type: ignore[union-attr]
    ended = [c for c in world.callbacks() if c["event"] == "attempt_ended"]
    assert len(ended) == 2  # the crashed call's end is told too
    assert campaigns.calls_waiting == 0  # its turn at the originate gate was given back
