"""Every image entity of the home, pinned: the image detector's latest photo."""

from unittest.mock import patch

from homeassistant.components import image
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .platform_home import setup_platform


async def test_image_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    # The image proxy's access token is random: pinned here so the snapshot holds.
    with patch.object(image._RND, "getrandbits", return_value=0x1234ABCD):
        entry = await setup_platform(hass, Platform.IMAGE)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
