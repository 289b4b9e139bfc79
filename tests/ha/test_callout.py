"""The home's call-out from Home Assistant's side: site sync, alert, cancel, signed callbacks.

The voice server is stood in by ``standin.StandIn``.
"""

from datetime import timedelta
import json
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events, async_mock_service
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.contract.codes import verify_code

from .conftest import (
    DOOR,
    MARIE_CODE,
    MARIE_PHONE_CODE,
    PANEL,
    SMOKE,
    WINDOW,
    WINDOW_TAMPER,
    home_entry,
    set_sources,
)
from .standin import (
    AT,
    SECRET,
    TOKEN,
    WEBHOOK_ID,
    StandIn,
    disarm,
    post_callback,
    setup_home,
    signed,
    tick,
    trigger,
)


async def test_site_instructions_hold_contacts_in_order_and_no_clear_code(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, station="sip:station@127.0.0.1:5099"
    )
    site = stand_in.sites[entry.entry_id]
    assert [(c["id"], c["phone"]) for c in site["contacts"]] == [("marie", "+33612345678")]
    ack_code_hash = site["contacts"][0]["ack_code_hash"]
    assert verify_code(MARIE_PHONE_CODE, ack_code_hash)
    # The keypad code's hash never leaves Home Assistant (it would disarm the panel).
    assert not verify_code(MARIE_CODE, ack_code_hash)
    keypad_hash = entry.subentries["marie"].data["code_hash"]
    assert keypad_hash not in json.dumps(site)
    assert "code" not in site["contacts"][0]
    assert MARIE_CODE not in site["contacts"][0].values()
    assert site["station"] == "sip:station@127.0.0.1:5099"
    assert site["callback_url"] == f"http://127.0.0.1:8123/api/webhook/{WEBHOOK_ID}"
    assert site["callback_secret"] == SECRET
    assert site["language"] == "en"


async def test_alarm_starts_an_alert_and_disarm_cancels_it(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    hass.states.async_set(WINDOW, "on")  # immediate detector: no alarm while arming
    await hass.async_block_till_done()
    assert stand_in.alerts == []
    await trigger(hass)
    assert len(stand_in.alerts) == 1
    alert = stand_in.alerts[0]
    assert (alert["site"], alert["kind"], alert["detector"]) == (entry.entry_id, "intrusion", None)
    sensor = hass.states.get("sensor.maison_alert")
    assert sensor is not None
    assert sensor.state == "calling"
    # A second alarm of the same episode does not start a second campaign.
    await trigger(hass)
    assert len(stand_in.alerts) == 1
    await disarm(hass)
    assert stand_in.cancels == [(alert["alert_id"], {"by": "Marie"})]
    assert hass.states.get("sensor.maison_alert").state == "cancelled"  # type: ignore[union-attr]


async def test_signed_callbacks_update_the_sensor_and_the_logbook(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    statuses = async_capture_events(hass, "imaprotect_alert")
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    payload = {
        "event": "alert_status",
        "site_id": "home",
        "at": AT,
        "alert_id": alert_id,
        "status": "acknowledged",
        "contact": {"id": "marie", "name": "Marie"},
    }
    assert await post_callback(hass_client_no_auth, payload) == 200
    sensor = hass.states.get("sensor.maison_alert")
    assert sensor is not None
    assert sensor.state == "acknowledged"
    assert sensor.attributes["contact"] == "Marie"
    assert [(e.data["status"], e.data["contact"]) for e in statuses] == [("acknowledged", "Marie")]
    from custom_components.imaprotect import logbook

    described: dict[str, Any] = {}
    logbook.async_describe_events(hass, lambda _d, kind, f: described.setdefault(kind, f))
    line = described["imaprotect_alert"](statuses[0])["message"]
    assert line.startswith("Alert acknowledged by Marie by phone at ")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Imaprotect-Timestamp": "not-a-number", "X-Imaprotect-Signature": "sha256=00"},
        "wrong-secret",
        "stale",
    ],
)
async def test_bad_or_stale_signatures_are_refused(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    headers: dict[str, str] | str,
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    body = json.dumps(
        {"alert_id": stand_in.alerts[0]["alert_id"], "status": "acknowledged"}
    ).encode()
    if headers == "wrong-secret":
        headers = signed(body, secret="another-secret-of-enough-length-000000")
    elif headers == "stale":
        headers = signed(body, at=int(time.time()) - 3600)
    client = await hass_client_no_auth()
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=headers)
    assert response.status == 401
    assert hass.states.get("sensor.maison_alert").state == "calling"  # type: ignore[union-attr]


