"""HTTP API of the voice server (contract: notes/voice_api.md), on aiohttp.

Every input is checked here and a refusal names the field (``contacts.0.phone``), so Home
Assistant can tell its user which person to fix. Nothing a client sends can cause a 5xx: bad JSON,
wrong types and oversized bodies all get a 4xx JSON error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
import hmac
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client.aiohttp import make_aiohttp_handler

from custom_components.imaprotect.contract.codes import split_hash
from custom_components.imaprotect.contract.phones import (
    PhoneError,
    normalise_phone,
    normalise_station,
)
from voice_server.campaign import AlertConflictError, AlertRequest
from voice_server.openapi import openapi_document
from voice_server.store import Contact, Site

if TYPE_CHECKING:
    from voice_server.campaign import Campaigns
    from voice_server.metrics import Metrics
    from voice_server.store import Alert, Store

__all__ = ["ApiContext", "build_app"]

_LOGGER = logging.getLogger(__name__)

KINDS = ("intrusion", "smoke", "flood", "tamper", "sos", "fault")
LANGUAGES = ("fr", "en")
FORMULAS = ("e_veille", "a_la_carte", "tout_inclus")
MAX_CONTACTS = 20
MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 2 * 1024 * 1024
MIN_SECRET = 32
MAX_BODY = 16 * 1024 * 1024  # five 2 MB photos in base64, plus the rest
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALERT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CONTACT_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@[^@\s<>()\[\],;:\"\\]{1,255}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_MAX = 100


class ApiError(Exception):
    """A refused request: HTTP status, machine code, dotted field path and human detail."""

    def __init__(self, status: int, error: str, field: str = "", detail: str = "", **extra: str):
        super().__init__(error)
        self.status, self.error, self.field, self.detail, self.extra = (
            status,
            error,
            field,
            detail,
            extra,
        )

    def response(self) -> web.Response:
        """The JSON error body."""
        body = {"error": self.error, "field": self.field, "detail": self.detail, **self.extra}
        return web.json_response(body, status=self.status)


@dataclass(frozen=True, slots=True)
class ApiContext:
    """What the handlers need."""

    token: str
    store: Store
    campaigns: Campaigns
    metrics: Metrics
    allowed_regions: tuple[str, ...]
    health: Callable[[], Mapping[str, Any]]


CONTEXT = web.AppKey("context", ApiContext)


# --- validation helpers -----------------------------------------------------------------------


async def _json_object(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip() and optional:
        return {}
    try:
        body = json.loads(raw)
    except ValueError, UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_type", "", "the body must be a JSON object")
    return body


def _text(
    data: Mapping[str, Any], key: str, path: str, *, optional: bool = False, limit: int = _TEXT_MAX
) -> str | None:
    value = data.get(key)
    if value is None:
        if optional:
            return None
        raise ApiError(422, "missing_field", path, "this field is required")
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid_type", path, "a non-empty string is expected")
    if len(value) > limit or _CONTROL.search(value):
        raise ApiError(422, "invalid_value", path, f"at most {limit} characters, one line")
    return value.strip()


def _required(data: Mapping[str, Any], key: str, path: str, *, limit: int = _TEXT_MAX) -> str:
    value = _text(data, key, path, limit=limit)
    assert value is not None
    return value


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = _required(data, key, key)
    if value not in choices:
        raise ApiError(422, "invalid_value", key, f"one of {', '.join(choices)}")
    return value


def _pattern(value: str, pattern: re.Pattern[str], path: str) -> str:
    if not pattern.fullmatch(value):
        raise ApiError(422, "invalid_value", path, f"must match {pattern.pattern}")
    return value


def _contact(raw: Any, index: int, regions: tuple[str, ...]) -> Contact:
    path = f"contacts.{index}"
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_type", path, "a contact must be an object")
    contact_id = _pattern(_required(raw, "id", f"{path}.id", limit=64), _CONTACT_ID, f"{path}.id")
    name = _required(raw, "name", f"{path}.name")
    try:
        phone = normalise_phone(_required(raw, "phone", f"{path}.phone", limit=40), regions)
    except PhoneError as err:
        raise ApiError(
            422,
            "invalid_phone",
            f"{path}.phone",
            f"contact {contact_id}: {err}",
            contact=contact_id,
        ) from None
    email = _text(raw, "email", f"{path}.email", optional=True, limit=320)
    if email is not None and not _EMAIL.fullmatch(email):
        raise ApiError(
            422, "invalid_email", f"{path}.email", f"contact {contact_id}", contact=contact_id
        )
    code_hash = _required(raw, "code_hash", f"{path}.code_hash", limit=512)
    try:
        split_hash(code_hash)
    except ValueError as err:
        raise ApiError(
            422, "invalid_code_hash", f"{path}.code_hash", f"contact {contact_id}: {err}",
            contact=contact_id,
        ) from None  # fmt: skip
    return Contact(contact_id, name, phone, email, code_hash)


def _site(site_id: str, body: Mapping[str, Any], regions: tuple[str, ...]) -> Site:
    name = _required(body, "name", "name")
    language = _choice(body, "language", LANGUAGES)
    formula = _choice(body, "formula", FORMULAS)
    raw_contacts = body.get("contacts")
    if not isinstance(raw_contacts, list) or not 1 <= len(raw_contacts) <= MAX_CONTACTS:
        raise ApiError(422, "invalid_value", "contacts", f"a list of 1 to {MAX_CONTACTS} contacts")
    contacts = tuple(_contact(c, i, regions) for i, c in enumerate(raw_contacts))
    seen: set[str] = set()
    for index, contact in enumerate(contacts):
        if contact.id in seen:
            raise ApiError(422, "duplicate_contact", f"contacts.{index}.id", "ids must be unique")
        seen.add(contact.id)
    station = _text(body, "station", "station", optional=True, limit=200)
    if station is not None:
        try:
            station = normalise_station(station, regions)
        except PhoneError as err:
            raise ApiError(422, "invalid_phone", "station", str(err)) from None
    url = _text(body, "callback_url", "callback_url", optional=True, limit=2000)
    secret = None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ApiError(422, "invalid_value", "callback_url", "an absolute http(s) URL")
        secret = body.get("callback_secret")
        if not isinstance(secret, str) or len(secret) < MIN_SECRET:
            raise ApiError(
                422, "invalid_value", "callback_secret", f"at least {MIN_SECRET} characters"
            )
    return Site(site_id, name, language, formula, contacts, station, url, secret)


def _occurred_at(body: Mapping[str, Any]) -> datetime:
    value = _required(body, "occurred_at", "occurred_at", limit=64)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_value", "occurred_at", "an ISO 8601 date and time") from None
    if moment.utcoffset() is None:
        raise ApiError(422, "invalid_value", "occurred_at", "the time zone offset is required")
    return moment


def _photos(body: Mapping[str, Any]) -> tuple[bytes, ...]:
    raw = body.get("photos")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_PHOTOS:
        raise ApiError(422, "invalid_value", "photos", f"a list of at most {MAX_PHOTOS} images")
    photos = []
    for index, item in enumerate(raw):
        path = f"photos.{index}"
        if not isinstance(item, str):
            raise ApiError(422, "invalid_type", path, "a base64 string is expected")
        try:
            data = base64.b64decode(item, validate=True)
        except binascii.Error, ValueError:
            raise ApiError(422, "invalid_value", path, "not valid base64") from None
        if len(data) > MAX_PHOTO_BYTES:
            raise ApiError(422, "invalid_value", path, "larger than 2 MB")
        photos.append(data)
    return tuple(photos)


def _alert_request(body: Mapping[str, Any]) -> AlertRequest:
    alert_id = _pattern(_required(body, "alert_id", "alert_id", limit=64), _ALERT_ID, "alert_id")
    return AlertRequest(
        alert_id=alert_id,
        kind=_choice(body, "kind", KINDS),
        detector=_text(body, "detector", "detector", optional=True),
        zone=_text(body, "zone", "zone", optional=True),
        occurred_at=_occurred_at(body),
        photos=_photos(body),
    )


def _site_id(request: web.Request) -> str:
    return _pattern(request.match_info["site_id"], _ID, "site_id")


def _alert_view(store: Store, alert: Alert) -> dict[str, Any]:
    attempts = store.attempts(alert.alert_id)
    current = None
    if alert.active and attempts and attempts[-1].ended_at is None:
        current = {"id": attempts[-1].contact_id, "name": attempts[-1].contact_name}
    acknowledged_by = None
    if alert.acknowledged_by_id is not None:
        acknowledged_by = {"id": alert.acknowledged_by_id, "name": alert.acknowledged_by_name}
    return {
        "alert_id": alert.alert_id,
        "site_id": alert.site_id,
        "kind": alert.kind,
        "status": alert.status,
        "created_at": alert.created_at,
        "acknowledged_by": acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
        "cancelled_by": alert.cancelled_by,
        "finished_at": alert.finished_at,
        "current_contact": current,
        "round": attempts[-1].round if attempts else 1,
        "attempts": [a.public() for a in attempts],
    }


# --- handlers ---------------------------------------------------------------------------------


def _context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]


async def put_site(request: web.Request) -> web.Response:
    """Create or replace a site's instructions."""
    ctx = _context(request)
    site_id = _site_id(request)
    site = _site(site_id, await _json_object(request), ctx.allowed_regions)
    created = ctx.store.put_site(site)
    _LOGGER.info("site %s saved with %d contacts", site_id, len(site.contacts))
    return web.json_response(
        {"site_id": site_id, "contacts": len(site.contacts)}, status=201 if created else 200
    )


