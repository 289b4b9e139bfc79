"""SOS from a button or an action: at any time, silent by default, recorded with who pressed it."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser, async_capture_events

from custom_components.imaprotect.const import EVENT_ALARM
from custom_components.imaprotect.core.reports import ReportKind

from .conftest import MARIE_CODE
from .offers_kit import RecordingStation, action, setup_offer_home
from .standin import StandIn
from .test_lockout import notifications
from .test_logbook import line
from .test_panel import armed_total, call, state, tick

SOS_BUTTON = "button.maison_sos"


async def test_the_sos_button_calls_for_help_silently_and_says_who(
    hass: HomeAssistant, stand_in: StandIn, hass_admin_user: MockUser
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    alarms = async_capture_events(hass, EVENT_ALARM)
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": SOS_BUTTON},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    await hass.async_block_till_done()
    assert state(hass) == "disarmed"  # silent: nothing on the panel
    assert station.kinds == [ReportKind.PANIC]
    assert station.reports[0].text == "Mock User"
    (alert,) = stand_in.alerts
    assert (alert["kind"], alert["acknowledgement"]) == ("sos", "required")
    assert alert["note"] == "Mock User asks for help"
    (alarm,) = alarms
    assert (alarm.data["kind"], alarm.data["user"], alarm.data["method"]) == (
        "sos",
        "Mock User",
        "app",
    )
    assert line(hass, EVENT_ALARM, **alarm.data) == "SOS by Mock User from the app"
    event = hass.states.get("event.maison_alarm")
    assert event is not None
    assert event.attributes["event_type"] == "sos"
    sensor = hass.states.get("sensor.maison_alert")
    assert sensor is not None
    assert (sensor.state, sensor.attributes["kind"]) == ("calling", "sos")


async def test_each_press_is_its_own_alert_and_a_disarm_does_not_stop_them(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_offer_home(hass, stand_in)
    await armed_total(hass, freezer)
    await action(hass, "sos")
    await action(hass, "sos")
    assert [a["kind"] for a in stand_in.alerts] == ["sos", "sos"]
    assert state(hass) == "armed_away"
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    await hass.async_block_till_done()
    assert stand_in.cancels == []  # help was asked for: a disarm (maybe forced) cannot stop it
    sensor = hass.states.get("sensor.maison_alert")
    assert sensor is not None
    assert sensor.state == "calling"


async def test_sos_with_the_siren_triggers_the_panel_and_makes_one_alert(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    await action(hass, "sos", siren=True)
    assert state(hass) == "triggered"
    assert station.kinds == [ReportKind.PANIC]
    assert [a["kind"] for a in stand_in.alerts] == ["sos"]  # no intrusion alert besides
    await tick(hass, freezer, 181)
    assert state(hass) == "disarmed"  # the siren stops after the alarm's duration


async def test_sos_under_tout_inclus_goes_to_the_station_and_still_calls_the_contacts(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station, formula="tout_inclus")
    await action(hass, "sos")
    assert station.kinds == [ReportKind.PANIC]
    assert [(a["kind"], a["acknowledgement"]) for a in stand_in.alerts] == [("sos", "required")]


async def test_sos_without_a_voice_server_goes_to_the_notifiers(hass: HomeAssistant) -> None:
    await setup_offer_home(hass, None)
    await action(hass, "sos")
    messages = notifications(hass)
    assert any(m.startswith("SOS: someone asks for help at ") for m in messages), messages
