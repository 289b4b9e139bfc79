"""HTTP API of the voice server, on aiohttp (contract: voice_server/API.md and ``contract``).

Every body is validated by the contract's pydantic models, the same ones Home Assistant builds
its requests from; a refusal names the field (``contacts.0.phone``), so Home Assistant can tell its
user which person to fix. Nothing a client sends can cause a 5xx: bad JSON, wrong types, deep
nesting, lone surrogates and oversized bodies all get a 4xx JSON error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import hmac
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client.aiohttp import make_aiohttp_handler
from pydantic import BaseModel, ValidationError

from custom_components.imaprotect.contract import http
from custom_components.imaprotect.contract.enums import AlertKind, AlertStatus
from custom_components.imaprotect.contract.errors import ErrorCode, refusal
from custom_components.imaprotect.contract.limits import (
    ALERT_ID_PATTERN,
    MAX_BODY_BYTES,
    MIN_SUPPORTED_SCHEMA_VERSION,
    SCHEMA_VERSION,
    SITE_ID_PATTERN,
)
from custom_components.imaprotect.contract.models import (
    AlertAccepted,
    AlertIn,
    AlertView,
    CancelIn,
    ErrorBody,
    HeartbeatIn,
    NoticeIn,
    PersonRef,
    PhotosAccepted,
    PhotosIn,
    ServerInfo,
    Site,
    SiteSaved,
    SiteView,
)
from voice_server import __version__
from voice_server.campaign import AlertConflictError, AlertRequest
from voice_server.openapi import openapi_document

if TYPE_CHECKING:
    import re

    from voice_server.campaign import Campaigns
    from voice_server.home_watch import HomeWatch
    from voice_server.metrics import Metrics
    from voice_server.notices import Notices
    from voice_server.photos import AlertPhotos
    from voice_server.store import Alert, Store

__all__ = ["ApiContext", "build_app"]

_LOGGER = logging.getLogger(__name__)


class ApiError(Exception):
    """A refused request: HTTP status and the error body."""

    def __init__(self, status: int, error: ErrorCode, field: str = "", detail: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.body = ErrorBody(error=error, field=field, detail=detail)


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(text=model.model_dump_json(), status=status)


def _refused(status: int, body: ErrorBody) -> web.Response:
    return web.json_response(text=body.model_dump_json(exclude_none=True), status=status)


@dataclass(frozen=True, slots=True)
class ApiContext:
    """What the handlers need."""

    token: str
    store: Store
    campaigns: Campaigns
    homes: HomeWatch
    metrics: Metrics
    allowed_regions: tuple[str, ...]
    health: Callable[[], Mapping[str, Any]]
    notices: Notices
    photos: AlertPhotos | None = None


CONTEXT = web.AppKey("context", ApiContext)


# --- parsing ----------------------------------------------------------------------------------


async def _parse[M: BaseModel](
    request: web.Request, model: type[M], *, optional: bool = False, **context: Any
) -> M:
    """The body as ``model``; ApiError-free: a ValidationError becomes the 4xx answer."""
    raw = await request.read()
    if optional and not raw.strip():
        raw = b"{}"
    return model.model_validate_json(raw, context=context or None)


def _path_id(request: web.Request, key: str, pattern: re.Pattern[str]) -> str:
    value = request.match_info[key]
    if not pattern.fullmatch(value):
        raise ApiError(422, ErrorCode.INVALID_VALUE, key, f"must match {pattern.pattern}")
    return value


def _site_id(request: web.Request) -> str:
    return _path_id(request, "site_id", SITE_ID_PATTERN)


def _alert_id(request: web.Request) -> str:
    return _path_id(request, "alert_id", ALERT_ID_PATTERN)


def _alert_view(store: Store, alert: Alert) -> AlertView:
    attempts = store.attempts(alert.alert_id)
    current = None
    if alert.active and attempts and attempts[-1].ended_at is None:
        current = PersonRef(id=attempts[-1].contact_id, name=attempts[-1].contact_name)
    acknowledged_by = None
    if alert.acknowledged_by_id is not None and alert.acknowledged_by_name is not None:
        acknowledged_by = PersonRef(id=alert.acknowledged_by_id, name=alert.acknowledged_by_name)
    return AlertView(
        alert_id=alert.alert_id,
        site_id=alert.site_id,
        kind=AlertKind(alert.kind),
        status=AlertStatus(alert.status),
        created_at=alert.created_at,
        acknowledged_by=acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        cancelled_by=alert.cancelled_by,
        finished_at=alert.finished_at,
        current_contact=current,
        round=attempts[-1].round if attempts else 1,
        attempts=tuple(a.public() for a in attempts),
        reason=alert.reason,
        acknowledgement=alert.acknowledgement,
    )


# --- handlers ---------------------------------------------------------------------------------


def _context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]


async def put_site(request: web.Request) -> web.Response:
    """Create or replace a site's instructions."""
    ctx = _context(request)
    site_id = _site_id(request)
    site = await _parse(request, Site, allowed_regions=ctx.allowed_regions)
    created = ctx.store.put_site(site_id, site)
    _LOGGER.info("site %s saved with %d contacts", site_id, len(site.contacts))
    return _json(SiteSaved(site_id=site_id, contacts=len(site.contacts)), 201 if created else 200)


