"""A bearer-authenticated client of one voice server's HTTP API, as Home Assistant uses it.

It answers ``(status, decoded body)`` rather than raising, so a test can check refusals; the
helpers that expect success (``put_site``, ``alert``) assert it, with the server's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
from typing import Any

import aiohttp

from custom_components.imaprotect.contract.http import SCHEMA_HEADER
from custom_components.imaprotect.contract.limits import SCHEMA_VERSION
from testkit.bodies import TOKEN
from testkit.polling import until


@dataclass
class VoiceApi:
    """Bearer-authenticated client of one voice server."""

    base: str
    session: aiohttp.ClientSession
    token: str = TOKEN

    async def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """(status, decoded JSON or text)."""
        headers = {"Authorization": f"Bearer {self.token}", SCHEMA_HEADER: str(SCHEMA_VERSION)}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.session.request(
            method, self.base + path, data=data, headers=headers
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    async def put_site(self, site_id: str, body: dict[str, Any]) -> None:
        """PUT the site; it must be accepted."""
        status, answer = await self.call("PUT", f"/api/v1/sites/{site_id}", body)
        assert status in {200, 201}, answer

    async def post_alert(self, site_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST an alert; (status, answer)."""
        return await self.call("POST", f"/api/v1/sites/{site_id}/alerts", body)

    async def heartbeat(self, site_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        """PUT a heartbeat; (status, answer)."""
        return await self.call("PUT", f"/api/v1/sites/{site_id}/heartbeat", body)

    async def alert(self, alert_id: str) -> dict[str, Any]:
        """GET the alert; it must exist."""
        status, answer = await self.call("GET", f"/api/v1/alerts/{alert_id}")
        assert status == 200, answer
        assert isinstance(answer, dict)
        return answer

    async def wait_alert(
        self,
        alert_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        within: float = 30.0,
    ) -> dict[str, Any]:
        """Poll the alert until ``predicate`` holds; fail with its last state."""
        last: dict[str, Any] = {}

        async def reached() -> bool:
            last.update(await self.alert(alert_id))
            return predicate(last)

        await until(
            reached,
            within=within,
            every=0.05,
            what=lambda: f"alert never reached the expected state: {last}",
        )
        return last

    async def health(self) -> str | None:
        """The ``status`` of /healthz (no token needed), or None while nobody answers."""
        try:
            async with self.session.get(self.base + "/healthz") as resp:
                status = (await resp.json())["status"]
        except aiohttp.ClientError, ValueError:
            return None
        return str(status)

    async def wait_healthy(
        self, within: float = 20.0, *, alive: Callable[[], bool] | None = None
    ) -> None:
        """Until /healthz says ok (Asterisk connected and booted); ``alive``: see polling."""

        async def healthy() -> bool:
            return await self.health() == "ok"

        await until(healthy, within=within, every=0.1, what="voice server healthy", alive=alive)
