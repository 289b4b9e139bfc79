"""Fault prevents setting: a watched detector in fault refuses arming unless forced (bypass)."""

import json

import pytest

from custom_components.imaprotect.core import (
    AlarmEngine,
    AlarmError,
    ArmMode,
    ArmRefused,
    ArmRefusedError,
    Bypassed,
    FaultCleared,
    FaultRaised,
    PanelState,
    Reading,
    StateChanged,
)
from tests.core.builders import ALICE, T0, at, kinds, make_config, make_engine


def faulty_engine(*detector_ids: str) -> AlarmEngine:
    """A disarmed engine whose given detectors went unavailable at T0 and are in fault at 300 s."""
    engine = make_engine()
    for detector_id in detector_ids:
        engine.detector_changed(detector_id, Reading.UNAVAILABLE, T0)
    engine.tick(at(300))
    assert engine.faults == set(detector_ids)
    engine.drain_events()
    return engine


def test_a_watched_detector_in_fault_refuses_arming() -> None:
    engine = faulty_engine("bedroom_pir")
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(301))
    assert isinstance(info.value, AlarmError)
    assert info.value.reason == "faulty_detectors"
    assert info.value.faulty_ids == ("bedroom_pir",)
    assert info.value.open_ids == ()
    assert info.value.detector_ids == ("bedroom_pir",)
    assert "faulty_detectors" in str(info.value)
    assert engine.state is PanelState.DISARMED
    assert engine.changed_by is None
    assert engine.bypassed == frozenset()
    assert engine.drain_events() == [
        ArmRefused(
            at=at(301),
            actor=ALICE,
            mode=ArmMode.TOTAL,
            detector_ids=("bedroom_pir",),
            reason="faulty_detectors",
        )
    ]


def test_a_fault_outside_the_mode_does_not_block_it() -> None:
    engine = faulty_engine("bedroom_pir")  # upstairs: not watched in partial mode
    engine.arm(ArmMode.PARTIAL, ALICE, at(301))
    assert engine.state is PanelState.ARMING
    assert kinds(engine.drain_events()) == ["StateChanged"]


def test_a_motion_detector_in_fault_blocks_the_mode_that_watches_it() -> None:
    engine = faulty_engine("hall_pir")
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.PARTIAL, ALICE, at(301))
    assert info.value.faulty_ids == ("hall_pir",)


def test_force_bypasses_faulty_detectors_until_disarm() -> None:
    engine = faulty_engine("bedroom_pir")
    engine.arm(ArmMode.TOTAL, ALICE, at(301), force=True)
    assert engine.bypassed == {"bedroom_pir"}
    assert engine.drain_events() == [
        Bypassed(at=at(301), actor=ALICE, detector_ids=("bedroom_pir",)),
        StateChanged(at=at(301), old=PanelState.DISARMED, new=PanelState.ARMING, actor=ALICE),
    ]
    engine.tick(at(361))
    assert engine.state is PanelState.ARMED_TOTAL
    # Back from its fault, it stays bypassed until disarm, exactly like a forced open detector.
    engine.detector_changed("bedroom_pir", Reading.OFF, at(400))
    engine.detector_changed("bedroom_pir", Reading.ON, at(410))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.drain_events()[-1:] == [FaultCleared(at=at(400), detector_id="bedroom_pir")]
    engine.disarm(ALICE, at(420))
    assert engine.bypassed == frozenset()
    # Reporting again, it no longer blocks; the next arming watches it.
    engine.detector_changed("bedroom_pir", Reading.OFF, at(430))
    engine.arm(ArmMode.TOTAL, ALICE, at(440))
    engine.tick(at(500))
    engine.detector_changed("bedroom_pir", Reading.ON, at(510))
    assert engine.state is PanelState.TRIGGERED


def test_open_and_faulty_detectors_are_refused_together_open_first() -> None:
    engine = faulty_engine("bedroom_pir", "front_door")
    engine.detector_changed("window", Reading.ON, at(300))
    engine.detector_changed("bedroom_window", Reading.ON, at(300))
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(301))
    err = info.value
    assert err.reason == "open_and_faulty_detectors"
    assert set(err.open_ids) == {"window", "bedroom_window"}
    assert set(err.faulty_ids) == {"bedroom_pir", "front_door"}
    assert err.detector_ids == err.open_ids + err.faulty_ids
    refused = engine.drain_events()
    assert [(e.reason, e.detector_ids) for e in refused if isinstance(e, ArmRefused)] == [
        ("open_detectors", err.open_ids),
        ("faulty_detectors", err.faulty_ids),
    ]
    assert len(refused) == 2
    assert engine.state is PanelState.DISARMED
    # Forced: all of them bypassed at once, one Bypassed event, open ones first.
    engine.arm(ArmMode.TOTAL, ALICE, at(302), force=True)
    assert engine.bypassed == {"window", "bedroom_window", "bedroom_pir", "front_door"}
    bypassed = engine.drain_events()[0]
    assert isinstance(bypassed, Bypassed)
    assert bypassed.detector_ids == err.open_ids + err.faulty_ids


