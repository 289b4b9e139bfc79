"""The integration loads in Home Assistant, creates its devices and entities, and unloads."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import PANEL


async def test_home_loads_with_its_entities(
    hass: HomeAssistant,
    home: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    assert home.state is ConfigEntryState.LOADED
    state = hass.states.get(PANEL)
    assert state is not None
    assert state.state == "disarmed"
    assert state.attributes["open_detectors"] == []
    # One device for the home, two zones, six detectors and the two people with badges.
    devices = dr.async_entries_for_config_entry(device_registry, home.entry_id)
    assert len(devices) == 1 + 2 + 6 + 2
    entities = er.async_entries_for_config_entry(entity_registry, home.entry_id)
    assert {e.domain for e in entities} == {
        "alarm_control_panel",
        "binary_sensor",
        "event",
        "sensor",
        "switch",
    }
    assert hass.states.get("binary_sensor.porte_d_entree").attributes["device_class"] == "opening"
    assert hass.states.get("binary_sensor.fumee_etage").attributes["device_class"] == "smoke"
    assert hass.states.get("sensor.fenetre_salon_battery").state == "87"

    assert await hass.config_entries.async_unload(home.entry_id)
    assert home.state is ConfigEntryState.NOT_LOADED
