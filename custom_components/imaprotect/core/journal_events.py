"""What the journal keeps of the engine's events: one note per arm, disarm, refusal, alarm, fault.

Notes name detectors and zones (ids change nothing for a reader), the person a code or badge
proved, the user named without a code, and the claimed method; the Home Assistant layer adds the
origin it vouches for. A disarm is a disarm, however it was made: nothing here tells a duress
disarm apart (see ``journal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from .events import (
    AlarmCleared,
    AlarmRaised,
    ArmRefused,
    BadgeRejected,
    Bypassed,
    CodeRejected,
    DuressUsed,
    FaultCleared,
    FaultRaised,
    LockedOut,
    StateChanged,
)
from .journal import NOBODY, EntryKind, Who
from .model import Method, PanelState

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from .events import Event
    from .journal import Detail
    from .model import Actor, ArmMode, HomeConfig

_ARMED_MODE = {PanelState.ARMED_TOTAL: "total", PanelState.ARMED_PARTIAL: "partial"}


@dataclass(frozen=True, slots=True)
class Note:
    """An entry to record, before the origin is known."""

    kind: EntryKind
    at: datetime
    who: Who = NOBODY
    details: Mapping[str, Detail] = field(default_factory=lambda: MappingProxyType({}))


def actor_who(actor: Actor) -> Who:
    """Who an actor names: the proven person, the user without a code, the claimed method."""
    return Who(person=actor.person_name, user=actor.operator, method=actor.method.value)


class EventNotes:
    """Turns one home's engine events into notes, in the order the engine reported them.

    It remembers one thing: who raised the alarm by hand (the state change that comes just
    before the alarm names them, the alarm itself does not).
    """

    def __init__(self, config: HomeConfig) -> None:
        self._config = config
        self._raised_by: Actor | None = None

    def _detector(self, detector_id: str | None) -> str | None:
        if detector_id is None:
            return None
        try:
            return self._config.detector(detector_id).name
        except KeyError:
            return detector_id

    def _zone(self, zone_id: str | None) -> str | None:
        if zone_id is None:
            return None
        try:
            return self._config.zone(zone_id).name
        except KeyError:
            return zone_id

    def _detectors(self, ids: tuple[str, ...]) -> tuple[str | None, ...]:
        return tuple(self._detector(i) for i in ids)

    def note(self, event: Event, mode: ArmMode | None) -> Note | None:
        """The note for an event, or None when the journal keeps nothing of it.

        ``mode`` is the panel's arm mode when the event is handled (an arming names it). The
        match covers every engine event (mypy checks it); events other features add to the
        engine are theirs to record.
        """
        match event:
            case StateChanged():
                return self._state_note(event, mode)
            case ArmRefused(at=at, actor=actor, mode=refused, detector_ids=ids, reason=reason):
                details: dict[str, Detail] = {
                    "mode": refused.value,
                    "reason": reason,
                    "detectors": self._detectors(ids),
                }
                return Note(EntryKind.ARM_REFUSED, at, actor_who(actor), details)
            case Bypassed(at=at, actor=actor, detector_ids=ids):
                return Note(
                    EntryKind.BYPASSED, at, actor_who(actor), {"detectors": self._detectors(ids)}
                )
            case CodeRejected(at=at, method=method, failures=failures):
                return Note(
                    EntryKind.CODE_REJECTED, at, Who(method=method.value), {"failures": failures}
                )
            case LockedOut(at=at, until=until, locks=locks):
                details = {"until": until.isoformat(), "locks": locks}
                return Note(EntryKind.LOCKED_OUT, at, NOBODY, details)
            case BadgeRejected(at=at, badge_id_hint=hint, reason=reason):
                details = {"badge": hint, "reason": reason}
                return Note(EntryKind.BADGE_REJECTED, at, Who(method=Method.BADGE.value), details)
            case AlarmRaised(at=at, kind=kind, detector_id=detector_id, zone_id=zone_id):
                raised_by, self._raised_by = self._raised_by, None
                who = actor_who(raised_by) if raised_by and detector_id is None else NOBODY
                details = {
                    "alarm": kind.value,
                    "detector": self._detector(detector_id),
                    "zone": self._zone(zone_id),
                }
                return Note(EntryKind.ALARM_RAISED, at, who, details)
            case AlarmCleared(at=at, actor=actor):
                return Note(EntryKind.ALARM_CLEARED, at, actor_who(actor), {"ended_by": "disarm"})
            case FaultRaised(at=at, detector_id=detector_id):
                details = {"detector": self._detector(detector_id)}
                return Note(EntryKind.FAULT_RAISED, at, NOBODY, details)
            case FaultCleared(at=at, detector_id=detector_id):
                details = {"detector": self._detector(detector_id)}
                return Note(EntryKind.FAULT_CLEARED, at, NOBODY, details)
            case DuressUsed():
                # Silent by design: the journal shows the disarm like any other (the person under
                # duress may be made to show it); the alarm itself goes to the station and contacts.
                return None

    def _state_note(self, event: StateChanged, mode: ArmMode | None) -> Note | None:
        at, old, new, actor = event.at, event.old, event.new, event.actor
        if actor is not None and new in (PanelState.ARMING, *_ARMED_MODE):
            armed = _ARMED_MODE.get(new) or (mode.value if mode is not None else None)
            return Note(EntryKind.ARMED, at, actor_who(actor), {"mode": armed})
        if actor is not None and new is PanelState.DISARMED:
            return Note(EntryKind.DISARMED, at, actor_who(actor))
        if actor is not None and new is PanelState.TRIGGERED:
            self._raised_by = actor  # the alarm event that follows names nobody
            return None
        if actor is None and old is PanelState.TRIGGERED:
            # The siren has sounded its time: the panel goes back to watching (or to disarmed).
            return Note(EntryKind.ALARM_CLEARED, at, NOBODY, {"ended_by": "alarm_duration"})
        return None