async def get_site(request: web.Request) -> web.Response:
    """A site without its secrets."""
    site = _context(request).store.get_site(_site_id(request))
    if site is None:
        raise ApiError(404, "not_found", "site_id", "no such site")
    return web.json_response(site.public())


async def delete_site(request: web.Request) -> web.Response:
    """Forget a site."""
    if not _context(request).store.delete_site(_site_id(request)):
        raise ApiError(404, "not_found", "site_id", "no such site")
    return web.Response(status=204)


async def post_alert(request: web.Request) -> web.Response:
    """Start an alert's call tree (idempotent on alert_id)."""
    ctx = _context(request)
    site_id = _site_id(request)
    alert_request = _alert_request(await _json_object(request))
    try:
        alert, created = ctx.campaigns.create(site_id, alert_request)
    except AlertConflictError:
        raise ApiError(409, "conflict", "alert_id", "alert id used by another site") from None
    except LookupError:
        raise ApiError(404, "not_found", "site_id", "no such site") from None
    body = {"alert_id": alert.alert_id, "status": alert.status}
    if created:
        _LOGGER.info("alert %s for site %s: calling", alert.alert_id, site_id)
    return web.json_response(body, status=201 if created else 200)


async def get_alert(request: web.Request) -> web.Response:
    """Status and attempts of an alert."""
    ctx = _context(request)
    alert = ctx.store.get_alert(_pattern(request.match_info["alert_id"], _ALERT_ID, "alert_id"))
    if alert is None:
        raise ApiError(404, "not_found", "alert_id", "no such alert")
    return web.json_response(_alert_view(ctx.store, alert))


