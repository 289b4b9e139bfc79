"""The alarm's vocabulary: enums and the immutable configuration the engine works from.

Everything here is frozen so that a configuration can be shared between the engine and the
Home Assistant layer without anyone changing it behind the engine's back.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

# The kinds and formulas travel to the voice server: they are the contract's.
from custom_components.imaprotect.contract.enums import AlertKind as AlarmKind, Formula

__all__ = [
    "ALWAYS_ACTIVE_TYPES",
    "INTRUSION_TYPES",
    "STATION_FORMULAS",
    "Actor",
    "AlarmKind",
    "ArmMode",
    "Detector",
    "DetectorType",
    "Formula",
    "HomeConfig",
    "Method",
    "PanelState",
    "Person",
    "Reading",
    "Settings",
    "Zone",
]


class DetectorType(StrEnum):
    """What a detector senses; decides whether it needs arming and how it alarms."""

    OPENING = "opening"
    MOTION = "motion"
    IMAGE_MOTION = "image_motion"
    SMOKE = "smoke"
    FLOOD = "flood"


INTRUSION_TYPES: frozenset[DetectorType] = frozenset(
    {DetectorType.OPENING, DetectorType.MOTION, DetectorType.IMAGE_MOTION}
)
"""Detector types that only count while the panel is armed."""

ALWAYS_ACTIVE_TYPES: frozenset[DetectorType] = frozenset({DetectorType.SMOKE, DetectorType.FLOOD})
"""Life-safety detector types: active 24/7, never armed or disarmed."""

STATION_FORMULAS: frozenset[Formula] = frozenset({Formula.A_LA_CARTE, Formula.TOUT_INCLUS})
"""Formulas with a monitoring station: their homes are asked for its link when created."""


class ArmMode(StrEnum):
    """Which detectors are watched: all of them, or the "Nuit" (night) set."""

    TOTAL = "total"
    PARTIAL = "partial"


class PanelState(StrEnum):
    """Panel states; the values equal Home Assistant's ``AlarmControlPanelState`` values."""

    DISARMED = "disarmed"
    ARMING = "arming"
    ARMED_TOTAL = "armed_away"
    ARMED_PARTIAL = "armed_night"
    PENDING = "pending"
    TRIGGERED = "triggered"


class Method(StrEnum):
    """How a command reached the panel (kept in the history for the homeowner)."""

    KEYPAD = "keypad"
    BADGE = "badge"
    APP = "app"
    AUTOMATION = "automation"


class Reading(StrEnum):
    """A detector's mirrored state."""

    ON = "on"
    OFF = "off"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Zone:
    """A part of the home; ``partial=True`` zones are armed in ARMED_PARTIAL ("Nuit")."""

    id: str
    name: str
    partial: bool


@dataclass(frozen=True, slots=True)
class Detector:
    """One mirrored sensor; ``entry_route`` detectors start the entry delay instead of alarming."""

    id: str
    name: str
    type: DetectorType
    zone_id: str
    entry_route: bool

    @property
    def always_active(self) -> bool:
        """Smoke and flood detectors are active 24/7 and never need arming."""
        return self.type in ALWAYS_ACTIVE_TYPES

    @property
    def intrusion(self) -> bool:
        """Opening, motion and image-motion detectors only count while armed."""
        return self.type in INTRUSION_TYPES


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who may operate the panel.

    ``code_hash`` is an encoded PBKDF2 hash (see ``codes.hash_code``) or None for no code;
    ``badges`` are the keyed digests of the person's badge ids (``badges.badge_digest`` with
    the home's ``HomeConfig.badge_key``); ``duress_hash`` the hash of their duress code, which
    works as their code and silently calls for help. None of them appears in the repr.
    """

    id: str
    name: str
    code_hash: str | None = field(repr=False)
    badges: tuple[str, ...] = field(repr=False)
    may_arm: bool
    may_disarm: bool
    duress_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Installer settings; every delay must be zero or positive, the supervision window positive."""

    entry_delay: timedelta
    exit_delay: timedelta
    alarm_duration: timedelta
    code_arm_required: bool
    supervision_window: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if min(self.entry_delay, self.exit_delay, self.alarm_duration) < zero:
            raise ValueError("delays and alarm duration must not be negative")
        if self.supervision_window <= zero:
            raise ValueError("supervision window must be positive")


def normalize_badge(badge_id: str) -> str:
    """Badge readers differ in case and padding; compare ids stripped and case-folded."""
    return badge_id.strip().casefold()


@dataclass(frozen=True, slots=True)
class HomeConfig:
    """The whole installation.

    Checked on creation: ids are unique per kind, every detector's zone exists and no badge
    belongs to two people (otherwise a badge could not tell who is at the door). ``badge_key``
    is the home's secret key for badge digests (see ``badges``).
    """

    settings: Settings
    zones: tuple[Zone, ...]
    detectors: tuple[Detector, ...]
    people: tuple[Person, ...]
    badge_key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        for kind, ids in (
            ("zone", [z.id for z in self.zones]),
            ("detector", [d.id for d in self.detectors]),
            ("person", [p.id for p in self.people]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate {kind} id")
        zone_ids = {z.id for z in self.zones}
        for detector in self.detectors:
            if detector.zone_id not in zone_ids:
                raise ValueError(f"detector {detector.id!r} refers to an unknown zone")
        badges = [normalize_badge(b) for p in self.people for b in p.badges]
        if len(set(badges)) != len(badges):
            raise ValueError("a badge is assigned twice")

    def zone(self, zone_id: str) -> Zone:
        """Return the zone with this id; KeyError when there is none."""
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(zone_id)

    def detector(self, detector_id: str) -> Detector:
        """Return the detector with this id; KeyError when there is none."""
        for detector in self.detectors:
            if detector.id == detector_id:
                return detector
        raise KeyError(detector_id)

    def person(self, person_id: str) -> Person:
        """Return the person with this id; KeyError when there is none."""
        for person in self.people:
            if person.id == person_id:
                return person
        raise KeyError(person_id)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who (or what) asked for a change; ``label`` is what Home Assistant shows as changed_by.

    ``person_id`` is set only when a code or badge proved who it is; that alone gives rights.
    ``operator`` is who the platform says issued a command without a code (a logged-in user's
    name): it is shown and recorded, so "armed from the app" names someone, but it never stands
    for a person (it cannot lower protection or force).
    """

    method: Method
    person_id: str | None = None
    person_name: str | None = None
    operator: str | None = None

    @property
    def label(self) -> str:
        """The person's name when known, else the operator's, else the method."""
        return self.person_name or self.operator or self.method.value
