"""A thin client of the imaprotect voice server's HTTP API (contract v1)."""

from collections.abc import Mapping
from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=10)


class VoiceServerError(Exception):
    """The voice server could not be reached or refused the request."""


class VoiceServerAuthError(VoiceServerError):
    """The voice server refused the token."""


class VoiceServerRejectedError(VoiceServerError):
    """The voice server refused the request itself (4xx): sending it again will not help."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class VoiceClient:
    """Talks to one voice server with Home Assistant's shared HTTP session."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self._session = session
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            async with self._session.request(
                method, f"{self._url}{path}", json=body, headers=self._headers, timeout=TIMEOUT
            ) as response:
                if response.status == 401:
                    raise VoiceServerAuthError
                if 400 <= response.status < 500:
                    raise VoiceServerRejectedError(
                        f"{method} {path}: HTTP {response.status}",
                        await _field(response) or f"HTTP {response.status}",
                    )
                if response.status >= 500:
                    raise VoiceServerError(f"{method} {path}: HTTP {response.status}")
                if response.status == 204:
                    return {}
                result: dict[str, Any] = await response.json()
                return result
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise VoiceServerError(f"{method} {path}: {type(err).__name__}") from err

    async def async_check(self) -> None:
        """Prove the server answers and accepts the token."""
        await self._request("GET", "/api/v1/openapi.json")

    async def async_put_site(self, site_id: str, site: Mapping[str, Any]) -> None:
        """Send the site's instructions: contacts in call order, station, callback."""
        await self._request("PUT", f"/api/v1/sites/{site_id}", site)

    async def async_post_alert(self, site_id: str, alert: Mapping[str, Any]) -> dict[str, Any]:
        """Start an alert; the server answers at once and starts calling."""
        return await self._request("POST", f"/api/v1/sites/{site_id}/alerts", alert)

    async def async_cancel_alert(self, alert_id: str, by: str | None) -> dict[str, Any]:
        """Stop calling: the home was disarmed."""
        return await self._request("POST", f"/api/v1/alerts/{alert_id}/cancel", {"by": by})


async def _field(response: aiohttp.ClientResponse) -> str | None:
    """The field the server names in its error answer ({"error", "field", "detail"})."""
    try:
        answer = await response.json()
    except aiohttp.ContentTypeError, ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    return str(answer.get("field") or answer.get("error") or "") or None
