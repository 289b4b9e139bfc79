"""One switch per badge: turn it off when the badge is lost, and it opens nothing any more."""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .badges import StoredBadge
from .entity import BadgeEntity, async_add_badge_entities
from .panel import HomePanel, ImaProtectConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for each badge, on its holder's device."""
    async_add_badge_entities(entry, async_add_entities, BadgeSwitch)


class BadgeSwitch(BadgeEntity, SwitchEntity):
    """On: the badge arms and disarms; off: it is rejected (lost or lent)."""

    _attr_translation_key = "badge_enabled"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, panel: HomePanel, subentry: ConfigSubentry, badge: StoredBadge) -> None:
        super().__init__(panel, subentry, badge, "enabled")

    @property
    @override
    def is_on(self) -> bool:
        return not self.panel.badge_disabled(self.badge.digest)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Give the badge back its rights; recorded with who did it (see the panel)."""
        await self.panel.async_set_badge_disabled(self.badge, disabled=False, context=self._context)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.panel.async_set_badge_disabled(self.badge, disabled=True, context=self._context)
