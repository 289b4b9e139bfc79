"""The integration loads in Home Assistant, creates its devices and entities, and unloads."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
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
        "button",  # SOS and the security agent (issue 9)
        "event",
        "sensor",
        "switch",
    }
    assert hass.states.get("binary_sensor.porte_d_entree").attributes["device_class"] == "opening"
    assert hass.states.get("binary_sensor.fumee_etage").attributes["device_class"] == "smoke"
    assert hass.states.get("sensor.fenetre_salon_battery").state == "87"

    assert await hass.config_entries.async_unload(home.entry_id)
    assert home.state is ConfigEntryState.NOT_LOADED


async def test_a_new_detector_appears_without_restarting(
    hass: HomeAssistant, home: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    hass.states.async_set("binary_sensor.garage_door", "off")
    result = await hass.config_entries.subentries.async_init(
        (home.entry_id, "detector"), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Porte garage",
            "detector_type": "opening",
            "source_entity": "binary_sensor.garage_door",
            "zone": "ground",
            "entry_route": True,
            "supervision": {},
        },
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.porte_garage") is not None
    hass.states.async_set("binary_sensor.garage_door", "on")
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).attributes["open_detectors"] == ["Porte garage"]  # type: ignore[union-attr]


async def test_removed_detector_leaves_and_its_device_can_be_deleted(
    hass: HomeAssistant,
    home: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    device = device_registry.async_get_device_by_identifier(
        ("imaprotect", "bedroom"), home.entry_id
    )
    assert device is not None
    hass.config_entries.async_remove_subentry(home, "bedroom")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.chambre") is None or (
        hass.states.get("binary_sensor.chambre").state == "unavailable"  # type: ignore[union-attr]
    )
    from custom_components.imaprotect import async_remove_config_entry_device

    panel_device = device_registry.async_get_device_by_identifier(
        ("imaprotect", home.entry_id), home.entry_id
    )
    assert panel_device is not None
    assert not await async_remove_config_entry_device(hass, home, panel_device)
    assert await async_remove_config_entry_device(hass, home, device)


async def test_detectors_of_a_deleted_zone_keep_watching_and_a_repair_says_so(
    hass: HomeAssistant, home: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    hass.config_entries.async_remove_subentry(home, "upstairs")
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue("imaprotect", f"detector_without_zone_{home.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "detectors": "Chambre, Fumée étage"}
    hass.states.async_set("binary_sensor.upstairs_smoke", "on")
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
