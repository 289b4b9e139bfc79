"""Every binary_sensor entity of the home, pinned; and which of them mirror their source."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import FLOOD, FLOOD_BATTERY, PANEL, WINDOW_TAMPER
from .platform_home import setup_platform


async def test_binary_sensor_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    socket_enabled: None,
) -> None:
    """With a voice server where nobody listens: its connectivity diagnostic is off."""
    entry = await setup_platform(
        hass,
        Platform.BINARY_SENSOR,
        voice_url="http://127.0.0.1:9",
        voice_token="voice-token-0123456789abcdef",
    )
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_low_battery_flag_mirrors_its_source_alone(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    hass.states.async_set(FLOOD_BATTERY, "on")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.buanderie_battery").state == "on"  # type: ignore[union-attr]
    assert hass.states.get("binary_sensor.buanderie").state == "off"  # type: ignore[union-attr]
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]


async def test_mirrored_sensors_go_unavailable_with_their_source_and_the_fault_does_not(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    hass.states.async_set(FLOOD, "unavailable")
    hass.states.async_set(FLOOD_BATTERY, "unavailable")
    hass.states.async_set(WINDOW_TAMPER, "unavailable")
    await hass.async_block_till_done()
    for entity_id in (
        "binary_sensor.buanderie",
        "binary_sensor.buanderie_battery",
        "binary_sensor.fenetre_salon_tamper",
    ):
        assert hass.states.get(entity_id).state == "unavailable", entity_id  # type: ignore[union-attr]
    # The fault flag is the alarm's own view: it stays readable, off until the window passes.
    assert hass.states.get("binary_sensor.buanderie_fault").state == "off"  # type: ignore[union-attr]
    assert hass.states.get("binary_sensor.fenetre_salon").state == "off"  # type: ignore[union-attr]
