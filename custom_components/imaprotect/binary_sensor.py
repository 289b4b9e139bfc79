"""Zones (armed, in alarm), detectors (mirrored state, fault, tamper, low battery), voice server.

Each sensor is a row of a description table: what it is called, its class, and the one function
that reads its value. A zone's sensors read the engine; a detector's read the engine too, except
the low-battery flag, which only mirrors its source (the engine has no use for it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_ZONE
from .core import AlarmEngine, DetectorType
from .core.diagnosis import Trouble
from .entity import DetectorEntity, ImaProtectEntity, home_device, subentry_device
from .home_config import DetectorWiring
from .offers import HomeOffers
from .panel import HomePanel, ImaProtectConfigEntry
from .protect_plus import signal_protect_plus
from .self_diagnosis import TroubleSources, signal_diagnosis
from .station_entities import station_path_sensors
from .supervision import Supervisor, VoiceHealth, signal_voice_health

PARALLEL_UPDATES = 0

DEVICE_CLASSES = {
    DetectorType.OPENING: BinarySensorDeviceClass.OPENING,
    DetectorType.MOTION: BinarySensorDeviceClass.MOTION,
    DetectorType.IMAGE_MOTION: BinarySensorDeviceClass.MOTION,
    DetectorType.SMOKE: BinarySensorDeviceClass.SMOKE,
    DetectorType.FLOOD: BinarySensorDeviceClass.MOISTURE,
}


@dataclass(frozen=True, kw_only=True)
class ZoneBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A zone's binary sensor; ``value_fn`` gets the engine and the zone's id."""

    value_fn: Callable[[AlarmEngine, str], bool]


@dataclass(frozen=True, kw_only=True)
class DetectorBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A detector's binary sensor.

    ``value_fn`` gets the engine, the detector's id and the mirrored entity's state.
    ``source_fn`` picks the entity it mirrors from the detector's wiring: the sensor exists only
    when that gives one. Without ``source_fn`` the sensor is the alarm's own view, made for every
    detector and never unavailable. ``device_class_fn`` derives the class from the detector's
    type, for the one sensor whose class depends on it.
    """

    value_fn: Callable[[AlarmEngine, str, State | None], bool]
    source_fn: Callable[[DetectorWiring], str | None] | None = None
    device_class_fn: Callable[[DetectorType], BinarySensorDeviceClass] | None = None


@dataclass(frozen=True, kw_only=True)
class OfferBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A home's binary sensor about its offer; made only where ``exists_fn`` says so."""

    value_fn: Callable[[HomeOffers], bool]
    attributes_fn: Callable[[HomeOffers], dict[str, Any]]
    exists_fn: Callable[[HomeOffers], bool]


@dataclass(frozen=True, kw_only=True)
class VoicePathBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor of the voice server's self-diagnosis; ``value_fn`` reads the supervisor."""

    value_fn: Callable[[Supervisor], bool | None]


def _state_is(state: str | None, on: str, off: str) -> bool | None:
    return True if state == on else False if state == off else None


