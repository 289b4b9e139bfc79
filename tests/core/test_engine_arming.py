from datetime import timedelta

import pytest

from custom_components.imaprotect.core import (
    AlarmEngine,
    AlarmError,
    AlarmKind,
    AlarmRaised,
    ArmMode,
    ArmRefused,
    ArmRefusedError,
    Bypassed,
    NotAllowedError,
    PanelState,
    Reading,
    StateChanged,
)
from tests.core.builders import (
    ALICE,
    APP,
    AUTOMATION,
    BOB,
    CAROL,
    T0,
    armed_engine,
    at,
    kinds,
    make_config,
    make_engine,
)


def test_arm_total_goes_through_exit_delay() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    assert engine.state is PanelState.ARMING
    assert engine.mode is ArmMode.TOTAL
    assert engine.changed_by == ALICE
    assert engine.remaining(at(15)) == timedelta(seconds=45)
    assert engine.next_deadline() == at(60)
    assert engine.drain_events() == [
        StateChanged(at=T0, old=PanelState.DISARMED, new=PanelState.ARMING, actor=ALICE)
    ]
    engine.tick(at(59))
    assert engine.state is PanelState.ARMING
    assert engine.drain_events() == []
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.remaining(at(60)) is None
    assert engine.next_deadline() is None
    assert engine.changed_by == ALICE
    assert engine.drain_events() == [
        StateChanged(at=at(60), old=PanelState.ARMING, new=PanelState.ARMED_TOTAL, actor=None)
    ]


def test_zero_exit_delay_arms_at_once() -> None:
    engine = make_engine(exit_delay=timedelta(0))
    engine.arm(ArmMode.PARTIAL, APP, T0)
    assert engine.state is PanelState.ARMED_PARTIAL
    assert engine.next_deadline() is None
    assert kinds(engine.drain_events()) == ["StateChanged"]


def test_watched_sets() -> None:
    engine = make_engine()
    total = {d.id for d in engine.armed_detectors(ArmMode.TOTAL)}
    partial = {d.id for d in engine.armed_detectors(ArmMode.PARTIAL)}
    assert total == {
        "front_door",
        "window",
        "hall_pir",
        "living_cam",
        "bedroom_pir",
        "bedroom_window",
    }
    assert partial == {"front_door", "window", "hall_pir", "living_cam"}


def test_open_window_refuses_arming() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.detector_changed("front_door", Reading.ON, T0)
    assert engine.open_detectors == {"window", "front_door"}
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(1))
    assert info.value.reason == "open_detectors"
    assert set(info.value.detector_ids) == {"window", "front_door"}
    assert isinstance(info.value, AlarmError)
    assert engine.state is PanelState.DISARMED
    assert engine.changed_by is None
    [event] = engine.drain_events()
    assert isinstance(event, ArmRefused)
    assert event.reason == "open_detectors"
    assert event.mode is ArmMode.TOTAL
    assert set(event.detector_ids) == {"window", "front_door"}


def test_open_window_upstairs_does_not_block_partial_arming() -> None:
    engine = make_engine()
    engine.detector_changed("bedroom_window", Reading.ON, T0)
    engine.arm(ArmMode.PARTIAL, ALICE, T0)
    assert engine.state is PanelState.ARMING
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_motion_and_smoke_readings_do_not_block_arming() -> None:
    engine = make_engine()
    engine.detector_changed("hall_pir", Reading.ON, T0)
    engine.detector_changed("living_cam", Reading.ON, T0)
    engine.drain_events()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    # held ON through the exit delay: only a fresh OFF->ON counts
    engine.detector_changed("hall_pir", Reading.ON, at(70))
    assert engine.state is PanelState.ARMED_TOTAL
    engine.detector_changed("hall_pir", Reading.OFF, at(80))
    engine.detector_changed("hall_pir", Reading.ON, at(90))
    assert engine.state is PanelState.PENDING


def test_force_bypasses_open_detectors_until_disarm() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0, force=True)
    assert engine.bypassed == {"window"}
    assert kinds(engine.drain_events()) == ["Bypassed", "StateChanged"]
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    engine.detector_changed("window", Reading.OFF, at(70))
    engine.detector_changed("window", Reading.ON, at(80))
    assert engine.state is PanelState.ARMED_TOTAL
    engine.disarm(ALICE, at(90))
    assert engine.bypassed == frozenset()


