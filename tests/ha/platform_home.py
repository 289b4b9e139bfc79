"""The home the platform snapshots pin: every entity kind the integration makes, one platform each.

It is the shared test home (two zones; opening on the entry route, opening with tamper and a
numeric battery, motion, smoke, flood with a low-battery flag; people with badges) plus an image
motion detector with its camera, and a call-out (callback webhook and notifiers). Its entry id is
fixed because unique ids start with it, and the snapshots must not change from run to run.
"""

from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.const import (
    CONF_CALLBACK_SECRET,
    CONF_NOTIFY_ENTITIES,
    CONF_WEBHOOK_ID,
)

from .conftest import home_entry, set_sources
from .entry_kit import image_detector, rebuilt_entry

ENTRY_ID = "01JX0SNAPSHOTHOME000000000"
GARDEN = "binary_sensor.garden_camera_motion"
GARDEN_CAMERA = "camera.garden"

_CALL_OUT = {
    CONF_WEBHOOK_ID: "b" * 64,
    CONF_CALLBACK_SECRET: "callback-secret-0123456789abcdef0123456789",
    CONF_NOTIFY_ENTITIES: ["notify.phone"],
}


def snapshot_entry(**settings: Any) -> MockConfigEntry:
    """The shared test home with a fixed entry id, a camera detector and a call-out."""
    garden = image_detector(GARDEN, GARDEN_CAMERA, zone="ground")
    return rebuilt_entry(home_entry(**_CALL_OUT, **settings), garden, entry_id=ENTRY_ID)


async def setup_platform(
    hass: HomeAssistant, platform: Platform, **settings: Any
) -> MockConfigEntry:
    """Set the home up with only one platform, as ``snapshot_platform`` wants."""
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = snapshot_entry(**settings)
    entry.add_to_hass(hass)
    with patch("custom_components.imaprotect.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry
