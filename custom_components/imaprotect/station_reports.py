"""The reports the offers do not send (``core/station_reporter.py``), fed by the home's panel.

It follows the panel's events and keeps the reporter (its zone and user numbers included) and the
trouble conditions the station was told of (``core/report_conditions.py``, the one choke point
every report passes, so no sender repeats another) in a ``Store`` of its own, saved on every
change. The numbers exist whether or not the home has a station link: the offers number their
alarms with them, the self-diagnosis its troubles. Reports are sent in a task per event, in the
order of the events (the offers' task for the same event was created first, so its alarm goes
first).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Context, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN, STATION_STORAGE_VERSION
from .core.report_conditions import FAMILIES, ConditionFamily, ReportConditions
from .core.reports import ReportKind
from .core.station_reporter import StationNumbers, StationReporter

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .core import Event
    from .core.reports import Report
    from .panel import HomePanel
    from .station_runtime import HomeStation


def reports_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where a home's reporter (its numbers included) is kept."""
    return Store(
        hass, STATION_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.station_reports", private=True
    )


def stored_conditions(data: dict[str, Any] | None, reporter: StationReporter) -> ReportConditions:
    """The saved conditions; from a store saved before them, those its reporter knew raised."""
    if data is None or "conditions" in data:
        return ReportConditions.restore((data or {}).get("conditions"))
    raised: list[tuple[ConditionFamily, int | None]] = [
        (ConditionFamily.TROUBLE, zone) for zone in reporter.troubles
    ]
    raised += [
        (ConditionFamily.TAMPER, zone)
        for kind, zone, _user in reporter.open_alarms
        if kind is ReportKind.TAMPER
    ]
    raised += [
        (ConditionFamily.LOW_BATTERY, reporter.numbers.zone(str(detector_id)))
        for detector_id in data.get("low_battery", ())  # the reporter's own XT, until now
    ]
    return ReportConditions.from_raised(raised)


class StationReports:
    """The home's own reports to the station, and the numbers every report carries."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel, station: HomeStation
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self.station = station
        self.reporter = StationReporter()
        self.conditions = ReportConditions()
        self._store = reports_store(hass, entry.entry_id)
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @property
    def numbers(self) -> StationNumbers:
        """The zone (detector) and user (person) numbers."""
        return self.reporter.numbers

    async def async_start(self) -> None:
        """Restore the reporter, number new detectors and people, and follow the panel."""
        stored = await self._store.async_load()
        self.reporter = StationReporter.restore(stored)
        self.conditions = stored_conditions(stored, self.reporter)
        config = self.panel.layout.config
        self.numbers.known(
            (detector.id for detector in config.detectors), (person.id for person in config.people)
        )
        await self._store.async_save(self._snapshot())
        if self.station.options is None:
            return
        self._unsubscribe.append(self.panel.async_add_listener(self._on_event))

    async def async_stop(self) -> None:
        """Stop following; the reporter is saved."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self._store.async_save(self._snapshot())

    def _snapshot(self) -> dict[str, Any]:
        return self.reporter.snapshot() | {"conditions": self.conditions.snapshot()}

    @callback
    def sent(self, report: Report) -> None:
        """An offer's report went to the station (for its restore)."""
        self.reporter.sent(report)
        self._store.async_delay_save(self._snapshot, 0)

    @callback
    def admit(self, report: Report) -> bool:
        """Whether ``report`` goes: not a condition the station has already (saved)."""
        if not self.conditions.admit(report):
            return False
        if report.kind in FAMILIES:
            self._store.async_delay_save(self._snapshot, 0)
        return True

    @callback
    def _on_event(self, event: Event, _context: Context | None) -> None:
        self._send(self.reporter.on_event(event))

    def _send(self, reports: list[Report]) -> None:
        if not reports:
            return
        self._store.async_delay_save(self._snapshot, 0)
        self.entry.async_create_task(
            self.hass, self._async_send(reports), "imaprotect station reports"
        )

    async def _async_send(self, reports: list[Report]) -> None:
        # One task per report, created in order: each is queued at its task's first step.
        await asyncio.gather(*(self.station.async_send_own(report) for report in reports))
