"""Helpers of the voice-server tests: code hashes, site bodies, an API client, SMTP and HA sinks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
import json
import subprocess
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiosmtpd.smtp import SMTP

from custom_components.imaprotect.contract.codes import hash_code
from custom_components.imaprotect.contract.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

TOKEN = "test-token-0123456789abcdef"
CALLBACK_SECRET = "callback-secret-0123456789abcdef-xyz"
#: Distinct valid French mobile numbers for the contacts.
NUMBERS = tuple(f"+336123456{n:02d}" for n in range(10, 40))


def code_hash(code: str, iterations: int = 1000) -> str:
    """The contract's hash of ``code`` (few iterations: tests need speed, not strength)."""
    return hash_code(code, iterations=iterations)


def contact(index: int, code: str = "4321", *, email: bool = True) -> dict[str, Any]:
    """Contact number ``index`` (its phone is NUMBERS[index])."""
    return {
        "id": f"c{index}",
        "name": f"Contact {index}",
        "phone": NUMBERS[index],
        "email": f"c{index}@example.org" if email else None,
        "code_hash": code_hash(code),
    }


def site_body(
    contacts: list[dict[str, Any]],
    *,
    station: str | None = None,
    callback_url: str | None = None,
    language: str = "fr",
) -> dict[str, Any]:
    """A PUT /sites body."""
    return {
        "name": "Maison",
        "language": language,
        "formula": "a_la_carte",
        "contacts": contacts,
        "station": station,
        "callback_url": callback_url,
        "callback_secret": CALLBACK_SECRET if callback_url else None,
    }


def alert_body(alert_id: str, **changes: Any) -> dict[str, Any]:
    """A POST /alerts body."""
    return {
        "alert_id": alert_id,
        "kind": "intrusion",
        "detector": "Porte d'entrée",
        "zone": "Rez-de-chaussée",
        "occurred_at": "2026-03-14T14:32:00+01:00",
        **changes,
    }


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
        headers = {"Authorization": f"Bearer {self.token}"}
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
        status, answer = await self.call("PUT", f"/api/v1/sites/{site_id}", body)
        assert status in {200, 201}, answer

    async def post_alert(self, site_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", f"/api/v1/sites/{site_id}/alerts", body)

    async def alert(self, alert_id: str) -> dict[str, Any]:
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
        deadline = time.monotonic() + within
        while True:
            alert = await self.alert(alert_id)
            if predicate(alert):
                return alert
            if time.monotonic() > deadline:
                raise AssertionError(f"alert never reached the expected state: {alert}")
            await asyncio.sleep(0.05)


def finished(alert: Mapping[str, Any]) -> bool:
    """The call tree is over and its last attempt has ended."""
    attempts = alert["attempts"]
    return alert["status"] != "calling" and all(a["ended_at"] for a in attempts)


def first_answered(alert: Mapping[str, Any]) -> bool:
    """The first contact picked up."""
    return bool(alert["attempts"] and alert["attempts"][0]["answered_at"])


def outcomes(alert: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(contact id, outcome) of every attempt."""
    return [(a["contact_id"], a["outcome"]) for a in alert["attempts"]]


@dataclass
class SmtpSink:
    """aiosmtpd on the test's event loop (no thread), keeping every message."""

    port: int
    messages: list[Message] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self), "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server.close_clients()
            await self.server.wait_closed()

    def subjects(self, to: str) -> list[str]:
        return [str(m["Subject"]) for m in self.messages if m["X-Rcpt"] == to]


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """Terminate a child, then kill it if it has not gone within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def signed_body(request: web.Request) -> bytes | None:
    """The request's body when its signature (callback secret, fresh timestamp) holds, else None."""
    body = await request.read()
    ok = verify(
        CALLBACK_SECRET,
        request.headers.get(TIMESTAMP_HEADER, ""),
        body,
        request.headers.get(SIGNATURE_HEADER, ""),
        now=time.time(),
    )
    return body if ok else None


@dataclass
class CallbackSink:
    """A Home Assistant webhook stand-in that checks signatures and keeps the payloads."""

    port: int
    payloads: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/webhook/test-hook"

    async def _receive(self, request: web.Request) -> web.Response:
        body = await signed_body(request)
        if body is None:
            self.refused += 1
            return web.Response(status=401)
        self.payloads.append(json.loads(body))
        return web.Response(status=200)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/webhook/test-hook", self._receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def statuses(self, alert_id: str) -> list[str]:
        return [p["status"] for p in self.payloads if p["alert_id"] == alert_id]

    def events(self, alert_id: str) -> list[tuple[str, str, str | None, str | None]]:
        """(event, status, contact id, attempt outcome) of each callback of the alert.

        Repeats are left out: delivery is at-least-once, and a repeat is identical to the byte.
        """
        seen: list[dict[str, Any]] = []
        for payload in self.payloads:
            if payload["alert_id"] == alert_id and payload not in seen:
                seen.append(payload)
        return [
            (
                p["event"],
                p["status"],
                p["contact"]["id"] if p["contact"] else None,
                p["attempt"]["outcome"] if p["attempt"] else None,
            )
            for p in seen
        ]
