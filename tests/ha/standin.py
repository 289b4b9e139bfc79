"""A stand-in voice server for the Home Assistant tests, and the helpers they share.

The stand-in is a small aiohttp server on 127.0.0.1 that records what it is sent and can fail on
demand; it validates every request with the contract's own models, so it accepts exactly what the
real server accepts (the real server itself is exercised against the same client in tests/voice,
with Asterisk). Home Assistant talks to it over HTTP.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
import json
import time
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pydantic import ValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.contract import SCHEMA_VERSION, http
from custom_components.imaprotect.contract.errors import refusal
from custom_components.imaprotect.contract.models import (
    AlertIn,
    CancelIn,
    HeartbeatIn,
    NoticeIn,
    PhotosIn,
    ServerInfo,
    Site,
)
from custom_components.imaprotect.contract.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

from .conftest import MARIE_CODE, PANEL, home_entry, set_sources

TOKEN = "voice-token-0123456789abcdef"
SECRET = "callback-secret-0123456789abcdef0123456789"
WEBHOOK_ID = "a" * 64
AT = "2026-11-26T13:32:00+00:00"


class StandIn:
    """Records the requests a voice server would receive, and answers like one."""

    def __init__(self) -> None:
        self.sites: dict[str, dict[str, Any]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.cancels: list[tuple[str, dict[str, Any]]] = []
        self.url = ""
        # Failure injection: how many of the next requests of a kind answer 503, and a 422.
        self.unavailable = {"alert": 0, "cancel": 0, "photos": 0}
        self.reject_site: dict[str, str] | None = None
        self.statuses: dict[str, str] = {}  # GET /alerts/{id}: its status (default calling)
        self.tries = {"alert": 0, "cancel": 0, "photos": 0}  # requests received, failed included
        self.photos: list[tuple[str, list[bytes]]] = []  # (alert id, JPEGs) taken, in order
        self.photos_refusal: dict[str, str] | None = None  # answered 422 while set
        self.health = "ok"  # what /healthz says: "ok", "degraded", or "down" (a 503)
        self.heartbeats: list[dict[str, Any]] = []  # every heartbeat taken, with its site
        self.heartbeats_down = 0  # how many of the next heartbeats answer 503
        self.heartbeat_refusal: dict[str, str] | None = None  # answered 422 while set
        self.paths: dict[str, str] = {}  # /healthz's self-diagnosis ("trunk", "smtp")
        self.notices: list[dict[str, Any]] = []  # every owner notice taken, with its site

    def _down(self, kind: str) -> bool:
        self.tries[kind] += 1
        if self.unavailable[kind] > 0:
            self.unavailable[kind] -= 1
            return True
        return False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put(http.SITE, self._put_site)
        app.router.add_post(http.ALERTS, self._post_alert)
        app.router.add_post(http.ALERT_CANCEL, self._cancel)
        app.router.add_post(http.ALERT_PHOTOS, self._post_photos)
        app.router.add_get(http.INFO, self._info)
        app.router.add_get(http.ALERT, self._get_alert)
        app.router.add_get(http.HEALTH, self._healthz)
        app.router.add_put(http.HEARTBEAT, self._heartbeat)
        app.router.add_post(http.NOTICES, self._notice)
        return app

    async def _notice(self, request: web.Request) -> web.Response:
        self._authorised(request)
        raw = await request.read()
        if (refused := _refused(NoticeIn, raw)) is not None:
            return refused
        site = request.match_info["site_id"]
        if site not in self.sites:
            return web.json_response({"error": "not_found", "field": "site_id"}, status=404)
        body = json.loads(raw)
        self.notices.append(body | {"site": site})
        return web.json_response({"notice_id": body["notice_id"], "recipients": 1}, status=201)

    async def _heartbeat(self, request: web.Request) -> web.Response:
        self._authorised(request)
        if self.heartbeats_down > 0:
            self.heartbeats_down -= 1
            return web.json_response({"error": "unavailable"}, status=503)
        if self.heartbeat_refusal is not None:
            return web.json_response(self.heartbeat_refusal, status=422)
        raw = await request.read()
        if (refused := _refused(HeartbeatIn, raw)) is not None:
            return refused
        site = request.match_info["site_id"]
        if site not in self.sites:
            return web.json_response({"error": "not_found", "field": "site_id"}, status=404)
        body = json.loads(raw)
        self.heartbeats.append(body | {"site": site})
        return web.json_response({"site_id": site, "armed": body["armed"]})

    async def _healthz(self, _request: web.Request) -> web.Response:
        if self.health == "down":
            return web.json_response({"error": "unavailable"}, status=503)
        return web.json_response(
            {"status": self.health, "asterisk": self.health == "ok"} | self.paths
        )

    @staticmethod
    def _authorised(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized

    async def _put_site(self, request: web.Request) -> web.Response:
        self._authorised(request)
        if self.reject_site is not None:
            return web.json_response(self.reject_site, status=422)
        raw = await request.read()
        if (refused := _refused(Site, raw)) is not None:
            return refused
        site = request.match_info["site_id"]
        self.sites[site] = json.loads(raw)
        return web.json_response({"site_id": site, "contacts": len(self.sites[site]["contacts"])})

    async def _post_alert(self, request: web.Request) -> web.Response:
        self._authorised(request)
        if self._down("alert"):
            return web.json_response({"error": "unavailable"}, status=503)
        raw = await request.read()
        if (refused := _refused(AlertIn, raw)) is not None:
            return refused
        if request.match_info["site_id"] not in self.sites:  # lost, or the database restored
            return web.json_response({"error": "not_found", "field": "site_id"}, status=404)
        body = json.loads(raw)
        self.alerts.append(body | {"site": request.match_info["site_id"]})
        return web.json_response({"alert_id": body["alert_id"], "status": "calling"}, status=201)

    async def _post_photos(self, request: web.Request) -> web.Response:
        self._authorised(request)
        if self._down("photos"):
            return web.json_response({"error": "unavailable"}, status=503)
        if self.photos_refusal is not None:
            return web.json_response(self.photos_refusal, status=422)
        raw = await request.read()
        if (refused := _refused(PhotosIn, raw)) is not None:
            return refused
        alert_id = request.match_info["alert_id"]
        photos = list(PhotosIn.model_validate_json(raw).photo_bytes())
        self.photos.append((alert_id, photos))
        return web.json_response({"alert_id": alert_id, "photos": len(photos)}, status=201)

    async def _cancel(self, request: web.Request) -> web.Response:
        self._authorised(request)
        if self._down("cancel"):
            return web.json_response({"error": "unavailable"}, status=503)
        raw = await request.read()
        if (refused := _refused(CancelIn, raw)) is not None:
            return refused
        alert_id = request.match_info["alert_id"]
        self.cancels.append((alert_id, json.loads(raw)))
        return web.json_response(
            {
                "alert_id": alert_id,
                "site_id": "?",
                "kind": "intrusion",
                "status": "cancelled",
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        )

    async def _get_alert(self, request: web.Request) -> web.Response:
        self._authorised(request)
        alert_id = request.match_info["alert_id"]
        if alert_id not in {a["alert_id"] for a in self.alerts}:
            return web.json_response({"error": "not_found", "field": "alert_id"}, status=404)
        return web.json_response(
            {
                "alert_id": alert_id,
                "site_id": "home",
                "kind": "intrusion",
                "status": self.statuses.get(alert_id, "calling"),
                "created_at": "2026-01-01T00:00:00+00:00",
                "acknowledged_by": {"id": "marie", "name": "Marie"}
                if self.statuses.get(alert_id) == "acknowledged"
                else None,
            }
        )

    async def _info(self, request: web.Request) -> web.Response:
        self._authorised(request)
        info = ServerInfo(
            schema_version=SCHEMA_VERSION,
            min_schema_version=SCHEMA_VERSION,
            version="stand-in",
            allowed_regions=("FR",),
        )
        return web.json_response(text=info.model_dump_json())


def _refused(
    model: type[Site | AlertIn | CancelIn | HeartbeatIn | NoticeIn], raw: bytes
) -> web.Response | None:
    """The real server's 4xx answer when the contract refuses ``raw``, else None."""
    try:
        model.model_validate_json(raw)
    except ValidationError as err:
        status, body = refusal(err)
        return web.json_response(text=body.model_dump_json(), status=status)
    return None


@asynccontextmanager
async def serve_stand_in() -> AsyncIterator[StandIn]:
    """A stand-in on a free port of 127.0.0.1 (for each test module's ``stand_in`` fixture)."""
    server = StandIn()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
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


async def disarm(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await hass.async_block_till_done()


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


async def post_callback(
    hass_client_no_auth: ClientSessionGenerator, payload: dict[str, Any]
) -> int:
    client = await hass_client_no_auth()
    body = json.dumps(payload).encode()
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=signed(body))
    return response.status


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
