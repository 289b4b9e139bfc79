"""The runner when calls cannot be made: Asterisk away, a dead trunk, an alert too old.

Against the in-memory ARI of test_call_session, with the back-off's sleeps recorded rather than
waited, so the decisions of outage.py are seen end to end in milliseconds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
import json
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.imaprotect.contract.enums import AlertStatus, Outcome, Reason
from tests.voice.fake_ari import FakePrompts, until
from tests.voice.test_call_session import World, _world
from voice_server.ari import AriError
from voice_server.campaign import AlertRequest, Campaigns
from voice_server.config import CallSettings
from voice_server.phones import Dialer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.voice.test_call_session import WorldFactory


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[WorldFactory]:
    """Worlds (as in test_call_session) whose databases are closed when the test ends."""
    made: list[World] = []

    def make(*, station: str | None = None, contacts: int = 1) -> World:
        made.append(_world(tmp_path / str(len(made)), station=station, contacts=contacts))
        return made[-1]

    yield make
    for world in made:
        world.store.close()


class Sleeps:
    """The runner's back-off: recorded, then yields at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def _campaigns(
    world: World, ready: asyncio.Event, settings: CallSettings, sleeps: Sleeps | None = None
) -> Campaigns:
    return Campaigns(
        world.store, world.ari, prompts=FakePrompts(), dialer=Dialer("PJSIP/{number}@trunk", {}),
        settings=settings, metrics=world.metrics, ready=ready, wake_outbox=lambda: None,
        sleep=sleeps or Sleeps(),
    )  # fmt: skip


def _request(alert_id: str) -> AlertRequest:
    return AlertRequest(alert_id, "intrusion", None, None, datetime.now().astimezone())


def _statuses(world: World) -> list[tuple[str, str | None]]:
    return [
        (c["status"], c.get("reason")) for c in world.callbacks() if c["event"] == "alert_status"
    ]


def _plan(world: World, alert_id: str) -> dict[str, Any]:
    (plan,) = world.store.conn.execute(
        "SELECT plan FROM alerts WHERE alert_id = ?", (alert_id,)
    ).fetchone()
    body: dict[str, Any] = json.loads(plan)
    return body


async def test_asterisk_away_queues_the_alert_then_it_calls(make_world: WorldFactory) -> None:
    world = make_world()
    ready = asyncio.Event()
    campaigns = _campaigns(world, ready, CallSettings(rounds=1))
    alert, created = campaigns.create("home", _request("q-1"))
    assert created
    assert (alert.status, alert.reason) == (AlertStatus.QUEUED, Reason.ASTERISK_UNAVAILABLE)
    stored = world.store.get_alert("q-1")
    assert stored is not None
    assert (stored.status, stored.reason) == (AlertStatus.QUEUED, Reason.ASTERISK_UNAVAILABLE)
    assert _statuses(world) == [("queued", "asterisk_unavailable")]
    await asyncio.sleep(0.05)
    assert world.ari.originated == []  # nobody can be called

    world.ari.on_originate = lambda channel: world.ari.emit("ChannelDestroyed", channel, cause=17)
    ready.set()
    await until(lambda: not world.store.get_alert("q-1").active)  # type: ignore[union-attr]
    assert _statuses(world) == [
        ("queued", "asterisk_unavailable"), ("calling", None), ("exhausted", None),
    ]  # fmt: skip
    final = world.store.get_alert("q-1")
    assert final is not None
    assert final.reason is None
    await campaigns.stop()


async def test_asterisk_leaving_queues_an_alert_that_was_calling(make_world: WorldFactory) -> None:
    world = make_world(contacts=2)
    ready = asyncio.Event()
    ready.set()
    campaigns = _campaigns(world, ready, CallSettings(rounds=1))
    campaigns.create("home", _request("q-2"))
    await until(lambda: bool(world.ari.originated))
    ready.clear()  # Asterisk goes away during the first call, which ends unreachable
    world.ari.emit("ChannelDestroyed", world.ari.originated[0][1], cause=0)
    await until(lambda: len(_statuses(world)) == 2)
    assert _statuses(world) == [("calling", None), ("queued", "asterisk_unavailable")]
    alert = world.store.get_alert("q-2")
    assert alert is not None
    assert (alert.next_round, alert.next_position) == (1, 1)  # skipped, round not spent
    await campaigns.stop()


