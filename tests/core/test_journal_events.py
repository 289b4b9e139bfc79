"""What the journal keeps of the engine's events, driven through the real engine."""

from datetime import timedelta

import pytest

from custom_components.imaprotect.core import (
    Actor,
    AlarmEngine,
    AlarmError,
    AlarmKind,
    AlarmRaised,
    ArmMode,
    Bypassed,
    FaultCleared,
    Method,
    PanelState,
    Reading,
    StateChanged,
)
from custom_components.imaprotect.core.events import DuressUsed
from custom_components.imaprotect.core.journal import NOBODY, EntryKind, Who
from custom_components.imaprotect.core.journal_events import EventNotes, Note, actor_who
from tests.core.builders import (
    ALICE,
    ALICE_BADGE,
    APP,
    BOB,
    T0,
    armed_engine,
    at,
    make_config,
    make_engine,
)


def notes(engine: AlarmEngine, notes_of: EventNotes | None = None) -> list[Note]:
    """The notes of every event the engine reported since the last drain."""
    notes_of = notes_of or EventNotes(engine.config)
    found = []
    for event in engine.drain_events():
        note = notes_of.note(event, engine.mode)
        if note is not None:
            found.append(note)
    return found


def test_actor_who_names_the_person_the_user_and_the_method() -> None:
    assert actor_who(ALICE) == Who(person="Alice", method="keypad")
    assert actor_who(Actor(Method.APP, operator="admin")) == Who(user="admin", method="app")


def test_arming_and_disarming_name_who_and_the_mode() -> None:
    engine = make_engine()
    engine.arm(ArmMode.PARTIAL, ALICE, T0)  # the panel drains after each command, as here
    assert notes(engine) == [
        Note(EntryKind.ARMED, T0, Who(person="Alice", method="keypad"), {"mode": "partial"})
    ]
    engine.tick(at(60))  # the exit delay ends: nobody did that
    engine.disarm(Actor(Method.BADGE, "alice", "Alice"), at(70))
    assert notes(engine) == [Note(EntryKind.DISARMED, at(70), Who(person="Alice", method="badge"))]


def test_arming_without_exit_delay_and_raising_to_total_name_the_mode() -> None:
    engine = make_engine(exit_delay=timedelta(0))
    engine.arm(ArmMode.PARTIAL, APP, T0)
    engine.arm(ArmMode.TOTAL, APP, at(1))
    assert [(n.kind, n.details["mode"]) for n in notes(engine)] == [
        (EntryKind.ARMED, "partial"),
        (EntryKind.ARMED, "total"),
    ]


def test_an_arming_state_without_a_mode_names_none() -> None:
    event = StateChanged(at=T0, old=PanelState.DISARMED, new=PanelState.ARMING, actor=APP)
    note = EventNotes(make_config()).note(event, None)
    assert note is not None
    assert note.details == {"mode": None}


def test_refusals_name_the_detectors_and_the_reason() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.ON, T0)
    with pytest.raises(AlarmError):
        engine.arm(ArmMode.TOTAL, BOB, T0)
    engine.arm(ArmMode.TOTAL, ALICE, at(1), force=True)
    refused, bypassed, armed = notes(engine)
    assert refused == Note(
        EntryKind.ARM_REFUSED,
        T0,
        Who(person="Bob", method="keypad"),
        {"mode": "total", "reason": "open_detectors", "detectors": ("Fenêtre salon",)},
    )
    assert bypassed == Note(
        EntryKind.BYPASSED, at(1), actor_who(ALICE), {"detectors": ("Fenêtre salon",)}
    )
    assert armed.kind is EntryKind.ARMED


