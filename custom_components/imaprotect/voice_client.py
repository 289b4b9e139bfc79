"""A thin client of the imaprotect voice server, speaking the contract's models.

Every request carries the client's ``SCHEMA_VERSION``; ``async_check`` reads the server's
``GET /api/v1/info`` and refuses a server whose schema range does not include ours, the way
python-matter-server's client checks its server on connect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from pydantic import BaseModel, ValidationError

from .contract import http
from .contract.errors import ErrorCode
from .contract.limits import SCHEMA_VERSION
from .contract.models import (
    AlertAccepted,
    AlertIn,
    AlertView,
    CancelIn,
    ErrorBody,
    Health,
    HeartbeatAccepted,
    HeartbeatIn,
    NoticeAccepted,
    NoticeIn,
    PhotosAccepted,
    PhotosIn,
    ServerInfo,
    Site,
    SiteSaved,
)

if TYPE_CHECKING:
    from pydantic import JsonValue

TIMEOUT = aiohttp.ClientTimeout(total=10)


class _NoContent(BaseModel):
    """A 204 answer."""


class VoiceServerError(Exception):
    """The voice server could not be reached or refused the request."""


class VoiceServerAuthError(VoiceServerError):
    """The voice server refused the token."""


class VoiceServerRejectedError(VoiceServerError):
    """The voice server refused the request itself (4xx): sending it again will not help."""

    def __init__(self, message: str, detail: str, status: int = 0) -> None:
        super().__init__(message)
        self.detail = detail
        self.status = status

    @property
    def not_found(self) -> bool:
        """A 404: the server does not know the site or the alert (lost, or its DB restored)."""
        return self.status == 404


class VoiceServerSchemaError(VoiceServerError):
    """The server speaks another version of the contract: one of the two must be updated."""

    def __init__(self, server: str) -> None:
        super().__init__(f"voice server schema {server}, ours {SCHEMA_VERSION}")
        self.server = server
        self.ours = SCHEMA_VERSION


class VoiceClient:
    """Talks to one voice server with Home Assistant's shared HTTP session."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self._session = session
        self._url = url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            http.SCHEMA_HEADER: str(SCHEMA_VERSION),
        }

    async def _request[M: BaseModel](
        self, method: str, path: str, answer: type[M], body: BaseModel | None = None
    ) -> M:
        json: JsonValue = body.model_dump(mode="json") if body is not None else None
        try:
            async with self._session.request(
                method, f"{self._url}{path}", json=json, headers=self._headers, timeout=TIMEOUT
            ) as response:
                status, raw = response.status, await response.read()
        except Exception as err:
            # Whatever fails on the way (connection, DNS, a closed session), the caller must see
            # a VoiceServerError: the alert is then kept, retried and told to the notifiers; any
            # other exception would end the retries silently.
            raise VoiceServerError(f"{method} {path}: {type(err).__name__}") from err
        if status == 401:
            raise VoiceServerAuthError
        if 400 <= status < 500:
            raise _refusal(method, path, status, raw)
        if status >= 500:
            raise VoiceServerError(f"{method} {path}: HTTP {status}")
        try:
            return answer.model_validate_json(raw or b"{}")
        except ValidationError as err:
            raise VoiceServerError(f"{method} {path}: unexpected answer") from err

    async def async_check(self) -> ServerInfo:
        """Prove the server answers, accepts the token and serves our schema version."""
        try:
            info = await self._request("GET", http.INFO, ServerInfo)
        except VoiceServerRejectedError as err:  # 404: a server older than the handshake
            raise VoiceServerSchemaError("1") from err
        if not info.min_schema_version <= SCHEMA_VERSION <= info.schema_version:
            raise VoiceServerSchemaError(f"{info.min_schema_version}-{info.schema_version}")
        return info

    async def async_put_site(self, site_id: str, site: Site) -> SiteSaved:
        """Send the site's instructions: contacts in call order, station, callback."""
        return await self._request("PUT", http.SITE.format(site_id=site_id), SiteSaved, site)

    async def async_post_alert(self, site_id: str, alert: AlertIn) -> AlertAccepted:
        """Start an alert; the server answers at once and starts calling."""
        path = http.ALERTS.format(site_id=site_id)
        return await self._request("POST", path, AlertAccepted, alert)

    async def async_post_photos(self, alert_id: str, photos: PhotosIn) -> PhotosAccepted:
        """Send an alert's photos; the server mails them to the contacts (once per alert)."""
        path = http.ALERT_PHOTOS.format(alert_id=alert_id)
        return await self._request("POST", path, PhotosAccepted, photos)

    async def async_get_alert(self, alert_id: str) -> AlertView:
        """An alert's status and attempts."""
        return await self._request("GET", http.ALERT.format(alert_id=alert_id), AlertView)

    async def async_health(self) -> Health:
        """Whether the server can call now (``degraded`` while Asterisk is away)."""
        return await self._request("GET", http.HEALTH, Health)

    async def async_put_heartbeat(self, site_id: str, beat: HeartbeatIn) -> HeartbeatAccepted:
        """Say the home is alive, armed or not (an armed home that falls silent is phoned about)."""
        path = http.HEARTBEAT.format(site_id=site_id)
        return await self._request("PUT", path, HeartbeatAccepted, beat)

    async def async_post_notice(self, site_id: str, notice: NoticeIn) -> NoticeAccepted:
        """E-mail an owner notice (self-diagnosis) to the site's contacts; never a call."""
        path = http.NOTICES.format(site_id=site_id)
        return await self._request("POST", path, NoticeAccepted, notice)

    async def async_delete_site(self, site_id: str) -> None:
        """Forget the site (the home was removed): its contacts' numbers leave the server."""
        await self._request("DELETE", http.SITE.format(site_id=site_id), _NoContent)

    async def async_cancel_alert(self, alert_id: str, by: str | None) -> AlertView:
        """Stop calling: the home was disarmed."""
        path = http.ALERT_CANCEL.format(alert_id=alert_id)
        return await self._request("POST", path, AlertView, CancelIn(by=by))


def _refusal(method: str, path: str, status: int, raw: bytes) -> VoiceServerError:
    """The error for a 4xx answer, naming the field the server names."""
    try:
        error = ErrorBody.model_validate_json(raw)
    except ValidationError:
        return VoiceServerRejectedError(f"{method} {path}: HTTP {status}", f"HTTP {status}", status)
    if error.error == ErrorCode.SCHEMA_MISMATCH:
        return VoiceServerSchemaError("?")
    return VoiceServerRejectedError(
        f"{method} {path}: HTTP {status}", error.field or error.error or f"HTTP {status}", status
    )
