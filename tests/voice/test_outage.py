"""The pure outage decisions: which failures are the infrastructure's, the back-off, the expiry."""

from __future__ import annotations

import pytest

from custom_components.imaprotect.contract.enums import AlertStatus, Outcome, Reason
from voice_server.calltree import CallContact, CallResult, Cursor, Finish, Stop, next_step
from voice_server.outage import (
    BACKOFF_MAX,
    INFRASTRUCTURE_CAUSES,
    Outage,
    Retry,
    Spent,
    infrastructure_failure,
)


@pytest.mark.parametrize("cause", [None, 0, 3, 27, 34, 38, 41, 47])
def test_unanswered_network_failures_are_the_infrastructures(cause: int | None) -> None:
    assert infrastructure_failure(CallResult(Outcome.UNREACHABLE, cause), answered=False)
    assert cause is None or cause in INFRASTRUCTURE_CAUSES


@pytest.mark.parametrize(
    "result",
    [CallResult(Outcome.BUSY, 17), CallResult(Outcome.NO_ANSWER, 19),
     CallResult(Outcome.REJECTED, 21), CallResult(Outcome.UNREACHABLE, 1),
     CallResult(Outcome.UNREACHABLE, 28), CallResult(Outcome.CANCELLED),
     CallResult(Outcome.WRONG_CODE), CallResult(Outcome.HUNG_UP, 16)],
)  # fmt: skip
def test_what_the_contacts_line_said_spends_the_contact(result: CallResult) -> None:
    assert not infrastructure_failure(result, answered=False)


def test_an_answered_call_is_spent_even_if_asterisk_went_away() -> None:
    # The contact heard the message: calling them again at once would not help.
    assert not infrastructure_failure(CallResult(Outcome.UNREACHABLE), answered=True)


def test_failures_back_off_doubling_then_capped_and_reset_by_a_real_call() -> None:
    outage = Outage()
    unreachable = CallResult(Outcome.UNREACHABLE, 34)
    delays = []
    for _ in range(8):
        verdict = outage.record(unreachable, answered=False, contacts=3)
        assert isinstance(verdict, Retry)
        delays.append(verdict.delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX]
    assert outage.failures == 8
    assert outage.record(CallResult(Outcome.BUSY, 17), answered=False, contacts=3) == Spent()
    assert outage.failures == 0
    first = outage.record(unreachable, answered=False, contacts=3)
    assert first == Retry(delay=1.0, queue=False)


def test_the_alert_is_queued_from_the_second_failure_in_a_row() -> None:
    outage = Outage()
    failed = CallResult(Outcome.UNREACHABLE)
    assert outage.record(failed, answered=False, contacts=2) == Retry(1.0, queue=False)
    assert outage.record(failed, answered=False, contacts=2) == Retry(2.0, queue=True)
    # One contact only: its first failure already means nobody can be reached.
    assert Outage().record(failed, answered=False, contacts=1) == Retry(1.0, queue=True)


def test_a_failed_contact_is_skipped_within_its_round_never_spending_it() -> None:
    assert Cursor(1, 0).skip(3) == Cursor(1, 1)
    assert Cursor(1, 2).skip(3) == Cursor(1, 0)  # wraps inside the round: no round spent
    assert Cursor(2, 0).skip(1) == Cursor(2, 0)
    with pytest.raises(ValueError, match="at least one contact"):
        Cursor(1, 0).skip(0)


def test_an_alert_past_its_maximum_age_expires_too_old() -> None:
    for status in (AlertStatus.CALLING, AlertStatus.QUEUED):
        step = next_step(status, Cursor(1, 0), contacts=2, rounds=2, age=3600.0, max_age=3600.0)
        assert step == Finish(AlertStatus.EXPIRED, Reason.TOO_OLD)
        young = next_step(status, Cursor(1, 0), contacts=2, rounds=2, age=10.0, max_age=3600.0)
        assert young == CallContact(Cursor(1, 0))
    # A finished alert stays what it is, however old.
    old_ack = next_step(
        AlertStatus.ACKNOWLEDGED, Cursor(1, 0), contacts=2, rounds=2, age=1e9, max_age=1.0
    )
    assert old_ack == Stop(AlertStatus.ACKNOWLEDGED)
    assert Finish().reason is None


def test_a_queued_alert_is_still_active() -> None:
    step = next_step(AlertStatus.QUEUED, Cursor(1, 1), contacts=2, rounds=2)
    assert step == CallContact(Cursor(1, 1))
