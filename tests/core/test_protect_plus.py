"""PROTECT+ periods: start now or booked, extend, stop, expire, history, restore."""

from datetime import datetime, timedelta

import pytest

from custom_components.imaprotect.core.protect_plus import (
    MAX_HISTORY,
    SLICE,
    Began,
    Expired,
    Extended,
    GrantAction,
    ProtectPlus,
    ProtectPlusError,
    Started,
    Stopped,
)
from tests.core.builders import T0, at

HOUR = 3600
DAY = 24 * HOUR


def started(
    slices: int = 1, by: str | None = "Marie", start: datetime | None = None
) -> ProtectPlus:
    plus = ProtectPlus()
    plus.start_period(T0, slices, by, start)
    return plus


def test_a_period_starts_now_for_its_slices_and_expires() -> None:
    plus = started(2)
    assert plus.active(T0)
    assert not plus.booked(T0)
    assert (plus.start, plus.end) == (T0, T0 + 2 * SLICE)
    assert plus.next_deadline() == T0 + 2 * SLICE
    assert plus.drain_events() == [Started(T0, "Marie", 2, T0, T0 + 2 * SLICE)]
    plus.tick(at(2 * DAY - 1))
    assert plus.active(at(2 * DAY - 1))
    assert plus.drain_events() == []
    plus.tick(at(2 * DAY + 5))
    assert not plus.active(at(2 * DAY + 5))
    assert plus.drain_events() == [Expired(at(2 * DAY + 5), T0 + 2 * SLICE)]
    assert (plus.start, plus.end, plus.next_deadline()) == (None, None, None)


def test_a_booked_period_begins_at_its_start() -> None:
    start = at(10 * DAY)
    plus = started(3, start=start)
    assert plus.booked(T0)
    assert not plus.active(T0)
    assert plus.next_deadline() == start
    assert plus.drain_events() == [Started(T0, "Marie", 3, start, start + 3 * SLICE)]
    plus.tick(start)
    assert plus.active(start)
    assert plus.next_deadline() == start + 3 * SLICE
    assert plus.drain_events() == [Began(start, start + 3 * SLICE)]


def test_a_start_a_moment_ago_is_now_and_older_ones_are_refused() -> None:
    plus = ProtectPlus()
    plus.start_period(at(600), 1, None, at(400))  # a form filled in a little while ago
    assert plus.start == at(600)
    with pytest.raises(ProtectPlusError, match="start_in_past") as info:
        ProtectPlus().start_period(at(600), 1, None, at(0))
    assert info.value.reason == "start_in_past"


@pytest.mark.parametrize(
    ("slices", "start", "reason"),
    [
        (0, None, "invalid_slices"),
        (31, None, "invalid_slices"),
        (1, at(366 * DAY), "start_too_far"),
    ],
)
def test_refused_starts(slices: int, start: datetime | None, reason: str) -> None:
    plus = ProtectPlus()
    with pytest.raises(ProtectPlusError) as info:
        plus.start_period(T0, slices, "Marie", start)
    assert info.value.reason == reason
    assert plus.drain_events() == []
    assert plus.history == ()


def test_one_period_at_a_time() -> None:
    plus = started()
    with pytest.raises(ProtectPlusError, match="already_granted"):
        plus.start_period(at(HOUR), 1, "Paul")
    booked = started(start=at(DAY * 3))
    with pytest.raises(ProtectPlusError, match="already_granted"):
        booked.start_period(at(HOUR), 1, "Paul")


def test_extending_adds_slices_to_the_end_and_is_recorded() -> None:
    plus = started(1)
    plus.drain_events()
    plus.extend(at(HOUR), 2, "Paul")
    assert plus.end == T0 + 3 * SLICE
    assert plus.drain_events() == [Extended(at(HOUR), "Paul", 2, T0 + 3 * SLICE)]
    assert [(g.action, g.by, g.slices, g.at) for g in plus.history] == [
        (GrantAction.START, "Marie", 1, T0),
        (GrantAction.EXTEND, "Paul", 2, at(HOUR)),
    ]
    booked = started(1, start=at(5 * DAY))
    booked.extend(at(HOUR), 1, None)
    assert (booked.start, booked.end) == (at(5 * DAY), at(7 * DAY))