async def test_malformed_callbacks_are_refused(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    client = await hass_client_no_auth()
    for body in (b"{not json", json.dumps({"alert_id": "x", "status": "teleported"}).encode()):
        response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=signed(body))
        assert response.status == 400
    other = json.dumps(
        {"site_id": "home", "alert_id": "another-alert", "status": "acknowledged", "at": AT}
    ).encode()
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=other, headers=signed(other))
    assert response.status == 200
    assert hass.states.get("sensor.maison_alert").state == "calling"  # type: ignore[union-attr]


async def test_without_a_voice_server_alerts_become_notifications(hass: HomeAssistant) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await setup_home(hass, notify_entities=["notify.phone"])
    await trigger(hass)
    assert sent[0].data["entity_id"] == ["notify.phone"]
    assert sent[0].data["title"] == "Maison: alarm"
    assert sent[0].data["message"].startswith("Alarm raised manually at ")
    assert hass.states.get("sensor.maison_alert").state == "idle"  # type: ignore[union-attr]


async def test_unreachable_voice_server_falls_back_and_raises_a_repair(
    hass: HomeAssistant, socket_enabled: None, issue_registry: ir.IssueRegistry
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    entry = await setup_home(
        hass, voice_url="http://127.0.0.1:9", voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    await trigger(hass)
    assert hass.states.get("sensor.maison_alert").state == "failed"  # type: ignore[union-attr]
    assert len(sent) == 1
    issue = issue_registry.async_get_issue(
        "imaprotect", f"voice_server_unreachable_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison"}


async def test_home_flow_checks_the_voice_server(hass: HomeAssistant, stand_in: StandIn) -> None:
    base = {
        "name": "Chalet",
        "formula": "e_veille",
        "entry_delay": 30,
        "exit_delay": 30,
        "alarm_duration": 180,
        "code_arm_required": False,
    }
    result = await hass.config_entries.flow.async_init("imaprotect", context={"source": "user"})
    for call_out, error in (
        ({"voice_url": stand_in.url}, "token_required"),
        ({"voice_url": stand_in.url, "voice_token": "wrong-token"}, "invalid_auth"),
        ({"voice_url": "http://127.0.0.1:9", "voice_token": TOKEN}, "cannot_connect"),
        # A short service number: the voice server would refuse it at sync, so the flow does.
        ({"voice_url": stand_in.url, "voice_token": TOKEN, "station": "3631"}, "invalid_station"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], base | {"call_out": call_out}
        )
        assert result["errors"] == {"call_out": error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        base
        | {
            "call_out": {
                "voice_url": stand_in.url,
                "voice_token": TOKEN,
                "station": " 01 23 45 67 89 ",
            }
        },
    )
    assert result["type"] == "create_entry"
    assert result["data"]["voice_url"] == stand_in.url
    assert result["data"]["voice_token"] == TOKEN
    assert result["data"]["station"] == "+33123456789"


async def test_the_next_alarm_after_one_ended_is_not_lost(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)  # panic from disarmed; its campaign runs on, nobody acknowledges
    await tick(hass, freezer, 181)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    hass.states.async_set(SMOKE, "on")
    await hass.async_block_till_done()
    assert [a["kind"] for a in stand_in.alerts] == ["intrusion", "smoke"]
    assert len({a["alert_id"] for a in stand_in.alerts}) == 2


async def test_a_fire_during_an_intrusion_alarm_gets_its_own_alert(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    hass.states.async_set(SMOKE, "on")
    await hass.async_block_till_done()
    assert [a["kind"] for a in stand_in.alerts] == ["intrusion", "smoke"]
    assert hass.states.get("sensor.maison_alert").attributes["kind"] == "smoke"  # type: ignore[union-attr]


async def test_tamper_while_disarmed_phones_nobody(hass: HomeAssistant, stand_in: StandIn) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    alarms = async_capture_events(hass, "imaprotect_alarm")
    hass.states.async_set(WINDOW_TAMPER, "on")
    await hass.async_block_till_done()
    assert [e.data["kind"] for e in alarms] == ["tamper"]
    assert stand_in.alerts == []


async def test_alert_is_sent_again_when_the_voice_server_is_back(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    stand_in.unavailable["alert"] = 2
    await trigger(hass)
    assert hass.states.get("sensor.maison_alert").state == "failed"  # type: ignore[union-attr]
    assert len(sent) == 1  # people are told at once, by notification
    await tick(hass, freezer, 6)
    assert stand_in.alerts == []
    await tick(hass, freezer, 16)
    assert len(stand_in.alerts) == 1
    assert hass.states.get("sensor.maison_alert").state == "calling"  # type: ignore[union-attr]
    assert len(sent) == 1


async def test_cancel_is_sent_again_until_the_voice_server_hears_it(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    stand_in.unavailable["cancel"] = 1
    await disarm(hass)
    assert stand_in.cancels == []
    assert hass.states.get("sensor.maison_alert").state == "cancelled"  # type: ignore[union-attr]
    await tick(hass, freezer, 6)
    assert stand_in.cancels == [(stand_in.alerts[0]["alert_id"], {"by": "Marie"})]


async def test_a_home_with_nobody_to_call_notifies_instead(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await async_process_ha_core_config(hass, {"internal_url": "http://127.0.0.1:8123"})
    set_sources(hass)
    entry = home_entry(
        voice_url=stand_in.url,
        voice_token=TOKEN,
        notify_entities=["notify.phone"],
        webhook_id=WEBHOOK_ID,
        callback_secret=SECRET,
    )
    entry.add_to_hass(hass)
    hass.config_entries.async_remove_subentry(entry, "marie")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await trigger(hass)
    assert stand_in.sites == {}
    assert stand_in.alerts == []
    assert len(sent) == 1


async def test_refused_instructions_raise_their_own_repair(
    hass: HomeAssistant, stand_in: StandIn, issue_registry: ir.IssueRegistry
) -> None:
    stand_in.reject_site = {"error": "invalid_phone", "field": "contacts.0.phone"}
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    issue = issue_registry.async_get_issue("imaprotect", f"voice_server_rejected_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "detail": "contacts.0.phone"}
    assert (
        issue_registry.async_get_issue("imaprotect", f"voice_server_unreachable_{entry.entry_id}")
        is None
    )


async def test_attempt_callbacks_say_who_is_called_and_repeats_are_not_logged_twice(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    statuses = async_capture_events(hass, "imaprotect_alert")
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    paul = {"id": "paul", "name": "Paul"}
    for payload in (
        {"event": "attempt_started", "status": "calling", "contact": paul},
        {"event": "attempt_ended", "status": "calling", "contact": paul},
        {"event": "alert_status", "status": "acknowledged", "contact": paul},
        {"event": "alert_status", "status": "acknowledged", "contact": paul},
    ):
        body = payload | {"alert_id": alert_id, "site_id": "home", "at": AT}
        assert await post_callback(hass_client_no_auth, body) == 200
    assert [(e.data["status"], e.data["contact"]) for e in statuses] == [
        ("calling", "Paul"),
        ("acknowledged", "Paul"),
    ]


async def test_cancel_callback_keeps_who_disarmed(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    await disarm(hass)
    payload = {
        "event": "alert_status",
        "site_id": "home",
        "at": AT,
        "alert_id": alert_id,
        "status": "cancelled",
        "contact": {"id": "paul", "name": "Paul"},
        "cancelled_by": "Marie",
    }
    assert await post_callback(hass_client_no_auth, payload) == 200
    assert hass.states.get("sensor.maison_alert").attributes["contact"] == "Marie"  # type: ignore[union-attr]


async def test_alarm_caught_up_after_a_restart_reaches_the_voice_server(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(DOOR, "on")
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(seconds=120))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "triggered"  # type: ignore[union-attr]
    assert [a["kind"] for a in stand_in.alerts] == ["intrusion"]
    payload = {
        "event": "alert_status",
        "site_id": "home",
        "at": AT,
        "alert_id": stand_in.alerts[0]["alert_id"],
        "status": "acknowledged",
        "contact": {"id": "marie", "name": "Marie"},
    }
    assert await post_callback(hass_client_no_auth, payload) == 200
    assert hass.states.get("sensor.maison_alert").state == "acknowledged"  # type: ignore[union-attr]


async def test_a_refused_token_asks_for_a_new_one(hass: HomeAssistant, stand_in: StandIn) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token="an-old-token-0123456789")
    flows = hass.config_entries.flow.async_progress_by_handler("imaprotect")
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"voice_token": "wrong"})
    assert result["errors"] == {"voice_token": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"voice_token": TOKEN})
    assert result["type"] == "abort"
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["voice_token"] == TOKEN
    assert entry.entry_id in stand_in.sites  # reloaded with the new token, the site is synced


async def test_contacts_without_a_phone_code_are_named_in_a_repair(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    """Set before phone codes existed, Paul is in the call order with the keypad code only."""
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    hass.config_entries.async_update_subentry(
        entry,
        entry.subentries["paul"],
        data={**entry.subentries["paul"].data, "phone": "+33612345679"},
    )
    await hass.async_block_till_done()
    site = stand_in.sites[entry.entry_id]
    assert [c["id"] for c in site["contacts"]] == ["marie"]  # Paul is not phoned with no code
    issue = ir.async_get(hass).async_get_issue("imaprotect", f"phone_code_missing_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "people": "Paul"}
