"""In Home Assistant, lowering protection and forcing need a code, whatever the home's setting."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from .conftest import BEDROOM, LEA_CODE, MARIE_CODE, PANEL, WINDOW
from .test_panel import arm, armed_total, attrs, call, flip, state


async def test_code_is_required_while_armed_total_only(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    assert attrs(hass)["code_arm_required"] is False
    await armed_total(hass, freezer)
    assert attrs(hass)["code_arm_required"] is True
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    assert attrs(hass)["code_arm_required"] is False


@pytest.mark.parametrize(
    ("service", "data", "error"),
    [
        # Home Assistant asks for the code itself, since code_arm_required is True then.
        ("alarm_control_panel.alarm_arm_night", {}, ("alarm_control_panel", "code_arm_required")),
        ("imaprotect.arm", {"mode": "partial"}, ("imaprotect", "code_required")),
        (
            "imaprotect.arm",
            {"mode": "partial", "source": "keypad"},
            ("imaprotect", "code_required"),
        ),
    ],
)
async def test_lowering_without_a_code_is_refused(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    service: str,
    data: dict[str, Any],
    error: tuple[str, str],
) -> None:
    await armed_total(hass, freezer)
    domain, name = service.split(".")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(domain, name, {"entity_id": PANEL} | data, blocking=True)
    assert (err.value.translation_domain, err.value.translation_key) == error
    assert state(hass) == "armed_away"
    await flip(hass, BEDROOM, "on")  # the upstairs is still watched
    assert state(hass) == "triggered"


async def test_lowering_with_the_right_code(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await armed_total(hass, freezer)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "alarm_arm_night", code=LEA_CODE)
    assert err.value.translation_key == "may_not_disarm"
    await call(hass, "alarm_arm_night", code=MARIE_CODE)
    assert state(hass) == "armed_night"
    assert attrs(hass)["changed_by"] == "Marie"


async def test_force_without_a_code_is_refused(hass: HomeAssistant, home: MockConfigEntry) -> None:
    bypassed = async_capture_events(hass, "imaprotect_bypassed")
    await flip(hass, WINDOW, "on")
    with pytest.raises(ServiceValidationError) as err:
        await arm(hass, "total", force=True)
    assert err.value.translation_key == "code_required"
    assert state(hass) == "disarmed"
    assert bypassed == []
    await arm(hass, "total", force=True, code=MARIE_CODE)
    assert state(hass) == "arming"
    assert [e.data["person"] for e in bypassed] == ["Marie"]
