from datetime import timedelta

import pytest

from custom_components.imaprotect.core import (
    AlarmCleared,
    AlarmEngine,
    AlarmKind,
    AlarmRaised,
    ArmMode,
    FaultCleared,
    FaultRaised,
    PanelState,
    Reading,
    StateChanged,
)
from tests.core.builders import (
    ALICE,
    APP,
    CAROL,
    T0,
    armed_engine,
    at,
    kinds,
    make_config,
    make_engine,
)


def test_window_opening_while_armed_triggers_at_once() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("window",)
    assert engine.remaining(at(100)) == timedelta(seconds=180)
    assert engine.drain_events() == [
        StateChanged(at=at(100), old=PanelState.ARMED_TOTAL, new=PanelState.TRIGGERED, actor=None),
        AlarmRaised(at=at(100), kind=AlarmKind.INTRUSION, detector_id="window", zone_id="ground"),
    ]
    assert engine.zone_in_alarm("ground")
    assert not engine.zone_in_alarm("upstairs")


def test_entry_door_starts_entry_delay_and_disarm_clears_it() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    assert engine.state is PanelState.PENDING
    assert engine.remaining(at(110)) == timedelta(seconds=20)
    assert not engine.zone_in_alarm("ground")
    assert engine.drain_events() == [
        StateChanged(at=at(100), old=PanelState.ARMED_TOTAL, new=PanelState.PENDING, actor=None)
    ]
    engine.disarm(ALICE, at(120))
    assert engine.state is PanelState.DISARMED
    assert engine.tripped == ()
    assert engine.drain_events() == [
        StateChanged(at=at(120), old=PanelState.PENDING, new=PanelState.DISARMED, actor=ALICE),
        AlarmCleared(at=at(120), actor=ALICE),
    ]


def test_entry_delay_expiry_triggers_with_the_first_detector() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    engine.detector_changed("hall_pir", Reading.ON, at(105))
    assert engine.state is PanelState.PENDING
    assert engine.tripped == ("front_door", "hall_pir")
    assert engine.next_deadline() == at(130)  # a second entry-route detector does not restart it
    engine.drain_events()
    engine.tick(at(130))
    assert engine.state is PanelState.TRIGGERED
    assert engine.drain_events() == [
        StateChanged(at=at(130), old=PanelState.PENDING, new=PanelState.TRIGGERED, actor=None),
        AlarmRaised(
            at=at(130), kind=AlarmKind.INTRUSION, detector_id="front_door", zone_id="ground"
        ),
    ]


def test_non_entry_detector_during_entry_delay_triggers_at_once() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    engine.drain_events()
    engine.detector_changed("bedroom_pir", Reading.ON, at(105))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("front_door", "bedroom_pir")
    events = engine.drain_events()
    assert events[-1] == AlarmRaised(
        at=at(105), kind=AlarmKind.INTRUSION, detector_id="bedroom_pir", zone_id="upstairs"
    )


def test_zero_entry_delay_triggers_on_entry_door() -> None:
    engine = armed_engine(entry_delay=timedelta(0))
    engine.detector_changed("front_door", Reading.ON, at(100))
    assert engine.state is PanelState.TRIGGERED
    assert kinds(engine.drain_events()) == ["StateChanged", "AlarmRaised"]


def test_alarm_ends_back_armed_and_held_detector_does_not_retrigger() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    engine.drain_events()
    engine.tick(at(279))
    assert engine.state is PanelState.TRIGGERED
    engine.tick(at(280))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.tripped == ("window",)  # alarm memory until disarm
    assert not engine.zone_in_alarm("ground")
    assert engine.drain_events() == [
        StateChanged(at=at(280), old=PanelState.TRIGGERED, new=PanelState.ARMED_TOTAL, actor=None)
    ]
    engine.detector_changed("window", Reading.ON, at(290))
    assert engine.state is PanelState.ARMED_TOTAL
    engine.detector_changed("window", Reading.OFF, at(300))
    engine.detector_changed("window", Reading.ON, at(310))
    assert engine.state is PanelState.TRIGGERED
    assert engine.drain_events()[-1] == AlarmRaised(
        at=at(310), kind=AlarmKind.INTRUSION, detector_id="window", zone_id="ground"
    )


