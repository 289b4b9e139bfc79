"""The outbox's e-mails as the bytes sent to each recipient, built in a worker thread.

Building an ``EmailMessage`` and flattening it (the email package's header parsing and folding)
was the largest share of the event loop's work under an avalanche of alerts, ahead of the calls'
originates. ``letters`` does both for all the recipients of one outbox row in one call meant for
``asyncio.to_thread``: the message is created, addressed and flattened inside that call only, so
no other thread ever sees it while it changes. It is built once for all the recipients; each one
gets its own bytes with only their address in ``To``. What went wrong for one recipient (an
address the relay cannot take) is returned for that recipient alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import email.generator
from email.message import EmailMessage
import email.policy
from email.utils import formatdate, parseaddr
import html
import io

import aiosmtplib

__all__ = ["Letter", "MailContent", "envelope_address", "letters"]


@dataclass(frozen=True, slots=True)
class MailContent:
    """What one outbox e-mail says, as stored in its row (plain data: safe to hand to a thread)."""

    outbox_id: int
    sender: str
    subject: str
    body: bytes = field(repr=False)
    created_at: float
    photos: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class Letter:
    """The message to one recipient, flattened; ``smtputf8``: it needs the relay's SMTPUTF8."""

    envelope: str
    data: bytes = field(repr=False)
    smtputf8: bool


def envelope_address(address: str) -> str:
    """The address as an ASCII relay takes it: an international domain in its IDNA form.

    The local part is ASCII already (the contract's rule): ``exémple.fr`` → ``xn--exmple-cva.fr``.
    """
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def letters(
    content: MailContent, recipients: Sequence[str], *, smtputf8: bool, eight_bit: bool
) -> dict[str, Letter | Exception]:
    """Each recipient's letter, or why that recipient cannot be sent to (in a worker thread).

    ``smtputf8`` and ``eight_bit``: whether the relay offers SMTPUTF8 and 8BITMIME; the bytes are
    those aiosmtplib's ``send_message`` would send (SMTP policy, 7bit without 8BITMIME).
    """
    sender = parseaddr(content.sender)[1]
    try:
        message = _message(content)
    except (UnicodeError, ValueError) as exc:  # the message itself: every recipient is told so
        return dict.fromkeys(recipients, exc)
    result: dict[str, Letter | Exception] = {}
    for address in recipients:
        try:
            result[address] = _letter(message, sender, address, smtputf8, eight_bit=eight_bit)
        except (aiosmtplib.SMTPNotSupported, UnicodeError, ValueError) as exc:
            result[address] = exc
    return result


def _letter(
    message: EmailMessage, sender: str, address: str, smtputf8: bool, *, eight_bit: bool
) -> Letter:
    envelope = envelope_address(address)
    utf8 = not (sender + envelope).isascii()
    if utf8 and not smtputf8:
        raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
    del message["To"]
    message["To"] = envelope
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    if not eight_bit:
        policy = policy.clone(cte_type="7bit")
    with io.BytesIO() as out:
        email.generator.BytesGenerator(out, policy=policy).flatten(message)
        return Letter(envelope=envelope, data=out.getvalue(), smtputf8=utf8)


def _message(content: MailContent) -> EmailMessage:
    """The row's message, rebuilt alike at each attempt (date and id from the row)."""
    domain = parseaddr(content.sender)[1].rpartition("@")[2] or "imaprotect.invalid"
    message = EmailMessage()
    message["From"] = content.sender
    message["Subject"] = content.subject
    message["Date"] = formatdate(content.created_at, usegmt=True)
    message["Message-ID"] = f"<imaprotect.outbox.{content.outbox_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    text = content.body.decode()
    message.set_content(text)
    photos = content.photos
    if photos:
        # The photos inline: text/plain, or text/html in a multipart/related with the JPEGs,
        # each named by its Content-ID (``cid:``), so mail readers show them in the message.
        ids = [
            f"photo-{position}.{content.outbox_id}@{domain}"
            for position in range(1, len(photos) + 1)
        ]
        images = "".join(
            f'<p><img src="cid:{cid}" alt="photo {n}" style="max-width:100%"></p>'
            for n, cid in enumerate(ids, 1)
        )
        paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n"))
        message.add_alternative(
            f"<!doctype html><html><body>{paragraphs.replace(chr(10), '<br>')}{images}"
            "</body></html>",
            subtype="html",
        )
        *_, rich = message.iter_parts()  # the HTML alternative: made multipart/related below
        for position, (photo, cid) in enumerate(zip(photos, ids, strict=True), 1):
            rich.add_related(
                photo,
                maintype="image",
                subtype="jpeg",
                cid=f"<{cid}>",
                filename=f"photo-{position}.jpg",
                disposition="inline",
            )
    return message
