"""Detector battery levels, mirrored from the entities that report them."""

from typing import override

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import MirrorEntity
from .panel import HomePanel, ImaProtectConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a battery sensor to each detector whose battery is a numeric sensor."""
    panel = entry.runtime_data
    for wiring in panel.layout.wiring:
        if wiring.battery is not None and wiring.battery.startswith("sensor."):
            subentry = entry.subentries[wiring.detector_id]
            async_add_entities(
                [DetectorBatterySensor(panel, subentry, wiring.battery)],
                config_subentry_id=subentry.subentry_id,
            )


class DetectorBatterySensor(MirrorEntity, SensorEntity):
    """The detector's battery level in percent."""

    _attr_device_class = SensorDeviceClass.BATTERY
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, source: str) -> None:
        super().__init__(panel, subentry, "battery", source)

    @property
    @override
    def native_value(self) -> int | None:
        state = self.hass.states.get(self.source)
        if state is None:
            return None
        try:
            return round(float(state.state))
        except ValueError:
            return None