def test_force_without_open_detectors_bypasses_nothing() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0, force=True)
    assert engine.bypassed == frozenset()
    assert not any(isinstance(e, Bypassed) for e in engine.drain_events())


def test_bypassed_event_names_actor_and_detectors() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.arm(ArmMode.TOTAL, ALICE, at(3), force=True)
    assert engine.drain_events()[0] == Bypassed(at=at(3), actor=ALICE, detector_ids=("window",))


def test_door_opening_during_exit_delay_does_not_cancel_arming() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("front_door", Reading.ON, at(10))
    engine.detector_changed("hall_pir", Reading.ON, at(11))
    engine.detector_changed("window", Reading.ON, at(12))
    engine.detector_changed("window", Reading.OFF, at(13))
    engine.detector_changed("front_door", Reading.OFF, at(20))
    assert engine.state is PanelState.ARMING
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.tripped == ()


def test_entry_door_left_open_at_exit_end_starts_entry_delay() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("front_door", Reading.ON, at(50))
    engine.drain_events()
    engine.tick(at(60))
    assert engine.state is PanelState.PENDING
    assert engine.tripped == ("front_door",)
    assert engine.next_deadline() == at(90)
    assert engine.drain_events() == [
        StateChanged(at=at(60), old=PanelState.ARMING, new=PanelState.PENDING, actor=None)
    ]
    engine.tick(at(90))
    assert engine.state is PanelState.TRIGGERED
    assert kinds(engine.drain_events()) == ["StateChanged", "AlarmRaised"]


def test_other_opening_left_open_at_exit_end_triggers() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("front_door", Reading.ON, at(40))
    engine.detector_changed("bedroom_window", Reading.ON, at(50))
    engine.drain_events()
    engine.tick(at(60))
    assert engine.state is PanelState.TRIGGERED
    assert set(engine.tripped) == {"front_door", "bedroom_window"}
    events = engine.drain_events()
    assert kinds(events) == ["StateChanged", "AlarmRaised"]
    assert events[1].detector_id == "bedroom_window"  # type: ignore[union-attr]
    assert events[1].zone_id == "upstairs"  # type: ignore[union-attr]


def test_entry_door_left_open_without_entry_delay_triggers() -> None:
    engine = make_engine(entry_delay=timedelta(0))
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("front_door", Reading.ON, at(50))
    engine.drain_events()
    engine.tick(at(60))
    assert engine.state is PanelState.TRIGGERED
    events = engine.drain_events()
    assert events[1].detector_id == "front_door"  # type: ignore[union-attr]


def test_arm_refusals_by_state() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    with pytest.raises(NotAllowedError, match="arming_in_progress"):
        engine.arm(ArmMode.PARTIAL, ALICE, at(1))
    engine.tick(at(60))
    with pytest.raises(NotAllowedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(61))
    assert info.value.reason == "already_armed"
    engine.detector_changed("front_door", Reading.ON, at(62))
    with pytest.raises(NotAllowedError, match="alarm_in_progress"):
        engine.arm(ArmMode.PARTIAL, ALICE, at(63))
    engine.tick(at(92))
    assert engine.state is PanelState.TRIGGERED
    with pytest.raises(NotAllowedError, match="alarm_in_progress"):
        engine.arm(ArmMode.PARTIAL, ALICE, at(93))
    assert not any(isinstance(e, ArmRefused) for e in engine.drain_events())


def test_switch_from_partial_to_total_goes_through_arming() -> None:
    engine = armed_engine(ArmMode.PARTIAL)
    engine.arm(ArmMode.TOTAL, BOB, at(100))
    assert engine.state is PanelState.ARMING
    assert engine.mode is ArmMode.TOTAL
    assert engine.changed_by == BOB
    assert engine.drain_events() == [
        StateChanged(at=at(100), old=PanelState.ARMED_PARTIAL, new=PanelState.ARMING, actor=BOB)
    ]
    engine.tick(at(160))
    assert engine.state is PanelState.ARMED_TOTAL


