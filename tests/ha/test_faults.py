"""A detector that goes unavailable is a fault, never an intrusion; past 5 minutes, a repair.

A watched detector in fault also refuses arming, unless forced (then it is bypassed until disarm).
"""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.imaprotect import logbook

from .conftest import DOOR, MARIE_CODE, PANEL, WINDOW, home_entry, set_sources

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


def attrs(hass: HomeAssistant) -> dict[str, Any]:
    panel = hass.states.get(PANEL)
    assert panel is not None
    return dict(panel.attributes)


async def window_in_fault(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    hass.states.async_set(WINDOW, "unavailable")
    await hass.async_block_till_done()
    await tick(hass, freezer, 301)
    assert attrs(hass)["faulty_detectors"] == ["Fenêtre salon"]


async def test_a_detector_in_fault_refuses_arming_naming_it(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    refused = async_capture_events(hass, "imaprotect_arm_refused")
    await window_in_fault(hass, freezer)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
        )
    assert err.value.translation_key == "faulty_detectors"
    assert err.value.translation_placeholders == {"detectors": "Fenêtre salon"}
    assert str(err.value).startswith(
        "Cannot arm: these detectors are not reporting: Fenêtre salon."
    )
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert [(e.data["reason"], e.data["detectors"]) for e in refused] == [
        ("faulty_detectors", ["Fenêtre salon"])
    ]


async def test_open_and_faulty_detectors_are_refused_in_one_error(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    refused = async_capture_events(hass, "imaprotect_arm_refused")
    await window_in_fault(hass, freezer)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "alarm_control_panel", "alarm_arm_night", {"entity_id": PANEL}, blocking=True
        )
    assert err.value.translation_key == "open_and_faulty_detectors"
    assert err.value.translation_placeholders == {
        "open": "Porte d'entrée",
        "faulty": "Fenêtre salon",
    }
    assert [(e.data["reason"], e.data["detectors"]) for e in refused] == [
        ("open_detectors", ["Porte d'entrée"]),
        ("faulty_detectors", ["Fenêtre salon"]),
    ]


async def test_forced_arming_bypasses_the_faulty_detector_until_disarm(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    bypassed = async_capture_events(hass, "imaprotect_bypassed")
    await window_in_fault(hass, freezer)
    await hass.services.async_call(
        "imaprotect",
        "arm",
        {"entity_id": PANEL, "mode": "total", "force": True, "code": MARIE_CODE},
        blocking=True,
    )
    await tick(hass, freezer, 31)
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert attrs(hass)["bypassed_detectors"] == ["Fenêtre salon"]
    assert [(e.data["person"], e.data["detectors"]) for e in bypassed] == [
        ("Marie", ["Fenêtre salon"])
    ]
    # Back and opened: still bypassed, no alarm, until disarm.
    hass.states.async_set(WINDOW, "off")
    await hass.async_block_till_done()
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    assert attrs(hass)["bypassed_detectors"] == []


async def test_a_short_unavailability_does_not_block_arming(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    hass.states.async_set(WINDOW, "unavailable")
    await hass.async_block_till_done()
    await tick(hass, freezer, 60)
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)  # still unavailable at the end of the exit delay
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert attrs(hass)["bypassed_detectors"] == []
    assert alarms == []


async def test_the_fault_refusal_reads_in_french_in_the_logbook(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.config.language = "fr"
    set_sources(hass)
    entry = home_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    refused = async_capture_events(hass, "imaprotect_arm_refused")
    await window_in_fault(hass, freezer)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "imaprotect",
            "arm",
            {"entity_id": PANEL, "mode": "total", "code": MARIE_CODE},
            blocking=True,
        )
    described: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda _domain, event_type, describe: described.setdefault(event_type, describe)
    )
    [event] = refused
    line = described["imaprotect_arm_refused"](Event(event.event_type, event.data))
    assert line["message"] == (
        "Mise en marche par Marie refusée : détecteurs en défaut Fenêtre salon"
    )