async def get_site(request: web.Request) -> web.Response:
    """A site without its secrets."""
    site_id = _site_id(request)
    site = _context(request).store.get_site(site_id)
    if site is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "site_id", "no such site")
    return _json(SiteView.of(site_id, site))


async def delete_site(request: web.Request) -> web.Response:
    """Forget a site."""
    if not _context(request).store.delete_site(_site_id(request)):
        raise ApiError(404, ErrorCode.NOT_FOUND, "site_id", "no such site")
    return web.Response(status=204)


async def put_heartbeat(request: web.Request) -> web.Response:
    """The home is alive (armed or not); see home_watch.py."""
    ctx = _context(request)
    site_id = _site_id(request)
    body = await _parse(request, HeartbeatIn)
    try:
        answer = ctx.homes.beat(site_id, body)
    except LookupError:
        raise ApiError(404, ErrorCode.NOT_FOUND, "site_id", "no such site") from None
    return _json(answer)


async def post_notice(request: web.Request) -> web.Response:
    """E-mail an owner notice (self-diagnosis) to the site's contacts; idempotent on its id."""
    ctx = _context(request)
    site_id = _site_id(request)
    body = await _parse(request, NoticeIn)
    try:
        answer, created = ctx.notices.post(site_id, body)
    except LookupError:
        raise ApiError(404, ErrorCode.NOT_FOUND, "site_id", "no such site") from None
    return _json(answer, 201 if created else 200)


async def post_alert(request: web.Request) -> web.Response:
    """Start an alert's call tree (idempotent on alert_id)."""
    ctx = _context(request)
    site_id = _site_id(request)
    body = await _parse(request, AlertIn)
    alert_request = AlertRequest(
        alert_id=body.alert_id,
        kind=body.kind,
        detector=body.detector,
        zone=body.zone,
        occurred_at=body.occurred_at,
        photos=body.photo_bytes(),
        acknowledgement=body.acknowledgement,
        skip_contacts=body.skip_contacts,
        note=body.note,
    )
    try:
        alert, created = await ctx.campaigns.async_create(site_id, alert_request)
    except AlertConflictError:
        raise ApiError(
            409, ErrorCode.CONFLICT, "alert_id", "alert id used by another site"
        ) from None
    except LookupError:
        raise ApiError(404, ErrorCode.NOT_FOUND, "site_id", "no such site") from None
    if created:
        _LOGGER.info("alert %s for site %s: %s", alert.alert_id, site_id, alert.status)
    accepted = AlertAccepted(alert_id=alert.alert_id, status=AlertStatus(alert.status))
    return _json(accepted, 201 if created else 200)


async def get_alert(request: web.Request) -> web.Response:
    """Status and attempts of an alert."""
    ctx = _context(request)
    alert = ctx.store.get_alert(_alert_id(request))
    if alert is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "alert_id", "no such alert")
    return _json(_alert_view(ctx.store, alert))


async def cancel_alert(request: web.Request) -> web.Response:
    """Stop an alert (disarmed at home)."""
    ctx = _context(request)
    alert_id = _alert_id(request)
    body = await _parse(request, CancelIn, optional=True)
    alert = ctx.campaigns.cancel(alert_id, body.by)
    if alert is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "alert_id", "no such alert")
    return _json(_alert_view(ctx.store, alert))


