"""What the engine reports; the Home Assistant layer turns these into history, events and call-outs.

All events are frozen and carry ``at``, the moment the engine handled the cause. None of them
holds a code, and a rejected badge is only identified by a short hint.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from .model import Actor, AlarmKind, ArmMode, Method, PanelState


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The panel moved between states; ``actor`` is None for timer-driven changes."""

    at: datetime
    old: PanelState
    new: PanelState
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class ArmRefused:
    """Arming was refused.

    ``reason`` is "open_detectors", "faulty_detectors", "not_allowed" or "code_required". A
    refusal for open and faulty detectors at once is two events at the same instant, open first.
    """

    at: datetime
    actor: Actor
    mode: ArmMode
    detector_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Bypassed:
    """Detectors left open or in fault at a forced arming (open first); ignored until disarm."""

    at: datetime
    actor: Actor
    detector_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeRejected:
    """A wrong code was entered; nobody is known, so only the method is reported."""

    at: datetime
    method: Method
    failures: int


@dataclass(frozen=True, slots=True)
class LockedOut:
    """Too many wrong codes or rejected badges: both are refused until ``until``.

    ``locks`` counts the lockouts in a row since the last right code (1 for the first): from
    the second on, someone is still trying and the homeowner is told.
    """

    at: datetime
    until: datetime
    locks: int = 1


@dataclass(frozen=True, slots=True)
class BadgeRejected:
    """An unknown or disabled badge was presented (counts towards the lockout).

    ``badge_id_hint`` is a short tail of its id.
    """

    at: datetime
    badge_id_hint: str
    reason: str


@dataclass(frozen=True, slots=True)
class AlarmRaised:
    """An alarm condition: intrusion, smoke, flood, tamper, or an SOS (``actor`` pressed it)."""

    at: datetime
    kind: AlarmKind
    detector_id: str | None
    zone_id: str | None
    actor: Actor | None = None


@dataclass(frozen=True, slots=True)
class DuressUsed:
    """A person gave their duress code: it works as their code, and help is called silently.

    Nothing the panel shows may differ from the person's own code, so the Home Assistant layer
    never makes this a visible event.
    """

    at: datetime
    person_id: str
    method: Method


@dataclass(frozen=True, slots=True)
class AlarmCleared:
    """Someone disarmed while the panel was pending or triggered."""

    at: datetime
    actor: Actor


@dataclass(frozen=True, slots=True)
class FaultRaised:
    """A detector has been unavailable for longer than the supervision window."""

    at: datetime
    detector_id: str


@dataclass(frozen=True, slots=True)
class FaultCleared:
    """A faulty detector reports a known reading again."""

    at: datetime
    detector_id: str


Event = (
    StateChanged
    | ArmRefused
    | Bypassed
    | CodeRejected
    | LockedOut
    | BadgeRejected
    | AlarmRaised
    | AlarmCleared
    | FaultRaised
    | FaultCleared
    | DuressUsed
)
