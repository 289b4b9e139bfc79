"""Self-diagnosis: every trouble's coming and going, persistence, the station codes, the digest."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.imaprotect.core.diagnosis import (
    ActiveTrouble,
    Diagnosis,
    Trouble,
    TroubleChanged,
    next_digest,
    station_report,
)
from custom_components.imaprotect.core.model import Formula
from custom_components.imaprotect.core.reports import ReportKind

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def _diagnosis() -> Diagnosis:
    return Diagnosis(["door", "hall"])


def test_a_level_under_the_low_mark_is_low_and_only_a_good_level_clears_it() -> None:
    diagnosis = _diagnosis()
    diagnosis.battery_level("door", T0, percent=40)
    assert diagnosis.drain_events() == []
    diagnosis.battery_level("door", T0 + timedelta(hours=1), percent=14)
    assert diagnosis.drain_events() == [
        TroubleChanged("door", Trouble.LOW_BATTERY, active=True, at=T0 + timedelta(hours=1))
    ]
    diagnosis.battery_level("door", T0 + timedelta(hours=2), percent=20)  # wobbling: still low
    diagnosis.battery_level("door", T0 + timedelta(hours=2), percent=24.9)
    assert diagnosis.drain_events() == []
    assert diagnosis.has("door", Trouble.LOW_BATTERY)
    diagnosis.battery_level("door", T0 + timedelta(hours=3), percent=100)  # a new battery
    assert diagnosis.drain_events() == [
        TroubleChanged("door", Trouble.LOW_BATTERY, active=False, at=T0 + timedelta(hours=3))
    ]
    assert not diagnosis.has("door", Trouble.LOW_BATTERY)


def test_the_low_mark_itself_is_not_low() -> None:
    diagnosis = _diagnosis()
    diagnosis.battery_level("door", T0, percent=15)
    assert not diagnosis.has("door", Trouble.LOW_BATTERY)


def test_an_unknown_reading_keeps_what_was_known() -> None:
    diagnosis = _diagnosis()
    diagnosis.battery_level("door", T0, percent=5)
    diagnosis.battery_flag("hall", T0, low=True)
    diagnosis.tamper("hall", T0, tampered=True)
    diagnosis.drain_events()
    diagnosis.battery_level("door", T0, percent=None)
    diagnosis.battery_flag("hall", T0, low=None)
    diagnosis.tamper("hall", T0, tampered=None)
    assert diagnosis.drain_events() == []
    assert diagnosis.has("door", Trouble.LOW_BATTERY)
    assert diagnosis.has("hall", Trouble.LOW_BATTERY)
    assert diagnosis.has("hall", Trouble.TAMPER)


def test_flag_tamper_and_fault_come_and_go_once_each() -> None:
    diagnosis = _diagnosis()
    diagnosis.battery_flag("hall", T0, low=True)
    diagnosis.battery_flag("hall", T0, low=True)
    diagnosis.tamper("door", T0, tampered=True)
    diagnosis.fault("door", T0, faulty=True)
    diagnosis.fault("door", T0, faulty=True)
    diagnosis.battery_flag("hall", T0, low=False)
    diagnosis.tamper("door", T0, tampered=False)
    diagnosis.fault("door", T0, faulty=False)
    diagnosis.fault("door", T0, faulty=False)
    assert [(e.detector_id, e.trouble, e.active) for e in diagnosis.drain_events()] == [
        ("hall", Trouble.LOW_BATTERY, True),
        ("door", Trouble.TAMPER, True),
        ("door", Trouble.FAULT, True),
        ("hall", Trouble.LOW_BATTERY, False),
        ("door", Trouble.TAMPER, False),
        ("door", Trouble.FAULT, False),
    ]
    assert diagnosis.active() == ()


def test_active_lists_the_oldest_first_with_its_start() -> None:
    diagnosis = _diagnosis()
    diagnosis.tamper("hall", T0 + timedelta(minutes=5), tampered=True)
    diagnosis.fault("door", T0, faulty=True)
    diagnosis.tamper("hall", T0 + timedelta(minutes=9), tampered=True)  # on: keeps its start
    assert diagnosis.active() == (
        ActiveTrouble("door", Trouble.FAULT, T0),
        ActiveTrouble("hall", Trouble.TAMPER, T0 + timedelta(minutes=5)),
    )


def test_unknown_detectors_and_naive_times_are_refused() -> None:
    diagnosis = _diagnosis()
    with pytest.raises(KeyError):
        diagnosis.tamper("attic", T0, tampered=True)
    with pytest.raises(ValueError, match="aware"):
        diagnosis.tamper("door", datetime(2026, 3, 1), tampered=True)  # noqa: DTZ001 - the point


def test_a_restart_remembers_the_troubles_and_tells_nothing_again() -> None:
    diagnosis = _diagnosis()
    diagnosis.battery_level("door", T0, percent=3)
    diagnosis.tamper("hall", T0 + timedelta(minutes=1), tampered=True)
    restored = Diagnosis.restore(["door", "hall"], diagnosis.snapshot())
    assert restored.active() == diagnosis.active()
    restored.battery_level("door", T0 + timedelta(hours=1), percent=3)
    restored.tamper("hall", T0 + timedelta(hours=1), tampered=True)
    assert restored.drain_events() == []
    restored.tamper("hall", T0 + timedelta(hours=2), tampered=False)
    assert restored.drain_events() == [
        TroubleChanged("hall", Trouble.TAMPER, active=False, at=T0 + timedelta(hours=2))
    ]


def test_a_restore_drops_removed_detectors_and_unknown_troubles() -> None:
    data = {
        "troubles": [
            ["gone", "tamper", T0.isoformat()],
            ["door", "melted", T0.isoformat()],
            ["door", "fault", T0.isoformat()],
        ]
    }
    assert Diagnosis.restore(["door"], data).active() == (ActiveTrouble("door", Trouble.FAULT, T0),)


@pytest.mark.parametrize(
    "data",
    [{}, {"troubles": [["door", "fault"]]}, {"troubles": [["door", "fault", "yesterday"]]}],
)
def test_a_malformed_snapshot_is_refused(data: dict[str, object]) -> None:
    with pytest.raises((KeyError, ValueError)):
        Diagnosis.restore(["door"], data)


def test_a_naive_time_in_a_snapshot_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Diagnosis.restore(["door"], {"troubles": [["door", "fault", "2026-03-01T12:00:00"]]})


REPORTS = {
    Trouble.LOW_BATTERY: (ReportKind.LOW_BATTERY, ReportKind.LOW_BATTERY_RESTORE),
    Trouble.TAMPER: (ReportKind.TAMPER, ReportKind.TAMPER_RESTORE),
    Trouble.FAULT: (ReportKind.TROUBLE, ReportKind.TROUBLE_RESTORE),
}


@pytest.mark.parametrize("trouble", list(Trouble))
@pytest.mark.parametrize("formula", [Formula.A_LA_CARTE, Formula.TOUT_INCLUS])
def test_station_formulas_get_each_trouble_and_its_restore(
    formula: Formula, trouble: Trouble
) -> None:
    raised, restored = REPORTS[trouble]
    assert station_report(formula, trouble, active=True, sent_by_offers=False) is raised
    assert station_report(formula, trouble, active=False, sent_by_offers=False) is restored


@pytest.mark.parametrize("trouble", list(Trouble))
def test_what_the_offers_sent_is_not_sent_twice_but_its_restore_is(trouble: Trouble) -> None:
    assert station_report(Formula.TOUT_INCLUS, trouble, active=True, sent_by_offers=True) is None
    assert (
        station_report(Formula.TOUT_INCLUS, trouble, active=False, sent_by_offers=True)
        is REPORTS[trouble][1]
    )


@pytest.mark.parametrize("trouble", list(Trouble))
@pytest.mark.parametrize("active", [True, False])
def test_e_veille_tells_the_station_nothing(trouble: Trouble, active: bool) -> None:
    assert station_report(Formula.E_VEILLE, trouble, active=active, sent_by_offers=False) is None


def test_the_digest_is_today_before_its_time_and_tomorrow_after() -> None:
    morning = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)  # 08:30 in Paris
    assert next_digest(morning, PARIS) == datetime(2026, 3, 1, 9, 0, tzinfo=PARIS)
    at_nine = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris: the next one is tomorrow
    assert next_digest(at_nine, PARIS) == datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def test_the_digest_keeps_its_local_hour_across_summer_time() -> None:
    before = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # Saturday 10:00 in Paris, winter time
    sunday = next_digest(before, PARIS)
    assert sunday == datetime(2026, 3, 29, 9, 0, tzinfo=PARIS)
    assert sunday.astimezone(UTC).hour == 7  # summer time began that night


def test_the_digest_time_can_be_chosen_and_needs_an_aware_clock() -> None:
    assert next_digest(T0, UTC, time(18, 30)) == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        next_digest(datetime(2026, 3, 1), UTC)  # noqa: DTZ001 - the point