def test_a_period_holds_at_most_ninety_slices() -> None:
    plus = started(30)
    plus.extend(at(HOUR), 30, None)
    plus.extend(at(HOUR), 30, None)
    with pytest.raises(ProtectPlusError, match="too_long"):
        plus.extend(at(HOUR), 1, None)
    assert plus.end == T0 + 90 * SLICE
    with pytest.raises(ProtectPlusError, match="invalid_slices"):
        plus.extend(at(HOUR), 31, None)


def test_extending_or_stopping_nothing_is_refused() -> None:
    plus = ProtectPlus()
    for command in (lambda: plus.extend(T0, 1, None), lambda: plus.stop(T0, None)):
        with pytest.raises(ProtectPlusError, match="not_granted"):
            command()
    expired = started(1)
    with pytest.raises(ProtectPlusError, match="not_granted"):
        expired.extend(at(DAY + 1), 1, None)  # it ran out first
    assert [type(e) for e in expired.drain_events()] == [Started, Expired]


def test_stopping_ends_now_and_cancelling_a_booking_is_told_apart() -> None:
    plus = started(5)
    plus.drain_events()
    plus.stop(at(2 * HOUR), "Paul")
    assert not plus.active(at(2 * HOUR))
    assert plus.next_deadline() is None
    assert plus.drain_events() == [Stopped(at(2 * HOUR), "Paul", booked=False)]
    last = plus.history[-1]
    assert (last.action, last.by, last.end) == (GrantAction.STOP, "Paul", at(2 * HOUR))
    booked = started(2, start=at(3 * DAY))
    booked.drain_events()
    booked.stop(at(HOUR), None)
    assert booked.drain_events() == [Stopped(at(HOUR), None, booked=True)]
    assert not booked.booked(at(HOUR))


def test_history_keeps_the_last_grants_only() -> None:
    plus = ProtectPlus()
    for n in range(MAX_HISTORY + 5):
        plus.start_period(at(n * 10), 1, f"n{n}")
        plus.stop(at(n * 10 + 1), None)
    assert len(plus.history) == MAX_HISTORY
    assert plus.history[-1].action is GrantAction.STOP


def test_snapshot_and_restore_keep_the_period_and_its_history() -> None:
    plus = started(2, start=at(DAY))
    plus.extend(at(HOUR), 1, "Paul")
    restored = ProtectPlus.restore(plus.snapshot(), at(2 * HOUR))
    assert (restored.start, restored.end) == (plus.start, plus.end)
    assert restored.history == plus.history
    assert restored.booked(at(2 * HOUR))
    assert restored.drain_events() == []


def test_a_restore_catches_up_with_what_happened_while_down() -> None:
    booked = started(1, start=at(DAY))
    restored = ProtectPlus.restore(booked.snapshot(), at(DAY + HOUR))
    assert restored.active(at(DAY + HOUR))
    assert restored.drain_events() == [Began(at(DAY + HOUR), at(2 * DAY))]
    running = started(1)
    late = ProtectPlus.restore(running.snapshot(), at(3 * DAY))
    assert late.drain_events() == [Expired(at(3 * DAY), T0 + SLICE)]  # the planned end
    missed = ProtectPlus.restore(booked.snapshot(), at(5 * DAY))
    assert [type(e) for e in missed.drain_events()] == [Expired]  # began and ended while down


@pytest.mark.parametrize(
    "data",
    [
        {"start": T0.isoformat()},  # no end
        {"start": at(DAY).isoformat(), "end": T0.isoformat()},  # ends before it starts
        {"start": 5, "end": 6},
        {"history": [{"at": T0.isoformat()}]},
        {"history": "x"},
        {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00"},  # no time zone
    ],
)
def test_a_malformed_snapshot_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the fault
        ProtectPlus.restore(data, T0)


def test_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ProtectPlus().active(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        ProtectPlus().start_period(T0, 1, None, datetime(2026, 1, 2))  # noqa: DTZ001
    assert timedelta(hours=24) == SLICE
