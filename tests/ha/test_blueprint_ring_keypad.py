"""ring_keypad_v2.yaml: a Ring Keypad v2 on Z-Wave JS arms and disarms the home, and follows it.

Z-Wave JS needs its server, so the keypad is what Home Assistant would see of it: a device of
``zwave_js`` in the registry, its key presses as ``zwave_js_notification`` events, and its
indicators set with ``zwave_js.set_value`` (captured: the one third-party target here). The
imaprotect side is the real panel.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from .blueprint_harness import async_use_blueprints, sos_calls
from .conftest import DOOR, LEA_CODE, MARIE_CODE, PANEL, WINDOW
from .standin import tick

DISARM, AWAY, HOME, POLICE, ENTER = 3, 5, 6, 17, 2


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


@pytest.fixture
def keypad_id(hass: HomeAssistant) -> str:
    entry = MockConfigEntry(domain="zwave_js", title="Z-Wave JS", data={})
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("zwave_js", "3967862916-12")},
        manufacturer="Ring",
        model="4AK1SZ",
        name="Keypad v2",
    )
    return device.id


@pytest.fixture
async def indicators(
    hass: HomeAssistant, home: MockConfigEntry, keypad_id: str
) -> list[ServiceCall]:
    """The keypad's automation on the test home; the indicators it sets."""
    calls = async_mock_service(hass, "zwave_js", "set_value")
    await async_use_blueprints(
        hass,
        {
            "blueprint": "ring_keypad_v2.yaml",
            "input": {"alarm_panel": PANEL, "keypad": keypad_id},
        },
    )
    return calls


def shown(calls: list[ServiceCall], keypad_id: str) -> list[tuple[int, int, int]]:
    """(indicator, property key, value) set on the keypad, in order; then forgotten."""
    seen = []
    for call in calls:
        assert call.data["device_id"] == keypad_id
        assert (call.data["command_class"], call.data["endpoint"]) == (135, 0)
        seen.append((call.data["property"], call.data["property_key"], call.data["value"]))
    calls.clear()
    return seen


async def press(hass: HomeAssistant, keypad_id: str, button: int, code: str | None) -> None:
    """A button after a code, as Z-Wave JS reports it (Entry Control, command class 111)."""
    data: dict[str, Any] = {
        "domain": "zwave_js",
        "node_id": 12,
        "home_id": 3967862916,
        "device_id": keypad_id,
        "command_class": 111,
        "command_class_name": "Entry Control",
        "event_type": button,
        "event_type_label": "",
        "data_type": 2,
        "event_data": code,
    }
    hass.bus.async_fire("zwave_js_notification", data)
    await hass.async_block_till_done()


async def test_away_with_a_code_arms_total_and_counts_the_exit_delay_down(
    hass: HomeAssistant,
    indicators: list[ServiceCall],
    keypad_id: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await press(hass, keypad_id, AWAY, MARIE_CODE)
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["changed_by"]) == ("arming", "Marie")
    assert shown(indicators, keypad_id) == [(18, 7, 30)]
    await tick(hass, freezer, 31)
    assert shown(indicators, keypad_id) == [(11, 1, 99)]
    await press(hass, keypad_id, DISARM, MARIE_CODE)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert shown(indicators, keypad_id) == [(2, 1, 99)]


async def test_home_arms_partial(
    hass: HomeAssistant, indicators: list[ServiceCall], keypad_id: str
) -> None:
    await press(hass, keypad_id, HOME, MARIE_CODE)
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["arm_mode"]) == ("arming", "partial")


async def test_a_wrong_code_or_a_person_who_may_not_disarm_is_not_accepted(
    hass: HomeAssistant, indicators: list[ServiceCall], keypad_id: str
) -> None:
    await press(hass, keypad_id, AWAY, MARIE_CODE)
    shown(indicators, keypad_id)
    rejected = async_capture_events(hass, "imaprotect_code_rejected")
    await press(hass, keypad_id, DISARM, "9999")
    assert len(rejected) == 1
    await press(hass, keypad_id, DISARM, LEA_CODE)  # Léa may arm, not disarm
    assert hass.states.get(PANEL).state == "arming"  # type: ignore[union-attr]
    assert shown(indicators, keypad_id) == [(9, 1, 1), (9, 1, 1)]


async def test_an_open_window_asks_for_a_bypass(
    hass: HomeAssistant, indicators: list[ServiceCall], keypad_id: str
) -> None:
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    await press(hass, keypad_id, AWAY, MARIE_CODE)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert shown(indicators, keypad_id) == [(16, 1, 1)]


async def test_police_raises_an_sos_and_other_keys_do_nothing(
    hass: HomeAssistant, indicators: list[ServiceCall], keypad_id: str
) -> None:
    calls = sos_calls(hass)
    await press(hass, keypad_id, ENTER, MARIE_CODE)
    await press(hass, keypad_id, 0, None)  # a code being typed
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert shown(indicators, keypad_id) == []
    await press(hass, keypad_id, POLICE, None)
    if calls is None:  # the real imaprotect.sos: the panel raises the alarm, the keypad shows it
        assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
        assert shown(indicators, keypad_id) == [(13, 1, 99)]
    else:
        assert [c.data for c in calls] == [{"entity_id": PANEL, "siren": True}]


async def test_another_keypad_is_not_heard_and_the_panel_is_followed(
    hass: HomeAssistant,
    indicators: list[ServiceCall],
    keypad_id: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await press(hass, "another-device", AWAY, MARIE_CODE)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    await hass.services.async_call(
        "imaprotect", "arm", {"entity_id": PANEL, "mode": "total"}, blocking=True
    )
    await hass.async_block_till_done()
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")  # someone comes in
    await hass.async_block_till_done()
    await tick(hass, freezer, 31)
    assert shown(indicators, keypad_id) == [(18, 7, 30), (11, 1, 99), (17, 7, 30), (13, 1, 99)]
