"""A duress code disarms exactly like its person's code, and silently calls for help.

Nothing Home Assistant shows may differ from a normal disarm: the panel's state and attributes,
``changed_by``, the bus events and logbook lines, every entity of the home. Only the station
report and the call-out to the *other* contacts tell it apart, and neither shows in the home.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.core.reports import ReportKind

from .conftest import MARIE_CODE
from .offers_kit import MARIE_DURESS, RecordingStation, action, setup_offer_home
from .standin import AT, StandIn, post_callback
from .test_lockout import notifications
from .test_logbook import line
from .test_panel import armed_total, call, state


async def _disarm_with(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory, code: str
) -> dict[str, Any]:
    """Arm, disarm with ``code``; what Home Assistant shows of the disarm."""
    await armed_total(hass, freezer)
    seen = async_capture_events(hass, MATCH_ALL)
    await call(hass, "alarm_disarm", code=code)
    await hass.async_block_till_done()
    ours = [e for e in seen if e.event_type.startswith("imaprotect")]
    entity_ids = {
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    shown = {}
    for entity_id in sorted(entity_ids):
        current = hass.states.get(entity_id)
        assert current is not None
        shown[entity_id] = (current.state, dict(current.attributes))
    return {
        "events": [(e.event_type, dict(e.data)) for e in ours],
        "logbook": [line(hass, e.event_type, **e.data) for e in ours],
        "changed": sorted(e.data["entity_id"] for e in seen if e.event_type == "state_changed"),
        "event_types": sorted({e.event_type for e in seen}),
        "states": shown,
        "notifications": notifications(hass),
    }


async def test_a_duress_disarm_looks_exactly_like_a_normal_one(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    entry = await setup_offer_home(hass, stand_in, gateway=station)
    normal = await _disarm_with(hass, entry, freezer, MARIE_CODE)
    assert stand_in.alerts == []
    under_duress = await _disarm_with(hass, entry, freezer, MARIE_DURESS)

    assert under_duress == normal
    assert normal["events"] == [
        (
            "imaprotect_disarmed",
            {
                "entry_id": entry.entry_id,
                "home": "Maison",
                "method": "automation",
                "person": "Marie",
                "user": None,
                "origin": {"type": "system"},
            },
        )
    ]
    assert normal["logbook"] == ["Disarmed by Marie by an automation"]
    assert normal["states"]["alarm_control_panel.maison"][1]["changed_by"] == "Marie"
    assert state(hass) == "disarmed"

    # Only outside Home Assistant: the station, and an SOS call to the others, not Marie.
    assert station.kinds == [ReportKind.DURESS]
    assert station.reports[0].text == "Marie"
    (alert,) = stand_in.alerts
    assert (alert["kind"], alert["acknowledgement"]) == ("sos", "required")
    assert alert["skip_contacts"] == ["marie"]
    assert alert["note"] == "Marie gave their duress code: they may be in danger"
    assert [c["id"] for c in stand_in.sites[entry.entry_id]["contacts"]] == ["marie", "paul"]


async def test_the_silent_alert_never_shows_whatever_the_voice_server_says(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    entry = await setup_offer_home(hass, stand_in, notify_entities=["notify.paul_phone"])
    await armed_total(hass, freezer)
    await call(hass, "alarm_disarm", code=MARIE_DURESS)
    await hass.async_block_till_done()
    (alert,) = stand_in.alerts
    seen = async_capture_events(hass, MATCH_ALL)
    paul = {"id": "paul", "name": "Paul"}
    for payload in (
        {"event": "attempt_started", "status": "calling", "contact": paul},
        {"event": "code_rejected", "status": "calling", "contact": paul, "wrong_codes": 1},
        {"event": "alert_status", "status": "exhausted"},
    ):
        body = {"site_id": entry.entry_id, "alert_id": alert["alert_id"], "at": AT} | payload
        assert await post_callback(hass_client_no_auth, body) == 200
    await hass.async_block_till_done()
    assert [e.event_type for e in seen if e.event_type.startswith("imaprotect")] == []
    sensor = hass.states.get("sensor.maison_alert")
    assert sensor is not None
    assert sensor.state == "idle"
    assert notifications(hass) == []  # nothing on the dashboards
    # Nobody answered: the notifiers the homeowner chose are told, quietly.
    assert [c.data["entity_id"] for c in sent] == [["notify.paul_phone"]]
    assert "Nobody acknowledged the alert" in sent[0].data["message"]


async def test_a_duress_code_works_for_the_keypad_action_and_for_arming(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    await action(hass, "arm", mode="total", code=MARIE_DURESS, source="keypad")
    assert state(hass) == "arming"
    attributes = hass.states.get("alarm_control_panel.maison").attributes  # type: ignore[union-attr]
    assert attributes["changed_by"] == "Marie"
    await action(hass, "disarm", code=MARIE_DURESS, source="keypad")
    assert state(hass) == "disarmed"
    assert station.kinds == [ReportKind.DURESS, ReportKind.DURESS]
    assert [a["skip_contacts"] for a in stand_in.alerts] == [["marie"], ["marie"]]


async def test_without_a_voice_server_a_duress_goes_to_the_notify_entities_only(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await setup_offer_home(hass, None, notify_entities=["notify.paul_phone"])
    await armed_total(hass, freezer)
    await call(hass, "alarm_disarm", code=MARIE_DURESS)
    await hass.async_block_till_done()
    assert notifications(hass) == []
    assert len(sent) == 1
    assert sent[0].data["message"].startswith("SOS: someone asks for help at ")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert ours
    assert not any("duress" in message.lower() for message in ours)
