"""The station reports the panel owes besides the offers' alarms, and their stable numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from custom_components.imaprotect.core import (
    Actor,
    Bypassed,
    FaultCleared,
    FaultRaised,
    Method,
    PanelState,
    StateChanged,
)
from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.core.station_reporter import (
    MAX_NUMBER,
    StationNumbers,
    StationReporter,
)

from .builders import ALICE, BOB

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
APP = Actor(Method.APP, operator="admin")


def _state(old: PanelState, new: PanelState, actor: Actor | None = None) -> StateChanged:
    return StateChanged(at=AT, old=old, new=new, actor=actor)


def _codes(reports: list[Report]) -> list[tuple[ReportKind, int | None, int | None]]:
    return [(r.kind, r.zone, r.user) for r in reports]


def _reporter() -> StationReporter:
    reporter = StationReporter()
    reporter.numbers.known(["door", "window"], ["alice", "bob"])
    return reporter


def test_numbers_are_given_in_order_once_and_never_again() -> None:
    numbers = StationNumbers()
    numbers.known(["door", "window"], ["alice"])
    assert (numbers.zone("door"), numbers.zone("window"), numbers.user("alice")) == (1, 2, 1)
    restored = StationNumbers.restore(numbers.snapshot())
    restored.known(["window", "hall"], ["bob"])  # the door was deleted: 1 stays its own
    assert (restored.zone("hall"), restored.zone("window"), restored.user("bob")) == (3, 2, 2)
    assert restored.zone(None) is None
    assert restored.person_of(2) == "bob"
    assert restored.person_of(None) is None
    full = StationNumbers(zones={"last": MAX_NUMBER})
    assert full.zone("one_more") is None
    assert StationNumbers.restore(None) == StationNumbers()


def test_arming_after_the_exit_delay_is_cl_with_who_armed_and_partial_is_nl() -> None:
    reporter = _reporter()
    assert reporter.on_event(_state(PanelState.DISARMED, PanelState.ARMING, ALICE)) == []
    armed = reporter.on_event(_state(PanelState.ARMING, PanelState.ARMED_TOTAL))
    assert _codes(armed) == [(ReportKind.ARM_TOTAL, None, 1)]
    assert armed[0].area == 1
    night = reporter.on_event(_state(PanelState.DISARMED, PanelState.ARMED_PARTIAL, BOB))
    assert _codes(night) == [(ReportKind.ARM_PARTIAL, None, 2)]


def test_disarming_is_op_unless_only_arming_and_an_app_user_has_no_number() -> None:
    reporter = _reporter()
    reporter.on_event(_state(PanelState.DISARMED, PanelState.ARMING, ALICE))
    assert reporter.on_event(_state(PanelState.ARMING, PanelState.DISARMED, BOB)) == []
    disarmed = reporter.on_event(_state(PanelState.ARMED_TOTAL, PanelState.DISARMED, APP))
    assert _codes(disarmed) == [(ReportKind.DISARM, None, None)]
    assert reporter.on_event(_state(PanelState.DISARMED, PanelState.DISARMED, APP)) == []


def test_restores_come_before_the_disarm_and_bypasses_are_restored_with_it() -> None:
    reporter = _reporter()
    bypassed = reporter.on_event(Bypassed(at=AT, actor=ALICE, detector_ids=("window",)))
    assert _codes(bypassed) == [(ReportKind.BYPASS, 2, None)]
    reporter.on_event(Bypassed(at=AT, actor=ALICE, detector_ids=("window",)))
    reporter.sent(Report(ReportKind.BURGLARY, AT, zone=1))
    reporter.sent(Report(ReportKind.BURGLARY, AT, zone=1))  # the same alarm once
    reporter.sent(Report(ReportKind.PANIC, AT, user=2))
    reporter.sent(Report(ReportKind.DURESS, AT, user=1))  # no restore for a duress
    # The siren's time is over: the alarm is restored, the SOS waits for the disarm.
    ended = reporter.on_event(_state(PanelState.TRIGGERED, PanelState.ARMED_TOTAL))
    assert _codes(ended) == [(ReportKind.BURGLARY_RESTORE, 1, None)]
    reporter.sent(Report(ReportKind.FIRE, AT, zone=2))
    disarmed = reporter.on_event(_state(PanelState.TRIGGERED, PanelState.DISARMED, ALICE))
    assert _codes(disarmed) == [
        (ReportKind.PANIC_RESTORE, None, 2),
        (ReportKind.FIRE_RESTORE, 2, None),
        (ReportKind.BYPASS_RESTORE, 2, None),
        (ReportKind.DISARM, None, 1),
    ]
    assert reporter.on_event(_state(PanelState.ARMED_TOTAL, PanelState.PENDING)) == []


def test_a_fault_restore_goes_only_after_its_trouble() -> None:
    reporter = _reporter()
    assert reporter.on_event(FaultCleared(at=AT, detector_id="door")) == []
    reporter.sent(Report(ReportKind.TROUBLE, AT, zone=1))
    reporter.sent(Report(ReportKind.TROUBLE, AT, zone=1))
    reporter.sent(Report(ReportKind.TROUBLE, AT))  # without a number: nothing to restore
    assert reporter.on_event(FaultRaised(at=AT, detector_id="door")) == []  # the offers' UT
    restored = reporter.on_event(FaultCleared(at=AT, detector_id="door"))
    assert _codes(restored) == [(ReportKind.TROUBLE_RESTORE, 1, None)]
    assert reporter.on_event(FaultCleared(at=AT, detector_id="door")) == []


def test_a_low_battery_is_not_the_reporters_any_more() -> None:
    """The self-diagnosis is its one sender: an old snapshot's XT list is left out."""
    reporter = StationReporter.restore({"low_battery": ["window"]})
    assert "low_battery" not in reporter.snapshot()
    assert not hasattr(reporter, "battery")


def test_the_snapshot_keeps_everything_pending() -> None:
    reporter = _reporter()
    reporter.on_event(_state(PanelState.DISARMED, PanelState.ARMING, BOB))
    reporter.on_event(Bypassed(at=AT, actor=BOB, detector_ids=("door",)))
    reporter.sent(Report(ReportKind.WATER, AT, zone=2))
    reporter.sent(Report(ReportKind.TROUBLE, AT, zone=2))
    restored = StationReporter.restore(reporter.snapshot())
    assert restored == reporter
    assert StationReporter.restore(None) == StationReporter()
