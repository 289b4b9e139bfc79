"""Event entities: each badge's use (armed, disarmed, rejected) and the home's alarms."""

from typing import Any, override

from homeassistant.components.event import EventEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .badges import StoredBadge
from .core import AlarmKind, Person
from .entity import BadgeEntity, ImaProtectEntity, async_add_badge_entities, home_device
from .panel import HomePanel, ImaProtectConfigEntry, signal_alarm, signal_badge

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the home's alarm event entity and one event entity per badge."""
    async_add_entities([HomeAlarmEvent(entry.runtime_data)])
    async_add_badge_entities(entry, async_add_entities, BadgeEvent)


class HomeAlarmEvent(ImaProtectEntity, EventEntity):
    """Every alarm of the home: intrusion, smoke, flood, tamper, fault, SOS."""

    _attr_translation_key = "alarm"
    _attr_event_types = [
        AlarmKind.INTRUSION.value,
        AlarmKind.SMOKE.value,
        AlarmKind.FLOOD.value,
        AlarmKind.TAMPER.value,
        AlarmKind.FAULT.value,
        AlarmKind.SOS.value,
    ]

    def __init__(self, panel: HomePanel) -> None:
        super().__init__(panel, "alarm_event", home_device(panel))

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_alarm(self.panel.entry.entry_id), self._async_alarm)

    @callback
    def _async_alarm(self, kind: str, data: dict[str, Any]) -> None:
        if kind in self._attr_event_types:
            self._trigger_event(kind, {"detector": data["detector"], "zone": data["zone"]})
            self.async_write_ha_state()


class BadgeEvent(BadgeEntity, EventEntity):
    """One badge's presentations, on its holder's device.

    Every badge event entity hears every presentation of the home, and keeps those of its badge.
    """

    _attr_translation_key = "badge"
    _attr_event_types = ["armed", "disarmed", "rejected"]

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, badge: StoredBadge) -> None:
        super().__init__(panel, subentry, badge, "event")

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_badge(self.panel.entry.entry_id), self._async_badge)

    @callback
    def _async_badge(self, digest: str, outcome: str, person: Person | None) -> None:
        if digest != self.badge.digest:
            return
        self._trigger_event(outcome, {"person": person.name if person else None})
        self.async_write_ha_state()
