"""The home's call-out from Home Assistant's side: site sync, alert, cancel, signed callbacks.

The voice server is stood in by a small aiohttp server on 127.0.0.1 that records what it is sent
(the real server, with Asterisk, is exercised in tests/e2e); Home Assistant talks to it over HTTP.
"""

from collections.abc import AsyncIterator
import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import MARIE_CODE, PANEL, WINDOW, home_entry, set_sources

TOKEN = "voice-token-0123456789abcdef"
SECRET = "callback-secret-0123456789abcdef0123456789"
WEBHOOK_ID = "a" * 64


class StandIn:
    """Records the requests a voice server would receive, and answers like one."""

    def __init__(self) -> None:
        self.sites: dict[str, dict[str, Any]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.cancels: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/api/v1/sites/{site}", self._put_site)
        app.router.add_post("/api/v1/sites/{site}/alerts", self._post_alert)
        app.router.add_post("/api/v1/alerts/{alert}/cancel", self._cancel)
        app.router.add_get("/api/v1/openapi.json", self._openapi)
        return app

    @staticmethod
    def _authorised(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized

    async def _put_site(self, request: web.Request) -> web.Response:
        self._authorised(request)
        self.sites[request.match_info["site"]] = await request.json()
        return web.json_response({"site_id": request.match_info["site"]})

    async def _post_alert(self, request: web.Request) -> web.Response:
        self._authorised(request)
        self.alerts.append(await request.json() | {"site": request.match_info["site"]})
        return web.json_response({"status": "calling"}, status=201)

    async def _cancel(self, request: web.Request) -> web.Response:
        self._authorised(request)
        self.cancels.append((request.match_info["alert"], await request.json()))
        return web.json_response({"status": "cancelled"})

    async def _openapi(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return web.json_response({"openapi": "3.1.0"})


@pytest.fixture
async def stand_in(socket_enabled: None) -> AsyncIterator[StandIn]:
    server = StandIn()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


async def setup_home(hass: HomeAssistant, **settings: Any) -> MockConfigEntry:
    await async_process_ha_core_config(hass, {"internal_url": "http://127.0.0.1:8123"})
    set_sources(hass)
    entry = home_entry(webhook_id=WEBHOOK_ID, callback_secret=SECRET, **settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def trigger(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "alarm_control_panel", "alarm_trigger", {"entity_id": PANEL}, blocking=True
    )
    await hass.async_block_till_done()


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "X-Imaprotect-Timestamp": str(timestamp),
        "X-Imaprotect-Signature": f"sha256={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


async def test_site_instructions_hold_contacts_in_order_and_no_clear_code(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, station="sip:station@127.0.0.1:5099"
    )
    site = stand_in.sites[entry.entry_id]
    assert [(c["id"], c["phone"]) for c in site["contacts"]] == [("marie", "+33612345678")]
    assert site["contacts"][0]["code_hash"].startswith("pbkdf2_sha256$")
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
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert stand_in.cancels == [(alert["alert_id"], {"by": "Marie"})]
    assert hass.states.get("sensor.maison_alert").state == "cancelled"  # type: ignore[union-attr]


async def test_signed_callbacks_update_the_sensor_and_the_logbook(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    statuses = async_capture_events(hass, "imaprotect_alert")
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    client = await hass_client_no_auth()
    body = json.dumps(
        {
            "event": "alert_status",
            "alert_id": alert_id,
            "status": "acknowledged",
            "contact": {"id": "marie", "name": "Marie"},
            "at": "2026-11-26T13:32:00+00:00",
        }
    ).encode()
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=signed(body))
    assert response.status == 200
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
    other = json.dumps({"alert_id": "another-alert", "status": "acknowledged"}).encode()
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
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], base | {"call_out": call_out}
        )
        assert result["errors"] == {"call_out": error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        base | {"call_out": {"voice_url": stand_in.url, "voice_token": TOKEN, "station": " 3631 "}},
    )
    assert result["type"] == "create_entry"
    assert result["data"]["voice_url"] == stand_in.url
    assert result["data"]["voice_token"] == TOKEN
    assert result["data"]["station"] == "3631"
