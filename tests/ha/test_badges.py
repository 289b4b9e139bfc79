"""Badges: Home Assistant tag scans and keypad reports arm and disarm as their holder."""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from .conftest import MARIE_BADGE, PANEL, PAUL_BADGE

MARIE_BADGE_EVENT = "event.marie_badge_fcff"
MARIE_BADGE_SWITCH = "switch.marie_badge_fcff_enabled"


def panel_state(hass: HomeAssistant) -> str:
    state = hass.states.get(PANEL)
    assert state is not None
    return state.state


async def scan(hass: HomeAssistant, tag_id: str) -> None:
    hass.bus.async_fire("tag_scanned", {"tag_id": tag_id, "device_id": "keypad"})
    await hass.async_block_till_done()


async def present(hass: HomeAssistant, badge_id: str, **data: Any) -> None:
    await hass.services.async_call(
        "imaprotect",
        "present_badge",
        {"entity_id": PANEL, "badge_id": badge_id} | data,
        blocking=True,
    )


async def test_tag_scan_toggles_the_alarm_as_the_badge_holder(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    armed = async_capture_events(hass, "imaprotect_armed")
    disarmed = async_capture_events(hass, "imaprotect_disarmed")
    await scan(hass, MARIE_BADGE.lower())
    assert panel_state(hass) == "arming"
    assert [(e.data["person"], e.data["method"]) for e in armed] == [("Marie", "badge")]
    event = hass.states.get(MARIE_BADGE_EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "armed"
    assert event.attributes["person"] == "Marie"
    await scan(hass, MARIE_BADGE)
    assert panel_state(hass) == "disarmed"
    assert [(e.data["person"], e.data["method"]) for e in disarmed] == [("Marie", "badge")]
    assert hass.states.get(PANEL).attributes["changed_by"] == "Marie"  # type: ignore[union-attr]


async def test_unknown_tags_are_rejected_badges(hass: HomeAssistant, home: MockConfigEntry) -> None:
    # Issue 8 changes this: an unknown tag used to be ignored, so ids could be guessed freely.
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    await scan(hass, "kitchen-nfc-sticker")
    assert panel_state(hass) == "disarmed"
    assert [(e.data["badge"], e.data["reason"]) for e in rejected] == [("cker", "unknown")]


async def test_keypad_badge_with_an_explicit_action(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    await present(hass, PAUL_BADGE, action="arm_partial")
    assert panel_state(hass) == "arming"
    assert hass.states.get(PANEL).attributes["arm_mode"] == "partial"  # type: ignore[union-attr]
    await present(hass, PAUL_BADGE, action="disarm")
    assert panel_state(hass) == "disarmed"


async def test_unknown_badge_is_rejected_and_recorded_with_a_hint_only(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    with pytest.raises(ServiceValidationError) as err:
        await present(hass, "DEADBEEF99")
    assert err.value.translation_key == "badge_unknown"
    assert panel_state(hass) == "disarmed"
    assert [(e.data["badge"], e.data["reason"]) for e in rejected] == [("ef99", "unknown")]
    assert "DEADBEEF99" not in str(rejected[0].data).upper()


async def test_lost_badge_switched_off_is_rejected(
    hass: HomeAssistant, home: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    switch = entity_registry.async_get(MARIE_BADGE_SWITCH)
    assert switch is not None
    assert MARIE_BADGE.lower() not in switch.unique_id.lower()
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True
    )
    assert hass.states.get(MARIE_BADGE_SWITCH).state == "off"  # type: ignore[union-attr]
    await scan(hass, MARIE_BADGE)
    assert panel_state(hass) == "disarmed"
    assert [e.data["reason"] for e in rejected] == ["disabled"]
    event = hass.states.get(MARIE_BADGE_EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "rejected"
    # Found again: switched back on, it works.
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True
    )
    await scan(hass, MARIE_BADGE)
    assert panel_state(hass) == "arming"


async def test_disabled_badge_survives_a_reload(hass: HomeAssistant, home: MockConfigEntry) -> None:
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True
    )
    assert await hass.config_entries.async_reload(home.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(MARIE_BADGE_SWITCH).state == "off"  # type: ignore[union-attr]
    with pytest.raises(ServiceValidationError) as err:
        await present(hass, MARIE_BADGE)
    assert err.value.translation_key == "badge_disabled"


async def test_guessing_badges_locks_entry_like_wrong_codes(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    locked = async_capture_events(hass, "imaprotect_locked_out")
    for guess in range(5):
        with pytest.raises(ServiceValidationError):
            await present(hass, f"GUESS{guess:04d}")
    assert len(locked) == 1
    with pytest.raises(ServiceValidationError) as err:
        await present(hass, MARIE_BADGE)
    assert err.value.translation_key == "locked_out"
    await scan(hass, MARIE_BADGE)  # a tag scan during the lock is refused too, quietly
    assert panel_state(hass) == "disarmed"
    event = hass.states.get(MARIE_BADGE_EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "rejected"