def test_a_faulty_detector_last_seen_open_is_reported_as_faulty_only() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.detector_changed("window", Reading.UNAVAILABLE, at(1))
    engine.tick(at(301))
    assert engine.open_detectors >= {"window"}  # the last known reading is kept
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(302))
    assert info.value.reason == "faulty_detectors"
    assert info.value.open_ids == ()
    assert info.value.faulty_ids == ("window",)


def test_smoke_and_flood_in_fault_never_block_arming() -> None:
    engine = faulty_engine("smoke", "flood")
    engine.arm(ArmMode.TOTAL, ALICE, at(301))
    assert engine.state is PanelState.ARMING
    assert kinds(engine.drain_events()) == ["StateChanged"]
    engine.disarm(ALICE, at(302))
    engine.arm(ArmMode.PARTIAL, ALICE, at(303), force=True)
    assert engine.bypassed == frozenset()
    assert not any(isinstance(e, Bypassed) for e in engine.drain_events())


def test_a_short_unavailability_does_not_block_arming_nor_end_it_in_an_exit_fault() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.UNAVAILABLE, at(10))
    engine.arm(ArmMode.TOTAL, ALICE, at(100))  # 90 s unavailable: a radio blip
    assert engine.state is PanelState.ARMING
    engine.tick(at(160))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.bypassed == frozenset()
    # It goes into fault while armed: a fault, never an intrusion.
    engine.tick(at(310))
    assert engine.state is PanelState.ARMED_TOTAL
    assert kinds(engine.drain_events()) == ["StateChanged", "StateChanged", "FaultRaised"]


def test_a_detector_unavailable_at_the_end_of_the_exit_delay_is_no_exit_fault() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("window", Reading.ON, at(10))  # opened on the way out
    engine.detector_changed("window", Reading.UNAVAILABLE, at(20))  # then lost
    engine.detector_changed("front_door", Reading.ON, at(30))
    engine.detector_changed("front_door", Reading.UNAVAILABLE, at(40))
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.tripped == ()
    assert kinds(engine.drain_events()) == ["StateChanged", "StateChanged"]
    # It counts again from its next known reading.
    engine.detector_changed("window", Reading.OFF, at(100))
    engine.detector_changed("window", Reading.ON, at(110))
    assert engine.state is PanelState.TRIGGERED
    assert engine.tripped == ("window",)


def test_a_fault_arising_during_the_exit_delay_does_not_stop_the_arming() -> None:
    engine = make_engine()
    engine.detector_changed("bedroom_pir", Reading.UNAVAILABLE, at(-250))
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.tick(at(50))
    assert engine.faults == {"bedroom_pir"}
    engine.tick(at(60))
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.drain_events() == [
        StateChanged(at=T0, old=PanelState.DISARMED, new=PanelState.ARMING, actor=ALICE),
        FaultRaised(at=at(50), detector_id="bedroom_pir"),
        StateChanged(at=at(60), old=PanelState.ARMING, new=PanelState.ARMED_TOTAL, actor=None),
    ]


def test_raising_to_total_checks_faults_and_keeps_earlier_bypasses() -> None:
    engine = faulty_engine("hall_pir", "bedroom_pir")
    engine.arm(ArmMode.PARTIAL, ALICE, at(301), force=True)
    assert engine.bypassed == {"hall_pir"}
    engine.tick(at(361))
    with pytest.raises(ArmRefusedError) as info:
        engine.arm(ArmMode.TOTAL, ALICE, at(362))
    assert info.value.faulty_ids == ("bedroom_pir",)  # hall_pir is bypassed already
    assert engine.state is PanelState.ARMED_PARTIAL
    engine.arm(ArmMode.TOTAL, ALICE, at(363), force=True)
    assert engine.bypassed == {"hall_pir", "bedroom_pir"}
    assert engine.state is PanelState.ARMING


def test_the_bypass_of_a_faulty_detector_survives_a_restart() -> None:
    engine = faulty_engine("bedroom_pir")
    engine.arm(ArmMode.TOTAL, ALICE, at(301), force=True)
    data = json.loads(json.dumps(engine.snapshot()))
    restored = AlarmEngine.restore(make_config(), data, at(400))
    assert restored.state is PanelState.ARMED_TOTAL
    assert restored.bypassed == {"bedroom_pir"}
    assert restored.faults == {"bedroom_pir"}
    restored.detector_changed("bedroom_pir", Reading.OFF, at(410))
    restored.detector_changed("bedroom_pir", Reading.ON, at(420))
    assert restored.state is PanelState.ARMED_TOTAL
    restored.disarm(ALICE, at(430))
    assert restored.bypassed == frozenset()