async def post_photos(request: web.Request) -> web.Response:
    """Store an alert's photos and mail them to its contacts (idempotent on the alert)."""
    ctx = _context(request)
    alert_id = _alert_id(request)
    body = await _parse(request, PhotosIn)
    if ctx.photos is None:  # pragma: no cover - the server always has its photo store
        raise ApiError(404, ErrorCode.NOT_FOUND, "alert_id", "no photo store")
    try:
        count, created = ctx.photos.add(alert_id, body.photo_bytes())
    except LookupError:
        raise ApiError(404, ErrorCode.NOT_FOUND, "alert_id", "no such alert") from None
    return _json(PhotosAccepted(alert_id=alert_id, photos=count), 201 if created else 200)


async def info(request: web.Request) -> web.Response:
    """What a client checks on connect: the schema versions served and the phone policy."""
    return _json(
        ServerInfo(
            schema_version=SCHEMA_VERSION,
            min_schema_version=MIN_SUPPORTED_SCHEMA_VERSION,
            version=__version__,
            allowed_regions=_context(request).allowed_regions,
        )
    )


async def healthz(request: web.Request) -> web.Response:
    """Liveness: always 200; ``degraded`` while Asterisk is away."""
    return web.json_response(dict(_context(request).health()))


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus exposition by the library's handler: text 0.0.4, OpenMetrics when asked."""
    return await make_aiohttp_handler(_context(request).metrics.registry)(request)


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of this API, generated from the contract's models."""
    return web.json_response(openapi_document())


# --- middlewares ------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PUBLIC = frozenset({http.HEALTH})
_ANY_SCHEMA = frozenset({http.INFO, http.HEALTH, http.OPENAPI, http.METRICS})
_HTTP_CODES = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
}


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into JSON errors; an unexpected exception is a bug, logged as such."""
    try:
        return await handler(request)
    except ApiError as err:
        return _refused(err.status, err.body)
    except ValidationError as err:
        return _refused(*refusal(err))
    except web.HTTPException as err:
        if err.status < 400:
            raise
        code = _HTTP_CODES.get(err.status, ErrorCode.BAD_REQUEST)
        return _refused(err.status, ErrorBody(error=code, detail=err.reason))


def _auth(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in _PUBLIC:
            given = request.headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                return web.json_response({"error": ErrorCode.UNAUTHORIZED}, status=401)
        return await handler(request)

    return middleware


@web.middleware
async def _schema(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a client whose schema this server cannot serve (it says so in a header).

    The handshake itself (``/info``) is always answered, so a client learns what is served.
    """
    sent = request.headers.get(http.SCHEMA_HEADER, "1")  # schema 1 clients sent none
    if request.path not in _ANY_SCHEMA and not (
        sent.isascii()
        and sent.isdigit()
        and MIN_SUPPORTED_SCHEMA_VERSION <= int(sent) <= SCHEMA_VERSION
    ):
        detail = (
            f"this server serves schema versions {MIN_SUPPORTED_SCHEMA_VERSION} to {SCHEMA_VERSION}"
        )
        raise ApiError(400, ErrorCode.SCHEMA_MISMATCH, http.SCHEMA_HEADER, detail)
    return await handler(request)


def build_app(context: ApiContext) -> web.Application:
    """The aiohttp application with every route of the contract."""
    app = web.Application(
        middlewares=[_errors, _auth(context.token), _schema], client_max_size=MAX_BODY_BYTES
    )
    app[CONTEXT] = context
    app.router.add_put(http.SITE, put_site)
    app.router.add_get(http.SITE, get_site)
    app.router.add_delete(http.SITE, delete_site)
    app.router.add_post(http.ALERTS, post_alert)
    app.router.add_put(http.HEARTBEAT, put_heartbeat)
    app.router.add_post(http.NOTICES, post_notice)
    app.router.add_get(http.ALERT, get_alert)
    app.router.add_post(http.ALERT_CANCEL, cancel_alert)
    app.router.add_post(http.ALERT_PHOTOS, post_photos)
    app.router.add_get(http.INFO, info)
    app.router.add_get(http.OPENAPI, openapi)
    app.router.add_get(http.HEALTH, healthz)
    app.router.add_get(http.METRICS, metrics)
    return app
