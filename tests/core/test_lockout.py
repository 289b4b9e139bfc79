from datetime import timedelta

import pytest

from custom_components.imaprotect.core import LOCK_TIME, MAX_FAILURES, CodeLockout
from tests.core.builders import T0, at


def test_five_failures_lock_for_ninety_seconds() -> None:
    assert (5, timedelta(seconds=90)) == (MAX_FAILURES, LOCK_TIME)
    lockout = CodeLockout()
    for n in range(1, 5):
        assert lockout.record_failure(at(n)) is None
        assert lockout.failures == n
        assert lockout.locked_until(at(n)) is None
    assert lockout.record_failure(at(5)) == at(95)
    assert lockout.failures == 5
    assert lockout.locked_until(at(94)) == at(95)
    assert lockout.locked_until(at(95)) is None
    assert lockout.failures == 0


def test_failure_while_locked_neither_counts_nor_extends() -> None:
    lockout = CodeLockout()
    for _ in range(5):
        lockout.record_failure(T0)
    assert lockout.record_failure(at(10)) is None
    assert lockout.locked_until(at(10)) == at(90)
    assert lockout.failures == 5


def test_count_restarts_after_a_lock_runs_out() -> None:
    lockout = CodeLockout()
    for _ in range(5):
        lockout.record_failure(T0)
    assert lockout.record_failure(at(100)) is None
    assert lockout.failures == 1


def test_success_clears_count_and_lock() -> None:
    lockout = CodeLockout()
    for _ in range(5):
        lockout.record_failure(T0)
    lockout.record_success()
    assert lockout.failures == 0
    assert lockout.locked_until(T0) is None


def test_round_trip_keeps_the_lock() -> None:
    lockout = CodeLockout()
    for _ in range(5):
        lockout.record_failure(T0)
    copy = CodeLockout.from_dict(lockout.to_dict())
    assert copy.locked_until(at(1)) == at(90)
    assert copy.failures == 5
    assert "failures=5" in repr(copy)
    fresh = CodeLockout.from_dict({})
    assert (fresh.failures, fresh.locked_until(T0)) == (0, None)
    assert CodeLockout().to_dict() == {"failures": 0, "locks": 0, "locked_until": None}


@pytest.mark.parametrize(
    "data",
    [
        {"failures": -1},
        {"failures": "2"},
        {"failures": True},
        {"locked_until": 5},
        {"locked_until": "2026-01-01T00:00:00"},
        {"locked_until": "yesterday"},
    ],
)
def test_from_dict_rejects_malformed_data(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"lockout|timezone|isoformat|Invalid"):
        CodeLockout.from_dict(data)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CodeLockout().record_failure(T0.replace(tzinfo=None))
