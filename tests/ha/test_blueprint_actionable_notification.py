"""alarm_actionable_notification.yaml: each alarm is pushed with its photo, "Disarm…" and "SOS".

The phone's ``notify.mobile_app_marie_phone`` is captured (the companion app cannot load in this
harness); its buttons are the ``mobile_app_notification_action`` events the app fires. The panel
and its alarms are real.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from .blueprint_harness import PHONE_NOTIFY, add_phone, async_use_blueprints, sos_calls
from .conftest import DOOR, FLOOD, MARIE_CODE, PANEL, SMOKE
from .standin import tick


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


async def notifications(hass: HomeAssistant, **inputs: Any) -> list[ServiceCall]:
    """The automation for Marie's phone; what the phone is sent."""
    pushed = async_mock_service(hass, "notify", PHONE_NOTIFY)
    await async_use_blueprints(
        hass,
        {
            "blueprint": "alarm_actionable_notification.yaml",
            "input": {"alarm_panel": PANEL, "phones": [add_phone(hass)]} | inputs,
        },
    )
    return pushed


def buttons(call: ServiceCall) -> dict[str, dict[str, Any]]:
    return {action["title"]: action for action in call.data["data"]["actions"]}


async def disarm(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "imaprotect", "disarm", {"entity_id": PANEL, "code": MARIE_CODE}, blocking=True
    )
    await hass.async_block_till_done()


async def test_a_break_in_is_pushed_with_the_camera_and_its_buttons(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    pushed = await notifications(hass, camera="camera.entrance")
    await hass.services.async_call(
        "imaprotect", "arm", {"entity_id": PANEL, "mode": "total"}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    assert pushed == []  # the entry delay: not an alarm yet
    await tick(hass, freezer, 31)
    assert len(pushed) == 1
    sent = pushed[0].data
    assert (sent["title"], sent["message"]) == (
        "Maison: Intrusion",
        "Porte d'entrée (Rez-de-chaussée)",
    )
    assert sent["data"]["image"] == "/api/camera_proxy/camera.entrance"
    assert sent["data"]["tag"] == f"imaprotect-alarm-{home.entry_id}"
    assert set(buttons(pushed[0])) == {"Disarm…", "Call SOS"}
    assert buttons(pushed[0])["Disarm…"] == {
        "action": "URI",
        "title": "Disarm…",
        "uri": f"entityId:{PANEL}",
    }
    # Disarming clears the notification on the phone.
    await disarm(hass)
    assert pushed[1].data == {"message": "clear_notification", "data": {"tag": sent["data"]["tag"]}}


async def test_no_button_disarms_and_sos_calls_for_help(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    calls = sos_calls(hass)
    alarms = async_capture_events(hass, "imaprotect_alarm")
    pushed = await notifications(hass)
    hass.states.async_set(SMOKE, "on")
    await hass.async_block_till_done()
    assert "image" not in pushed[0].data["data"]  # no camera named anywhere: no photo
    for button in buttons(pushed[0]).values():
        hass.bus.async_fire("mobile_app_notification_action", {"action": button["action"]})
        await hass.async_block_till_done()
        assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
    await hass.async_block_till_done()  # the SOS's own alarm, queued behind the press
    sos = buttons(pushed[0])["Call SOS"]
    assert sos["authenticationRequired"] is True
    if calls is not None:  # stand-in until imaprotect.sos is merged: it was called for the home
        assert [c.data for c in calls] == [{"entity_id": PANEL}]
    else:  # the real one: an SOS alarm of the home, pushed in turn
        assert [e.data["kind"] for e in alarms] == ["smoke", "sos"]
        assert pushed[-1].data["title"] == "Maison: SOS", [c.data for c in pushed]
    assert sos["action"] == f"IMAPROTECT_SOS_{home.entry_id}"
    # Another home's SOS button is not this home's.
    hass.bus.async_fire("mobile_app_notification_action", {"action": "IMAPROTECT_SOS_other"})
    await hass.async_block_till_done()
    assert len(calls if calls is not None else [e for e in alarms if e.data["kind"] == "sos"]) == 1
    await disarm(hass)


async def test_the_alarm_names_its_own_camera_and_other_homes_are_not_pushed(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    pushed = await notifications(hass, camera="camera.entrance", kinds=["intrusion", "smoke"])
    # An image motion detector's alarm carries its camera (the photos of alarms being built).
    base = {"entry_id": home.entry_id, "home": "Maison", "zone": "Jardin"}
    hass.bus.async_fire(
        "imaprotect_alarm",
        base | {"kind": "intrusion", "detector": "Jardin", "camera_entity": "camera.garden"},
    )
    hass.bus.async_fire(
        "imaprotect_alarm", base | {"entry_id": "another-home", "kind": "intrusion"}
    )
    await hass.async_block_till_done()
    assert [c.data["data"]["image"] for c in pushed] == ["/api/camera_proxy/camera.garden"]
    pushed.clear()
    hass.states.async_set(FLOOD, "on")  # floods were not chosen
    await hass.async_block_till_done()
    assert pushed == []
    await disarm(hass)
