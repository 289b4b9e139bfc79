"""The reports the offers do not send (``core/station_reporter.py``), fed by the home's panel.

It follows the panel's events and the detectors' battery entities, and keeps the reporter (its
zone and user numbers included) in a ``Store`` of its own, saved on every change. The numbers
exist whether or not the home has a station link: the offers number their alarms with them.
Reports are sent in a task per event, in the order of the events (the offers' task for the same
event was created first, so its alarm goes first).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event as HassEvent,
    EventStateChangedData,
    State,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, STATION_STORAGE_VERSION
from .core.station_reporter import StationNumbers, StationReporter

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .core import Event
    from .core.reports import Report
    from .panel import HomePanel
    from .station_runtime import HomeStation

LOW_BATTERY_PERCENT = 20  # a level below it is a low battery (XT); at it or above, XR


def battery_low(state: State | None) -> bool | None:
    """Whether a battery entity says "low": a flag that is on, or a level below 20 %.

    None when it says nothing (unavailable, unknown, not a number): no report either way.
    """
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    if state.entity_id.startswith("binary_sensor."):
        return state.state == STATE_ON
    try:
        return float(state.state) < LOW_BATTERY_PERCENT
    except ValueError:
        return None


def reports_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where a home's reporter (its numbers included) is kept."""
    return Store(
        hass, STATION_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.station_reports", private=True
    )


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
        self._store = reports_store(hass, entry.entry_id)
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._batteries: dict[str, str] = {}  # battery entity -> detector id

    @property
    def numbers(self) -> StationNumbers:
        """The zone (detector) and user (person) numbers."""
        return self.reporter.numbers

    async def async_start(self) -> None:
        """Restore the reporter, number new detectors and people, and follow the panel."""
        self.reporter = StationReporter.restore(await self._store.async_load())
        config = self.panel.layout.config
        self.numbers.known(
            (detector.id for detector in config.detectors), (person.id for person in config.people)
        )
        await self._store.async_save(self.reporter.snapshot())
        if self.station.options is None:
            return
        self._unsubscribe.append(self.panel.async_add_listener(self._on_event))
        self._batteries = {w.battery: w.detector_id for w in self.panel.layout.wiring if w.battery}
        if self._batteries:
            self._unsubscribe.append(
                async_track_state_change_event(self.hass, list(self._batteries), self._on_battery)
            )
        for entity_id, detector_id in self._batteries.items():
            self._battery(detector_id, self.hass.states.get(entity_id))

    async def async_stop(self) -> None:
        """Stop following; the reporter is saved."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self._store.async_save(self.reporter.snapshot())

    @callback
    def sent(self, report: Report) -> None:
        """An offer's report went to the station (for its restore)."""
        self.reporter.sent(report)
        self._store.async_delay_save(self.reporter.snapshot, 0)

    @callback
    def _on_event(self, event: Event, _context: Context | None) -> None:
        self._send(self.reporter.on_event(event))

    @callback
    def _on_battery(self, event: HassEvent[EventStateChangedData]) -> None:
        if (detector_id := self._batteries.get(event.data["entity_id"])) is not None:
            self._battery(detector_id, event.data["new_state"])

    def _battery(self, detector_id: str, state: State | None) -> None:
        low = battery_low(state)
        if low is not None:
            self._send(self.reporter.battery(detector_id, low=low, at=dt_util.utcnow()))

    def _send(self, reports: list[Report]) -> None:
        if not reports:
            return
        self._store.async_delay_save(self.reporter.snapshot, 0)
        self.entry.async_create_task(
            self.hass, self._async_send(reports), "imaprotect station reports"
        )

    async def _async_send(self, reports: list[Report]) -> None:
        # One task per report, created in order: each is queued at its task's first step.
        await asyncio.gather(*(self.station.async_send_own(report) for report in reports))
