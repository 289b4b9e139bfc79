"""zigbee2mqtt_keypad.yaml: a Frient KEPZB-110 on Zigbee2MQTT arms, disarms and badges the home.

Home Assistant's own MQTT integration runs with its client mocked by the harness: the keypad's
requests are MQTT messages on ``zigbee2mqtt/Hall keypad`` and what Home Assistant publishes back
(``mqtt.publish`` to ``…/set``) is read from the client. The imaprotect side is the real panel.
"""

from collections.abc import AsyncIterator
import json
from typing import Any
from unittest.mock import Mock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, MqttMockPahoClient

from .blueprint_harness import async_use_blueprints, sos_calls
from .conftest import MARIE_BADGE, MARIE_CODE, PANEL, WINDOW
from .standin import tick

TOPIC = "zigbee2mqtt/Hall keypad"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


@pytest.fixture
async def keypad(
    hass: HomeAssistant,
    home: MockConfigEntry,
    mqtt_mock: MqttMockHAClient,
    mqtt_client_mock: MqttMockPahoClient,
) -> AsyncIterator[None]:
    """The keypad's automation, on the test home."""
    await async_use_blueprints(
        hass,
        {
            "blueprint": "zigbee2mqtt_keypad.yaml",
            "input": {"alarm_panel": PANEL, "keypad": "Hall keypad"},
        },
    )
    mqtt_mock.async_publish.reset_mock()
    yield
    # The broker's socket closes, as at shutdown: the client stops its once-a-second loop.
    mqtt_client_mock.on_socket_close(mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1)))


def sent(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """What Home Assistant published to the keypad, in order."""
    published = []
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload = call.args[0], call.args[1]
        assert topic == f"{TOPIC}/set"
        published.append(json.loads(payload))
    mqtt_mock.async_publish.reset_mock()
    return published


async def press(hass: HomeAssistant, action: str, code: str | None, transaction: int) -> None:
    """The keypad's request, as Zigbee2MQTT publishes it."""
    payload = {
        "action": action,
        "action_code": code,
        "action_transaction": transaction,
        "action_zone": 23,
        "battery": 100,
    }
    async_fire_mqtt_message(hass, TOPIC, json.dumps(payload))
    await hass.async_block_till_done()


@pytest.mark.usefixtures("keypad")
async def test_a_code_arms_total_and_the_keypad_hears_the_answer_then_the_exit_delay(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    await press(hass, "arm_all_zones", MARIE_CODE, 41)
    state = hass.states.get(PANEL)
    assert state is not None
    assert state.state == "arming"
    assert state.attributes["changed_by"] == "Marie"
    assert sent(mqtt_mock) == [
        {"arm_mode": {"transaction": 41, "mode": "arm_all_zones"}},
        {"arm_mode": {"mode": "exit_delay"}},
    ]
    await tick(hass, freezer, 31)
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert sent(mqtt_mock) == [{"arm_mode": {"mode": "arm_all_zones"}}]


@pytest.mark.usefixtures("keypad")
@pytest.mark.parametrize("action", ["arm_night_zones", "arm_day_zones"])
async def test_the_home_and_night_buttons_arm_partial(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, action: str
) -> None:
    await press(hass, action, MARIE_CODE, 7)
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["arm_mode"]) == ("arming", "partial")
    assert sent(mqtt_mock)[0] == {"arm_mode": {"transaction": 7, "mode": action}}


@pytest.mark.usefixtures("keypad")
async def test_a_wrong_code_is_invalid_and_counts_towards_the_lockout(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    rejected = async_capture_events(hass, "imaprotect_code_rejected")
    await press(hass, "arm_all_zones", "0000", 42)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert [e.data["method"] for e in rejected] == ["keypad"]
    assert sent(mqtt_mock) == [
        {"arm_mode": {"transaction": 42, "mode": "invalid_code"}},
        {"arm_mode": {"mode": "disarm"}},
    ]


@pytest.mark.usefixtures("keypad")
async def test_an_open_window_is_not_ready(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    refused = async_capture_events(hass, "imaprotect_arm_refused")
    await press(hass, "arm_night_zones", MARIE_CODE, 43)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert [e.data["detectors"] for e in refused] == [["Fenêtre salon"]]
    assert sent(mqtt_mock)[0] == {"arm_mode": {"transaction": 43, "mode": "not_ready"}}


@pytest.mark.usefixtures("keypad")
async def test_a_badge_disarms_as_its_holder(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await press(hass, "arm_all_zones", MARIE_CODE, 1)
    sent(mqtt_mock)
    await press(hass, "disarm", f"+{MARIE_BADGE}", 2)
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["changed_by"]) == ("disarmed", "Marie")
    assert sent(mqtt_mock) == [
        {"arm_mode": {"transaction": 2, "mode": "disarm"}},
        {"arm_mode": {"mode": "disarm"}},
    ]


@pytest.mark.usefixtures("keypad")
async def test_an_unknown_badge_is_an_invalid_code(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    await press(hass, "arm_all_zones", "+DEADBEEF", 3)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert len(rejected) == 1
    assert sent(mqtt_mock)[0] == {"arm_mode": {"transaction": 3, "mode": "invalid_code"}}


@pytest.mark.usefixtures("keypad")
@pytest.mark.parametrize(("code", "why"), [("12", "too short"), (None, "no code to disarm")])
async def test_what_is_not_a_code_is_refused_without_asking_the_panel(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, code: str | None, why: str
) -> None:
    await press(hass, "arm_all_zones", MARIE_CODE, 1)
    sent(mqtt_mock)
    await press(hass, "disarm", code, 4)
    assert hass.states.get(PANEL).state == "arming", why  # type: ignore[union-attr]
    assert sent(mqtt_mock)[0] == {"arm_mode": {"transaction": 4, "mode": "invalid_code"}}


@pytest.mark.usefixtures("keypad")
async def test_disarm_when_disarmed_is_already_disarmed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    await press(hass, "disarm", MARIE_CODE, 5)
    assert sent(mqtt_mock)[0] == {"arm_mode": {"transaction": 5, "mode": "already_disarmed"}}


@pytest.mark.usefixtures("keypad")
async def test_emergency_raises_an_sos(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    calls: list[ServiceCall] | None = sos_calls(hass)
    await press(hass, "emergency", None, 6)
    if calls is None:  # the real imaprotect.sos: the panel raises the alarm, the keypad shows it
        assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
        assert sent(mqtt_mock) == [{"arm_mode": {"mode": "in_alarm"}}]
    else:
        assert [c.data for c in calls] == [{"entity_id": PANEL, "siren": True}]
        # No transaction to answer; the panel's state is shown (the stand-in leaves it as is).
        assert sent(mqtt_mock) == [{"arm_mode": {"mode": "disarm"}}]


@pytest.mark.usefixtures("keypad")
async def test_the_keypad_follows_the_panel_and_ignores_its_own_reports(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    async_fire_mqtt_message(hass, TOPIC, json.dumps({"battery": 97, "tamper": False}))
    await hass.async_block_till_done()
    assert sent(mqtt_mock) == []
    await hass.services.async_call(
        "imaprotect", "arm", {"entity_id": PANEL, "mode": "partial"}, blocking=True
    )
    await hass.async_block_till_done()
    assert sent(mqtt_mock) == [{"arm_mode": {"mode": "exit_delay"}}]
    await hass.services.async_call(
        "alarm_control_panel", "alarm_trigger", {"entity_id": PANEL}, blocking=True
    )
    await hass.async_block_till_done()
    assert sent(mqtt_mock) == [{"arm_mode": {"mode": "in_alarm"}}]
