"""Progressive lockout in Home Assistant: persisted, escalating, and told from the second lock."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from .conftest import MARIE_CODE, PANEL, home_entry, set_sources
from .test_panel import call, state, tick


async def five_wrong_codes(hass: HomeAssistant) -> None:
    for _ in range(5):
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                "imaprotect",
                "disarm",
                {"entity_id": PANEL, "code": "9999", "source": "keypad"},
                blocking=True,
            )


def notifications(hass: HomeAssistant) -> list[str]:
    return [
        n["message"]
        for n in persistent_notification._async_get_or_create_notifications(hass).values()
    ]


async def test_second_lockout_in_a_row_is_longer_and_notified(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    set_sources(hass)
    entry = home_entry(notify_entities=["notify.phone"])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    locked = async_capture_events(hass, "imaprotect_locked_out")

    await five_wrong_codes(hass)
    assert [e.data["locks"] for e in locked] == [1]
    assert sent == []  # one lockout can be a fumble: recorded, nobody disturbed
    assert notifications(hass) == []

    await tick(hass, freezer, 91)
    await five_wrong_codes(hass)
    assert [e.data["locks"] for e in locked] == [1, 2]
    # 3 minutes this time: still locked after 2.
    await tick(hass, freezer, 120)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_arm_away", code=MARIE_CODE)
    assert err.value.translation_key == "locked_out"
    await hass.async_block_till_done()
    assert len(sent) == 1
    assert sent[0].data["entity_id"] == ["notify.phone"]
    assert "9999" not in str(sent[0].data)
    [message] = notifications(hass)
    assert message == sent[0].data["message"]
    assert "2" in message

    await tick(hass, freezer, 61)
    await call(hass, "alarm_arm_away", code=MARIE_CODE)
    assert state(hass) == "arming"


async def test_escalation_survives_a_restart(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    locked = async_capture_events(hass, "imaprotect_locked_out")
    await five_wrong_codes(hass)
    await tick(hass, freezer, 91)
    assert await hass.config_entries.async_reload(home.entry_id)
    await hass.async_block_till_done()
    await five_wrong_codes(hass)
    assert [e.data["locks"] for e in locked] == [1, 2]
    # A right code resets the escalation: the next lockout is a first one again.
    await tick(hass, freezer, 181)
    await call(hass, "alarm_arm_away", code=MARIE_CODE)
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    await five_wrong_codes(hass)
    assert [e.data["locks"] for e in locked] == [1, 2, 1]
