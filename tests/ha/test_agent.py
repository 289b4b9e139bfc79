"""Asking for a security agent: a report to the station, else a call to its number; recorded."""

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockUser, async_capture_events

from custom_components.imaprotect.const import EVENT_AGENT_REQUESTED
from custom_components.imaprotect.core.journal import EntryKind
from custom_components.imaprotect.core.reports import ReportKind

from .offers_kit import RecordingStation, action, setup_offer_home
from .standin import StandIn
from .test_logbook import line

AGENT = "button.maison_request_a_security_agent"


async def test_the_station_gets_the_request_with_its_words(
    hass: HomeAssistant, stand_in: StandIn, hass_admin_user: MockUser
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    requests = async_capture_events(hass, EVENT_AGENT_REQUESTED)
    user = Context(user_id=hass_admin_user.id)
    await action(hass, "request_agent", user, message="Bruit suspect\ndans le jardin")
    await hass.services.async_call(
        "button", "press", {"entity_id": AGENT}, blocking=True, context=user
    )
    await hass.async_block_till_done()
    assert station.kinds == [ReportKind.AGENT_REQUEST, ReportKind.AGENT_REQUEST]
    assert [r.text for r in station.reports] == [
        "Bruit suspect dans le jardin",  # one line, whatever was typed
        "Security agent requested by Mock User",
    ]
    assert stand_in.alerts == []  # the contacts are not called for it
    assert [(e.data["via"], e.data["paid"], e.data["user"]) for e in requests] == [
        ("station", True, "Mock User"),
        ("station", True, "Mock User"),
    ]
    assert line(hass, EVENT_AGENT_REQUESTED, **requests[0].data) == (
        "Security agent requested by Mock User from the app (billed apart)"
    )


async def test_it_is_not_billed_apart_under_protect_plus_or_tout_inclus(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_offer_home(hass, stand_in, gateway=RecordingStation(), formula="tout_inclus")
    requests = async_capture_events(hass, EVENT_AGENT_REQUESTED)
    assert hass.states.get(AGENT).attributes["paid"] is False  # type: ignore[union-attr]
    await action(hass, "request_agent")
    assert requests[0].data["paid"] is False
    assert line(hass, EVENT_AGENT_REQUESTED, **requests[0].data) == (
        "Security agent requested by someone by an automation"
    )


async def test_without_a_station_account_the_voice_server_calls_the_station_number(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_offer_home(hass, stand_in, station="sip:desk@127.0.0.1:5099")
    requests = async_capture_events(hass, EVENT_AGENT_REQUESTED)
    await action(hass, "request_agent", message="Fenêtre cassée")
    (alert,) = stand_in.alerts
    assert (alert["kind"], alert["acknowledgement"], alert["note"]) == (
        "agent_request",
        "none",
        "Fenêtre cassée",
    )
    assert requests[0].data["via"] == "phone"
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": "alarm_control_panel.maison", "code": "1234"},
        blocking=False,
    )
    await hass.async_block_till_done()
    assert stand_in.cancels == []  # a disarm does not take the request back


async def test_without_any_station_the_request_is_refused(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_offer_home(hass, stand_in)
    requests = async_capture_events(hass, EVENT_AGENT_REQUESTED)
    with pytest.raises(ServiceValidationError) as info:
        await action(hass, "request_agent")
    assert info.value.translation_key == "agent_no_station"
    assert info.value.translation_placeholders == {"home": "Maison"}
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call("button", "press", {"entity_id": AGENT}, blocking=True)
    assert requests == []
    assert stand_in.alerts == []


async def test_a_message_longer_than_200_characters_is_refused(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    with pytest.raises(Exception, match="message"):  # HA's schema error
        await action(hass, "request_agent", message="x" * 201)
    assert station.reports == []


async def test_each_request_is_in_the_journal_with_who_and_the_way_it_went(
    hass: HomeAssistant, stand_in: StandIn, hass_admin_user: MockUser
) -> None:
    entry = await setup_offer_home(hass, stand_in, gateway=RecordingStation())
    await action(hass, "request_agent", Context(user_id=hass_admin_user.id), message="Bruit")
    await hass.async_block_till_done()
    [found] = entry.runtime_data.journal.query(kinds=[EntryKind.AGENT_REQUESTED], limit=5)
    recorded = found.as_dict()
    assert recorded["details"] == {"message": "Bruit", "via": "station", "paid": True}
    assert recorded["who"]["user"] == "Mock User"
    assert recorded["who"]["method"] == "app"