async def cancel_alert(request: web.Request) -> web.Response:
    """Stop an alert (disarmed at home)."""
    ctx = _context(request)
    alert_id = _pattern(request.match_info["alert_id"], _ALERT_ID, "alert_id")
    body = await _json_object(request, optional=True)
    by = _text(body, "by", "by", optional=True)
    alert = ctx.campaigns.cancel(alert_id, by)
    if alert is None:
        raise ApiError(404, "not_found", "alert_id", "no such alert")
    return web.json_response(_alert_view(ctx.store, alert))


async def healthz(request: web.Request) -> web.Response:
    """Liveness: always 200; ``degraded`` while Asterisk is away."""
    return web.json_response(dict(_context(request).health()))


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus exposition by the library's handler: text 0.0.4, OpenMetrics when asked."""
    return await make_aiohttp_handler(_context(request).metrics.registry)(request)


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of this API."""
    return web.json_response(openapi_document())


# --- middlewares ------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PUBLIC = frozenset({"/healthz"})


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into JSON errors; an unexpected exception is a bug, logged as such."""
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPException as err:
        if err.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            err.status, "bad_request"
        )
        return ApiError(err.status, code, "", err.reason).response()


def _auth(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in _PUBLIC:
            given = request.headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    return middleware


def build_app(context: ApiContext) -> web.Application:
    """The aiohttp application with every route of the contract."""
    app = web.Application(middlewares=[_errors, _auth(context.token)], client_max_size=MAX_BODY)
    app[CONTEXT] = context
    app.router.add_put("/api/v1/sites/{site_id}", put_site)
    app.router.add_get("/api/v1/sites/{site_id}", get_site)
    app.router.add_delete("/api/v1/sites/{site_id}", delete_site)
    app.router.add_post("/api/v1/sites/{site_id}/alerts", post_alert)
    app.router.add_get("/api/v1/alerts/{alert_id}", get_alert)
    app.router.add_post("/api/v1/alerts/{alert_id}/cancel", cancel_alert)
    app.router.add_get("/api/v1/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
