"""A detector that goes unavailable is a fault, never an intrusion; past 5 minutes, a repair."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from .conftest import PANEL, WINDOW

FAULT = "binary_sensor.fenetre_salon_fault"


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_unavailable_detector_raises_a_fault_and_a_repair_not_an_alarm(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    faults = async_capture_events(hass, "imaprotect_fault")
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(WINDOW, "unavailable")
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.fenetre_salon").state == "unavailable"  # type: ignore[union-attr]
    await tick(hass, freezer, 60)
    assert hass.states.get(FAULT).state == "off"  # type: ignore[union-attr]
    await tick(hass, freezer, 241)
    assert hass.states.get(FAULT).state == "on"  # type: ignore[union-attr]
    issue = issue_registry.async_get_issue("imaprotect", "detector_fault_window")
    assert issue is not None
    assert issue.translation_key == "detector_fault"
    assert issue.translation_placeholders == {"detector": "Fenêtre salon", "home": "Maison"}
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert hass.states.get(PANEL).attributes["faulty_detectors"] == ["Fenêtre salon"]  # type: ignore[union-attr]
    # Back, closed: the fault and the repair clear; nothing ever triggered.
    hass.states.async_set(WINDOW, "off")
    await hass.async_block_till_done()
    assert hass.states.get(FAULT).state == "off"  # type: ignore[union-attr]
    assert issue_registry.async_get_issue("imaprotect", "detector_fault_window") is None
    assert [e.data["fault"] for e in faults] == [True, False]
    assert [e.data["kind"] for e in alarms] == []
    event = hass.states.get("event.maison_alarm")
    assert event is not None
    assert event.attributes["event_type"] == "fault"


async def test_coming_back_open_from_unavailable_counts_as_opening(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(WINDOW, "unavailable")
    await hass.async_block_till_done()
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
