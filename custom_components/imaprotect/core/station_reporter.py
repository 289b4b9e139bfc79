"""The station reports the panel owes besides the offers' alarms, and the numbers they carry.

The offers send the alarms (BA, FA, WA, TA), SOS (PA), duress (HA), the agent request (QA) and
the detectors' faults (UT) where the formula gives them to the station; the link sends its own
test (RP) and path reports (YS/YK). This reporter, fed the engine's events, adds the rest:

* arming total CL / partial NL with the user number of who armed (NL's address is the area, so
  the user is in its ``id``), sent when the panel is armed (after the exit delay);
* disarming OP with the user number, unless the panel was only arming (the station never had
  CL); restores before it: each alarm the station had in this episode (BR, FH, WH, TR, PH), so a
  receiver that goes back to its previous state on BR ends disarmed, then UU for each bypass;
* the end of an alarm without a disarm (the siren's time is over) restores its alarms, not the SOS;
* bypass UB per detector at a forced arming; the fault restore UJ of a detector whose UT went.

A detector's low battery (XT / XR) is the self-diagnosis's (``core/diagnosis.py``), its one sender.

Numbers: a detector is a zone, a person a user, numbered from 1 in the order first seen and never
given again, even after the detector or person is deleted (a station's history stays right).
Pure and clock-free: the caller passes ``at``; ``snapshot`` / ``restore`` keep it across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import Bypassed, FaultCleared, StateChanged
from .model import PanelState
from .reports import Report, ReportKind

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from .events import Event
    from .model import Actor

MAX_NUMBER = 999
AREA = 1  # one area per home; receivers (HA's sia) count areas from 1

RESTORES = {
    ReportKind.BURGLARY: ReportKind.BURGLARY_RESTORE,
    ReportKind.FIRE: ReportKind.FIRE_RESTORE,
    ReportKind.WATER: ReportKind.WATER_RESTORE,
    ReportKind.TAMPER: ReportKind.TAMPER_RESTORE,
    ReportKind.PANIC: ReportKind.PANIC_RESTORE,
}
_ARMED = {
    PanelState.ARMED_TOTAL: ReportKind.ARM_TOTAL,
    PanelState.ARMED_PARTIAL: ReportKind.ARM_PARTIAL,
}


@dataclass(slots=True)
class StationNumbers:
    """Zone numbers of detectors and user numbers of people: stable, never reused."""

    zones: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _number(table: dict[str, int], key: str | None) -> int | None:
        if key is None:
            return None
        if key not in table:
            following = max(table.values(), default=0) + 1
            if following > MAX_NUMBER:
                return None
            table[key] = following
        return table[key]

    def zone(self, detector_id: str | None) -> int | None:
        """The detector's zone number (given now if new); None without a detector."""
        return self._number(self.zones, detector_id)

    def user(self, person_id: str | None) -> int | None:
        """The person's user number (given now if new); None without a proven person."""
        return self._number(self.users, person_id)

    def known(self, detector_ids: Iterable[str], person_ids: Iterable[str]) -> None:
        """Number the home's detectors and people in their order, the new ones after the rest."""
        for detector_id in detector_ids:
            self.zone(detector_id)
        for person_id in person_ids:
            self.user(person_id)

    def person_of(self, user: int | None) -> str | None:
        """The person behind a user number (to leave them out of their own duress alert)."""
        return next((key for key, number in self.users.items() if number == user), None)

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe."""
        return {"zones": dict(self.zones), "users": dict(self.users)}

    @classmethod
    def restore(cls, data: dict[str, Any] | None) -> StationNumbers:
        """Back from ``snapshot`` (empty for None)."""
        data = data or {}
        return cls(
            {str(k): int(v) for k, v in dict(data.get("zones", {})).items()},
            {str(k): int(v) for k, v in dict(data.get("users", {})).items()},
        )


@dataclass(slots=True)
class StationReporter:
    """Turns engine events into the station reports the offers do not send."""

    numbers: StationNumbers = field(default_factory=StationNumbers)
    arming_user: int | None = None
    bypassed: list[int] = field(default_factory=list)  # zones, restored (UU) at the disarm
    open_alarms: list[tuple[ReportKind, int | None, int | None]] = field(default_factory=list)
    troubles: list[int] = field(default_factory=list)  # zones whose UT went

    def sent(self, report: Report) -> None:
        """An offer's report went to the station: remember what will need its restore."""
        if report.kind in RESTORES:
            opened = (report.kind, report.zone, report.user)
            if opened not in self.open_alarms:
                self.open_alarms.append(opened)
        elif (
            report.kind is ReportKind.TROUBLE
            and report.zone is not None
            and report.zone not in self.troubles
        ):
            self.troubles.append(report.zone)

    def on_event(self, event: Event) -> list[Report]:
        """The reports ``event`` calls for, in order."""
        match event:
            case StateChanged(new=PanelState.ARMING, actor=actor):
                self.arming_user = self._user(actor)
            case StateChanged(new=PanelState.DISARMED, old=old) if old is not PanelState.DISARMED:
                return self._disarmed(event, old)
            case StateChanged(new=new, old=old) if new in _ARMED and old in (
                PanelState.DISARMED,
                PanelState.ARMING,
            ):
                user = self._user(event.actor) or self.arming_user
                self.arming_user = None
                return [Report(_ARMED[new], event.at, area=AREA, user=user)]
            case StateChanged(old=PanelState.TRIGGERED):
                return self._restores(event.at, keep_panic=True)
            case Bypassed(detector_ids=ids):
                zones = [zone for i in ids if (zone := self.numbers.zone(i)) is not None]
                self.bypassed.extend(zone for zone in zones if zone not in self.bypassed)
                return [Report(ReportKind.BYPASS, event.at, area=AREA, zone=z) for z in zones]
            case FaultCleared(detector_id=detector_id):
                zone = self.numbers.zone(detector_id)
                if zone is not None and zone in self.troubles:
                    self.troubles.remove(zone)
                    return [Report(ReportKind.TROUBLE_RESTORE, event.at, area=AREA, zone=zone)]
            case _:
                pass
        return []

    def _user(self, actor: Actor | None) -> int | None:
        return self.numbers.user(actor.person_id) if actor is not None else None

    def _disarmed(self, event: StateChanged, old: PanelState) -> list[Report]:
        reports = self._restores(event.at, keep_panic=False)
        reports += [
            Report(ReportKind.BYPASS_RESTORE, event.at, area=AREA, zone=z) for z in self.bypassed
        ]
        self.bypassed.clear()
        self.arming_user = None
        if old is not PanelState.ARMING:
            reports.append(
                Report(ReportKind.DISARM, event.at, area=AREA, user=self._user(event.actor))
            )
        return reports

    def _restores(self, at: datetime, *, keep_panic: bool) -> list[Report]:
        ended = [a for a in self.open_alarms if not (keep_panic and a[0] is ReportKind.PANIC)]
        self.open_alarms = [a for a in self.open_alarms if a not in ended]
        return [
            Report(RESTORES[kind], at, area=AREA, zone=zone, user=user)
            for kind, zone, user in ended
        ]

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "numbers": self.numbers.snapshot(),
            "arming_user": self.arming_user,
            "bypassed": list(self.bypassed),
            "open_alarms": [[kind.value, zone, user] for kind, zone, user in self.open_alarms],
            "troubles": list(self.troubles),
        }

    @classmethod
    def restore(cls, data: dict[str, Any] | None) -> StationReporter:
        """Back from ``snapshot`` (a fresh reporter for None)."""
        data = data or {}
        return cls(
            numbers=StationNumbers.restore(data.get("numbers")),
            arming_user=data.get("arming_user"),
            bypassed=[int(zone) for zone in data.get("bypassed", ())],
            open_alarms=[
                (ReportKind(kind), zone, user) for kind, zone, user in data.get("open_alarms", ())
            ],
            troubles=[int(zone) for zone in data.get("troubles", ())],
        )
