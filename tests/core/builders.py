"""Shared test home: two zones, every detector type, three people with different rights."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.imaprotect.core import (
    Actor,
    AlarmEngine,
    ArmMode,
    Detector,
    DetectorType,
    Event,
    HomeConfig,
    Method,
    Person,
    Reading,
    Settings,
    Zone,
    badge_digest,
    hash_code,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE_CODE = "1234"
BOB_CODE = "567890"
ALICE_BADGE = "04A1B2C3D4"
CAROL_BADGE = "CAFE0001"
BADGE_KEY = bytes(range(32))


def digest(badge_id: str) -> str:
    """The test home's stored form of a badge id."""
    return badge_digest(BADGE_KEY, badge_id)


SETTINGS = Settings(
    entry_delay=timedelta(seconds=30),
    exit_delay=timedelta(seconds=60),
    alarm_duration=timedelta(seconds=180),
    code_arm_required=False,
)

ZONES = (
    Zone(id="ground", name="Rez-de-chaussée", partial=True),
    Zone(id="upstairs", name="Étage", partial=False),
)

DETECTORS = (
    Detector("front_door", "Porte d'entrée", DetectorType.OPENING, "ground", entry_route=True),
    Detector("window", "Fenêtre salon", DetectorType.OPENING, "ground", entry_route=False),
    Detector("hall_pir", "Détecteur entrée", DetectorType.MOTION, "ground", entry_route=True),
    Detector("living_cam", "Caméra salon", DetectorType.IMAGE_MOTION, "ground", entry_route=False),
    Detector(
        "bedroom_pir", "Détecteur chambre", DetectorType.MOTION, "upstairs", entry_route=False
    ),
    Detector("bedroom_window", "Fenêtre ch.", DetectorType.OPENING, "upstairs", entry_route=False),
    Detector("smoke", "Détecteur de fumée", DetectorType.SMOKE, "upstairs", entry_route=False),
    Detector("flood", "Détecteur d'eau", DetectorType.FLOOD, "ground", entry_route=False),
)

PEOPLE = (
    Person(
        "alice",
        "Alice",
        code_hash=hash_code(ALICE_CODE, iterations=10),
        badges=(digest(ALICE_BADGE),),
        may_arm=True,
        may_disarm=True,
    ),
    Person(
        "bob",
        "Bob",
        code_hash=hash_code(BOB_CODE, iterations=10),
        badges=(),
        may_arm=True,
        may_disarm=False,
    ),
    Person(
        "carol",
        "Carol",
        code_hash=None,
        badges=(digest(CAROL_BADGE),),
        may_arm=False,
        may_disarm=True,
    ),
)

ALICE = Actor(Method.KEYPAD, "alice", "Alice")
BOB = Actor(Method.KEYPAD, "bob", "Bob")
CAROL = Actor(Method.BADGE, "carol", "Carol")
APP = Actor(Method.APP)
AUTOMATION = Actor(Method.AUTOMATION)


def at(seconds: float) -> datetime:
    """Return the test clock's time: T0 plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def make_config(**settings: Any) -> HomeConfig:
    """Build the test home, with some settings overridden."""
    return HomeConfig(
        settings=replace(SETTINGS, **settings),
        zones=ZONES,
        detectors=DETECTORS,
        people=PEOPLE,
        badge_key=BADGE_KEY,
    )


def make_engine(**settings: Any) -> AlarmEngine:
    """Build a disarmed engine whose detectors all read OFF at T0, events drained."""
    engine = AlarmEngine(make_config(**settings))
    for detector in DETECTORS:
        engine.detector_changed(detector.id, Reading.OFF, T0)
    engine.drain_events()
    return engine


def armed_engine(mode: ArmMode = ArmMode.TOTAL, **settings: Any) -> AlarmEngine:
    """Build an engine armed by Alice at T0, exit delay over at ``at(60)``, events drained."""
    engine = make_engine(**settings)
    engine.arm(mode, ALICE, T0)
    engine.tick(at(60))
    engine.drain_events()
    return engine


def kinds(events: list[Event]) -> list[str]:
    """Event class names, for compact order checks."""
    return [type(e).__name__ for e in events]
