from dataclasses import replace
from datetime import timedelta

import pytest

from custom_components.imaprotect.core import (
    Actor,
    AlarmKind,
    Detector,
    DetectorType,
    Formula,
    HomeConfig,
    Method,
    PanelState,
    Person,
    Settings,
    Zone,
)
from tests.core.builders import DETECTORS, PEOPLE, SETTINGS, ZONES, digest, make_config


def test_panel_state_values_are_home_assistant_states() -> None:
    assert [s.value for s in PanelState] == [
        "disarmed",
        "arming",
        "armed_away",
        "armed_night",
        "pending",
        "triggered",
    ]


def test_enum_values_are_stable_strings() -> None:
    assert Formula.TOUT_INCLUS == "tout_inclus"
    assert AlarmKind.SOS == "sos"
    assert Method.AUTOMATION == "automation"


@pytest.mark.parametrize(
    ("kind", "always", "intrusion"),
    [
        (DetectorType.OPENING, False, True),
        (DetectorType.MOTION, False, True),
        (DetectorType.IMAGE_MOTION, False, True),
        (DetectorType.SMOKE, True, False),
        (DetectorType.FLOOD, True, False),
    ],
)
def test_detector_activity_follows_type(kind: DetectorType, always: bool, intrusion: bool) -> None:
    detector = Detector("d", "D", kind, "z", entry_route=False)
    assert detector.always_active is always
    assert detector.intrusion is intrusion


def test_actor_label_prefers_person_name() -> None:
    assert Actor(Method.KEYPAD, "alice", "Alice").label == "Alice"
    assert Actor(Method.APP).label == "app"
    assert Actor(Method.BADGE, "x", "").label == "badge"


def test_person_repr_hides_credentials() -> None:
    text = repr(PEOPLE[0])
    assert "pbkdf2" not in text
    assert "04A1" not in text
    assert "Alice" in text


def test_config_lookups() -> None:
    config = make_config()
    assert config.zone("upstairs").name == "Étage"
    assert config.detector("smoke").type is DetectorType.SMOKE
    assert config.person("bob").may_disarm is False
    for lookup in (config.zone, config.detector, config.person):
        with pytest.raises(KeyError):
            lookup("nope")


def test_config_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="duplicate zone id"):
        HomeConfig(SETTINGS, (*ZONES, ZONES[0]), DETECTORS, PEOPLE)
    with pytest.raises(ValueError, match="duplicate detector id"):
        HomeConfig(SETTINGS, ZONES, (*DETECTORS, DETECTORS[0]), PEOPLE)
    with pytest.raises(ValueError, match="duplicate person id"):
        HomeConfig(SETTINGS, ZONES, DETECTORS, (*PEOPLE, PEOPLE[0]))


def test_config_rejects_detector_in_unknown_zone() -> None:
    stray = Detector("stray", "Stray", DetectorType.MOTION, "garage", entry_route=False)
    with pytest.raises(ValueError, match="unknown zone"):
        HomeConfig(SETTINGS, ZONES, (*DETECTORS, stray), PEOPLE)


def test_config_rejects_badge_held_twice_even_in_other_case() -> None:
    twin = Person(
        "dave", "Dave", None, badges=(digest(" 04a1b2c3d4"),), may_arm=True, may_disarm=True
    )
    with pytest.raises(ValueError, match="badge is assigned twice") as info:
        HomeConfig(SETTINGS, ZONES, DETECTORS, (*PEOPLE, twin))
    assert "04" not in str(info.value)


def test_config_accepts_empty_home() -> None:
    config = HomeConfig(SETTINGS, (Zone("z", "Z", partial=False),), (), ())
    assert config.people == ()


@pytest.mark.parametrize(
    "field", ["entry_delay", "exit_delay", "alarm_duration", "supervision_window"]
)
def test_settings_reject_negative_delays(field: str) -> None:
    with pytest.raises(ValueError, match=r"negative|positive"):
        replace(SETTINGS, **{field: timedelta(seconds=-1)})


def test_settings_reject_zero_supervision_but_allow_zero_delays() -> None:
    with pytest.raises(ValueError, match="positive"):
        replace(SETTINGS, supervision_window=timedelta(0))
    zero = Settings(timedelta(0), timedelta(0), timedelta(0), code_arm_required=True)
    assert zero.supervision_window == timedelta(minutes=5)