def test_lowering_from_total_to_partial_needs_disarm_right() -> None:
    engine = armed_engine(ArmMode.TOTAL)
    with pytest.raises(NotAllowedError, match="may_not_disarm"):
        engine.arm(ArmMode.PARTIAL, BOB, at(100))
    assert engine.state is PanelState.ARMED_TOTAL
    [event] = engine.drain_events()
    assert isinstance(event, ArmRefused)
    assert event.reason == "not_allowed"
    engine.arm(ArmMode.PARTIAL, ALICE, at(101))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_switch_keeps_earlier_bypasses_and_checks_new_open_detectors() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.arm(ArmMode.PARTIAL, ALICE, T0, force=True)
    engine.tick(at(60))
    engine.detector_changed("bedroom_window", Reading.ON, at(70))
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(80))
    assert info.value.detector_ids == ("bedroom_window",)
    engine.arm(ArmMode.TOTAL, ALICE, at(81), force=True)
    assert engine.bypassed == {"window", "bedroom_window"}


def test_person_without_arm_right_is_refused() -> None:
    engine = make_engine()
    with pytest.raises(NotAllowedError, match="may_not_arm"):
        engine.arm(ArmMode.TOTAL, CAROL, T0)
    [event] = engine.drain_events()
    assert event == ArmRefused(
        at=T0, actor=CAROL, mode=ArmMode.TOTAL, detector_ids=(), reason="not_allowed"
    )
    assert engine.state is PanelState.DISARMED


def test_unknown_person_is_refused() -> None:
    engine = make_engine()
    ghost = ALICE.__class__(ALICE.method, "ghost", "Ghost")
    with pytest.raises(NotAllowedError, match="unknown_person"):
        engine.arm(ArmMode.TOTAL, ghost, T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    with pytest.raises(NotAllowedError, match="unknown_person"):
        engine.disarm(ghost, at(1))


def test_code_required_refuses_arming_without_person() -> None:
    engine = make_engine(code_arm_required=True)
    with pytest.raises(NotAllowedError) as info:
        engine.arm(ArmMode.TOTAL, AUTOMATION, T0)
    assert info.value.reason == "code_required"
    [event] = engine.drain_events()
    assert isinstance(event, ArmRefused)
    assert event.reason == "code_required"
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    assert engine.state is PanelState.ARMING


def test_automation_may_arm_when_no_code_required() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, AUTOMATION, T0)
    assert engine.changed_by == AUTOMATION
    assert engine.changed_by.label == "automation"


def test_disarm_from_arming_and_armed() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.drain_events()
    engine.disarm(CAROL, at(5))
    assert engine.state is PanelState.DISARMED
    assert engine.mode is None
    assert engine.changed_by == CAROL
    assert engine.next_deadline() is None
    assert engine.drain_events() == [
        StateChanged(at=at(5), old=PanelState.ARMING, new=PanelState.DISARMED, actor=CAROL)
    ]
    engine.arm(ArmMode.TOTAL, ALICE, at(10))
    engine.tick(at(70))
    engine.disarm(APP, at(80))
    assert engine.state is PanelState.DISARMED
    assert kinds(engine.drain_events()) == ["StateChanged", "StateChanged", "StateChanged"]


