from datetime import timedelta
import json
from typing import Any

import pytest

from custom_components.imaprotect.core import (
    Actor,
    AlarmEngine,
    AlarmKind,
    AlarmRaised,
    ArmMode,
    BadgeRejectedError,
    FaultRaised,
    LockedOutError,
    Method,
    PanelState,
    Reading,
    StateChanged,
    WrongCodeError,
)
from tests.core.builders import (
    ALICE,
    ALICE_BADGE,
    ALICE_CODE,
    APP,
    T0,
    armed_engine,
    at,
    digest,
    kinds,
    make_config,
    make_engine,
)


def round_trip(engine: AlarmEngine, now_seconds: float, **settings: Any) -> AlarmEngine:
    data = json.loads(json.dumps(engine.snapshot()))
    return AlarmEngine.restore(make_config(**settings), data, at(now_seconds))


def test_disarmed_round_trip() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, at(1))
    restored = round_trip(engine, 10)
    assert restored.state is PanelState.DISARMED
    assert restored.mode is None
    assert restored.changed_by is None
    assert restored.open_detectors == {"window"}
    assert restored.drain_events() == []
    assert restored.snapshot() == engine.snapshot()
    assert engine.snapshot()["held_mode"] is None


def test_arming_round_trip_keeps_the_absolute_deadline() -> None:
    engine = make_engine()
    engine.arm(ArmMode.PARTIAL, APP, T0)
    restored = round_trip(engine, 20)
    assert restored.state is PanelState.ARMING
    assert restored.mode is ArmMode.PARTIAL
    assert restored.changed_by == APP
    assert restored.remaining(at(20)) == timedelta(seconds=40)
    restored.tick(at(60))
    assert restored.state is PanelState.ARMED_PARTIAL


@pytest.mark.parametrize(
    ("mode", "state"),
    [(ArmMode.TOTAL, PanelState.ARMED_TOTAL), (ArmMode.PARTIAL, PanelState.ARMED_PARTIAL)],
)
def test_armed_round_trip(mode: ArmMode, state: PanelState) -> None:
    engine = armed_engine(mode)
    restored = round_trip(engine, 500)
    assert restored.state is state
    assert restored.mode is mode
    assert restored.changed_by == ALICE
    assert restored.next_deadline() is None
    restored.detector_changed("window", Reading.ON, at(501))
    assert restored.state is PanelState.TRIGGERED


def test_door_opened_while_down_is_an_intrusion_after_restore() -> None:
    engine = armed_engine()
    restored = round_trip(engine, 500)
    restored.detector_changed("front_door", Reading.ON, at(501))
    assert restored.state is PanelState.PENDING


def test_pending_round_trip_keeps_remaining_entry_delay() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    restored = round_trip(engine, 110)
    assert restored.state is PanelState.PENDING
    assert restored.tripped == ("front_door",)
    assert restored.remaining(at(110)) == timedelta(seconds=20)
    restored.disarm(ALICE, at(115))
    assert kinds(restored.drain_events()) == ["StateChanged", "AlarmCleared"]


def test_entry_delay_that_ran_out_while_down_triggers_on_restore() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    restored = round_trip(engine, 1000)
    assert restored.state is PanelState.TRIGGERED
    assert restored.remaining(at(1000)) == timedelta(seconds=180)  # a full alarm from now
    assert restored.drain_events() == [
        StateChanged(at=at(1000), old=PanelState.PENDING, new=PanelState.TRIGGERED, actor=None),
        AlarmRaised(
            at=at(1000), kind=AlarmKind.INTRUSION, detector_id="front_door", zone_id="ground"
        ),
    ]


def test_exit_fault_found_late_chains_from_the_exit_deadline() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    engine.detector_changed("front_door", Reading.ON, at(30))
    pending = round_trip(engine, 70)
    assert pending.state is PanelState.PENDING
    assert pending.next_deadline() == at(90)
    triggered = round_trip(engine, 95)
    assert triggered.state is PanelState.TRIGGERED
    assert kinds(triggered.drain_events()) == [
        "StateChanged",
        "StateChanged",
        "AlarmRaised",
    ]


def test_arming_that_ended_while_down_is_armed() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, ALICE, T0)
    restored = round_trip(engine, 3600)
    assert restored.state is PanelState.ARMED_TOTAL
    assert restored.drain_events() == [
        StateChanged(at=at(3600), old=PanelState.ARMING, new=PanelState.ARMED_TOTAL, actor=None)
    ]


