"""Features follow the panel through its event listeners; one failing listener stops no other."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.core import AlarmRaised, Event
from custom_components.imaprotect.panel import HomePanel

from .conftest import MARIE_CODE, WINDOW
from .test_panel import armed_total, call, flip, state


async def test_listeners_hear_the_alarm_even_after_one_fails(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    panel: HomePanel = home.runtime_data
    heard: list[Event] = []

    def broken(event: Event, context: Context | None) -> None:
        raise RuntimeError("a feature's bug")

    panel.async_add_listener(broken)
    unsubscribe = panel.async_add_listener(lambda event, context: heard.append(event))
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")

    assert state(hass) == "triggered"
    raised = [event for event in heard if isinstance(event, AlarmRaised)]
    assert len(raised) == 1
    assert "An imaprotect event listener failed on" in caplog.text

    unsubscribe()
    count = len(heard)
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    assert state(hass) == "disarmed"
    assert len(heard) == count
