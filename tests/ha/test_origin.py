"""Who really acted: the logged-in user named when no code is needed, the real origin recorded."""

from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.imaprotect.diagnostics import async_get_config_entry_diagnostics
from custom_components.imaprotect.origin import async_origin

from .conftest import MARIE_CODE, PANEL
from .test_logbook import line
from .test_panel import attrs, state


async def _arm_away_as(hass: HomeAssistant, user: MockUser) -> None:
    """Arm total from the app, logged in as ``user``, with no code."""
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_arm_away",
        {"entity_id": PANEL},
        blocking=True,
        context=Context(user_id=user.id),
    )


async def test_arming_without_a_code_names_the_logged_in_user(
    hass: HomeAssistant, home: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    armed = async_capture_events(hass, "imaprotect_armed")
    await _arm_away_as(hass, hass_admin_user)
    assert state(hass) == "arming"
    assert attrs(hass)["changed_by"] == "Mock User"
    [event] = armed
    assert event.data["person"] is None
    assert event.data["user"] == "Mock User"
    assert event.data["method"] == "app"
    assert event.data["origin"] == {"type": "user", "name": "Mock User"}
    described = line(hass, "imaprotect_armed", **event.data)
    assert described == "Armed (total) by Mock User from the app"


async def test_changed_by_keeps_the_user_after_a_restart(
    hass: HomeAssistant, home: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    await _arm_away_as(hass, hass_admin_user)
    assert await hass.config_entries.async_reload(home.entry_id)
    await hass.async_block_till_done()
    assert attrs(hass)["changed_by"] == "Mock User"


async def test_a_claimed_keypad_source_from_an_automation_shows_the_automation(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    armed = async_capture_events(hass, "imaprotect_armed")
    disarmed = async_capture_events(hass, "imaprotect_disarmed")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "fake_keypad",
                    "alias": "Fake keypad",
                    "triggers": [{"trigger": "event", "event_type": "go"}],
                    "actions": [
                        {
                            "action": "imaprotect.arm",
                            "target": {"entity_id": PANEL},
                            "data": {"mode": "total", "source": "keypad"},
                        }
                    ],
                },
                {
                    "id": "fake_disarm",
                    "alias": "Fake disarm",
                    "triggers": [{"trigger": "event", "event_type": "stop"}],
                    "actions": [
                        {
                            "action": "imaprotect.disarm",
                            "target": {"entity_id": PANEL},
                            "data": {"code": MARIE_CODE, "source": "keypad"},
                        }
                    ],
                },
            ]
        },
    )
    hass.bus.async_fire("go")
    await hass.async_block_till_done()
    assert state(hass) == "arming"
    [event] = armed
    assert event.data["method"] == "keypad"  # what the caller claims
    origin = {"type": "automation", "entity_id": "automation.fake_keypad", "name": "Fake keypad"}
    assert event.data["origin"] == origin  # what really happened
    assert attrs(hass)["changed_by"] == "keypad"
    described = line(hass, "imaprotect_armed", **event.data)
    assert described == "Armed (total) by someone with the keypad (automation Fake keypad)"

    hass.bus.async_fire("stop")
    await hass.async_block_till_done()
    assert state(hass) == "disarmed"
    [event] = disarmed
    assert event.data["person"] == "Marie"
    assert event.data["origin"]["entity_id"] == "automation.fake_disarm"
    described = line(hass, "imaprotect_disarmed", **event.data)
    assert described == "Disarmed by Marie with the keypad (automation Fake disarm)"


async def test_a_call_without_user_or_automation_comes_from_the_system(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    refused = async_capture_events(hass, "imaprotect_code_rejected")
    await hass.services.async_call(
        "imaprotect",
        "disarm",
        {"entity_id": PANEL, "code": "9999"},
        blocking=False,
    )
    await hass.async_block_till_done()
    assert refused[0].data["origin"] == {"type": "system"}


async def test_a_script_is_named_as_the_origin(hass: HomeAssistant, home: MockConfigEntry) -> None:
    armed = async_capture_events(hass, "imaprotect_armed")
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "leave": {
                    "alias": "Leave",
                    "sequence": [
                        {
                            "action": "imaprotect.arm",
                            "target": {"entity_id": PANEL},
                            "data": {"mode": "total"},
                        }
                    ],
                }
            }
        },
    )
    await hass.services.async_call("script", "leave", blocking=True)
    await hass.async_block_till_done()
    [event] = armed
    assert event.data["origin"] == {"type": "script", "entity_id": "script.leave", "name": "Leave"}
    described = line(hass, "imaprotect_armed", **event.data)
    assert described == "Armed (total) by someone by an automation (script Leave)"


async def test_only_the_latest_runs_are_remembered(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    contexts = [Context() for _ in range(300)]
    for n, context in enumerate(contexts):
        hass.bus.async_fire(
            "automation_triggered",
            {"entity_id": f"automation.a{n}", "name": f"A{n}"},
            context=context,
        )
    await hass.async_block_till_done()
    assert await async_origin(hass, contexts[0]) == {"type": "system"}
    assert (await async_origin(hass, contexts[-1]))["entity_id"] == "automation.a299"


async def test_diagnostics_do_not_name_the_user(
    hass: HomeAssistant, home: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    await _arm_away_as(hass, hass_admin_user)
    diagnostics = await async_get_config_entry_diagnostics(hass, home)
    assert "Mock User" not in str(diagnostics)
