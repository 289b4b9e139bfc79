"""SOS (silent or with the siren) and duress codes in the engine."""

from dataclasses import replace
from datetime import timedelta

import pytest

from custom_components.imaprotect.core import (
    AlarmKind,
    AlarmRaised,
    DuressUsed,
    Method,
    PanelState,
    StateChanged,
    WrongCodeError,
    hash_code,
    identify_code,
    match_code,
)
from tests.core.builders import (
    ALICE,
    ALICE_CODE,
    APP,
    PEOPLE,
    armed_engine,
    at,
    kinds,
    make_config,
    make_engine,
)

DURESS = "9911"
PEOPLE_WITH_DURESS = (
    replace(PEOPLE[0], duress_hash=hash_code(DURESS, iterations=10)),
    *PEOPLE[1:],
)


def sos() -> AlarmRaised:
    return AlarmRaised(at=at(5), kind=AlarmKind.SOS, detector_id=None, zone_id=None, actor=APP)


def test_a_silent_sos_changes_nothing_on_the_panel() -> None:
    engine = make_engine()
    engine.sos(APP, at(5))
    assert engine.state is PanelState.DISARMED
    assert engine.next_deadline() is None
    assert engine.drain_events() == [sos()]
    engine.sos(APP, at(5))  # each press is reported
    assert engine.drain_events() == [sos()]


def test_an_sos_with_the_siren_triggers_even_disarmed_then_goes_back() -> None:
    engine = make_engine()
    engine.sos(APP, at(5), siren=True)
    assert engine.state is PanelState.TRIGGERED
    assert engine.drain_events() == [
        StateChanged(at=at(5), old=PanelState.DISARMED, new=PanelState.TRIGGERED, actor=APP),
        sos(),
    ]
    engine.tick(at(5 + 180))
    assert engine.state is PanelState.DISARMED
    engine.drain_events()
    engine.sos(ALICE, at(300), siren=True)
    engine.sos(ALICE, at(301), siren=True)  # already in alarm: reported, no new state change
    assert kinds(engine.drain_events()) == ["StateChanged", "AlarmRaised", "AlarmRaised"]


def test_an_sos_with_the_siren_while_armed_returns_to_armed() -> None:
    engine = armed_engine()
    engine.sos(APP, at(100), siren=True)
    assert engine.state is PanelState.TRIGGERED
    assert engine.remaining(at(100)) == timedelta(seconds=180)
    engine.tick(at(280))
    assert engine.state is PanelState.ARMED_TOTAL


def test_a_duress_code_is_its_persons_code_with_one_more_event() -> None:
    people = PEOPLE_WITH_DURESS
    found = identify_code(people, DURESS)
    assert found is not None
    assert (found.person.id, found.duress) == ("alice", True)
    normal = identify_code(people, ALICE_CODE)
    assert normal is not None
    assert (normal.person.id, normal.duress) == ("alice", False)
    assert identify_code(people, "0000") is None
    assert match_code(people, DURESS) is None  # the plain matcher knows no duress code


def test_the_engine_reports_a_duress_code_and_resets_the_lockout() -> None:
    engine = make_engine()
    with pytest.raises(WrongCodeError):
        engine.record_code_attempt(None, at(1), Method.KEYPAD)
    engine.drain_events()
    person = engine.record_code_attempt(PEOPLE[0], at(2), Method.KEYPAD, duress=True)
    assert person is PEOPLE[0]
    assert engine.drain_events() == [DuressUsed(at=at(2), person_id="alice", method=Method.KEYPAD)]
    assert engine.state is PanelState.DISARMED  # nothing else changed
    assert engine.record_code_attempt(PEOPLE[0], at(3), Method.APP) is PEOPLE[0]
    assert engine.drain_events() == []


def test_the_duress_hash_never_shows_in_a_repr() -> None:
    config = make_config()
    assert "duress_hash" not in repr(PEOPLE_WITH_DURESS[0])
    assert "pbkdf2" not in repr(PEOPLE_WITH_DURESS[0])
    assert config.people[0].duress_hash is None
