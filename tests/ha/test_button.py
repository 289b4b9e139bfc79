"""Every button entity of the home, pinned: SOS and the security agent."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .platform_home import setup_platform


async def test_button_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    entry = await setup_platform(hass, Platform.BUTTON)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
