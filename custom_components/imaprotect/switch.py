"""One switch per badge: turn it off when the badge is lost, and it opens nothing any more."""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .badges import badge_hint, badge_key, person_badges
from .const import SUBENTRY_PERSON
from .entity import ImaProtectEntity, subentry_device
from .panel import HomePanel, ImaProtectConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for each badge, on its holder's device."""
    panel = entry.runtime_data
    for subentry in entry.get_subentries_of_type(SUBENTRY_PERSON):
        async_add_entities(
            [BadgeSwitch(panel, subentry, badge) for badge in person_badges(subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class BadgeSwitch(ImaProtectEntity, SwitchEntity):
    """On: the badge arms and disarms; off: it is rejected (lost or lent)."""

    _attr_translation_key = "badge_enabled"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, badge_id: str) -> None:
        super().__init__(
            panel, f"badge_{badge_key(badge_id)}_enabled", subentry_device(panel, subentry)
        )
        self._badge = badge_id
        self._attr_translation_placeholders = {"badge": badge_hint(badge_id)}

    @property
    @override
    def is_on(self) -> bool:
        return not self.panel.badge_disabled(self._badge)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.panel.async_set_badge_disabled(self._badge, disabled=False)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.panel.async_set_badge_disabled(self._badge, disabled=True)