def test_more_detectors_while_triggered_are_reported_once_without_extending() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    engine.drain_events()
    engine.detector_changed("living_cam", Reading.ON, at(110))
    engine.detector_changed("living_cam", Reading.OFF, at(111))
    engine.detector_changed("living_cam", Reading.ON, at(112))
    engine.detector_changed("window", Reading.OFF, at(113))
    engine.detector_changed("window", Reading.ON, at(114))
    assert engine.tripped == ("window", "living_cam")
    assert engine.drain_events() == [
        AlarmRaised(
            at=at(110), kind=AlarmKind.INTRUSION, detector_id="living_cam", zone_id="ground"
        )
    ]
    assert engine.next_deadline() == at(280)


def test_disarm_during_alarm_clears_it() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    engine.drain_events()
    engine.disarm(CAROL, at(150))
    assert engine.state is PanelState.DISARMED
    assert engine.tripped == ()
    assert kinds(engine.drain_events()) == ["StateChanged", "AlarmCleared"]


def test_partial_mode_ignores_upstairs() -> None:
    engine = armed_engine(ArmMode.PARTIAL)
    engine.detector_changed("bedroom_pir", Reading.ON, at(100))
    engine.detector_changed("bedroom_window", Reading.ON, at(101))
    assert engine.state is PanelState.ARMED_PARTIAL
    engine.detector_changed("living_cam", Reading.ON, at(102))
    assert engine.state is PanelState.TRIGGERED
    engine.tick(at(282))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_intrusion_detectors_are_ignored_while_disarmed() -> None:
    engine = make_engine()
    for detector_id in ("front_door", "window", "hall_pir", "living_cam", "bedroom_pir"):
        engine.detector_changed(detector_id, Reading.ON, at(1))
    assert engine.state is PanelState.DISARMED
    assert engine.drain_events() == []


@pytest.mark.parametrize(
    ("detector_id", "kind", "zone_id"),
    [("smoke", AlarmKind.SMOKE, "upstairs"), ("flood", AlarmKind.FLOOD, "ground")],
)
def test_life_safety_detector_while_disarmed(
    detector_id: str, kind: AlarmKind, zone_id: str
) -> None:
    engine = make_engine()
    engine.detector_changed(detector_id, Reading.ON, at(10))
    assert engine.state is PanelState.TRIGGERED
    assert engine.mode is None
    assert engine.tripped == (detector_id,)
    assert engine.zone_in_alarm(zone_id)
    assert engine.drain_events() == [
        StateChanged(at=at(10), old=PanelState.DISARMED, new=PanelState.TRIGGERED, actor=None),
        AlarmRaised(at=at(10), kind=kind, detector_id=detector_id, zone_id=zone_id),
    ]
    engine.tick(at(190))
    assert engine.state is PanelState.DISARMED
    assert engine.tripped == ()
    # still ON: no new alarm; a new OFF->ON is one
    engine.detector_changed(detector_id, Reading.ON, at(200))
    assert engine.state is PanelState.DISARMED
    engine.detector_changed(detector_id, Reading.OFF, at(210))
    engine.detector_changed(detector_id, Reading.ON, at(220))
    assert engine.state is PanelState.TRIGGERED


def test_smoke_while_armed_returns_to_armed() -> None:
    engine = armed_engine()
    engine.detector_changed("smoke", Reading.ON, at(100))
    assert engine.state is PanelState.TRIGGERED
    assert engine.mode is ArmMode.TOTAL
    engine.tick(at(280))
    assert engine.state is PanelState.ARMED_TOTAL


