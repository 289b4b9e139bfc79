"""The pure call tree: cursor, rounds, what comes next, outcomes. No Asterisk, no I/O."""

from __future__ import annotations

import pytest

from custom_components.imaprotect.contract.enums import TERMINAL_STATUSES, AlertStatus, Outcome
from voice_server.calltree import (
    CallContact,
    CallResult,
    Cursor,
    Finish,
    Stop,
    next_step,
    outcome_for_cause,
    outcome_for_status,
    outcome_on_watchdog,
)


def test_cursor_moves_to_the_next_contact_then_the_next_round() -> None:
    assert Cursor(1, 0).after(3) == Cursor(1, 1)
    assert Cursor(1, 1).after(3) == Cursor(1, 2)
    assert Cursor(1, 2).after(3) == Cursor(2, 0)
    assert Cursor(2, 0).after(1) == Cursor(3, 0)  # a single contact: one call per round


def test_cursor_needs_a_contact() -> None:
    with pytest.raises(ValueError, match="at least one contact"):
        Cursor(1, 0).after(0)


def test_calling_alert_calls_the_contact_under_its_cursor() -> None:
    step = next_step(AlertStatus.CALLING, Cursor(2, 1), contacts=3, rounds=2)
    assert step == CallContact(Cursor(2, 1))


def test_after_the_last_round_the_alert_is_exhausted() -> None:
    step = next_step(AlertStatus.CALLING, Cursor(3, 0), contacts=3, rounds=2)
    assert step == Finish(AlertStatus.EXHAUSTED)


def test_a_plan_without_contacts_is_exhausted_at_once() -> None:
    assert next_step(AlertStatus.CALLING, Cursor(1, 0), contacts=0, rounds=2) == Finish()
    assert Finish().status is AlertStatus.EXHAUSTED


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_a_finished_alert_calls_nobody(status: AlertStatus) -> None:
    # Even with the cursor mid-round: the status is the truth, not the cursor.
    assert next_step(status, Cursor(1, 1), contacts=3, rounds=2) == Stop(status)


def test_a_whole_tree_walks_every_contact_of_every_round_once() -> None:
    cursor, calls = Cursor(1, 0), []
    while isinstance(
        step := next_step(AlertStatus.CALLING, cursor, contacts=3, rounds=2), CallContact
    ):
        calls.append((step.cursor.round, step.cursor.position))
        cursor = cursor.after(3)
    assert calls == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert step == Finish(AlertStatus.EXHAUSTED)


def test_acknowledgement_mid_tree_stops_it() -> None:
    cursor = Cursor(1, 0).after(3)  # the first contact was busy
    assert next_step(AlertStatus.CALLING, cursor, contacts=3, rounds=2) == CallContact(Cursor(1, 1))
    cursor = cursor.after(3)  # the second acknowledged: the ledger moved the status
    assert next_step(AlertStatus.ACKNOWLEDGED, cursor, contacts=3, rounds=2) == Stop(
        AlertStatus.ACKNOWLEDGED
    )


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [(17, Outcome.BUSY), (21, Outcome.REJECTED), (16, Outcome.NO_ANSWER),
     (18, Outcome.NO_ANSWER), (19, Outcome.NO_ANSWER), (0, Outcome.UNREACHABLE),
     (34, Outcome.UNREACHABLE), (None, Outcome.UNREACHABLE)],
)  # fmt: skip
def test_outcome_for_cause_is_typed(cause: int | None, outcome: Outcome) -> None:
    assert outcome_for_cause(cause) is outcome


def test_watchdog_outcome_depends_on_the_answer() -> None:
    assert outcome_on_watchdog(answered=True) is Outcome.ANSWERED
    assert outcome_on_watchdog(answered=False) is Outcome.NO_ANSWER


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(AlertStatus.ACKNOWLEDGED, Outcome.ACKNOWLEDGED), (AlertStatus.ESCALATED, Outcome.SOS),
     (AlertStatus.EXHAUSTED, None), (AlertStatus.CANCELLED, None), (AlertStatus.CALLING, None)],
)  # fmt: skip
def test_the_outcome_an_attempt_records_for_a_final_status(
    status: AlertStatus, outcome: Outcome | None
) -> None:
    assert outcome_for_status(status) is outcome


def test_call_result_defaults_to_no_cause() -> None:
    assert CallResult(Outcome.HUNG_UP) == CallResult(Outcome.HUNG_UP, None)
    assert CallResult(Outcome.BUSY, 17).cause == 17
