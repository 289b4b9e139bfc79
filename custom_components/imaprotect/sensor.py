"""The home's call-out status, and detector battery levels mirrored from their entities."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .callout import ALERT_STATUSES, signal_alert
from .entity import DetectorEntity, ImaProtectEntity, home_device
from .offers import HomeOffers
from .panel import HomePanel, ImaProtectConfigEntry
from .protect_plus import signal_protect_plus

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class OfferSensorEntityDescription(SensorEntityDescription):
    """A home's sensor about its offer; made only where ``exists_fn`` says so."""

    value_fn: Callable[[HomeOffers], datetime | None]
    exists_fn: Callable[[HomeOffers], bool]


OFFER_SENSORS: tuple[OfferSensorEntityDescription, ...] = (
    # When PROTECT+ ends (the running or booked period), unknown without one.
    OfferSensorEntityDescription(
        key="protect_plus_end",
        translation_key="protect_plus_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda offers: offers.protect_plus.plus.end,
        exists_fn=lambda offers: offers.protect_plus.offered,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the alert sensor, and a battery sensor to each detector with a numeric battery."""
    panel = entry.runtime_data
    async_add_entities([AlertSensor(panel)])
    async_add_entities(
        OfferSensor(panel, description)
        for description in OFFER_SENSORS
        if description.exists_fn(panel.offers)
    )
    for wiring in panel.layout.wiring:
        if wiring.battery is not None and wiring.battery.startswith("sensor."):
            subentry = entry.subentries[wiring.detector_id]
            async_add_entities(
                [DetectorBatterySensor(panel, subentry, wiring.battery)],
                config_subentry_id=subentry.subentry_id,
            )


class DetectorBatterySensor(DetectorEntity, SensorEntity):
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
        state = self.source_state()
        if state is None:
            return None
        try:
            return round(float(state.state))
        except ValueError:
            return None


class AlertSensor(ImaProtectEntity, SensorEntity):
    """Where the latest alert stands: calling whom, acknowledged by whom, and when."""

    _attr_translation_key = "alert"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = list(ALERT_STATUSES)

    def __init__(self, panel: HomePanel) -> None:
        super().__init__(panel, "alert", home_device(panel))

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_alert(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def native_value(self) -> str:
        return self.panel.callout.alert.status

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        alert = self.panel.callout.alert
        return {"kind": alert.kind, "contact": alert.contact, "changed_at": alert.changed_at}


class OfferSensor(ImaProtectEntity, SensorEntity):
    """One of the home's sensors about its offer, following PROTECT+."""

    entity_description: OfferSensorEntityDescription

    def __init__(self, panel: HomePanel, description: OfferSensorEntityDescription) -> None:
        super().__init__(panel, description.key, home_device(panel))
        self.entity_description = description

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_protect_plus(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def native_value(self) -> datetime | None:
        return self.entity_description.value_fn(self.panel.offers)