def test_disarm_refusals() -> None:
    engine = make_engine()
    with pytest.raises(NotAllowedError, match="already_disarmed"):
        engine.disarm(ALICE, T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    with pytest.raises(NotAllowedError, match="may_not_disarm"):
        engine.disarm(BOB, at(1))
    assert engine.state is PanelState.ARMING


def test_zone_armed_follows_mode_and_state() -> None:
    engine = make_engine()
    assert not engine.zone_armed("ground")
    engine.arm(ArmMode.PARTIAL, ALICE, T0)
    assert not engine.zone_armed("ground")
    engine.tick(at(60))
    assert engine.zone_armed("ground")
    assert not engine.zone_armed("upstairs")
    engine.arm(ArmMode.TOTAL, ALICE, at(61))
    assert engine.state is PanelState.ARMING
    assert engine.zone_armed("ground")  # raising: the night zones stay watched
    assert not engine.zone_armed("upstairs")
    engine.tick(at(121))
    assert engine.zone_armed("upstairs")
    with pytest.raises(KeyError):
        engine.zone_armed("garage")


def test_naive_time_is_refused() -> None:
    engine = make_engine()
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.arm(ArmMode.TOTAL, ALICE, T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.remaining(T0.replace(tzinfo=None))


def test_repr_is_short_and_secret_free() -> None:
    engine = AlarmEngine(make_config())
    assert repr(engine) == "AlarmEngine(state=disarmed, mode=None)"
    assert engine.config.settings.exit_delay == timedelta(seconds=60)


def test_switch_mode_without_exit_delay_is_immediate() -> None:
    engine = armed_engine(ArmMode.TOTAL, exit_delay=timedelta(0))
    engine.arm(ArmMode.PARTIAL, ALICE, at(100))
    assert engine.state is PanelState.ARMED_PARTIAL
    assert engine.drain_events() == [
        StateChanged(
            at=at(100), old=PanelState.ARMED_TOTAL, new=PanelState.ARMED_PARTIAL, actor=ALICE
        )
    ]


# ----------------------------------------------------------------- lowering TOTAL -> PARTIAL


def test_lowering_takes_effect_at_once_without_a_gap() -> None:
    engine = armed_engine(ArmMode.TOTAL)
    engine.arm(ArmMode.PARTIAL, ALICE, at(100))
    assert engine.state is PanelState.ARMED_PARTIAL
    assert engine.mode is ArmMode.PARTIAL
    assert engine.held_mode is None
    assert engine.changed_by == ALICE
    assert engine.next_deadline() is None
    assert engine.remaining(at(100)) is None
    assert engine.drain_events() == [
        StateChanged(
            at=at(100), old=PanelState.ARMED_TOTAL, new=PanelState.ARMED_PARTIAL, actor=ALICE
        )
    ]
    assert engine.zone_armed("ground")
    assert not engine.zone_armed("upstairs")
    # upstairs is free at once, the ground floor is still watched the very same second
    engine.detector_changed("bedroom_pir", Reading.ON, at(100))
    assert engine.state is PanelState.ARMED_PARTIAL
    engine.detector_changed("window", Reading.ON, at(100))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("window",)
    engine.tick(at(280))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_lowering_keeps_the_bypasses() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.detector_changed("bedroom_window", Reading.ON, T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0, force=True)
    engine.tick(at(60))
    engine.drain_events()
    engine.arm(ArmMode.PARTIAL, ALICE, at(100))
    assert engine.bypassed == {"window", "bedroom_window"}
    assert kinds(engine.drain_events()) == ["StateChanged"]  # nothing new to bypass
    engine.detector_changed("window", Reading.OFF, at(110))
    engine.detector_changed("window", Reading.ON, at(120))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_lowering_still_refuses_an_open_unbypassed_detector() -> None:
    engine = armed_engine(ArmMode.TOTAL)
    engine.detector_changed("window", Reading.ON, at(100))
    engine.tick(at(280))  # the alarm has ended, the window is still open
    assert engine.state is PanelState.ARMED_TOTAL
    with pytest.raises(ArmRefusedError):
        engine.arm(ArmMode.PARTIAL, ALICE, at(300))
    assert engine.state is PanelState.ARMED_TOTAL
    engine.arm(ArmMode.PARTIAL, ALICE, at(301), force=True)
    assert engine.state is PanelState.ARMED_PARTIAL
    assert engine.bypassed == {"window"}


# ----------------------------------------------------------------- raising PARTIAL -> TOTAL


def raising_engine() -> AlarmEngine:
    """Armed partial by Alice at T0, raised to total by Alice at ``at(100)``, events drained."""
    engine = armed_engine(ArmMode.PARTIAL)
    engine.arm(ArmMode.TOTAL, ALICE, at(100))
    engine.drain_events()
    return engine


def test_raising_keeps_the_night_zones_watched_during_the_exit_delay() -> None:
    engine = raising_engine()
    assert engine.state is PanelState.ARMING
    assert engine.mode is ArmMode.TOTAL
    assert engine.held_mode is ArmMode.PARTIAL
    assert engine.next_deadline() == at(160)
    engine.detector_changed("window", Reading.ON, at(110))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("window",)
    assert engine.drain_events() == [
        StateChanged(at=at(110), old=PanelState.ARMING, new=PanelState.TRIGGERED, actor=None),
        AlarmRaised(at=at(110), kind=AlarmKind.INTRUSION, detector_id="window", zone_id="ground"),
    ]
    assert engine.zone_in_alarm("ground")


@pytest.mark.parametrize("detector_id", ["window", "living_cam"])
def test_any_immediate_night_detector_alarms_during_a_raise(detector_id: str) -> None:
    engine = raising_engine()
    engine.detector_changed(detector_id, Reading.ON, at(110))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == (detector_id,)


def test_an_alarm_during_a_raise_falls_back_to_partial() -> None:
    engine = raising_engine()
    engine.detector_changed("window", Reading.ON, at(110))
    assert engine.mode is ArmMode.PARTIAL
    assert engine.held_mode is None
    assert engine.next_deadline() == at(290)  # the alarm; the exit delay is over
    # the people still upstairs are not reported as intruders
    engine.detector_changed("bedroom_pir", Reading.ON, at(120))
    assert engine.tripped == ("window",)
    assert not engine.zone_armed("upstairs")
    engine.drain_events()
    engine.tick(at(290))
    assert engine.state is PanelState.ARMED_PARTIAL
    assert engine.drain_events() == [
        StateChanged(at=at(290), old=PanelState.TRIGGERED, new=PanelState.ARMED_PARTIAL, actor=None)
    ]


def test_the_way_out_and_upstairs_are_free_during_a_raise() -> None:
    engine = raising_engine()
    for detector_id in ("bedroom_pir", "bedroom_window", "hall_pir", "front_door"):
        engine.detector_changed(detector_id, Reading.ON, at(110))
    for detector_id in ("bedroom_window", "hall_pir", "front_door"):
        engine.detector_changed(detector_id, Reading.OFF, at(120))
    assert engine.state is PanelState.ARMING
    assert engine.tripped == ()
    assert engine.drain_events() == []
    engine.tick(at(160))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.held_mode is None
    assert engine.drain_events() == [
        StateChanged(at=at(160), old=PanelState.ARMING, new=PanelState.ARMED_TOTAL, actor=None)
    ]


def test_entry_door_left_open_at_the_end_of_a_raise_starts_entry_delay() -> None:
    engine = raising_engine()
    engine.detector_changed("front_door", Reading.ON, at(150))
    engine.tick(at(160))
    assert engine.state is PanelState.PENDING
    assert engine.mode is ArmMode.TOTAL
    assert engine.held_mode is None
    assert engine.tripped == ("front_door",)
    engine.tick(at(190))
    assert engine.state is PanelState.TRIGGERED
    engine.tick(at(370))
    assert engine.state is PanelState.ARMED_TOTAL


def test_tamper_during_a_raise_is_a_panel_alarm() -> None:
    engine = raising_engine()
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(110))
    assert engine.state is PanelState.TRIGGERED
    assert engine.mode is ArmMode.PARTIAL
    assert engine.tripped == ("bedroom_pir",)


def test_smoke_and_panic_during_a_raise_fall_back_to_partial() -> None:
    engine = raising_engine()
    engine.detector_changed("smoke", Reading.ON, at(110))
    assert engine.state is PanelState.TRIGGERED
    engine.tick(at(290))
    assert engine.state is PanelState.ARMED_PARTIAL
    engine.arm(ArmMode.TOTAL, ALICE, at(300))
    engine.trigger(APP, at(310))
    assert engine.mode is ArmMode.PARTIAL
    engine.tick(at(490))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_first_arming_watches_nothing_during_the_exit_delay() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    assert engine.held_mode is None
    engine.detector_changed("window", Reading.ON, at(10))
    engine.tamper_changed("bedroom_pir", tampered=True, now=at(10))
    assert engine.state is PanelState.ARMING
    assert not engine.zone_armed("ground")


def test_disarming_during_a_raise_forgets_the_held_mode() -> None:
    engine = raising_engine()
    engine.disarm(ALICE, at(110))
    assert engine.held_mode is None
    assert engine.mode is None
    engine.detector_changed("window", Reading.ON, at(120))
    assert engine.state is PanelState.DISARMED


def test_no_mode_switch_while_raising() -> None:
    engine = raising_engine()
    with pytest.raises(NotAllowedError, match="arming_in_progress"):
        engine.arm(ArmMode.PARTIAL, ALICE, at(110))
    assert engine.state is PanelState.ARMING
    assert engine.held_mode is ArmMode.PARTIAL


def test_raise_without_exit_delay_is_immediate() -> None:
    engine = armed_engine(ArmMode.PARTIAL, exit_delay=timedelta(0))
    engine.arm(ArmMode.TOTAL, BOB, at(100))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.held_mode is None
