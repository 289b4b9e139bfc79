"""A new user sets up a whole home from the UI flows alone, then uses it."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


async def add(hass: HomeAssistant, entry: ConfigEntry, kind: str, form: dict[str, Any]) -> None:
    """Fill one subentry form, as the UI does."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": "user"}
    )
    assert result["type"] == "form"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] == "create_entry", result.get("errors")
    await hass.async_block_till_done()


def zone_id(entry: ConfigEntry, title: str) -> str:
    return next(s.subentry_id for s in entry.subentries.values() if s.title == title)


async def test_two_zones_five_detectors_two_people_from_the_flows(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    for entity_id in (
        "binary_sensor.door",
        "binary_sensor.window",
        "binary_sensor.hall",
        "binary_sensor.bedroom",
        "binary_sensor.smoke",
    ):
        hass.states.async_set(entity_id, "off")

    result = await hass.config_entries.flow.async_init("imaprotect", context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "name": "Maison",
            "formula": "a_la_carte",
            "entry_delay": 30,
            "exit_delay": 20,
            "alarm_duration": 180,
            "code_arm_required": False,
        },
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    entry = result["result"]

    await add(hass, entry, "zone", {"name": "Rez-de-chaussée", "partial": True})
    await add(hass, entry, "zone", {"name": "Étage", "partial": False})
    ground, upstairs = zone_id(entry, "Rez-de-chaussée"), zone_id(entry, "Étage")
    for name, kind, source, zone, route in (
        ("Porte", "opening", "binary_sensor.door", ground, True),
        ("Fenêtre", "opening", "binary_sensor.window", ground, False),
        ("Couloir", "motion", "binary_sensor.hall", ground, True),
        ("Chambre", "motion", "binary_sensor.bedroom", upstairs, False),
        ("Fumée", "smoke", "binary_sensor.smoke", upstairs, False),
    ):
        await add(
            hass,
            entry,
            "detector",
            {
                "name": name,
                "detector_type": kind,
                "source_entity": source,
                "zone": zone,
                "entry_route": route,
                "supervision": {},
            },
        )
    await add(
        hass,
        entry,
        "person",
        {
            "name": "Marie",
            "code": "4821",
            "badges": ["04A1B2C3"],
            "phone": "06 12 34 56 78",
            "email": "marie@example.org",
            "call_position": 1,
            "may_arm": True,
            "may_disarm": True,
        },
    )
    await add(
        hass,
        entry,
        "person",
        {"name": "Paul", "code": "7315", "call_position": 2, "phone": "+33 7 98 76 54 32"},
    )

    panel = "alarm_control_panel.maison"
    assert hass.states.get(panel).state == "disarmed"  # type: ignore[union-attr]
    assert len(entry.subentries) == 2 + 5 + 2
    marie = next(s for s in entry.subentries.values() if s.title == "Marie")
    assert marie.data["phone"] == "+33612345678"
    assert "4821" not in str(marie.data)

    # It works: armed with a badge, the door gives the entry delay, Paul's code disarms.
    hass.bus.async_fire("tag_scanned", {"tag_id": "04a1b2c3"})
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=21))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(panel).state == "armed_away"  # type: ignore[union-attr]
    hass.states.async_set("binary_sensor.door", "on")
    await hass.async_block_till_done()
    assert hass.states.get(panel).state == "pending"  # type: ignore[union-attr]
    await hass.services.async_call(
        "alarm_control_panel", "alarm_disarm", {"entity_id": panel, "code": "7315"}, blocking=True
    )
    state = hass.states.get(panel)
    assert state is not None
    assert (state.state, state.attributes["changed_by"]) == ("disarmed", "Paul")
