"""bedtime_partial.yaml: the home arms partial at bedtime, and a refusal is said out loud.

The triggers are real: the time of day (frozen clock), an ``input_boolean`` and a ``scene``; so
is the persistent notification. The phone's notify action is captured (the companion app cannot
load in this harness). The panel is the real one.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from .blueprint_harness import PHONE_NOTIFY, add_phone, async_use_blueprints
from .conftest import MARIE_CODE, PANEL, WINDOW, home_entry, set_sources
from .standin import tick

SWITCH, SCENE = "input_boolean.bedtime", "scene.good_night"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
async def bedtime_clock_stopped(hass: HomeAssistant) -> AsyncIterator[None]:
    """Home Assistant loads persistent notifications at start; the time trigger stops with it."""
    assert await async_setup_component(hass, "persistent_notification", {})
    yield
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


@pytest.fixture
def notices(hass: HomeAssistant) -> list[str]:
    """The messages of the persistent notifications created."""
    seen: list[str] = []

    @callback
    def _updated(kind: Any, notifications: dict[str, Any]) -> None:
        if kind == persistent_notification.UpdateType.ADDED:
            seen.extend(n["message"] for n in notifications.values())

    persistent_notification.async_register_callback(hass, _updated)
    return seen


async def bedtime(hass: HomeAssistant, **inputs: Any) -> list[ServiceCall]:
    """The automation with the switch, the scene and Marie's phone; what the phone is sent."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"bedtime": {}}})
    assert await async_setup_component(
        hass, "scene", {"scene": [{"name": "Good night", "entities": {SWITCH: "off"}}]}
    )
    pushed = async_mock_service(hass, "notify", PHONE_NOTIFY)
    await async_use_blueprints(
        hass,
        {
            "blueprint": "bedtime_partial.yaml",
            "input": {
                "alarm_panel": PANEL,
                "bedtime": "23:00:00",
                "bedtime_entities": [SWITCH, SCENE],
                "phones": [add_phone(hass)],
            }
            | inputs,
        },
    )
    return pushed


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2026, 11, 26, hour, minute, second, tzinfo=dt_util.get_default_time_zone())


def armed_partial(hass: HomeAssistant) -> bool:
    state = hass.states.get(PANEL)
    assert state is not None
    return (state.state, state.attributes["arm_mode"]) == ("arming", "partial")


@pytest.mark.usefixtures("home")
async def test_the_home_arms_partial_at_bedtime(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(at(22, 59, 50))
    pushed = await bedtime(hass)
    await tick(hass, freezer, 5)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    await tick(hass, freezer, 6)
    assert armed_partial(hass)
    assert pushed == []


@pytest.mark.usefixtures("home")
async def test_the_time_can_be_left_out(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(at(22, 59, 50))
    await bedtime(hass, use_time=False)
    await tick(hass, freezer, 20)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(
    ("domain", "service", "entity_id"),
    [("input_boolean", "turn_on", SWITCH), ("scene", "turn_on", SCENE)],
)
async def test_a_switch_or_a_scene_arms_partial(
    hass: HomeAssistant, domain: str, service: str, entity_id: str
) -> None:
    await bedtime(hass)
    await hass.services.async_call(domain, service, {"entity_id": entity_id}, blocking=True)
    await hass.async_block_till_done()
    assert armed_partial(hass)


@pytest.mark.usefixtures("home")
async def test_turning_the_switch_off_or_a_boolean_restored_on_does_not_arm(
    hass: HomeAssistant,
) -> None:
    pushed = async_mock_service(hass, "notify", PHONE_NOTIFY)
    await async_use_blueprints(
        hass,
        {
            "blueprint": "bedtime_partial.yaml",
            "input": {"alarm_panel": PANEL, "bedtime_entities": [SWITCH], "use_time": False},
        },
    )
    # Created already on (a restart): not a bedtime.
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"bedtime": {"initial": True}}}
    )
    await hass.async_block_till_done()
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": SWITCH}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert pushed == []


@pytest.mark.usefixtures("home")
async def test_an_open_window_is_named_on_the_phone_and_in_home_assistant(
    hass: HomeAssistant, notices: list[str]
) -> None:
    hass.states.async_set(WINDOW, "on")
    pushed = await bedtime(hass)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    message = "Maison is not armed for the night: close Fenêtre salon, then arm it."
    assert [c.data["message"] for c in pushed] == [message]
    assert notices == [message]


@pytest.mark.usefixtures("home")
async def test_a_home_armed_total_stays_total(hass: HomeAssistant) -> None:
    pushed = await bedtime(hass)
    await hass.services.async_call(
        "imaprotect",
        "arm",
        {"entity_id": PANEL, "mode": "total", "code": MARIE_CODE},
        blocking=True,
    )
    await hass.services.async_call("scene", "turn_on", {"entity_id": SCENE}, blocking=True)
    await hass.async_block_till_done()
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["arm_mode"]) == ("arming", "total")
    assert pushed == []


async def test_a_home_that_asks_for_a_code_to_arm_says_so(
    hass: HomeAssistant, notices: list[str]
) -> None:
    set_sources(hass)
    entry: MockConfigEntry = home_entry(code_arm_required=True)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    pushed = await bedtime(hass)
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": SWITCH}, blocking=True)
    await hass.async_block_till_done()
    message = "Maison is not armed for the night: it asks for a code to arm."
    assert [c.data["message"] for c in pushed] == [message]
    assert notices == [message]
