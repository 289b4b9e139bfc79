"""Each lockout in a row doubles the lock (90 s, 3, 6, 12 min… 24 h at most) until a right code."""

from datetime import datetime, timedelta

import pytest

from custom_components.imaprotect.core import (
    LOCK_TIME,
    MAX_FAILURES,
    MAX_LOCK_TIME,
    AlarmEngine,
    CodeLockout,
    LockedOut,
    Method,
    WrongCodeError,
)
from tests.core.builders import ALICE_CODE, T0, make_config, make_engine


def lock_out(lockout: CodeLockout, now: datetime) -> datetime:
    """Five failures from ``now`` (one per second); return the lock's end."""
    end = None
    for n in range(MAX_FAILURES):
        end = lockout.record_failure(now + timedelta(seconds=n))
    assert end is not None
    return end


def test_each_lockout_in_a_row_doubles_the_lock() -> None:
    assert (timedelta(seconds=90), timedelta(hours=24)) == (LOCK_TIME, MAX_LOCK_TIME)
    lockout = CodeLockout()
    now = T0
    lengths = []
    for expected in (1, 2, 3, 4, 5):
        last = now + timedelta(seconds=MAX_FAILURES - 1)
        end = lock_out(lockout, now)
        lengths.append(end - last)
        assert lockout.locks == expected
        now = end
    assert lengths == [timedelta(minutes=m) for m in (1.5, 3, 6, 12, 24)]


def test_the_lock_never_exceeds_a_day() -> None:
    lockout = CodeLockout()
    now = T0
    for _ in range(20):
        end = lock_out(lockout, now)
        assert end - (now + timedelta(seconds=MAX_FAILURES - 1)) <= MAX_LOCK_TIME
        now = end
    assert lockout.locks == 20
    assert lockout.record_failure(now) is None  # the count restarted after the lock ran out
    assert lockout.failures == 1


def test_only_a_success_resets_the_escalation() -> None:
    lockout = CodeLockout()
    end = lock_out(lockout, T0)
    assert lockout.locked_until(end) is None  # the lock ran out, the escalation did not
    assert lockout.locks == 1
    lockout.record_success()
    assert lockout.locks == 0
    start = end
    end = lock_out(lockout, start)
    assert end - (start + timedelta(seconds=MAX_FAILURES - 1)) == LOCK_TIME
    assert lockout.locks == 1


def test_escalation_survives_a_round_trip() -> None:
    lockout = CodeLockout()
    end = lock_out(lockout, T0)
    end = lock_out(lockout, end)
    data = lockout.to_dict()
    assert data["locks"] == 2
    copy = CodeLockout.from_dict(data)
    assert copy.locks == 2
    third = lock_out(copy, end)
    assert third - (end + timedelta(seconds=MAX_FAILURES - 1)) == timedelta(minutes=6)
    assert CodeLockout.from_dict({}).locks == 0


@pytest.mark.parametrize("locks", [-1, "2", True, 1.5])
def test_malformed_escalation_is_refused(locks: object) -> None:
    with pytest.raises(ValueError, match="lockout"):
        CodeLockout.from_dict({"locks": locks})


def test_engine_reports_the_lockouts_in_a_row_and_keeps_them_across_a_restart() -> None:
    engine = make_engine()

    def five_wrong(start: datetime) -> LockedOut:
        for n in range(MAX_FAILURES):
            with pytest.raises(WrongCodeError):
                engine.authenticate_code("0000", start + timedelta(seconds=n), Method.KEYPAD)
        event = engine.drain_events()[-1]
        assert isinstance(event, LockedOut)
        return event

    first = five_wrong(T0)
    assert first.locks == 1
    engine = AlarmEngine.restore(make_config(), engine.snapshot(), first.until)
    second = five_wrong(first.until)
    assert second.locks == 2
    assert second.until - second.at == timedelta(minutes=3)
    engine.authenticate_code(ALICE_CODE, second.until, Method.KEYPAD)
    assert five_wrong(second.until).locks == 1
