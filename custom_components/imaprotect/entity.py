"""Base entities: one device per home, zone, detector and person, updated by the panel's signal."""

from collections.abc import Callable
from typing import override

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, State, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_state_change_event

from .badges import StoredBadge, person_badges
from .const import DOMAIN, SUBENTRY_PERSON
from .panel import HomePanel, ImaProtectConfigEntry, signal_update


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
    """An entity of a detector's device; with a source, it mirrors that Home Assistant entity.

    A mirrored entity (the detector itself, its tamper switch, its battery) is unavailable with
    its source, so a dead radio never reads as "closed"; one without a source (the fault flag)
    is the alarm's own view and stays available.
    """

    def __init__(
        self, panel: HomePanel, subentry: ConfigSubentry, key: str, source: str | None = None
    ) -> None:
        super().__init__(panel, f"{subentry.subentry_id}_{key}", subentry_device(panel, subentry))
        self.detector_id = subentry.subentry_id
        self.source = source

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if self.source is not None:
            self.async_on_remove(
                async_track_state_change_event(self.hass, self.source, self._async_source_changed)
            )

    @callback
    def _async_source_changed(self, _event: Event[EventStateChangedData]) -> None:
        self.async_write_ha_state()

    def source_state(self) -> State | None:
        """The mirrored entity's state; None without a source or while it does not exist."""
        return None if self.source is None else self.hass.states.get(self.source)

    @property
    @override
    def available(self) -> bool:
        if self.source is None:
            return super().available
        state = self.source_state()
        return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


class BadgeEntity(ImaProtectEntity):
    """An entity of one badge, on its holder's device.

    Its unique id holds the badge's ``uid`` (from a digest) and its name only the badge's last
    characters (its hint), so neither registry nor dashboard shows a badge's full number.
    """

    def __init__(
        self, panel: HomePanel, subentry: ConfigSubentry, badge: StoredBadge, suffix: str
    ) -> None:
        super().__init__(panel, f"badge_{badge.uid}_{suffix}", subentry_device(panel, subentry))
        self.badge = badge
        self._attr_translation_placeholders = {"badge": badge.hint}


@callback
def async_add_badge_entities(
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[HomePanel, ConfigSubentry, StoredBadge], BadgeEntity],
) -> None:
    """Add one entity per badge, grouped under its holder's subentry (so it leaves with them)."""
    panel = entry.runtime_data
    for subentry in entry.get_subentries_of_type(SUBENTRY_PERSON):
        if badges := person_badges(subentry):
            async_add_entities(
                [factory(panel, subentry, badge) for badge in badges],
                config_subentry_id=subentry.subentry_id,
            )