def test_triggered_round_trip_and_alarm_that_ended_while_down() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    restored = round_trip(engine, 200)
    assert restored.state is PanelState.TRIGGERED
    assert restored.remaining(at(200)) == timedelta(seconds=80)
    assert restored.zone_in_alarm("ground")
    later = round_trip(engine, 1000)
    assert later.state is PanelState.ARMED_TOTAL
    assert later.tripped == ("window",)


def test_life_safety_alarm_from_disarmed_round_trip() -> None:
    engine = make_engine()
    engine.detector_changed("smoke", Reading.ON, at(10))
    restored = round_trip(engine, 20)
    assert restored.state is PanelState.TRIGGERED
    assert restored.mode is None
    restored.tick(at(190))
    assert restored.state is PanelState.DISARMED


def test_lockout_survives_a_restart() -> None:
    engine = make_engine()
    for n in range(5):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    restored = round_trip(engine, 10)
    with pytest.raises(LockedOutError):
        restored.authenticate_code(ALICE_CODE, at(10), Method.KEYPAD)


def test_badge_lockout_survives_a_restart() -> None:
    engine = make_engine()
    for n in range(5):
        with pytest.raises(BadgeRejectedError):
            engine.authenticate_badge("DEADBEEF99", at(n))
    restored = round_trip(engine, 10)
    assert restored.locked_until(at(10)) == at(94)
    with pytest.raises(LockedOutError):
        restored.authenticate_badge(ALICE_BADGE, at(10))


def raised(seconds: float) -> AlarmEngine:
    """Armed partial at T0 (armed at 60), raised to total at ``at(seconds)``."""
    engine = armed_engine(ArmMode.PARTIAL)
    engine.arm(ArmMode.TOTAL, ALICE, at(seconds))
    return engine


def test_raise_round_trip_keeps_the_night_zones_watched() -> None:
    engine = raised(100)
    assert engine.snapshot()["held_mode"] == "partial"
    restored = round_trip(engine, 110)
    assert restored.state is PanelState.ARMING
    assert restored.mode is ArmMode.TOTAL
    assert restored.held_mode is ArmMode.PARTIAL
    assert restored.next_deadline() == at(160)
    assert restored.snapshot() == engine.snapshot()
    restored.detector_changed("window", Reading.ON, at(111))
    assert restored.state is PanelState.TRIGGERED
    assert restored.mode is ArmMode.PARTIAL


def test_raise_that_ended_while_down_is_armed_total() -> None:
    restored = round_trip(raised(100), 1000)
    assert restored.state is PanelState.ARMED_TOTAL
    assert restored.held_mode is None
    assert restored.snapshot()["held_mode"] is None


def test_lowered_round_trip() -> None:
    engine = armed_engine(ArmMode.TOTAL)
    engine.arm(ArmMode.PARTIAL, ALICE, at(100))
    restored = round_trip(engine, 200)
    assert restored.state is PanelState.ARMED_PARTIAL
    assert restored.held_mode is None
    assert restored.snapshot() == engine.snapshot()


def test_snapshot_without_held_mode_still_loads() -> None:
    data = raised(100).snapshot()
    del data["held_mode"]
    restored = AlarmEngine.restore(make_config(), data, at(110))
    assert restored.state is PanelState.ARMING
    assert restored.held_mode is None


@pytest.mark.parametrize(
    ("state", "mode", "held"),
    [
        ("armed_night", "partial", "partial"),  # not arming
        ("triggered", "partial", "partial"),
        ("arming", "partial", "partial"),  # first arming, nothing held
        ("arming", "total", "total"),  # not lower
    ],
)
def test_inconsistent_held_mode_is_dropped(state: str, mode: str, held: str) -> None:
    data = {"state": state, "mode": mode, "held_mode": held, "deadline": at(60).isoformat()}
    restored = AlarmEngine.restore(make_config(), data, at(1))
    assert restored.held_mode is None


def test_supervision_state_survives_a_restart() -> None:
    engine = make_engine()
    engine.detector_changed("bedroom_pir", Reading.UNAVAILABLE, at(10))
    engine.detector_changed("flood", Reading.UNAVAILABLE, at(10))
    engine.tick(at(400))
    assert engine.faults == {"bedroom_pir", "flood"}
    engine.detector_changed("window", Reading.UNAVAILABLE, at(400))
    restored = round_trip(engine, 500)
    assert restored.faults == {"bedroom_pir", "flood"}
    assert restored.next_deadline() == at(700)
    assert restored.drain_events() == []
    late = round_trip(engine, 800)
    assert late.drain_events() == [FaultRaised(at=at(800), detector_id="window")]


