"""A new user sets up a whole home from the UI flows alone, then uses it.

The flows are driven through the HTTP endpoints Home Assistant's frontend calls
(/api/config/config_entries/flow and …/subentries/flow), as an admin user, so what is tested is
what the dialogs show and send, translated errors included.
"""

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


async def step(client: TestClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """One dialog step: POST what the user typed, get the next form or the result."""
    response = await client.post(url, json=body)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def add(client: TestClient, entry_id: str, kind: str, form: dict[str, Any]) -> None:
    """Open "Add <kind>" on the home and fill the form, as the UI does."""
    base = "/api/config/config_entries/subentries/flow"
    result = await step(client, base, {"handler": [entry_id, kind]})
    assert result["type"] == "form"
    result = await step(client, f"{base}/{result['flow_id']}", form)
    assert result["type"] == "create_entry", result.get("errors")


def zone_id(entry: Any, title: str) -> str:
    return next(s.subentry_id for s in entry.subentries.values() if s.title == title)


async def test_two_zones_five_detectors_two_people_from_the_flows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    # What a running Home Assistant has loaded before the user opens the dialogs.
    for component in ("config", "webhook"):
        assert await async_setup_component(hass, component, {})
    # Home Assistant's server keeps its router open for integrations set up after it started
    # (components/http/server.py); the harness's test server would freeze it, and imaprotect
    # registers its journal download when it is set up.
    hass.http.app._router.freeze = lambda: None  # type: ignore[method-assign]
    client = await hass_client()
    for entity_id in (
        "binary_sensor.door",
        "binary_sensor.window",
        "binary_sensor.hall",
        "binary_sensor.bedroom",
        "binary_sensor.smoke",
    ):
        hass.states.async_set(entity_id, "off")

    flows = "/api/config/config_entries/flow"
    result = await step(client, flows, {"handler": "imaprotect"})
    assert result["step_id"] == "user"
    result = await step(
        client,
        f"{flows}/{result['flow_id']}",
        {
            "name": "Maison",
            "formula": "a_la_carte",
            "entry_delay": 30,
            "exit_delay": 20,
            "alarm_duration": 180,
            "code_arm_required": False,
        },
    )
    # A LA CARTE has a monitoring station: its link can be given now, or later (left empty).
    assert result["step_id"] == "station_link"
    result = await step(client, f"{flows}/{result['flow_id']}", {})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(result["result"]["entry_id"])
    assert entry is not None

    await add(client, entry.entry_id, "zone", {"name": "Rez-de-chaussée", "partial": True})
    await add(client, entry.entry_id, "zone", {"name": "Étage", "partial": False})
    ground, upstairs = zone_id(entry, "Rez-de-chaussée"), zone_id(entry, "Étage")
    for name, kind, source, zone, route in (
        ("Porte", "opening", "binary_sensor.door", ground, True),
        ("Fenêtre", "opening", "binary_sensor.window", ground, False),
        ("Couloir", "motion", "binary_sensor.hall", ground, True),
        ("Chambre", "motion", "binary_sensor.bedroom", upstairs, False),
        ("Fumée", "smoke", "binary_sensor.smoke", upstairs, False),
    ):
        await add(
            client,
            entry.entry_id,
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
    # A typo in the code is refused with a translated error, and nothing typed is lost.
    base = "/api/config/config_entries/subentries/flow"
    result = await step(client, base, {"handler": [entry.entry_id, "person"]})
    marie = {
        "name": "Marie",
        "badges": ["04A1B2C3"],
        "phone": "06 12 34 56 78",
        "email": "marie@example.org",
        "call_position": 1,
        "phone_code": "582046",
        "may_arm": True,
        "may_disarm": True,
    }
    result = await step(client, f"{base}/{result['flow_id']}", marie | {"code": "48a1"})
    assert result["errors"] == {"code": "invalid_code"}
    result = await step(client, f"{base}/{result['flow_id']}", marie | {"code": "4821"})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    await add(
        client,
        entry.entry_id,
        "person",
        {
            "name": "Paul",
            "code": "7315",
            "call_position": 2,
            "phone": "+33 7 98 76 54 32",
            "phone_code": "731546",
        },
    )

    panel = "alarm_control_panel.maison"
    assert hass.states.get(panel).state == "disarmed"  # type: ignore[union-attr]
    assert len(entry.subentries) == 2 + 5 + 2
    marie = next(s for s in entry.subentries.values() if s.title == "Marie")
    assert marie.data["phone"] == "+33612345678"
    assert "4821" not in str(marie.data)
    assert "582046" not in str(marie.data)

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
