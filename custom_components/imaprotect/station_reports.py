"""The reports the offers do not send: arming, disarming, bypasses, restores, low batteries.

Placeholder: filled in by the reporter (``core/station_reporter.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .core.reports import Report
    from .panel import HomePanel
    from .station_runtime import HomeStation


class StationReports:
    """The home's own reports to the station."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel, station: HomeStation
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self.station = station

    async def async_start(self) -> None:
        """Load the numbering."""

    async def async_stop(self) -> None:
        """Save the numbering."""

    def sent(self, report: Report) -> None:
        """An offer's report went to the station."""