def test_smoke_during_entry_delay_triggers_and_while_triggered_is_reported() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    engine.detector_changed("smoke", Reading.ON, at(105))
    assert engine.state is PanelState.TRIGGERED
    engine.drain_events()
    engine.detector_changed("flood", Reading.ON, at(106))
    assert engine.state is PanelState.TRIGGERED
    assert engine.drain_events() == [
        AlarmRaised(at=at(106), kind=AlarmKind.FLOOD, detector_id="flood", zone_id="ground")
    ]
    assert engine.next_deadline() == at(285)


def test_smoke_during_exit_delay_returns_to_the_mode_being_armed() -> None:
    engine = make_engine()
    engine.arm(ArmMode.PARTIAL, ALICE, T0)
    engine.detector_changed("smoke", Reading.ON, at(10))
    assert engine.state is PanelState.TRIGGERED
    engine.tick(at(190))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_first_reading_on_alarms_for_smoke_but_not_for_intrusion() -> None:
    fresh = AlarmEngine(make_config())
    fresh.detector_changed("smoke", Reading.ON, T0)
    assert fresh.state is PanelState.TRIGGERED
    # an intrusion detector with no known reading yet: ON only sets the baseline
    other = AlarmEngine(make_config())
    other.arm(ArmMode.TOTAL, ALICE, T0)
    other.tick(at(60))
    other.detector_changed("window", Reading.ON, at(70))
    assert other.state is PanelState.ARMED_TOTAL


def test_panic_trigger_from_disarmed() -> None:
    engine = make_engine()
    engine.trigger(APP, at(5))
    assert engine.state is PanelState.TRIGGERED
    assert engine.changed_by is None
    assert engine.drain_events() == [
        StateChanged(at=at(5), old=PanelState.DISARMED, new=PanelState.TRIGGERED, actor=APP),
        AlarmRaised(at=at(5), kind=AlarmKind.INTRUSION, detector_id=None, zone_id=None),
    ]
    engine.trigger(APP, at(6))
    assert engine.drain_events() == []
    assert engine.next_deadline() == at(185)
    engine.tick(at(185))
    assert engine.state is PanelState.DISARMED


def test_panic_trigger_while_armed_returns_to_armed() -> None:
    engine = armed_engine()
    engine.trigger(APP, at(100))
    assert engine.changed_by == ALICE
    engine.tick(at(280))
    assert engine.state is PanelState.ARMED_TOTAL


def test_tamper_alarms_in_any_state_but_triggers_only_when_armed() -> None:
    engine = make_engine()
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(1))
    assert engine.state is PanelState.DISARMED
    assert engine.tampered == {"bedroom_pir"}
    assert engine.drain_events() == [
        AlarmRaised(at=at(1), kind=AlarmKind.TAMPER, detector_id="bedroom_pir", zone_id="upstairs")
    ]
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(2))
    assert engine.drain_events() == []
    engine.tamper_changed("bedroom_pir", tampered=False, now=at(3))
    assert engine.tampered == frozenset()
    engine.arm(ArmMode.TOTAL, ALICE, at(4))
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(5))
    assert engine.state is PanelState.ARMING
    engine.tamper_changed("bedroom_pir", tampered=False, now=at(6))
    engine.tick(at(64))
    engine.drain_events()
    engine.tamper_changed("window", tampered=True, now=at(70))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("window",)
    assert kinds(engine.drain_events()) == ["StateChanged", "AlarmRaised"]
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(71))
    assert engine.drain_events() == [
        AlarmRaised(at=at(71), kind=AlarmKind.TAMPER, detector_id="bedroom_pir", zone_id="upstairs")
    ]


def test_tamper_during_entry_delay_triggers() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    engine.tamper_changed("hall_pir", tampered=True, now=at(101))
    assert engine.state is PanelState.TRIGGERED


