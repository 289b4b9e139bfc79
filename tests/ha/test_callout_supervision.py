"""The transmission path is watched, and what the phones may not carry goes to the notifiers.

Issue 8, points 2, 3, 4 and 6: supervision of the voice server (repair, diagnostic sensor,
fallback notifiers), the repair for plain HTTP off this machine, replayed or reordered callbacks,
and a wrong code typed on the phone in the logbook. The voice server is the stand-in.
"""

import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events, async_mock_service
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect import logbook, site_sync
from custom_components.imaprotect.contract.signing import DELIVERY_HEADER

from .standin import (
    AT,
    TOKEN,
    WEBHOOK_ID,
    StandIn,
    setup_home,
    signed,
    tick,
    trigger,
)

CONNECTIVITY = "binary_sensor.maison_voice_server"
ALERT_SENSOR = "sensor.maison_alert"


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def deliver(
    hass_client_no_auth: ClientSessionGenerator, payload: dict[str, Any], delivery: str | None
) -> int:
    """POST a signed callback, with the voice server's delivery id when given."""
    client = await hass_client_no_auth()
    body = json.dumps({"site_id": "home", "at": AT} | payload).encode()
    headers = signed(body) | ({DELIVERY_HEADER: delivery} if delivery else {})
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=headers)
    return response.status


def describe(hass: HomeAssistant, event: Any) -> str:
    described: dict[str, Any] = {}
    logbook.async_describe_events(hass, lambda _d, kind, f: described.setdefault(kind, f))
    return str(described[event.event_type](event)["message"])


async def test_a_voice_server_down_is_a_repair_and_an_off_diagnostic(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    stand_in.health = "down"
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    issue_id = f"voice_server_unreachable_{entry.entry_id}"
    assert state_of(hass, CONNECTIVITY) == "off"
    assert issue_registry.async_get_issue("imaprotect", issue_id) is not None
    stand_in.health = "ok"
    await tick(hass, freezer, 61)
    assert state_of(hass, CONNECTIVITY) == "on"
    assert issue_registry.async_get_issue("imaprotect", issue_id) is None


async def test_an_alarm_while_the_server_is_degraded_also_goes_to_the_notifiers(
    hass: HomeAssistant, stand_in: StandIn, issue_registry: ir.IssueRegistry
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    stand_in.health = "degraded"  # it answers, keeps the alert, but Asterisk is away
    entry = await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    issue = issue_registry.async_get_issue("imaprotect", f"voice_server_degraded_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison"}
    assert state_of(hass, CONNECTIVITY) == "off"
    await trigger(hass)
    assert len(stand_in.alerts) == 1  # kept by the server, which calls once it can
    assert [c.data["entity_id"] for c in sent] == [["notify.phone"]]
    assert sent[0].data["message"].startswith("Alarm raised manually at ")


@pytest.mark.parametrize("status", ["exhausted", "expired", "queued"])
async def test_nobody_reached_by_phone_goes_to_the_notifiers(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    status: str,
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    await trigger(hass)
    assert sent == []  # the phones carry it
    payload = {"alert_id": stand_in.alerts[0]["alert_id"], "status": status}
    assert await deliver(hass_client_no_auth, payload, "d-1") == 200
    await hass.async_block_till_done()
    assert state_of(hass, ALERT_SENSOR) == status
    assert len(sent) == 1
    assert sent[0].data["message"].startswith("Alarm raised manually at ")
    assert (
        sent[0]
        .data["message"]
        .endswith(
            {
                "exhausted": "Nobody acknowledged the alert",
                "expired": "The voice server could not call anybody in time: alert given up",
                "queued": "The voice server cannot call now: alert kept, calls as soon as it can",
            }[status]
        )
    )


@pytest.mark.parametrize(
    ("url", "insecure"),
    [
        ("http://192.168.1.20:8080", True),
        ("http://voice.home.arpa:8080", True),
        ("http://[fd00::20]:8080", True),
        ("https://voice.home.arpa", False),
        ("http://127.0.0.1:8080", False),
        ("http://127.10.0.1:8080", False),
        ("http://[::1]:8080", False),
        ("http://localhost:8080", False),
    ],
)
def test_plain_http_is_flagged_off_loopback_only(url: str, *, insecure: bool) -> None:
    assert site_sync.plain_http_off_loopback(url) is insecure


async def test_plain_http_to_another_machine_is_a_repair(
    hass: HomeAssistant, socket_enabled: None, issue_registry: ir.IssueRegistry
) -> None:
    entry = await setup_home(hass, voice_url="http://voice.home.arpa:8080", voice_token=TOKEN)
    issue = issue_registry.async_get_issue("imaprotect", f"voice_server_insecure_{entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {"home": "Maison"}
    assert "voice.home.arpa" not in json.dumps(issue.to_json())


async def test_a_loopback_voice_server_is_no_repair(
    hass: HomeAssistant, stand_in: StandIn, issue_registry: ir.IssueRegistry
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    assert (
        issue_registry.async_get_issue("imaprotect", f"voice_server_insecure_{entry.entry_id}")
        is None
    )


async def test_a_replayed_delivery_is_ignored_even_after_a_reload(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]

    def calling(name: str) -> dict[str, Any]:
        contact = {"id": name.lower(), "name": name}
        return {"event": "attempt_started", "alert_id": alert_id, "status": "calling"} | {
            "contact": contact
        }

    assert await deliver(hass_client_no_auth, calling("Paul"), "d-1") == 200
    assert await deliver(hass_client_no_auth, calling("Marie"), "d-2") == 200
    assert await deliver(hass_client_no_auth, calling("Paul"), "d-1") == 200  # replayed
    assert hass.states.get(ALERT_SENSOR).attributes["contact"] == "Marie"  # type: ignore[union-attr]
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await deliver(hass_client_no_auth, calling("Paul"), "d-1") == 200
    assert hass.states.get(ALERT_SENSOR).attributes["contact"] == "Marie"  # type: ignore[union-attr]
    assert await deliver(hass_client_no_auth, calling("Paul"), "d-3") == 200  # a new one is taken
    assert hass.states.get(ALERT_SENSOR).attributes["contact"] == "Paul"  # type: ignore[union-attr]


async def test_a_final_status_never_goes_back_to_calling(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    marie = {"id": "marie", "name": "Marie"}
    done = {"alert_id": alert_id, "status": "acknowledged", "contact": marie}
    assert await deliver(hass_client_no_auth, done, "d-9") == 200
    late = {"event": "attempt_started", "alert_id": alert_id, "status": "calling"}
    for payload in (late | {"contact": marie}, {"alert_id": alert_id, "status": "calling"}):
        assert await deliver(hass_client_no_auth, payload, None) == 200
    assert state_of(hass, ALERT_SENSOR) == "acknowledged"


async def test_a_wrong_code_typed_on_the_phone_reaches_the_logbook(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    rejected = async_capture_events(hass, "imaprotect_phone_code_rejected")
    await trigger(hass)
    payload = {
        "event": "code_rejected",
        "alert_id": stand_in.alerts[0]["alert_id"],
        "status": "calling",
        "contact": {"id": "marie", "name": "Marie"},
        "wrong_codes": 1,
    }
    assert await deliver(hass_client_no_auth, payload, "d-5") == 200
    assert [e.data["contact"] for e in rejected] == ["Marie"]
    assert describe(hass, rejected[0]) == "Wrong code typed by Marie on the phone"
    assert state_of(hass, ALERT_SENSOR) == "calling"
