"""Lowering protection and bypassing detectors need a person: never an anonymous actor."""

import pytest

from custom_components.imaprotect.core import (
    ArmMode,
    ArmRefused,
    Bypassed,
    NotAllowedError,
    PanelState,
    Reading,
)
from tests.core.builders import ALICE, APP, AUTOMATION, BOB, T0, armed_engine, at, make_engine


@pytest.mark.parametrize("code_arm_required", [False, True])
@pytest.mark.parametrize("actor", [APP, AUTOMATION], ids=["app", "automation"])
def test_lowering_total_to_partial_without_a_person_is_refused(
    code_arm_required: bool, actor: object
) -> None:
    engine = armed_engine(ArmMode.TOTAL, code_arm_required=code_arm_required)
    with pytest.raises(NotAllowedError) as info:
        engine.arm(ArmMode.PARTIAL, actor, at(100))  # type: ignore[arg-type]
    assert info.value.reason == "code_required"
    assert engine.state is PanelState.ARMED_TOTAL
    assert engine.zone_armed("upstairs")
    [event] = engine.drain_events()
    assert isinstance(event, ArmRefused)
    assert (event.reason, event.mode) == ("code_required", ArmMode.PARTIAL)


def test_lowering_needs_both_rights_and_works_for_a_person_who_has_them() -> None:
    engine = armed_engine(ArmMode.TOTAL)
    with pytest.raises(NotAllowedError, match="may_not_disarm"):
        engine.arm(ArmMode.PARTIAL, BOB, at(100))
    engine.arm(ArmMode.PARTIAL, ALICE, at(101))
    assert engine.state is PanelState.ARMED_PARTIAL


def test_raising_and_first_arming_stay_open_to_anonymous_actors() -> None:
    engine = make_engine()
    engine.arm(ArmMode.PARTIAL, APP, T0)
    engine.tick(at(60))
    engine.arm(ArmMode.TOTAL, AUTOMATION, at(61))
    assert engine.state is PanelState.ARMING


@pytest.mark.parametrize("window", [Reading.ON, Reading.OFF])
def test_force_without_a_person_is_refused(window: Reading) -> None:
    engine = make_engine()
    engine.detector_changed("window", window, T0)
    engine.drain_events()
    with pytest.raises(NotAllowedError) as info:
        engine.arm(ArmMode.TOTAL, APP, at(1), force=True)
    assert info.value.reason == "code_required"
    assert engine.state is PanelState.DISARMED
    assert engine.bypassed == frozenset()
    [event] = engine.drain_events()
    assert isinstance(event, ArmRefused)
    assert event.reason == "code_required"


def test_force_with_a_person_bypasses() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.arm(ArmMode.TOTAL, ALICE, at(1), force=True)
    assert engine.bypassed == {"window"}
    assert Bypassed(at=at(1), actor=ALICE, detector_ids=("window",)) in engine.drain_events()
