"""Every sensor entity of the home, pinned; and how a mirrored battery level reads."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import WINDOW_BATTERY
from .platform_home import setup_platform


async def test_sensor_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    entry = await setup_platform(hass, Platform.SENSOR)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_battery_level_rounds_and_a_word_is_unknown(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    hass.states.async_set(WINDOW_BATTERY, "41.6")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.fenetre_salon_battery").state == "42"  # type: ignore[union-attr]
    hass.states.async_set(WINDOW_BATTERY, "low")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.fenetre_salon_battery").state == "unknown"  # type: ignore[union-attr]
