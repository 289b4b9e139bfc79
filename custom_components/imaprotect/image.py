"""Each image detector's latest photo (an alarm's, or one taken on demand), as an image entity.

Home Assistant serves it through its own image proxy to logged-in users; the station never gets
that URL (its tokens rotate, see ``photos``), only the verification link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_DETECTOR_TYPE, SUBENTRY_DETECTOR
from .core import DetectorType
from .entity import DetectorEntity
from .panel import HomePanel, ImaProtectConfigEntry
from .photos import signal_photo

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DetectorImageEntityDescription(ImageEntityDescription):
    """A detector's image; made for the detectors ``exists_fn`` accepts."""

    exists_fn: Callable[[ConfigSubentry], bool]


def image_detector(subentry: ConfigSubentry) -> bool:
    """Whether a detector is an image detector (its camera is in its settings)."""
    return subentry.data.get(CONF_DETECTOR_TYPE) == DetectorType.IMAGE_MOTION


IMAGES: tuple[DetectorImageEntityDescription, ...] = (
    DetectorImageEntityDescription(key="photo", translation_key="photo", exists_fn=image_detector),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the photo of each image detector."""
    panel = entry.runtime_data
    for subentry in entry.get_subentries_of_type(SUBENTRY_DETECTOR):
        entities = [
            DetectorImage(hass, panel, subentry, description)
            for description in IMAGES
            if description.exists_fn(subentry)
        ]
        if entities:
            async_add_entities(entities, config_subentry_id=subentry.subentry_id)


class DetectorImage(DetectorEntity, ImageEntity):
    """The detector's latest photo; unknown until it has one."""

    _attr_content_type = "image/jpeg"
    entity_description: DetectorImageEntityDescription

    def __init__(
        self,
        hass: HomeAssistant,
        panel: HomePanel,
        subentry: ConfigSubentry,
        description: DetectorImageEntityDescription,
    ) -> None:
        DetectorEntity.__init__(self, panel, subentry, description.key)
        ImageEntity.__init__(self, hass)
        self.entity_description = description
        self._refresh()

    def _refresh(self) -> None:
        latest = self.panel.photos.latest(self.detector_id)
        self._attr_image_last_updated = latest[1] if latest is not None else None

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._listen(signal_photo(self.panel.entry.entry_id), self._async_photo_taken)

    @callback
    def _async_photo_taken(self, detector_id: str) -> None:
        if detector_id == self.detector_id:
            self._refresh()
            self.async_write_ha_state()

    @override
    async def async_image(self) -> bytes | None:
        latest = self.panel.photos.latest(self.detector_id)
        return None if latest is None else await self.panel.photos.async_read(latest[0])