def test_unavailable_is_never_an_intrusion() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.UNAVAILABLE, at(100))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.drain_events() == []


def test_transition_is_measured_across_unavailability() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.UNAVAILABLE, at(100))
    engine.detector_changed("window", Reading.ON, at(110))
    assert engine.state is PanelState.TRIGGERED  # OFF -> unavailable -> ON


def test_held_on_detector_is_not_retriggered_by_unavailability() -> None:
    engine = make_engine()
    engine.detector_changed("living_cam", Reading.ON, T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.tick(at(60))
    engine.detector_changed("living_cam", Reading.UNAVAILABLE, at(100))
    assert engine.open_detectors >= {"living_cam"}  # the last known reading is kept
    engine.detector_changed("living_cam", Reading.ON, at(110))
    assert engine.state is PanelState.ARMED_TOTAL  # ON -> unavailable -> ON


def test_supervision_raises_and_clears_faults() -> None:
    engine = make_engine()
    engine.detector_changed("bedroom_pir", Reading.UNAVAILABLE, at(10))
    assert engine.next_deadline() == at(310)
    engine.detector_changed("bedroom_pir", Reading.UNAVAILABLE, at(100))  # keeps the first time
    engine.tick(at(309))
    assert engine.faults == frozenset()
    engine.tick(at(310))
    assert engine.faults == {"bedroom_pir"}
    assert engine.next_deadline() is None
    assert engine.drain_events() == [FaultRaised(at=at(310), detector_id="bedroom_pir")]
    engine.tick(at(400))
    assert engine.drain_events() == []
    engine.detector_changed("bedroom_pir", Reading.OFF, at(500))
    assert engine.faults == frozenset()
    assert engine.drain_events() == [FaultCleared(at=at(500), detector_id="bedroom_pir")]


def test_short_unavailability_is_no_fault() -> None:
    engine = make_engine()
    engine.detector_changed("flood", Reading.UNAVAILABLE, at(10))
    engine.detector_changed("flood", Reading.OFF, at(20))
    engine.tick(at(1000))
    assert engine.faults == frozenset()
    assert engine.next_deadline() is None
    assert engine.drain_events() == []


def test_next_deadline_is_the_earliest_timer() -> None:
    engine = make_engine()
    assert engine.next_deadline() is None
    engine.detector_changed("bedroom_pir", Reading.UNAVAILABLE, at(-290))
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    assert engine.next_deadline() == at(10)
    engine.tick(at(10))
    assert engine.next_deadline() == at(60)


def test_late_timer_is_caught_up_before_a_detector_change() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("window", Reading.ON, at(61))  # the exit timer has not fired yet
    assert engine.state is PanelState.TRIGGERED
    assert kinds(engine.drain_events()) == [
        "StateChanged",
        "StateChanged",
        "StateChanged",
        "AlarmRaised",
    ]


def test_disarm_after_entry_delay_ran_out_still_reports_the_alarm() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    engine.drain_events()
    engine.disarm(ALICE, at(131))
    assert engine.state is PanelState.DISARMED
    assert kinds(engine.drain_events()) == [
        "StateChanged",
        "AlarmRaised",
        "StateChanged",
        "AlarmCleared",
    ]


def test_remaining_never_goes_negative() -> None:
    engine = make_engine()
    assert engine.remaining(T0) is None
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    assert engine.remaining(at(100)) == timedelta(0)


def test_zone_in_alarm_checks_zone_exists() -> None:
    engine = make_engine()
    assert not engine.zone_in_alarm("ground")
    with pytest.raises(KeyError):
        engine.zone_in_alarm("garage")


def test_unknown_detector_is_a_key_error() -> None:
    engine = make_engine()
    with pytest.raises(KeyError):
        engine.detector_changed("garage_door", Reading.ON, T0)
    with pytest.raises(KeyError):
        engine.tamper_changed("garage_door", tampered=True, now=T0)
