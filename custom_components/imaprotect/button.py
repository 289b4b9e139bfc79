"""The home's buttons: SOS, a security agent, and a photo on demand from each image detector.

SOS is silent: the panel shows nothing. Each is a row of a description table; pressing a
home's button goes to the home's offers with who pressed.
An agent is billed apart outside TOUT INCLUS and PROTECT+: the button's ``paid`` attribute says
whether a press now would be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_DETECTOR
from .core import Actor
from .entity import DetectorEntity, ImaProtectEntity, home_device
from .image import image_detector
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


@dataclass(frozen=True, kw_only=True)
class DetectorButtonEntityDescription(ButtonEntityDescription):
    """A detector's button: ``press_fn`` gets the panel, the detector's id and who pressed."""

    press_fn: Callable[[HomePanel, str, Actor], Awaitable[object]]
    exists_fn: Callable[[ConfigSubentry], bool]


DETECTOR_BUTTONS: tuple[DetectorButtonEntityDescription, ...] = (
    DetectorButtonEntityDescription(
        key="take_photo",
        translation_key="take_photo",
        press_fn=lambda panel, detector_id, actor: panel.photos.async_take_photo(
            detector_id, actor
        ),
        exists_fn=image_detector,
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
    for subentry in entry.get_subentries_of_type(SUBENTRY_DETECTOR):
        buttons = [
            DetectorButton(panel, subentry, description)
            for description in DETECTOR_BUTTONS
            if description.exists_fn(subentry)
        ]
        if buttons:
            async_add_entities(buttons, config_subentry_id=subentry.subentry_id)


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


class DetectorButton(DetectorEntity, ButtonEntity):
    """One of a detector's buttons, on the detector's device."""

    entity_description: DetectorButtonEntityDescription

    def __init__(
        self,
        panel: HomePanel,
        subentry: ConfigSubentry,
        description: DetectorButtonEntityDescription,
    ) -> None:
        super().__init__(panel, subentry, description.key)
        self.entity_description = description

    @override
    async def async_press(self) -> None:
        actor = await async_actor(self.hass, self._context)
        await self.entity_description.press_fn(self.panel, self.detector_id, actor)
