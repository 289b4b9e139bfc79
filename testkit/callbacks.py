"""A stand-in for Home Assistant's webhook: checks every callback's signature and keeps it.

Verification is the contract's own (``contract.signing.verify``, with the current time), so a
sink that accepts a callback proves Home Assistant would. Unsigned or badly signed requests are
kept too (``requests``) and answered 401, as Home Assistant does; signed ones are answered with
the next status of ``answers`` (200 when empty), so retries can be provoked. Clearing ``open``
makes requests hang until it is set again. Waiters (``wait``) are woken at each callback, so the
benchmark needs no polling that would load the server it measures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
import time
from typing import Any

from aiohttp import web

from custom_components.imaprotect.contract.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from testkit.bodies import CALLBACK_SECRET
from testkit.ports import LOOPBACK


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request as received: when, its delivery id, its body, whether its signature held."""

    at: float
    delivery: str
    body: bytes
    signed: bool
    payload: dict[str, Any] | None  # decoded when signed


class CallbackSink:
    """The sites' webhook: checks every signature, keeps every callback, wakes waiters."""

    def __init__(
        self, port: int, *, secret: str = CALLBACK_SECRET, hook: str = "test-hook"
    ) -> None:
        self.port = port
        self.secret = secret
        self.hook = hook
        self.requests: list[Delivery] = []
        self.received: list[Delivery] = []
        self.by_alert: dict[str, list[Delivery]] = {}
        self.answers: list[int] = []
        self.open = asyncio.Event()
        self.open.set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Callback URL for the sites."""
        return f"http://{LOOPBACK}:{self.port}/api/webhook/{self.hook}"

    @property
    def refused(self) -> int:
        """Requests whose signature did not hold."""
        return sum(1 for d in self.requests if not d.signed)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """Decoded bodies of the signed callbacks, in arrival order."""
        return [d.payload for d in self.received if d.payload is not None]

    async def _receive(self, request: web.Request) -> web.Response:
        await self.open.wait()
        body = await request.read()
        signed = verify(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        payload = json.loads(body) if signed else None
        delivery = Delivery(
            time.time(), request.headers.get(DELIVERY_HEADER, ""), body, signed, payload
        )
        self.requests.append(delivery)
        if payload is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        self.received.append(delivery)
        if isinstance(payload, dict) and "alert_id" in payload:
            self.by_alert.setdefault(payload["alert_id"], []).append(delivery)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    async def start(self) -> None:
        """Listen on loopback, at ``/api/webhook/<any id>``."""
        app = web.Application()
        app.router.add_post("/api/webhook/{webhook_id}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, self.port).start()

    async def stop(self) -> None:
        """Stop listening (letting hung requests go first)."""
        self.open.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def deliveries(self) -> list[int]:
        """Delivery ids (the outbox row ids) of every request, signed or not, in order."""
        return [int(d.delivery) for d in self.requests]

    def statuses(self, alert_id: str) -> list[str]:
        """Statuses of ``alert_id``'s callbacks in arrival order."""
        return [str(d.payload["status"]) for d in self.by_alert.get(alert_id, ()) if d.payload]

    def first(self, alert_id: str, status: str) -> Delivery | None:
        """First callback of ``alert_id`` with ``status``."""
        for delivery in self.by_alert.get(alert_id, ()):
            if delivery.payload and delivery.payload["status"] == status:
                return delivery
        return None

    def events(self, alert_id: str) -> list[tuple[str, str, str | None, str | None]]:
        """(event, status, contact id, attempt outcome) of each callback of the alert.

        Repeats are left out: delivery is at-least-once, and a repeat is identical to the byte.
        """
        seen: list[dict[str, Any]] = []
        for delivery in self.by_alert.get(alert_id, ()):
            if delivery.payload is not None and delivery.payload not in seen:
                seen.append(delivery.payload)
        return [
            (
                p["event"],
                p["status"],
                p["contact"]["id"] if p["contact"] else None,
                p["attempt"]["outcome"] if p["attempt"] else None,
            )
            for p in seen
        ]

    async def wait(self, done: Callable[[], bool], within: float) -> bool:
        """Until ``done()`` holds (checked at each callback); False after ``within`` seconds."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(done)
        except TimeoutError:
            return False
        return True
