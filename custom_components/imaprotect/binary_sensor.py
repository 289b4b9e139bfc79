"""Zones (armed, in alarm) and detectors (mirrored state, fault, tamper, low battery)."""

from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_ZONE
from .core import DetectorType
from .entity import DetectorEntity, ImaProtectEntity, MirrorEntity, subentry_device
from .home_config import DetectorWiring
from .panel import HomePanel, ImaProtectConfigEntry

PARALLEL_UPDATES = 0

DEVICE_CLASSES = {
    DetectorType.OPENING: BinarySensorDeviceClass.OPENING,
    DetectorType.MOTION: BinarySensorDeviceClass.MOTION,
    DetectorType.IMAGE_MOTION: BinarySensorDeviceClass.MOTION,
    DetectorType.SMOKE: BinarySensorDeviceClass.SMOKE,
    DetectorType.FLOOD: BinarySensorDeviceClass.MOISTURE,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each zone's and each detector's binary sensors, grouped by subentry."""
    panel = entry.runtime_data
    for subentry in entry.get_subentries_of_type(SUBENTRY_ZONE):
        async_add_entities(
            [ZoneArmedSensor(panel, subentry), ZoneAlarmSensor(panel, subentry)],
            config_subentry_id=subentry.subentry_id,
        )
    for wiring in panel.layout.wiring:
        subentry = entry.subentries[wiring.detector_id]
        entities: list[BinarySensorEntity] = [
            DetectorSensor(panel, subentry, wiring),
            DetectorFaultSensor(panel, subentry),
        ]
        if wiring.tamper is not None:
            entities.append(DetectorTamperSensor(panel, subentry, wiring.tamper))
        if wiring.battery is not None and wiring.battery.startswith("binary_sensor."):
            entities.append(DetectorBatteryLowSensor(panel, subentry, wiring.battery))
        async_add_entities(entities, config_subentry_id=subentry.subentry_id)


class ZoneEntity(ImaProtectEntity):
    """An entity of a zone's device."""

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, key: str) -> None:
        super().__init__(panel, f"{subentry.subentry_id}_{key}", subentry_device(panel, subentry))
        self.zone_id = subentry.subentry_id


class ZoneArmedSensor(ZoneEntity, BinarySensorEntity):
    """Whether the zone is watched right now."""

    _attr_translation_key = "zone_armed"

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry) -> None:
        super().__init__(panel, subentry, "armed")

    @property
    @override
    def is_on(self) -> bool:
        return self.panel.engine.zone_armed(self.zone_id)


class ZoneAlarmSensor(ZoneEntity, BinarySensorEntity):
    """Whether the alarm was caused by a detector of this zone."""

    _attr_translation_key = "zone_alarm"
    _attr_device_class = BinarySensorDeviceClass.SAFETY

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry) -> None:
        super().__init__(panel, subentry, "alarm")

    @property
    @override
    def is_on(self) -> bool:
        return self.panel.engine.zone_in_alarm(self.zone_id)


class DetectorSensor(MirrorEntity, BinarySensorEntity):
    """The detector itself, as the alarm sees it."""

    _attr_name = None

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, wiring: DetectorWiring) -> None:
        super().__init__(panel, subentry, "state", wiring.source)
        detector = panel.layout.config.detector(wiring.detector_id)
        self._attr_device_class = DEVICE_CLASSES[detector.type]

    @property
    @override
    def is_on(self) -> bool:
        return self.detector_id in self.panel.engine.open_detectors


class DetectorFaultSensor(DetectorEntity, BinarySensorEntity):
    """On when the detector stayed unavailable past the supervision window."""

    _attr_translation_key = "fault"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry) -> None:
        super().__init__(panel, subentry, "fault")

    @property
    @override
    def is_on(self) -> bool:
        return self.detector_id in self.panel.engine.faults


class DetectorTamperSensor(MirrorEntity, BinarySensorEntity):
    """The detector's tamper switch."""

    _attr_device_class = BinarySensorDeviceClass.TAMPER
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, source: str) -> None:
        super().__init__(panel, subentry, "tamper", source)

    @property
    @override
    def is_on(self) -> bool:
        return self.detector_id in self.panel.engine.tampered


class DetectorBatteryLowSensor(MirrorEntity, BinarySensorEntity):
    """The detector's low-battery flag, mirrored."""

    _attr_device_class = BinarySensorDeviceClass.BATTERY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, source: str) -> None:
        super().__init__(panel, subentry, "battery", source)

    @property
    @override
    def is_on(self) -> bool:
        state = self.hass.states.get(self.source)
        return state is not None and state.state == STATE_ON