async def test_a_dead_trunk_backs_off_without_spending_rounds(make_world: WorldFactory) -> None:
    world = make_world(contacts=2)
    ready = asyncio.Event()
    ready.set()
    sleeps = Sleeps()
    failures = iter([34, 38, 3, 27, 41, 47, 0])

    def answer(channel: str) -> None:
        cause = next(failures, 17)  # seven network failures, then the lines are busy
        world.ari.emit("ChannelDestroyed", channel, cause=cause)

    world.ari.on_originate = answer
    world.ari.originate_errors.append(AriError("POST", "/channels", 500, "Allocation failed"))
    campaigns = _campaigns(world, ready, CallSettings(rounds=2), sleeps)
    campaigns.create("home", _request("t-1"))
    await until(lambda: not world.store.get_alert("t-1").active)  # type: ignore[union-attr]
    attempts = world.store.attempts("t-1")
    # Eight failures (the refused originate, then seven causes) spend nothing: four busy calls,
    # two per round, end the tree as ever.
    assert [(a.round, a.position, a.outcome) for a in attempts] == [
        *[(1, i % 2, Outcome.UNREACHABLE) for i in range(8)],
        (1, 0, Outcome.BUSY), (1, 1, Outcome.BUSY), (2, 0, Outcome.BUSY), (2, 1, Outcome.BUSY),
    ]  # fmt: skip
    assert sleeps.delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert _statuses(world) == [
        ("calling", None), ("queued", "trunk_unavailable"), ("calling", None), ("exhausted", None),
    ]  # fmt: skip
    await campaigns.stop()


async def test_an_alert_nobody_could_be_called_for_expires(make_world: WorldFactory) -> None:
    world = make_world(contacts=2)
    ready = asyncio.Event()  # Asterisk never comes
    campaigns = _campaigns(world, ready, CallSettings(max_alert_age=0.2))
    campaigns.create("home", _request("x-1"))
    await until(lambda: not world.store.get_alert("x-1").active)  # type: ignore[union-attr]
    alert = world.store.get_alert("x-1")
    assert alert is not None
    assert (alert.status, alert.reason) == (AlertStatus.EXPIRED, Reason.TOO_OLD)
    assert alert.finished_at is not None
    assert _statuses(world) == [("queued", "asterisk_unavailable"), ("expired", "too_old")]
    subjects = world.email_subjects()
    assert len(subjects) == 2
    assert "non acquittée" not in subjects[1]  # not the "exhausted" e-mail
    assert "expirée" in subjects[1]
    await until(lambda: campaigns.running == 0)
    await campaigns.stop()


async def test_a_finished_plan_keeps_no_code_hash_phone_or_email(make_world: WorldFactory) -> None:
    world = make_world(contacts=2, station="+33123456789")
    ready = asyncio.Event()
    ready.set()
    campaigns = _campaigns(world, ready, CallSettings())
    campaigns.create("home", _request("p-1"))
    await until(lambda: bool(world.ari.originated))
    live = _plan(world, "p-1")
    assert all(c["ack_code_hash"] and c["phone"] and c["email"] for c in live["contacts"])
    campaigns.cancel("p-1", "Marie")
    plan = _plan(world, "p-1")
    assert [(c["id"], c["name"]) for c in plan["contacts"]] == [
        ("c0", "Contact 0"), ("c1", "Contact 1"),
    ]  # fmt: skip
    assert {(c["ack_code_hash"], c["phone"], c["email"]) for c in plan["contacts"]} == {
        ("", "", None)
    }
    assert plan["station"] is None
    # The cancellation e-mail still went to everybody: it was queued in the same transaction.
    (recipients,) = world.store.conn.execute(
        "SELECT recipients FROM outbox WHERE kind = 'email' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert json.loads(recipients) == ["c0@example.org", "c1@example.org"]
    await until(lambda: campaigns.running == 0)
    await campaigns.stop()