def test_wrong_codes_lockout_and_rejected_badges() -> None:
    engine = make_engine()
    for n in range(5):
        with pytest.raises(AlarmError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    found = notes(engine)
    assert [n.kind for n in found] == [EntryKind.CODE_REJECTED] * 5 + [EntryKind.LOCKED_OUT]
    assert found[0] == Note(EntryKind.CODE_REJECTED, T0, Who(method="keypad"), {"failures": 1})
    assert found[-1].details == {"until": (at(4) + timedelta(seconds=90)).isoformat(), "locks": 1}
    assert found[-1].who is NOBODY
    engine = make_engine()
    engine.set_badge_disabled(engine.badge_digest(ALICE_BADGE), disabled=True)
    with pytest.raises(AlarmError):
        engine.authenticate_badge(ALICE_BADGE, T0)
    [rejected] = notes(engine)
    assert rejected == Note(
        EntryKind.BADGE_REJECTED, T0, Who(method="badge"), {"badge": "c3d4", "reason": "disabled"}
    )


def test_an_intrusion_names_the_detector_and_zone_and_a_disarm_clears_it() -> None:
    engine = armed_engine()
    engine.detector_changed("window", Reading.ON, at(100))
    engine.disarm(ALICE, at(110))
    raised, disarmed, cleared = notes(engine)
    assert raised == Note(
        EntryKind.ALARM_RAISED,
        at(100),
        NOBODY,
        {"alarm": "intrusion", "detector": "Fenêtre salon", "zone": "Rez-de-chaussée"},
    )
    assert disarmed.kind is EntryKind.DISARMED
    assert cleared == Note(
        EntryKind.ALARM_CLEARED, at(110), actor_who(ALICE), {"ended_by": "disarm"}
    )


def test_the_siren_running_its_time_clears_the_alarm() -> None:
    engine = armed_engine()
    engine.detector_changed("smoke", Reading.ON, at(100))
    engine.tick(at(100 + 180))
    raised, cleared = notes(engine)
    assert raised.details["alarm"] == "smoke"
    assert cleared == Note(EntryKind.ALARM_CLEARED, at(280), NOBODY, {"ended_by": "alarm_duration"})
    assert engine.state is PanelState.ARMED_TOTAL


def test_an_alarm_raised_by_hand_names_who_and_the_next_alarm_does_not() -> None:
    engine = make_engine()
    notes_of = EventNotes(engine.config)
    engine.trigger(Actor(Method.APP, operator="admin"), T0)
    [raised] = notes(engine, notes_of)
    assert raised == Note(
        EntryKind.ALARM_RAISED,
        T0,
        Who(user="admin", method="app"),
        {"alarm": "intrusion", "detector": None, "zone": None},
    )
    engine.detector_changed("flood", Reading.ON, at(1))  # while triggered
    [flood] = notes(engine, notes_of)
    assert flood.who is NOBODY
    assert flood.details["detector"] == "Détecteur d'eau"


def test_a_manual_alarm_forgets_its_author_once_a_detector_alarm_comes_between() -> None:
    notes_of = EventNotes(make_config())
    notes_of.note(StateChanged(T0, PanelState.DISARMED, PanelState.TRIGGERED, APP), None)
    with_detector = AlarmRaised(T0, AlarmKind.TAMPER, "window", "ground")
    assert notes_of.note(with_detector, None) == Note(
        EntryKind.ALARM_RAISED,
        T0,
        NOBODY,
        {"alarm": "tamper", "detector": "Fenêtre salon", "zone": "Rez-de-chaussée"},
    )
    later = notes_of.note(AlarmRaised(T0, AlarmKind.INTRUSION, None, None), None)
    assert later is not None
    assert later.who is NOBODY


def test_faults_are_noted_with_the_detector() -> None:
    engine = make_engine()
    engine.detector_changed("window", Reading.UNAVAILABLE, T0)
    engine.tick(at(301))
    engine.detector_changed("window", Reading.OFF, at(400))
    assert notes(engine) == [
        Note(EntryKind.FAULT_RAISED, at(301), NOBODY, {"detector": "Fenêtre salon"}),
        Note(EntryKind.FAULT_CLEARED, at(400), NOBODY, {"detector": "Fenêtre salon"}),
    ]


def test_ids_a_reload_removed_are_noted_as_they_are() -> None:
    notes_of = EventNotes(make_config())
    assert notes_of.note(FaultCleared(T0, "gone"), None) == Note(
        EntryKind.FAULT_CLEARED, T0, NOBODY, {"detector": "gone"}
    )
    raised = notes_of.note(AlarmRaised(T0, AlarmKind.INTRUSION, "gone", "nowhere"), None)
    assert raised is not None
    assert raised.details == {"alarm": "intrusion", "detector": "gone", "zone": "nowhere"}
    bypassed = notes_of.note(Bypassed(T0, ALICE, ("window", "gone")), None)
    assert bypassed is not None
    assert bypassed.details == {"detectors": ("Fenêtre salon", "gone")}


def test_other_state_changes_are_not_noted() -> None:
    engine = armed_engine()
    engine.detector_changed("front_door", Reading.ON, at(100))  # entry delay: pending
    assert notes(engine) == []
    assert engine.state is PanelState.PENDING


def test_events_of_other_features_are_theirs_to_record() -> None:
    assert EventNotes(make_config()).note(object(), None) is None  # type: ignore[arg-type]


def test_a_duress_code_leaves_no_note_of_its_own() -> None:
    """The journal must not betray a duress disarm: only the disarm itself is written."""
    event = DuressUsed(at=T0, person_id="alice", method=Method.KEYPAD)
    assert EventNotes(make_config()).note(event, None) is None
