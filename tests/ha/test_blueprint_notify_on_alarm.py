"""notify_on_alarm.yaml: each alarm of the home reaches Marie's phone, naming detector and zone."""

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from .blueprint_harness import PHONE_NOTIFY, add_phone, async_use_blueprints
from .conftest import SMOKE, WINDOW_TAMPER


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


async def test_each_alarm_is_pushed_with_its_detector_and_zone(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    pushed = async_mock_service(hass, "notify", PHONE_NOTIFY)
    await async_use_blueprints(
        hass,
        {
            "blueprint": "notify_on_alarm.yaml",
            "input": {"alarm_event": "event.maison_alarm", "notify_device": add_phone(hass)},
        },
    )
    hass.states.async_set(SMOKE, "on")
    await hass.async_block_till_done()
    hass.states.async_set(WINDOW_TAMPER, "on")
    await hass.async_block_till_done()
    assert [(c.data["title"], c.data["message"]) for c in pushed] == [
        ("Alarm: smoke", "Fumée étage (Étage)"),
        ("Alarm: tamper", "Fenêtre salon (Rez-de-chaussée)"),
    ]
