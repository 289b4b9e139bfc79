"""After a restart in any state the panel comes back in that state, with the remaining delay."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from .conftest import DOOR, MARIE_CODE, PANEL, WINDOW


async def restart(
    hass: HomeAssistant, entry: MockConfigEntry, down: float, freezer: FrozenDateTimeFactory
) -> None:
    """Stop the home, let `down` seconds pass, start it again from its saved state."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(seconds=down))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def panel(hass: HomeAssistant) -> tuple[str, int | None]:
    state = hass.states.get(PANEL)
    assert state is not None
    return state.state, state.attributes["remaining_delay"]


async def arm(hass: HomeAssistant, service: str = "alarm_arm_away") -> None:
    await hass.services.async_call(
        "alarm_control_panel", service, {"entity_id": PANEL}, blocking=True
    )


async def test_restart_while_arming_keeps_the_remaining_exit_delay(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await arm(hass)
    await tick(hass, freezer, 10)
    await restart(hass, home, 5, freezer)
    assert panel(hass) == ("arming", 15)
    await tick(hass, freezer, 16)
    assert panel(hass) == ("armed_away", None)


@pytest.mark.parametrize(
    ("service", "expected"), [("alarm_arm_away", "armed_away"), ("alarm_arm_night", "armed_night")]
)
async def test_restart_while_armed_stays_armed_without_spurious_trigger(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    service: str,
    expected: str,
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await arm(hass, service)
    await tick(hass, freezer, 31)
    await restart(hass, home, 60, freezer)
    assert panel(hass) == (expected, None)
    await tick(hass, freezer, 600)
    assert panel(hass) == (expected, None)
    assert alarms == []


async def test_restart_while_pending_keeps_the_entry_delay(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await arm(hass)
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)
    await restart(hass, home, 5, freezer)
    assert panel(hass) == ("pending", 15)
    await tick(hass, freezer, 16)
    assert panel(hass)[0] == "triggered"


async def test_entry_delay_that_ran_out_while_down_triggers_no_lost_alarm(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await arm(hass)
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    await restart(hass, home, 120, freezer)
    assert panel(hass)[0] == "triggered"
    assert [e.data["detector"] for e in alarms] == ["Porte d'entrée"]


async def test_restart_while_triggered_keeps_the_alarm_running(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await arm(hass)
    await tick(hass, freezer, 31)
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    await restart(hass, home, 30, freezer)
    assert panel(hass) == ("triggered", 150)
    await tick(hass, freezer, 151)
    assert panel(hass) == ("armed_away", None)


async def test_restart_while_disarmed_stays_disarmed(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await arm(hass)
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await restart(hass, home, 5, freezer)
    assert panel(hass) == ("disarmed", None)
    state = hass.states.get(PANEL)
    assert state is not None
    assert state.attributes["changed_by"] == "Marie"


async def test_door_opened_while_down_is_caught_on_start(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await arm(hass)
    await tick(hass, freezer, 31)
    assert await hass.config_entries.async_unload(home.entry_id)
    hass.states.async_set(DOOR, "on")
    assert await hass.config_entries.async_setup(home.entry_id)
    await hass.async_block_till_done()
    assert panel(hass)[0] == "pending"


async def test_unreadable_saved_state_starts_disarmed(
    hass: HomeAssistant, hass_storage: dict[str, object], freezer: FrozenDateTimeFactory
) -> None:
    from .conftest import home_entry, set_sources

    set_sources(hass)
    entry = home_entry()
    hass_storage[f"imaprotect.{entry.entry_id}"] = {
        "version": 1,
        "key": f"imaprotect.{entry.entry_id}",
        "data": {"engine": {"state": "armed_away", "mode": "bogus"}},
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert panel(hass) == ("disarmed", None)
