"""An SMTP server (aiosmtpd) on the caller's event loop, keeping every message it accepts.

It runs on the loop rather than in aiosmtpd's ``Controller`` thread so that starting and stopping
it is ordinary ``await`` and its state needs no lock. It can also refuse: RCPT of the addresses in
``refuse`` gets ``refuse_reply``, DATA of a message for one of ``refuse_data`` gets
``data_reply``, which is how the outbox's permanent and temporary failures are tested.
Messages are parsed with the modern e-mail policy; ``X-Rcpt`` holds the envelope recipients.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP

from testkit.ports import LOOPBACK


@dataclass
class SmtpSink:
    """aiosmtpd on the current event loop (no thread), keeping every message."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    refuse_reply: str = "550 5.1.1 No such user"
    refuse_data: set[str] = field(default_factory=set)
    data_reply: str = "554 5.6.0 Message refused"
    server: asyncio.Server | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Accept the recipient unless it is in ``refuse``."""
        if address in self.refuse:
            return self.refuse_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        """Keep the message unless one of its recipients is in ``refuse_data``."""
        if self.refuse_data & set(envelope.rcpt_tos):
            return self.data_reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    async def start(self) -> None:
        """Listen on loopback."""
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self), LOOPBACK, self.port)

    async def stop(self) -> None:
        """Stop listening and drop open sessions; safe to call twice."""
        if self.server is not None:
            self.server.close()
            self.server.close_clients()
            await self.server.wait_closed()
            self.server = None

    def to(self, address: str) -> list[EmailMessage]:
        """Messages whose only envelope recipient is ``address``."""
        return [m for m in self.messages if m["X-Rcpt"] == address]

    def subjects(self, to: str) -> list[str]:
        """Subjects of the messages for ``to``."""
        return [str(m["Subject"]) for m in self.to(to)]
