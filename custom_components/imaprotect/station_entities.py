"""One connectivity sensor per receiver of the home's station link (diagnostic).

On while the receiver acknowledges our frames, off once the link declared it lost (no answer, or
refused), unknown until it first answered. Updated by the link's ``PathLost`` / ``PathRestored``
and by the panel's own updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory

from .entity import ImaProtectEntity, home_device
from .station import PathState
from .station_runtime import signal_station

if TYPE_CHECKING:
    from .panel import HomePanel
    from .station_runtime import HomeStation


class StationPathBinarySensor(ImaProtectEntity, BinarySensorEntity):
    """Whether one receiver of the station takes our frames."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "station_path"

    def __init__(self, panel: HomePanel, station: HomeStation, index: int) -> None:
        super().__init__(panel, f"station_path_{index}", home_device(panel))
        self.station = station
        self.index = index
        self._attr_translation_placeholders = {"path": str(index + 1)}

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_station(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def is_on(self) -> bool | None:
        status = self.station.status
        if status is None or status.paths[self.index].state is PathState.UNKNOWN:
            return None
        return status.paths[self.index].state is PathState.UP


def station_path_sensors(panel: HomePanel) -> list[StationPathBinarySensor]:
    """The sensors of the home's receivers; none without a station link."""
    station = panel.station_link
    if station.options is None:
        return []
    return [
        StationPathBinarySensor(panel, station, index)
        for index in range(len(station.options.receivers()))
    ]
