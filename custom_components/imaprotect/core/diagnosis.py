"""Self-diagnosis: which detector troubles are on (low battery, tamper, fault), and who hears.

The equipment diagnoses its own failures and passes them on. Pure and clock-injected like the
engine: the adapter feeds each detector's battery reading, tamper switch and fault (the engine's:
unavailable past the supervision window) with the time, and drains one ``TroubleChanged`` per
change. A battery level is low under ``LOW_PERCENT`` and well again only from ``OK_PERCENT``
(a level wobbling around one threshold must not mail the owner every hour); an unknown reading
changes nothing (a sleeping radio is not a new battery).

Who hears (``station_report``): the owner always gets an information e-mail (never a phone call
for a battery); under A LA CARTE and TOUT INCLUS the station gets the trouble code as well,
unless the offers already sent it (a fault or a wired tamper where the station handles the home:
``sent_by_offers``), so a trouble never reaches the station twice. Restores always go there.

The daily digest (``next_digest``) is due every day at ``DIGEST_TIME`` in the home's time zone
while anything is still wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from .model import STATION_FORMULAS, Formula
from .reports import ReportKind

__all__ = [
    "DIGEST_TIME",
    "LOW_PERCENT",
    "OK_PERCENT",
    "ActiveTrouble",
    "Diagnosis",
    "Trouble",
    "TroubleChanged",
    "next_digest",
    "station_report",
]

LOW_PERCENT = 15.0  # a level under this is low
OK_PERCENT = 25.0  # a low battery is well again only from this level (a new battery)
DIGEST_TIME = time(9, 0)  # the daily digest, in the home's time zone


class Trouble(StrEnum):
    """One kind of detector trouble."""

    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    FAULT = "fault"  # unavailable past the supervision window


@dataclass(frozen=True, slots=True)
class TroubleChanged:
    """A trouble came (``active``) or went."""

    detector_id: str
    trouble: Trouble
    active: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class ActiveTrouble:
    """A trouble still on, and since when."""

    detector_id: str
    trouble: Trouble
    since: datetime


_REPORTS = {
    Trouble.LOW_BATTERY: (ReportKind.LOW_BATTERY, ReportKind.LOW_BATTERY_RESTORE),
    Trouble.TAMPER: (ReportKind.TAMPER, ReportKind.TAMPER_RESTORE),
    Trouble.FAULT: (ReportKind.TROUBLE, ReportKind.TROUBLE_RESTORE),
}


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("the diagnosis needs aware datetimes")


class Diagnosis:
    """The troubles of one home's detectors, with the time each began."""

    def __init__(self, detector_ids: Iterable[str]) -> None:
        self._detectors = frozenset(detector_ids)
        self._since: dict[tuple[str, Trouble], datetime] = {}
        self._events: list[TroubleChanged] = []

    # ------------------------------------------------------------------ inputs

    def battery_level(self, detector_id: str, now: datetime, *, percent: float | None) -> None:
        """A battery level in percent; None (unknown, unavailable) keeps what was known."""
        if percent is None:
            return
        low = self.has(detector_id, Trouble.LOW_BATTERY)
        self._set(
            detector_id,
            Trouble.LOW_BATTERY,
            now,
            active=percent < (OK_PERCENT if low else LOW_PERCENT),
        )

    def battery_flag(self, detector_id: str, now: datetime, *, low: bool | None) -> None:
        """A low-battery flag; None (unknown, unavailable) keeps what was known."""
        if low is not None:
            self._set(detector_id, Trouble.LOW_BATTERY, now, active=low)

    def tamper(self, detector_id: str, now: datetime, *, tampered: bool | None) -> None:
        """The tamper switch; None (unknown, unavailable) keeps what was known."""
        if tampered is not None:
            self._set(detector_id, Trouble.TAMPER, now, active=tampered)

    def fault(self, detector_id: str, now: datetime, *, faulty: bool) -> None:
        """The engine's fault (raised past the supervision window, cleared when it is back)."""
        self._set(detector_id, Trouble.FAULT, now, active=faulty)

    def _set(self, detector_id: str, trouble: Trouble, now: datetime, *, active: bool) -> None:
        _require_aware(now)
        if detector_id not in self._detectors:
            raise KeyError(detector_id)
        key = (detector_id, trouble)
        if active == (key in self._since):
            return
        if active:
            self._since[key] = now
        else:
            del self._since[key]
        self._events.append(TroubleChanged(detector_id, trouble, active=active, at=now))

    # ------------------------------------------------------------------ outputs

    def has(self, detector_id: str, trouble: Trouble) -> bool:
        """Whether the detector has this trouble now."""
        return (detector_id, trouble) in self._since

    def active(self) -> tuple[ActiveTrouble, ...]:
        """Every trouble still on, oldest first."""
        return tuple(
            ActiveTrouble(detector_id, trouble, since)
            for (detector_id, trouble), since in sorted(
                self._since.items(), key=lambda item: (item[1], item[0])
            )
        )

    def drain_events(self) -> list[TroubleChanged]:
        """Changes since the last drain, oldest first."""
        events, self._events = self._events, []
        return events

    # ------------------------------------------------------------------ persistence

    def snapshot(self) -> dict[str, Any]:
        """What a restart must remember, so it does not tell the owner the same trouble again."""
        return {
            "troubles": [
                [item.detector_id, item.trouble.value, item.since.isoformat()]
                for item in self.active()
            ]
        }

    @classmethod
    def restore(cls, detector_ids: Iterable[str], data: Mapping[str, Any]) -> Diagnosis:
        """The diagnosis saved by ``snapshot``; troubles of unknown detectors or kinds are dropped.

        Raises ValueError (or KeyError, TypeError) on a malformed snapshot.
        """
        diagnosis = cls(detector_ids)
        for detector_id, trouble, since in data["troubles"]:
            if detector_id not in diagnosis._detectors or trouble not in Trouble:
                continue
            at = datetime.fromisoformat(since)
            _require_aware(at)
            diagnosis._since[(detector_id, Trouble(trouble))] = at
        return diagnosis


def station_report(
    formula: Formula, trouble: Trouble, *, active: bool, sent_by_offers: bool
) -> ReportKind | None:
    """The trouble code for the station, or None (e-VEILLE, or the offers sent it already).

    ``sent_by_offers``: the offers routed this very event to the station (a fault, or a tamper
    the engine saw, where the station handles the home); they never send a restore.
    """
    if formula not in STATION_FORMULAS or (active and sent_by_offers):
        return None
    raised, restored = _REPORTS[trouble]
    return raised if active else restored


def next_digest(now: datetime, zone: tzinfo, at: time = DIGEST_TIME) -> datetime:
    """The next digest time strictly after ``now``: ``at`` in the home's zone, today or tomorrow.

    Computed on the local calendar, so a change to or from summer time keeps the hour.
    """
    _require_aware(now)
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate
