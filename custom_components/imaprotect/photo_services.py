"""``imaprotect.take_photo``: a photo on demand from a detector's cameras, kept like alarm photos.

An entity action of the home's alarm panel, like ``sos``; the detector is named by its name (as
the homeowner sees it) or its id. Refusals are translated: an unknown detector, a detector
without a camera (``photos``), a camera that gave nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .const import ATTR_DETECTOR, DOMAIN, SERVICE_TAKE_PHOTO
from .contract.limits import MAX_NAME
from .offers import async_actor
from .services import async_register_panel_action, panel_of

if TYPE_CHECKING:
    from homeassistant.helpers.entity import Entity

    from .panel import HomePanel


def detector_id(panel: HomePanel, named: str) -> str:
    """The id of the detector named (by id, or by its name whatever the case)."""
    wanted = named.strip().casefold()
    for detector in panel.layout.config.detectors:
        if named == detector.id or detector.name.casefold() == wanted:
            return detector.id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="photo_unknown_detector",
        translation_placeholders={"detector": named[:MAX_NAME], "home": panel.title},
    )


async def _take_photo(entity: Entity, call: ServiceCall) -> None:
    panel = panel_of(entity)
    actor = await async_actor(panel.hass, call.context)
    await panel.photos.async_take_photo(detector_id(panel, call.data[ATTR_DETECTOR]), actor)


@callback
def async_setup_photo_services(hass: HomeAssistant) -> None:
    """Register ``take_photo`` once for all homes."""
    async_register_panel_action(
        hass,
        SERVICE_TAKE_PHOTO,
        {
            probatio.Required(ATTR_DETECTOR): probatio.All(
                cv.string, probatio.Length(min=1, max=MAX_NAME)
            )
        },
        _take_photo,
    )