PATH_SENSORS: tuple[VoicePathBinarySensorEntityDescription, ...] = (
    # On while the voice server's SIP trunk answers (its endpoint online in Asterisk).
    VoicePathBinarySensorEntityDescription(
        key="voice_trunk",
        translation_key="voice_trunk",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        value_fn=lambda supervisor: _state_is(supervisor.trunk, "online", "offline"),
    ),
    # On (a problem) while the voice server's SMTP relay fails or refuses the e-mails.
    VoicePathBinarySensorEntityDescription(
        key="voice_smtp",
        translation_key="voice_smtp",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=lambda supervisor: _state_is(supervisor.smtp, "failing", "ok"),
    ),
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


OFFER_SENSORS: tuple[OfferBinarySensorEntityDescription, ...] = (
    # On while the monitoring station handles the alerts (PROTECT+, A LA CARTE homes only).
    OfferBinarySensorEntityDescription(
        key="protect_plus",
        translation_key="protect_plus",
        value_fn=lambda offers: offers.protect_plus.active(),
        attributes_fn=lambda offers: {
            "start": _iso(offers.protect_plus.plus.start),
            "end": _iso(offers.protect_plus.plus.end),
        },
        exists_fn=lambda offers: offers.protect_plus.offered,
    ),
)


def _battery_flag(wiring: DetectorWiring) -> str | None:
    """A battery entity that is itself a low-battery flag (a level is a sensor, in sensor.py)."""
    battery = wiring.battery
    return battery if battery is not None and battery.startswith("binary_sensor.") else None


ZONE_SENSORS: tuple[ZoneBinarySensorEntityDescription, ...] = (
    ZoneBinarySensorEntityDescription(
        key="armed",
        translation_key="zone_armed",
        value_fn=lambda engine, zone_id: engine.zone_armed(zone_id),
    ),
    ZoneBinarySensorEntityDescription(
        key="alarm",
        translation_key="zone_alarm",
        device_class=BinarySensorDeviceClass.SAFETY,
        value_fn=lambda engine, zone_id: engine.zone_in_alarm(zone_id),
    ),
)

DETECTOR_SENSORS: tuple[DetectorBinarySensorEntityDescription, ...] = (
    # The detector itself, as the alarm sees it: the device's main entity, named after it.
    DetectorBinarySensorEntityDescription(
        key="state",
        name=None,
        source_fn=lambda wiring: wiring.source,
        device_class_fn=DEVICE_CLASSES.__getitem__,
        value_fn=lambda engine, detector_id, _source: detector_id in engine.open_detectors,
    ),
    # On when the detector stayed unavailable past the supervision window.
    DetectorBinarySensorEntityDescription(
        key="fault",
        translation_key="fault",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda engine, detector_id, _source: detector_id in engine.faults,
    ),
    DetectorBinarySensorEntityDescription(
        key="tamper",
        device_class=BinarySensorDeviceClass.TAMPER,
        entity_category=EntityCategory.DIAGNOSTIC,
        source_fn=lambda wiring: wiring.tamper,
        value_fn=lambda engine, detector_id, _source: detector_id in engine.tampered,
    ),
    DetectorBinarySensorEntityDescription(
        key="battery",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        source_fn=_battery_flag,
        value_fn=lambda _engine, _detector_id, source: (
            source is not None and source.state == STATE_ON
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class TroubleBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A detector's trouble from the self-diagnosis; made where ``exists_fn`` finds its source."""

    trouble: Trouble
    exists_fn: Callable[[TroubleSources], bool]


TROUBLE_SENSORS: tuple[TroubleBinarySensorEntityDescription, ...] = (
    # On while the battery is low (a level under 15 % until it is back over 25 %, or a flag).
    TroubleBinarySensorEntityDescription(
        key="low_battery",
        translation_key="low_battery",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        trouble=Trouble.LOW_BATTERY,
        exists_fn=lambda sources: sources.battery is not None,
    ),
    # A tamper switch found on the detector's device (one set in its settings is the engine's).
    TroubleBinarySensorEntityDescription(
        key="tamper",
        device_class=BinarySensorDeviceClass.TAMPER,
        entity_category=EntityCategory.DIAGNOSTIC,
        trouble=Trouble.TAMPER,
        exists_fn=lambda sources: sources.tamper is not None and not sources.tamper_wired,
    ),
)


def _applies(description: DetectorBinarySensorEntityDescription, wiring: DetectorWiring) -> bool:
    """Whether a detector gets this sensor: always, unless it lacks the entity to mirror."""
    return description.source_fn is None or description.source_fn(wiring) is not None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the zones' and detectors' binary sensors (by subentry), and the voice server's."""
    panel = entry.runtime_data
    if (supervisor := panel.callout.supervisor) is not None:
        async_add_entities([VoiceServerBinarySensor(panel, supervisor)])
        async_add_entities(
            VoicePathBinarySensor(panel, supervisor, description) for description in PATH_SENSORS
        )
    async_add_entities(station_path_sensors(panel))
    async_add_entities(
        OfferBinarySensor(panel, description)
        for description in OFFER_SENSORS
        if description.exists_fn(panel.offers)
    )
    for subentry in entry.get_subentries_of_type(SUBENTRY_ZONE):
        async_add_entities(
            [ZoneBinarySensor(panel, subentry, description) for description in ZONE_SENSORS],
            config_subentry_id=subentry.subentry_id,
        )
    for wiring in panel.layout.wiring:
        subentry = entry.subentries[wiring.detector_id]
        sources = panel.diagnosis.sources[wiring.detector_id]
        async_add_entities(
            [
                DetectorBinarySensor(panel, subentry, wiring, description)
                for description in DETECTOR_SENSORS
                if _applies(description, wiring)
            ]
            + [
                TroubleBinarySensor(panel, subentry, description)
                for description in TROUBLE_SENSORS
                if description.exists_fn(sources)
            ],
            config_subentry_id=subentry.subentry_id,
        )


class ZoneBinarySensor(ImaProtectEntity, BinarySensorEntity):
    """One of a zone's binary sensors, on the zone's device."""

    entity_description: ZoneBinarySensorEntityDescription

    def __init__(
        self,
        panel: HomePanel,
        subentry: ConfigSubentry,
        description: ZoneBinarySensorEntityDescription,
    ) -> None:
        super().__init__(
            panel, f"{subentry.subentry_id}_{description.key}", subentry_device(panel, subentry)
        )
        self.entity_description = description
        self.zone_id = subentry.subentry_id

    @property
    @override
    def is_on(self) -> bool:
        return self.entity_description.value_fn(self.panel.engine, self.zone_id)


class DetectorBinarySensor(DetectorEntity, BinarySensorEntity):
    """One of a detector's binary sensors, on the detector's device."""

    entity_description: DetectorBinarySensorEntityDescription

    def __init__(
        self,
        panel: HomePanel,
        subentry: ConfigSubentry,
        wiring: DetectorWiring,
        description: DetectorBinarySensorEntityDescription,
    ) -> None:
        source = description.source_fn(wiring) if description.source_fn is not None else None
        super().__init__(panel, subentry, description.key, source)
        self.entity_description = description
        if description.device_class_fn is not None:
            detector = panel.layout.config.detector(wiring.detector_id)
            self._attr_device_class = description.device_class_fn(detector.type)

    @property
    @override
    def is_on(self) -> bool:
        return self.entity_description.value_fn(
            self.panel.engine, self.detector_id, self.source_state()
        )


class TroubleBinarySensor(DetectorEntity, BinarySensorEntity):
    """One of a detector's troubles as the self-diagnosis sees it (always available)."""

    entity_description: TroubleBinarySensorEntityDescription

    def __init__(
        self,
        panel: HomePanel,
        subentry: ConfigSubentry,
        description: TroubleBinarySensorEntityDescription,
    ) -> None:
        super().__init__(panel, subentry, description.key)
        self.entity_description = description

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_diagnosis(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def is_on(self) -> bool:
        return self.panel.diagnosis.diagnosis.has(self.detector_id, self.entity_description.trouble)


class VoiceServerBinarySensor(ImaProtectEntity, BinarySensorEntity):
    """Whether the voice server can phone now (reachable and not degraded), read every minute.

    A diagnostic of the alarm transmission path (EN 50136): off means alarms also go to the
    fallback notifiers, and a repair says why.
    """

    _attr_translation_key = "voice_server"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, panel: HomePanel, supervisor: Supervisor) -> None:
        super().__init__(panel, "voice_server", home_device(panel))
        self._supervisor = supervisor

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_voice_health(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def is_on(self) -> bool | None:
        health = self._supervisor.health
        return None if health is None else health is VoiceHealth.OK


class VoicePathBinarySensor(ImaProtectEntity, BinarySensorEntity):
    """One of the voice server's paths out (its SIP trunk, its SMTP relay), from ``/healthz``.

    Unknown while the server does not say (no trunk, no e-mail tried yet, server unreachable).
    """

    entity_description: VoicePathBinarySensorEntityDescription
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self,
        panel: HomePanel,
        supervisor: Supervisor,
        description: VoicePathBinarySensorEntityDescription,
    ) -> None:
        super().__init__(panel, description.key, home_device(panel))
        self.entity_description = description
        self._supervisor = supervisor

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_voice_health(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.value_fn(self._supervisor)


class OfferBinarySensor(ImaProtectEntity, BinarySensorEntity):
    """One of the home's binary sensors about its offer, following PROTECT+."""

    entity_description: OfferBinarySensorEntityDescription

    def __init__(self, panel: HomePanel, description: OfferBinarySensorEntityDescription) -> None:
        super().__init__(panel, description.key, home_device(panel))
        self.entity_description = description

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_protect_plus(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def is_on(self) -> bool:
        return self.entity_description.value_fn(self.panel.offers)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        return self.entity_description.attributes_fn(self.panel.offers)
