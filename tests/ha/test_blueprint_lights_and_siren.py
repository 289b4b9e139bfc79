"""alarm_lights_and_siren.yaml: the alarm turns lights and siren on, and its end turns them off.

The light and the siren are real MQTT entities of Home Assistant (optimistic, their client mocked
by the harness): what they are told is both their state and the command published to them.
"""

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import Mock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, MqttMockPahoClient

from .blueprint_harness import async_use_blueprints
from .conftest import DOOR, MARIE_CODE, PANEL, SMOKE, WINDOW_TAMPER
from .standin import tick

LIGHT, SIREN = "light.hall", "siren.outdoor_siren"

pytestmark = pytest.mark.parametrize(
    "hass_config",
    [
        {
            "mqtt": {
                "light": [
                    {
                        "name": "Hall",
                        "command_topic": "home/hall/set",
                        "brightness_command_topic": "home/hall/brightness",
                    }
                ],
                "siren": [{"name": "Outdoor siren", "command_topic": "home/siren/set"}],
            }
        }
    ],
)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


@pytest.fixture
async def outputs(
    home: MockConfigEntry, mqtt_mock: MqttMockHAClient, mqtt_client_mock: MqttMockPahoClient
) -> AsyncIterator[MqttMockHAClient]:
    """The light and the siren; closes their broker's socket at the end, as at shutdown."""
    yield mqtt_mock
    mqtt_client_mock.on_socket_close(mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1)))


async def wire(hass: HomeAssistant, **inputs: Any) -> None:
    assert await async_setup_component(hass, "homeassistant", {})  # loaded at every start
    await async_use_blueprints(
        hass,
        {
            "blueprint": "alarm_lights_and_siren.yaml",
            "input": {"alarm_panel": PANEL, "lights": [LIGHT], "sirens": [SIREN]} | inputs,
        },
    )


def states(hass: HomeAssistant) -> tuple[str, str]:
    light, siren = hass.states.get(LIGHT), hass.states.get(SIREN)
    assert light is not None
    assert siren is not None
    return light.state, siren.state


def commanded(mqtt: MqttMockHAClient) -> list[str]:
    topics = [c.args[0] for c in mqtt.async_publish.call_args_list]
    mqtt.async_publish.reset_mock()
    return topics


async def arm_and_break_in(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await hass.services.async_call(
        "imaprotect", "arm", {"entity_id": PANEL, "mode": "total"}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    assert "on" not in states(hass)  # the entry delay: not yet
    await tick(hass, freezer, 31)
    assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]


async def test_a_break_in_lights_up_and_sounds_until_disarmed(
    hass: HomeAssistant, outputs: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    await wire(hass)
    await arm_and_break_in(hass, freezer)
    assert states(hass) == ("on", "on")
    assert hass.states.get(LIGHT).attributes["brightness"] == 255  # type: ignore[union-attr]
    assert set(commanded(outputs)) == {"home/hall/set", "home/hall/brightness", "home/siren/set"}
    await hass.services.async_call(
        "imaprotect", "disarm", {"entity_id": PANEL, "code": MARIE_CODE}, blocking=True
    )
    await hass.async_block_till_done()
    assert states(hass) == ("off", "off")


async def test_the_siren_stops_when_the_alarm_duration_runs_out(
    hass: HomeAssistant, outputs: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    await wire(hass, lights_off_when_it_ends=False)
    await arm_and_break_in(hass, freezer)
    await tick(hass, freezer, 181)
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert states(hass) == ("on", "off")  # the lights were asked to stay on


async def test_smoke_sounds_even_disarmed_and_a_tamper_does_not(
    hass: HomeAssistant, outputs: MqttMockHAClient
) -> None:
    await wire(hass)
    hass.states.async_set(WINDOW_TAMPER, "on")
    await hass.async_block_till_done()
    assert "on" not in states(hass)
    assert commanded(outputs) == []
    hass.states.async_set(SMOKE, "on")
    await hass.async_block_till_done()
    assert states(hass) == ("on", "on")
    await hass.services.async_call(
        "imaprotect", "disarm", {"entity_id": PANEL, "code": MARIE_CODE}, blocking=True
    )
    await hass.async_block_till_done()
    assert states(hass) == ("off", "off")
