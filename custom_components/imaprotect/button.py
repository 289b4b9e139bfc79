"""The home's buttons: SOS (silent: the panel shows nothing) and asking for a security agent.

Each is a row of the description table; pressing it goes to the home's offers with who pressed.
An agent is billed apart outside TOUT INCLUS and PROTECT+: the button's ``paid`` attribute says
whether a press now would be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .core import Actor
from .entity import ImaProtectEntity, home_device
from .offers import HomeOffers, async_actor
from .panel import HomePanel, ImaProtectConfigEntry
from .protect_plus import signal_protect_plus

PARALLEL_UPDATES = 1  # one press at a time: each is recorded in order


@dataclass(frozen=True, kw_only=True)
class HomeButtonEntityDescription(ButtonEntityDescription):
    """A home's button: ``press_fn`` gets the offers, who pressed and the press's context."""

    press_fn: Callable[[HomeOffers, Actor, Any], Awaitable[None]]
    attributes_fn: Callable[[HomeOffers], Mapping[str, Any]] | None = None


BUTTONS: tuple[HomeButtonEntityDescription, ...] = (
    HomeButtonEntityDescription(
        key="sos",
        translation_key="sos",
        press_fn=lambda offers, actor, context: offers.async_sos(
            actor, siren=False, context=context
        ),
    ),
    HomeButtonEntityDescription(
        key="request_agent",
        translation_key="request_agent",
        press_fn=lambda offers, actor, context: offers.async_request_agent(
            actor, None, context=context
        ),
        attributes_fn=lambda offers: {"paid": offers.paid()},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the home's buttons."""
    panel = entry.runtime_data
    async_add_entities(HomeButton(panel, description) for description in BUTTONS)


class HomeButton(ImaProtectEntity, ButtonEntity):
    """One of the home's buttons, on the home's device."""

    entity_description: HomeButtonEntityDescription

    def __init__(self, panel: HomePanel, description: HomeButtonEntityDescription) -> None:
        super().__init__(panel, description.key, home_device(panel))
        self.entity_description = description

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if self.entity_description.attributes_fn is not None:  # paid or not follows PROTECT+
            self._listen(signal_protect_plus(self.panel.entry.entry_id), self._async_panel_updated)

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(self.panel.offers)

    @override
    async def async_press(self) -> None:
        actor = await async_actor(self.hass, self._context)
        await self.entity_description.press_fn(self.panel.offers, actor, self._context)
