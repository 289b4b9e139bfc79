"""One choke point for the station: a trouble condition raised once, restored once, by anyone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.imaprotect.core.report_conditions import (
    ALWAYS_SENT,
    FAMILIES,
    ConditionFamily,
    ReportConditions,
)
from custom_components.imaprotect.core.reports import Report, ReportKind

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

PAIRS = [
    (ReportKind.TROUBLE, ReportKind.TROUBLE_RESTORE),
    (ReportKind.LOW_BATTERY, ReportKind.LOW_BATTERY_RESTORE),
]


def _report(kind: ReportKind, zone: int | None = 2) -> Report:
    return Report(kind, AT, zone=zone)


@pytest.mark.parametrize(("raised", "restored"), PAIRS)
def test_a_raise_goes_once_and_its_restore_once(raised: ReportKind, restored: ReportKind) -> None:
    conditions = ReportConditions()
    assert not conditions.admit(_report(restored))  # never raised: the station has nothing
    assert conditions.admit(_report(raised))
    assert not conditions.admit(_report(raised))  # another sender, the same condition
    assert conditions.admit(_report(raised, zone=3))  # another detector is its own
    assert conditions.admit(_report(restored))
    assert not conditions.admit(_report(restored))
    assert conditions.admit(_report(raised))  # raised again after its restore


def test_a_tamper_alarm_always_goes_and_its_restore_once() -> None:
    """A TA is an alarm: sent again rather than dropped; its TR still goes only once."""
    conditions = ReportConditions()
    assert {ReportKind.TAMPER} == ALWAYS_SENT
    assert not conditions.admit(_report(ReportKind.TAMPER_RESTORE))
    assert conditions.admit(_report(ReportKind.TAMPER))
    assert conditions.admit(_report(ReportKind.TAMPER))  # another sender: it goes all the same
    assert conditions.admit(_report(ReportKind.TAMPER_RESTORE))
    assert not conditions.admit(_report(ReportKind.TAMPER_RESTORE))


def test_the_families_are_apart_for_one_zone() -> None:
    conditions = ReportConditions()
    assert conditions.admit(_report(ReportKind.TROUBLE))
    assert conditions.admit(_report(ReportKind.LOW_BATTERY))
    assert conditions.admit(_report(ReportKind.TAMPER))
    assert not conditions.admit(_report(ReportKind.TROUBLE))
    assert conditions.raised == {
        (ConditionFamily.TROUBLE, 2),
        (ConditionFamily.LOW_BATTERY, 2),
        (ConditionFamily.TAMPER, 2),
    }


@pytest.mark.parametrize("kind", [kind for kind in ReportKind if kind not in FAMILIES])
def test_every_other_kind_passes_each_time(kind: ReportKind) -> None:
    conditions = ReportConditions()
    assert conditions.admit(_report(kind))
    assert conditions.admit(_report(kind))
    assert conditions.raised == set()


def test_a_report_without_a_zone_passes_and_is_not_noted() -> None:
    conditions = ReportConditions()
    assert conditions.admit(_report(ReportKind.LOW_BATTERY, zone=None))
    assert conditions.admit(_report(ReportKind.LOW_BATTERY, zone=None))
    assert conditions.admit(_report(ReportKind.LOW_BATTERY_RESTORE, zone=None))
    assert conditions.raised == set()


def test_a_restart_resends_nothing() -> None:
    conditions = ReportConditions()
    conditions.admit(_report(ReportKind.TAMPER, zone=5))
    conditions.admit(_report(ReportKind.TROUBLE, zone=1))
    snapshot = conditions.snapshot()
    assert snapshot == {"raised": [["tamper", 5], ["trouble", 1]]}
    restarted = ReportConditions.restore(snapshot)
    assert restarted == conditions
    assert not restarted.admit(_report(ReportKind.TROUBLE, zone=1))
    assert restarted.admit(_report(ReportKind.TAMPER_RESTORE, zone=5))
    assert not restarted.admit(_report(ReportKind.TAMPER_RESTORE, zone=5))


def test_restore_of_nothing_and_of_an_unknown_family() -> None:
    assert ReportConditions.restore(None) == ReportConditions()
    restored = ReportConditions.restore({"raised": [["smoke", 1], ["low_battery", "4"]]})
    assert restored.raised == {(ConditionFamily.LOW_BATTERY, 4)}


def test_conditions_known_raised_elsewhere_leave_out_those_without_a_zone() -> None:
    conditions = ReportConditions.from_raised(
        [(ConditionFamily.TROUBLE, 1), (ConditionFamily.LOW_BATTERY, None)]
    )
    assert conditions.raised == {(ConditionFamily.TROUBLE, 1)}
    assert not conditions.admit(_report(ReportKind.TROUBLE, zone=1))
