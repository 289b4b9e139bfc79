"""The demo's mailbox: the voice server's e-mails kept as ``.eml`` files and shown on a tiny page.

An ``SmtpSink`` (aiosmtpd on the demo's event loop) that also writes each message it accepts into
a folder (``NNN-<recipient>.eml``, openable by any mail client), and an aiohttp page on 127.0.0.1
listing them, newest first, each readable as plain text.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
import html
from pathlib import Path
import re
from typing import Any, override

from aiohttp import web

from testkit.ports import LOOPBACK
from testkit.smtp import SmtpSink

__all__ = ["Mailbox", "MailboxPage"]

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


@dataclass
class Mailbox(SmtpSink):
    """An SMTP sink that also writes every message it keeps into ``folder``."""

    folder: Path = Path()

    @override
    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        """Keep the message, then write it as ``NNN-<recipient>.eml``."""
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            message = self.messages[-1]
            recipient = _UNSAFE.sub("_", str(message["X-Rcpt"]))[:60]
            path = self.folder / f"{len(self.messages):03d}-{recipient}.eml"
            await asyncio.to_thread(path.write_bytes, message.as_bytes(policy=policy.default))
        return answer

    def files(self) -> list[Path]:
        """The ``.eml`` files written so far, oldest first."""
        return sorted(self.folder.glob("*.eml"))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


@dataclass
class MailboxPage:
    """``http://127.0.0.1:<port>/``: the mailbox's messages; ``/<n>``: one of them."""

    mailbox: Mailbox
    port: int
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{LOOPBACK}:{self.port}/"

    async def start(self) -> None:
        """Serve the page on loopback."""
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/{number:[0-9]+}", self._message)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, LOOPBACK, self.port).start()

    async def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def _index(self, _request: web.Request) -> web.Response:
        rows = [
            f'<li><a href="/{n}">{html.escape(str(m["Subject"]))}</a> — '
            f"{html.escape(str(m['X-Rcpt']))} — {html.escape(str(m['Date']))}</li>"
            for n, m in reversed(list(enumerate(self.mailbox.messages, start=1)))
        ]
        page = (
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
            "<title>imaprotect demo mail</title><h1>E-mails sent by the voice server</h1>"
            f"<p>{len(rows)} message(s), also in {html.escape(str(self.mailbox.folder))}</p>"
            f"<ol reversed>{''.join(rows)}</ol>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _message(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if not 1 <= number <= len(self.mailbox.messages):
            raise web.HTTPNotFound
        message = self.mailbox.messages[number - 1]
        headers = "".join(f"{k}: {message[k]}\n" for k in ("From", "To", "Date", "Subject"))
        return web.Response(text=f"{headers}\n{_body(message)}")
