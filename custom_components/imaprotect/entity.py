"""Base entities: one device per home, zone, detector and person, updated by the panel's signal."""

from collections.abc import Callable
from typing import override

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_state_change_event

from .const import DOMAIN
from .panel import HomePanel, signal_update


class ImaProtectEntity(Entity):
    """An entity of one home, refreshed whenever its panel reports a change."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, panel: HomePanel, key: str, device_info: DeviceInfo) -> None:
        self.panel = panel
        self._attr_unique_id = f"{panel.entry.entry_id}_{key}"
        self._attr_device_info = device_info

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_update(self.panel.entry.entry_id), self._async_panel_updated)

    def _listen(self, signal: str, target: Callable[..., None]) -> None:
        """Follow one of the panel's dispatcher signals while the entity exists."""
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, target))

    @callback
    def _async_panel_updated(self) -> None:
        """Write the new state; subclasses refresh their cached attributes first."""
        self.async_write_ha_state()


def home_device(panel: HomePanel) -> DeviceInfo:
    """The home's own device: the alarm panel."""
    return DeviceInfo(
        identifiers={(DOMAIN, panel.entry.entry_id)},
        name=panel.title,
        manufacturer="imaprotect",
    )


def subentry_device(panel: HomePanel, subentry: ConfigSubentry) -> DeviceInfo:
    """A device for a zone, detector or person, attached under the home's device."""
    info = DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer="imaprotect",
    )
    if panel.home_device_id is not None:
        info["via_device_id"] = panel.home_device_id
    return info


class DetectorEntity(ImaProtectEntity):
    """An entity of a detector's device."""

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, key: str) -> None:
        super().__init__(panel, f"{subentry.subentry_id}_{key}", subentry_device(panel, subentry))
        self.detector_id = subentry.subentry_id


class MirrorEntity(DetectorEntity):
    """A detector entity that mirrors another Home Assistant entity; unavailable with it."""

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, key: str, source: str) -> None:
        super().__init__(panel, subentry, key)
        self.source = source

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_state_change_event(self.hass, self.source, self._async_source_changed)
        )

    @callback
    def _async_source_changed(self, _event: Event[EventStateChangedData]) -> None:
        self.async_write_ha_state()

    @property
    @override
    def available(self) -> bool:
        state = self.hass.states.get(self.source)
        return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