def test_bypass_and_tamper_survive_a_restart() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    engine.tamper_changed("bedroom_pir", tampered=True, now=T0)
    engine.arm(ArmMode.TOTAL, ALICE, T0, force=True)
    restored = round_trip(engine, 100)
    assert restored.bypassed == {"window"}
    assert restored.tampered == {"bedroom_pir"}
    assert restored.state is PanelState.ARMED_TOTAL


def test_removed_detectors_are_dropped() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    data = engine.snapshot()
    data["bypassed"] = ["gone"]
    data["tripped"] = ["gone", "front_door", "front_door"]
    data["readings"]["gone"] = "on"
    data["readings"]["window"] = "unavailable"
    data["unavailable_since"] = {"gone": at(1).isoformat(), "window": None}
    data["faults"] = ["gone", "window"]
    data["tampered"] = ["gone"]
    restored = AlarmEngine.restore(make_config(), data, at(101))
    assert restored.bypassed == frozenset()
    assert restored.tripped == ("front_door",)
    assert "gone" not in restored.open_detectors
    assert restored.faults == frozenset()
    assert restored.tampered == frozenset()
    assert restored.next_deadline() == at(130)


def test_pending_whose_detector_was_removed_still_alarms() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))
    data = engine.snapshot()
    data["tripped"] = ["gone"]
    restored = AlarmEngine.restore(make_config(), data, at(200))
    assert restored.state is PanelState.TRIGGERED
    assert restored.drain_events()[-1] == AlarmRaised(
        at=at(200), kind=AlarmKind.INTRUSION, detector_id=None, zone_id=None
    )


def test_minimal_snapshot_and_actor_fields() -> None:
    restored = AlarmEngine.restore(
        make_config(),
        {
            "state": "armed_away",
            "changed_by": {"method": "badge", "person_id": "carol"},
            "lockout": None,
        },
        T0,
        disabled_badges=frozenset({digest("X1")}),
    )
    assert restored.state is PanelState.ARMED_TOTAL
    assert restored.mode is ArmMode.TOTAL
    assert restored.changed_by == Actor(Method.BADGE, "carol", None)
    assert restored.disabled_badges == {digest("x1")}


def test_armed_state_wins_over_a_stale_mode() -> None:
    data = armed_engine(ArmMode.PARTIAL).snapshot()
    data["mode"] = "total"
    assert AlarmEngine.restore(make_config(), data, at(100)).mode is ArmMode.PARTIAL
    data = make_engine().snapshot()
    data["mode"] = "total"
    assert AlarmEngine.restore(make_config(), data, at(100)).mode is None


BASE = {"state": "arming", "mode": "total", "deadline": at(60).isoformat()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**BASE, "version": 2}, "version"),
        ({"mode": None}, "malformed alarm snapshot"),
        ({"state": "armed_home"}, "not a valid PanelState"),
        ({**BASE, "mode": None}, "arming mode"),
        ({"state": "pending", "mode": "total"}, "deadline"),
        ({**BASE, "deadline": "2026-01-01T00:01:00"}, "timezone-aware"),
        ({**BASE, "deadline": 60}, "malformed alarm snapshot"),
        ({**BASE, "bypassed": "window"}, "malformed alarm snapshot"),
        ({**BASE, "changed_by": "alice"}, "malformed alarm snapshot"),
        ({**BASE, "changed_by": {"person_id": "alice"}}, "malformed alarm snapshot"),
        ({**BASE, "readings": {"window": "open"}}, "not a valid Reading"),
        ({**BASE, "lockout": {"failures": -1}}, "lockout"),
        ({**BASE, "held_mode": "night"}, "not a valid ArmMode"),
    ],
)
def test_malformed_snapshots_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlarmEngine.restore(make_config(), data, at(1))


def test_restore_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AlarmEngine.restore(make_config(), {"state": "disarmed"}, T0.replace(tzinfo=None))


def test_snapshot_holds_no_secrets() -> None:
    engine = armed_engine()
    text = json.dumps(engine.snapshot())
    assert "pbkdf2" not in text
    assert "04A1" not in text
    assert engine.snapshot()["version"] == 1
