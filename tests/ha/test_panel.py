"""The alarm panel in HA: every transition, refusal, bypass, 24/7 detector and partial mode."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
    async_fire_time_changed,
)

from .conftest import (
    BEDROOM,
    DOOR,
    FLOOD,
    HALL,
    LEA_CODE,
    MARIE_CODE,
    PANEL,
    PAUL_CODE,
    SMOKE,
    WINDOW,
    WINDOW_TAMPER,
)


def state(hass: HomeAssistant) -> str:
    panel = hass.states.get(PANEL)
    assert panel is not None
    return panel.state


def attrs(hass: HomeAssistant) -> dict[str, Any]:
    panel = hass.states.get(PANEL)
    assert panel is not None
    return dict(panel.attributes)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def flip(hass: HomeAssistant, entity_id: str, value: str) -> None:
    hass.states.async_set(entity_id, value)
    await hass.async_block_till_done()


async def call(hass: HomeAssistant, service: str, **data: Any) -> None:
    await hass.services.async_call(
        "alarm_control_panel", service, {"entity_id": PANEL} | data, blocking=True
    )


async def arm(
    hass: HomeAssistant, mode: str = "total", *, context: Context | None = None, **data: Any
) -> None:
    await hass.services.async_call(
        "imaprotect",
        "arm",
        {"entity_id": PANEL, "mode": mode} | data,
        blocking=True,
        context=context,
    )


async def armed_total(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await call(hass, "alarm_arm_away")
    await tick(hass, freezer, 31)
    assert state(hass) == "armed_away"


async def test_arm_total_goes_through_the_exit_delay(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await call(hass, "alarm_arm_away")
    assert state(hass) == "arming"
    assert attrs(hass)["remaining_delay"] == 30
    assert attrs(hass)["arm_mode"] == "total"
    await tick(hass, freezer, 20)
    assert state(hass) == "arming"
    await tick(hass, freezer, 11)
    assert state(hass) == "armed_away"
    assert attrs(hass)["remaining_delay"] is None
    assert hass.states.get("binary_sensor.rez_de_chaussee_armed").state == "on"
    assert hass.states.get("binary_sensor.etage_armed").state == "on"


async def test_entry_door_during_exit_delay_does_not_cancel_arming(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await call(hass, "alarm_arm_away")
    await flip(hass, DOOR, "on")
    await tick(hass, freezer, 5)
    await flip(hass, DOOR, "off")
    assert state(hass) == "arming"
    await tick(hass, freezer, 30)
    assert state(hass) == "armed_away"


async def test_entry_route_gives_the_entry_delay_then_the_alarm_then_rearms(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await armed_total(hass, freezer)
    await flip(hass, DOOR, "on")
    assert state(hass) == "pending"
    assert attrs(hass)["remaining_delay"] == 30
    await tick(hass, freezer, 31)
    assert state(hass) == "triggered"
    assert hass.states.get("binary_sensor.rez_de_chaussee_alarm").state == "on"
    assert hass.states.get("binary_sensor.etage_alarm").state == "off"
    assert [(e.data["kind"], e.data["detector"], e.data["zone"]) for e in alarms] == [
        ("intrusion", "Porte d'entrée", "Rez-de-chaussée")
    ]
    alarm_event = hass.states.get("event.maison_alarm")
    assert alarm_event is not None
    assert alarm_event.attributes["event_type"] == "intrusion"
    assert alarm_event.attributes["detector"] == "Porte d'entrée"
    # The siren time (180 s) ends: back to armed, the held-open door does not re-trigger.
    await tick(hass, freezer, 181)
    assert state(hass) == "armed_away"
    await tick(hass, freezer, 60)
    assert state(hass) == "armed_away"


async def test_immediate_detector_triggers_at_once(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    assert state(hass) == "triggered"


async def test_disarm_with_code_stops_the_alarm_and_names_the_person(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    disarmed = async_capture_events(hass, "imaprotect_disarmed")
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    user_context = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": PAUL_CODE},
        blocking=True,
        context=user_context,
    )
    assert state(hass) == "disarmed"
    assert attrs(hass)["changed_by"] == "Paul"
    assert [(e.data["person"], e.data["method"]) for e in disarmed] == [("Paul", "app")]
    assert disarmed[0].context is user_context


async def test_disarm_needs_a_code(hass: HomeAssistant, home: MockConfigEntry) -> None:
    await call(hass, "alarm_arm_away")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_disarm")
    assert err.value.translation_key == "code_required"
    assert state(hass) == "arming"


async def test_wrong_code_is_refused_and_recorded(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    rejected = async_capture_events(hass, "imaprotect_code_rejected")
    await call(hass, "alarm_arm_away")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_disarm", code="0000")
    assert err.value.translation_key == "wrong_code"
    assert err.value.translation_placeholders == {"failures": "1"}
    assert state(hass) == "arming"
    assert [(e.data["method"], e.data["failures"]) for e in rejected] == [("automation", 1)]
    assert "0000" not in str(rejected[0].data)


async def test_five_wrong_codes_lock_code_entry_for_90_seconds(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    locked = async_capture_events(hass, "imaprotect_locked_out")
    await armed_total(hass, freezer)
    for _ in range(5):
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                "imaprotect",
                "disarm",
                {"entity_id": PANEL, "code": "9999", "source": "keypad"},
                blocking=True,
            )
    assert len(locked) == 1
    # Even the right code is refused while locked.
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_disarm", code=MARIE_CODE)
    assert err.value.translation_key == "locked_out"
    assert state(hass) == "armed_away"
    await tick(hass, freezer, 91)
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    assert state(hass) == "disarmed"


async def test_arming_with_an_open_window_is_refused_naming_it(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    refused = async_capture_events(hass, "imaprotect_arm_refused")
    await flip(hass, WINDOW, "on")
    assert attrs(hass)["open_detectors"] == ["Fenêtre salon"]
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_arm_away")
    assert err.value.translation_key == "open_detectors"
    assert err.value.translation_placeholders == {"detectors": "Fenêtre salon"}
    assert state(hass) == "disarmed"
    assert refused[0].data["detectors"] == ["Fenêtre salon"]


async def test_forced_arming_bypasses_open_detectors_until_disarm(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    bypassed = async_capture_events(hass, "imaprotect_bypassed")
    await flip(hass, WINDOW, "on")
    await arm(hass, "total", force=True, code=MARIE_CODE, source="keypad")
    await tick(hass, freezer, 31)
    assert state(hass) == "armed_away"
    assert attrs(hass)["bypassed_detectors"] == ["Fenêtre salon"]
    assert [(e.data["person"], e.data["method"], e.data["detectors"]) for e in bypassed] == [
        ("Marie", "keypad", ["Fenêtre salon"])
    ]
    await flip(hass, WINDOW, "off")
    await flip(hass, WINDOW, "on")
    assert state(hass) == "armed_away"
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    assert attrs(hass)["bypassed_detectors"] == []


async def test_partial_mode_watches_only_the_night_zones(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await call(hass, "alarm_arm_night")
    await tick(hass, freezer, 31)
    assert state(hass) == "armed_night"
    assert hass.states.get("binary_sensor.rez_de_chaussee_armed").state == "on"
    assert hass.states.get("binary_sensor.etage_armed").state == "off"
    await flip(hass, BEDROOM, "on")
    assert state(hass) == "armed_night"
    await flip(hass, HALL, "on")
    assert state(hass) == "pending"


async def test_smoke_and_flood_trigger_while_disarmed_then_stop(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await flip(hass, SMOKE, "on")
    assert state(hass) == "triggered"
    await flip(hass, FLOOD, "on")
    assert [e.data["kind"] for e in alarms] == ["smoke", "flood"]
    await tick(hass, freezer, 181)
    assert state(hass) == "disarmed"


async def test_tamper_is_an_alarm_event_that_triggers_only_when_armed(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await flip(hass, WINDOW_TAMPER, "on")
    assert state(hass) == "disarmed"
    assert hass.states.get("binary_sensor.fenetre_salon_tamper").state == "on"
    await flip(hass, WINDOW_TAMPER, "off")
    await armed_total(hass, freezer)
    await flip(hass, WINDOW_TAMPER, "on")
    assert state(hass) == "triggered"
    assert [e.data["kind"] for e in alarms] == ["tamper", "tamper"]


async def test_code_required_to_arm_when_the_home_asks_for_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    from .conftest import home_entry, set_sources

    set_sources(hass)
    entry = home_entry(code_arm_required=True)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError):
        await call(hass, "alarm_arm_away")
    with pytest.raises(ServiceValidationError) as err:
        await arm(hass, "total")
    assert err.value.translation_key == "code_required"
    await call(hass, "alarm_arm_away", code=LEA_CODE)
    assert state(hass) == "arming"
    assert attrs(hass)["changed_by"] == "Léa"


async def test_person_without_disarm_right_is_refused(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await armed_total(hass, freezer)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_disarm", code=LEA_CODE)
    assert err.value.translation_key == "may_not_disarm"
    assert state(hass) == "armed_away"


async def test_trigger_action_raises_the_alarm_at_once(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    alarms = async_capture_events(hass, "imaprotect_alarm")
    await call(hass, "alarm_trigger", code=MARIE_CODE)
    assert state(hass) == "triggered"
    assert alarms[0].data["detector"] is None


async def test_service_schema_refuses_a_malformed_code(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    with pytest.raises(Exception, match="code"):
        await hass.services.async_call(
            "imaprotect", "disarm", {"entity_id": PANEL, "code": "12ab"}, blocking=True
        )
    assert state(hass) == "disarmed"


async def test_panic_with_a_wrong_code_still_raises_the_alarm(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    await call(hass, "alarm_trigger", code="0000")
    assert state(hass) == "triggered"
    assert attrs(hass)["changed_by"] is None
