"""Crash-safe outbox of information emails and signed status callbacks to Home Assistant.

Rows are inserted in the caller's transaction, beside the status change that causes them, so a
crash keeps both or neither. ``OutboxWorker`` delivers due rows oldest first and marks one delivered
only once the SMTP server accepted it or the callback got a 2xx; a crash in between sends it again
(at-least-once), and the receiver recognises the repeat by the outbox id, sent as the
``X-Imaprotect-Delivery`` header of callbacks and in the ``Message-ID`` of emails. Failures are
retried with exponential backoff; all the state is in the table, so a new worker on the same
database carries on where a killed one stopped. The tables are defined in migrations.py.

A refusal that retrying cannot cure (a callback answered 4xx other than 408/429, such as HA's 401
for a bad or stale signature or 400 for a malformed payload; an email address or message refused
with an SMTP 5xx at RCPT or DATA) dead-letters the row once ``max_refusals`` (5) attempts have
ended so: ``dead_at`` is set, ``attempts``, ``refusals`` and ``last_error`` stay for diagnosis,
the secret, URL and photos are dropped. It is never sent again, and the callbacks queued after it
go out. Other failures (no connection, timeout, 3xx, 408, 429, 5xx, SMTP 4xx) are retried without
end. ``purge`` deletes delivered and dead rows after a week.

Emails go out as one message per recipient rather than one message with everyone in Bcc: each
address is then accepted or refused on its own and remembered as delivered on its own, so a retry
after a partial failure never sends the same email twice to those who already have it, and one bad
address does not hold back the others — whatever the refusal: RCPT or DATA refused, an address the
relay cannot take (an international one without SMTPUTF8; domains are sent in their IDNA form).
Only a failure of the session itself (connection lost, timeout, TLS) ends the attempt.

SMTP upgrades to TLS whenever the relay offers STARTTLS, and requires it (or implicit TLS) when it
logs in: a password never crosses the network in clear.

Callbacks of one site to one URL are delivered in order (a later one waits for the earlier pending
ones): Home Assistant must never see "calling" arrive after "acknowledged".

Logs and the ``last_error`` column name outbox ids, kinds and error classes only, never an
address, a URL (Home Assistant webhook ids are credentials) or a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from email.utils import parseaddr
import functools
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib

from custom_components.imaprotect.contract.emails import EmailError, normalise_email
from custom_components.imaprotect.contract.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

from . import outbox_mail
from .outbox_mail import MailContent

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "OutboxWorker",
    "SmtpSettings",
    "dead_counts",
    "enqueue_callback",
    "enqueue_email",
    "hurry_callbacks",
    "pending_counts",
    "purge",
    "retarget_callbacks",
]

_LOGGER = logging.getLogger(__name__)

_KINDS = ("email", "callback")
_CONCURRENCY = 8  # deliveries in flight: a slow receiver must not hold back every other row
_MAX_SLEEP = 60.0  # look again at least this often: wall-clock jumps, rows added by other writers
_COALESCE = 0.02
"""After a wake-up, how long the worker lets more rows arrive before it looks: a burst of
enqueues (1 000 alerts within a second) is then read a few times, not once per row, each read
costing a scan of the pending rows on the event loop that also answers the alerts."""
_CALLBACK_TIMEOUT = 10.0
_JITTER = 0.1  # up to +10 % so that rows failed together do not retry in lockstep
_MAX_REFUSALS = 5  # attempts ending in a permanent refusal before the row is dead-lettered
_TRANSIENT_HTTP = frozenset({408, 429})  # 4xx answers that retrying may cure
_KEEP_FINISHED = 7 * 24 * 3600.0  # delivered and dead rows are deleted after this (seconds)

_PENDING = "delivered_at IS NULL AND dead_at IS NULL"

# Rows the worker may start now: pending, not already in flight (:busy, a JSON list of ids),
# emails only with SMTP settings, and a callback only when no older one to the same place waits.
_ELIGIBLE = """
    delivered_at IS NULL AND dead_at IS NULL
    AND id NOT IN (SELECT value FROM json_each(:busy))
    AND (kind = 'callback' OR :smtp)
    AND NOT (kind = 'callback' AND EXISTS (
        SELECT 1 FROM outbox AS older
        WHERE older.delivered_at IS NULL AND older.dead_at IS NULL AND older.kind = 'callback'
          AND older.site_id = outbox.site_id AND older.url = outbox.url AND older.id < outbox.id))
"""
# Where the look starts: no pending row is older. Read from the due index alone (undelivered
# rows: the pending ones and the few dead-lettered), neither from the table's delivered history
# nor with a lookup of each row.
_OLDEST_PENDING = "SELECT MIN(id) FROM outbox INDEXED BY outbox_due WHERE delivered_at IS NULL"
# A failure is recorded only if the row was not retargeted meanwhile (its new settings deserve
# their own attempts; it then goes again at once, see retarget_callbacks).
_UNCHANGED = "id = ? AND url IS ? AND secret IS ?"
_COLUMNS = "id, kind, recipients, subject, url, secret, body, created_at, attempts, refusals"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """How to reach the SMTP relay; ``sender`` may be ``"Name <address>"``.

    ``starttls``: None (the default) upgrades whenever the relay offers STARTTLS, and insists on it
    when there is a ``username`` (a password never goes in clear); True always insists; False never
    upgrades (config.py refuses that with a username). ``tls``: implicit TLS from the first byte
    (port 465).
    """

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool | None = None
    timeout: float = 10.0
    tls: bool = False

    @property
    def start_tls(self) -> bool | None:
        """The ``start_tls`` of aiosmtplib: True required, None when offered, False never."""
        if self.tls:
            return False
        if self.starttls is None and self.username:
            return True
        return self.starttls


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    kind: str
    recipients: str | None
    subject: str | None
    url: str | None
    secret: str | None = field(repr=False)
    body: bytes = field(repr=False)
    created_at: float
    attempts: int
    refusals: int


class _DeliveryError(Exception):
    """The receiver answered but did not take the item; ``str()`` is safe to log.

    ``permanent``: the receiver refused the item itself, so sending it again cannot help.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def enqueue_email(
    conn: sqlite3.Connection,
    *,
    site_id: str,
    alert_id: str,
    to: Sequence[str],
    subject: str,
    body: str,
    photos: Sequence[bytes] = (),
) -> int:
    """Queue one email to every address in ``to``; joins the caller's transaction (no commit).

    Bad input raises ValueError here rather than failing forever in the worker.
    """
    if isinstance(to, str):
        raise TypeError("to must be a sequence of addresses, not one string")
    recipients = list(dict.fromkeys(address.strip() for address in to))
    if not recipients:
        raise ValueError("email without recipient")
    for position, address in enumerate(recipients):
        try:
            normalise_email(address)
        except EmailError:
            raise ValueError(f"invalid email address at position {position}") from None
    if "\r" in subject or "\n" in subject:
        raise ValueError("subject must be one line")
    cursor = conn.execute(
        "INSERT INTO outbox (kind, site_id, alert_id, recipients, subject, body, created_at,"
        " next_attempt) VALUES ('email', ?, ?, ?, ?, ?, ?, 0)",
        (site_id, alert_id, json.dumps(recipients), subject, body.encode(), time.time()),
    )
    outbox_id = _row_id(cursor)
    conn.executemany(
        "INSERT INTO outbox_photo (outbox_id, position, data) VALUES (?, ?, ?)",
        [(outbox_id, position, bytes(photo)) for position, photo in enumerate(photos)],
    )
    return outbox_id


def enqueue_callback(
    conn: sqlite3.Connection, *, site_id: str, url: str, secret: str, payload: Mapping[str, Any]
) -> int:
    """Queue one signed POST of ``payload`` to ``url``; joins the caller's transaction.

    The JSON bytes are fixed now and signed at each attempt with a fresh timestamp, so a retry an
    hour later is not refused as stale.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("callback URL must be an absolute http(s) URL")
    if not secret:
        raise ValueError("empty callback secret")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    cursor = conn.execute(
        "INSERT INTO outbox (kind, site_id, url, secret, body, created_at, next_attempt)"
        " VALUES ('callback', ?, ?, ?, ?, ?, 0)",
        (site_id, url, secret, body.encode(), time.time()),
    )
    return _row_id(cursor)


def retarget_callbacks(
    conn: sqlite3.Connection, *, site_id: str, url: str | None, secret: str | None
) -> int:
    """Point the site's pending callbacks at its new URL and secret (None: drop them).

    Call it when a site's callback settings change, in the same transaction: callbacks signed with
    a rotated secret would be refused until dead-lettered, holding back the newer ones meanwhile.
    Their refusals are forgotten (they were for the old settings); dead-lettered callbacks stay dead
    (sending them now would deliver an old status after newer ones). Returns how many pending
    callbacks were changed or dropped.
    """
    if url is None:
        cursor = conn.execute(
            f"DELETE FROM outbox WHERE kind = 'callback' AND site_id = ? AND {_PENDING}",  # noqa: S608
            (site_id,),
        )
    else:
        if not secret:
            raise ValueError("empty callback secret")
        cursor = conn.execute(
            "UPDATE outbox SET url = ?, secret = ?, next_attempt = 0, refusals = 0"  # noqa: S608
            f" WHERE kind = 'callback' AND site_id = ? AND {_PENDING}",  # constants only
            (url, secret, site_id),
        )
    return cursor.rowcount


def hurry_callbacks(conn: sqlite3.Connection, *, site_id: str) -> int:
    """The site's Home Assistant was just heard from: its callbacks waiting out a backoff go now.

    A heartbeat after a silence (or a restart of Home Assistant) means its webhook is likely back,
    and the callbacks that failed meanwhile may be waiting up to ``max_backoff``. Their attempts
    are kept, so one that fails again backs off further. Joins the caller's transaction.
    """
    cursor = conn.execute(
        f"UPDATE outbox SET next_attempt = 0 WHERE kind = 'callback' AND site_id = ? AND {_PENDING}"  # noqa: S608
        " AND next_attempt > 0",
        (site_id,),
    )
    return cursor.rowcount


def pending_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows still to deliver, by kind (both kinds always present), for /metrics."""
    return _counts(conn, _PENDING)


def dead_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Dead-lettered rows still kept (a week), by kind (both always present), for /metrics."""
    return _counts(conn, "dead_at IS NOT NULL")


def _counts(conn: sqlite3.Connection, where: str) -> dict[str, int]:
    counts = dict.fromkeys(_KINDS, 0)
    counts.update(
        conn.execute(
            f"SELECT kind, COUNT(*) FROM outbox WHERE {where} GROUP BY kind"  # noqa: S608
        ).fetchall()
    )
    return counts


def purge(conn: sqlite3.Connection, *, now: float, keep: float = _KEEP_FINISHED) -> int:
    """Delete rows delivered or dead-lettered more than ``keep`` seconds before ``now``.

    Pending rows are never deleted. Joins the caller's transaction; returns the rows deleted.
    """
    before = now - keep
    finished = "delivered_at < :before OR dead_at < :before"
    conn.execute(
        f"DELETE FROM outbox_photo WHERE outbox_id IN (SELECT id FROM outbox WHERE {finished})",  # noqa: S608
        {"before": before},
    )
    cursor = conn.execute(
        f"DELETE FROM outbox WHERE {finished}",  # noqa: S608 - constant
        {"before": before},
    )
    return cursor.rowcount


def _row_id(cursor: sqlite3.Cursor) -> int:
    if cursor.lastrowid is None:  # an INSERT always sets it
        raise RuntimeError("INSERT returned no row id")
    return cursor.lastrowid


#: SMTP failures of the whole session, not of one recipient: the attempt ends, retried later.
_SESSION_ERRORS = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
)


#: Refusals of one address (not of the relay): the self-diagnosis does not count them.
_ADDRESS_ERRORS = (
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPNotSupported,
    UnicodeError,
    ValueError,
)


def _permanent(exc: BaseException) -> bool:
    """Whether the receiver refused the item itself (retrying cannot cure it)."""
    if isinstance(exc, _DeliveryError):
        return exc.permanent
    if isinstance(exc, aiosmtplib.SMTPNotSupported | UnicodeError | ValueError):
        return True  # this address cannot be sent to by this relay
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):  # RCPT
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPDataError):  # DATA
        return 500 <= exc.code < 600
    return False


def _error_name(exc: BaseException) -> str:
    """Class of the failure plus the SMTP code: what to diagnose, without addresses or URLs."""
    if isinstance(exc, _DeliveryError):
        return str(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.code}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return f"{type(exc).__name__} {exc.recipients[0].code}"
    return type(exc).__name__


async def _greet(client: aiosmtplib.SMTP) -> None:
    """EHLO, or HELO for a relay that does not know it (as aiosmtplib's ``send_message``)."""
    try:
        await client.ehlo()
    except aiosmtplib.SMTPHeloError:
        await client.helo()


class OutboxWorker:
    """Delivers the outbox of one database; run exactly one per database, or items go twice.

    It uses the caller's connection from the event loop thread. Its own writes are committed at
    once, unless the caller left a transaction open across an await: then they join it rather than
    commit the caller's half-done work (a rollback then only means a repeat delivery).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        smtp: SmtpSettings | None,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.time,
        max_backoff: float = 300.0,
        max_refusals: int = _MAX_REFUSALS,
    ) -> None:
        self._conn = conn
        self._smtp = smtp
        self._session = session
        self._clock = clock
        self._max_backoff = max_backoff
        self._max_refusals = max_refusals
        self.delivered: dict[str, int] = dict.fromkeys(_KINDS, 0)
        self.failures: dict[str, int] = dict.fromkeys(_KINDS, 0)
        self.dead: dict[str, int] = dict.fromkeys(_KINDS, 0)
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._stopped: asyncio.Event | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        #: The last e-mail attempt: the relay took a message (True), or the session failed or the
        #: relay refused the message (False); an address refused alone changes nothing. None
        #: before any attempt. /healthz reports it (self-diagnosis).
        self.smtp_ok: bool | None = None

    def _smtp_seen(self, *, ok: bool) -> None:
        if ok != self.smtp_ok:
            _LOGGER.log(
                logging.INFO if ok else logging.WARNING,
                "SMTP relay %s",
                "takes the e-mails" if ok else "fails or refuses the e-mails",
            )
        self.smtp_ok = ok

    async def run(self) -> None:
        """Deliver due rows until stop(); sleep until the next due row or wake(), never spin."""
        if self._stopped is not None:
            raise RuntimeError("OutboxWorker.run() can only be started once")
        self._stopped = asyncio.Event()
        if self._smtp is None:
            _LOGGER.warning("No SMTP settings: information emails stay queued")
        try:
            while not self._stopping:
                self._wakeup.clear()
                delay = self._dispatch()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wakeup.wait()
                if self._wakeup.is_set() and not self._stopping:
                    await asyncio.sleep(_COALESCE)
        finally:
            # Interrupted deliveries are not marked delivered: they go again at the next start.
            tasks = list(self._in_flight.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._stopped.set()

    def wake(self) -> None:
        """Look at the table now: call after committing newly enqueued rows."""
        self._wakeup.set()

    async def stop(self) -> None:
        """End run(), cancelling deliveries in flight, and wait until it has returned."""
        self._stopping = True
        self._wakeup.set()
        if self._stopped is not None:
            await self._stopped.wait()

    def _dispatch(self) -> float:
        """Start the due rows there is room for; return how long to sleep before looking again."""
        now = self._clock()
        free = _CONCURRENCY - len(self._in_flight)
        if free > 0:
            # Walk the pending rows in id order from the oldest one, so that the ordering rule is
            # checked only until ``free`` rows are found: through the due index (``+`` keeps the
            # planner off it) the rule was checked for every pending row, then sorted — 8 ms a
            # look with 5 000 rows pending, once per finished delivery under an avalanche.
            (oldest,) = self._conn.execute(_OLDEST_PENDING).fetchone()
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE {_ELIGIBLE}"  # noqa: S608 - constants only
                " AND +next_attempt <= :now AND id >= :oldest ORDER BY id LIMIT :free",
                {**self._query_args(), "now": now, "free": free, "oldest": oldest or 0},
            ).fetchall()
            for values in rows:
                row = _Row(*values)
                task = asyncio.create_task(self._deliver(row), name=f"outbox-{row.id}")
                self._in_flight[row.id] = task
                task.add_done_callback(functools.partial(self._finished, row.id))
        if len(self._in_flight) >= _CONCURRENCY:
            return _MAX_SLEEP  # a finishing delivery wakes the loop
        # Every row due now that could start has started: the rest wait for a delivery in flight
        # (which wakes the loop when it ends) or for their own backoff. So sleep until the next
        # backoff ends: a range read of the due index, not a scan of every pending row with the
        # ordering rule (that scan, once per finished delivery, blocked the event loop for tens
        # of seconds under an avalanche of alerts).
        (next_due,) = self._conn.execute(
            "SELECT MIN(next_attempt) FROM outbox"
            " WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt > ?",
            (now,),
        ).fetchone()
        if next_due is None:
            return _MAX_SLEEP
        return min(max(float(next_due) - now, 0.0), _MAX_SLEEP)

    def _query_args(self) -> dict[str, Any]:
        return {"busy": json.dumps(list(self._in_flight)), "smtp": self._smtp is not None}

    def _finished(self, row_id: int, _task: asyncio.Task[None]) -> None:
        del self._in_flight[row_id]
        self._wakeup.set()

    async def _deliver(self, row: _Row) -> None:
        try:
            if row.kind == "email":
                await self._send_email(row)
            else:
                await self._post_callback(row)
        except Exception as exc:  # noqa: BLE001 - every failure must back off, or the row would spin
            self._failed(row, _error_name(exc), permanent=_permanent(exc))
        else:
            self._write(
                (
                    "UPDATE outbox SET delivered_at = ?, attempts = ?, secret = NULL, url = NULL"
                    " WHERE id = ?",
                    (self._clock(), row.attempts + 1, row.id),
                ),
                ("DELETE FROM outbox_photo WHERE outbox_id = ?", (row.id,)),
            )
            self.delivered[row.kind] += 1
            _LOGGER.debug("Outbox %s #%d delivered, attempt %d", row.kind, row.id, row.attempts + 1)

    async def _send_email(self, row: _Row) -> None:
        """Send to each remaining recipient over one SMTP session, remembering each success."""
        smtp = self._smtp
        if smtp is None or row.recipients is None:  # excluded by _ELIGIBLE
            raise _DeliveryError("not_deliverable")
        remaining: list[str] = json.loads(row.recipients)
        if not remaining:
            return  # every recipient took it; only the final mark was missing
        photos = [
            data
            for (data,) in self._conn.execute(
                "SELECT data FROM outbox_photo WHERE outbox_id = ? ORDER BY position", (row.id,)
            )
        ]
        pending = remaining
        errors: dict[str, bool] = {}  # each failure's name, first first: all permanent so far
        try:
            await self._smtp_session(smtp, row, photos, pending=pending, errors=errors)
        except Exception:
            self._smtp_seen(ok=False)  # no session (connection, TLS, login) or it broke
            raise
        permanent = all(permanent for permanent in errors.values())
        if errors:
            raise _DeliveryError(next(iter(errors)), permanent=permanent)

    async def _smtp_session(
        self,
        smtp: SmtpSettings,
        row: _Row,
        photos: Sequence[bytes],
        *,
        pending: list[str],
        errors: dict[str, bool],
    ) -> None:
        """One SMTP session sending to each address; ``errors``: what failed, and if for good."""
        async with aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            start_tls=smtp.start_tls,
            use_tls=smtp.tls,
            timeout=smtp.timeout,
        ) as client:
            if client.is_ehlo_or_helo_needed:
                await _greet(client)
            eight_bit = client.supports_extension("8bitmime")
            content = MailContent(
                outbox_id=row.id,
                sender=smtp.sender,
                subject=row.subject or "",
                body=row.body,
                created_at=row.created_at,
                photos=tuple(photos),
            )
            # Built and flattened in a worker thread: only the SMTP dialogue stays on the loop.
            prepared = await asyncio.to_thread(
                outbox_mail.letters,
                content,
                list(pending),
                smtputf8=client.supports_extension("smtputf8"),
                eight_bit=eight_bit,
            )
            sender = parseaddr(smtp.sender)[1]
            for address in list(pending):
                letter = prepared[address]
                try:
                    if isinstance(letter, Exception):
                        raise letter
                    options = ["SMTPUTF8"] if letter.smtputf8 else []
                    if eight_bit:
                        options.append("BODY=8BITMIME")
                    await client.sendmail(
                        sender, [letter.envelope], letter.data, mail_options=options
                    )
                except _SESSION_ERRORS:
                    raise  # the session is gone: nobody else can be sent to now
                except (aiosmtplib.SMTPException, UnicodeError, ValueError) as exc:
                    # This address (or this message) was refused: try the others, retry it later.
                    name = _error_name(exc)
                    errors[name] = errors.get(name, True) and _permanent(exc)
                    if not isinstance(exc, _ADDRESS_ERRORS):
                        self._smtp_seen(ok=False)  # the relay refused the message itself
                    continue
                self._smtp_seen(ok=True)
                pending.remove(address)
                self._write(
                    ("UPDATE outbox SET recipients = ? WHERE id = ?", (json.dumps(pending), row.id))
                )

    async def _post_callback(self, row: _Row) -> None:
        """POST the stored bytes, signed now with wall-clock time as the receiver checks it."""
        if row.url is None or row.secret is None:  # set by enqueue_callback
            raise _DeliveryError("not_deliverable")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(row.secret, timestamp, row.body),
            DELIVERY_HEADER: str(row.id),
        }
        async with self._session.post(
            row.url,
            data=row.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=_CALLBACK_TIMEOUT),
            allow_redirects=False,  # a redirect elsewhere must not receive the signed payload
        ) as response:
            if not 200 <= response.status < 300:
                status = response.status
                permanent = 400 <= status < 500 and status not in _TRANSIENT_HTTP
                raise _DeliveryError(f"http_{status}", permanent=permanent)

    def _failed(self, row: _Row, error: str, *, permanent: bool) -> None:
        current = self._conn.execute(
            "SELECT url, secret FROM outbox WHERE id = ?", (row.id,)
        ).fetchone()
        if current != (row.url, row.secret):
            _LOGGER.debug("Outbox %s #%d failed (%s) but was retargeted", row.kind, row.id, error)
            return
        attempts = row.attempts + 1
        refusals = row.refusals + (1 if permanent else 0)
        if permanent and refusals >= self._max_refusals:
            self._dead(row, error, attempts, refusals)
            return
        delay = self._retry_delay(attempts)
        self._write(
            (
                "UPDATE outbox SET attempts = ?, refusals = ?, last_error = ?, next_attempt = ?"  # noqa: S608
                f" WHERE {_UNCHANGED}",
                (attempts, refusals, error, self._clock() + delay, row.id, row.url, row.secret),
            )
        )
        self.failures[row.kind] += 1
        # Warn on attempts 1, 2, 4, 8…: a long outage stays visible without flooding the log.
        level = logging.WARNING if attempts & (attempts - 1) == 0 else logging.DEBUG
        _LOGGER.log(
            level,
            "Outbox %s #%d failed (%s), attempt %d, retry in %.1f s",
            row.kind,
            row.id,
            error,
            attempts,
            delay,
        )

    def _dead(self, row: _Row, error: str, attempts: int, refusals: int) -> None:
        """Stop trying a refused row: keep what went wrong, drop what it would need to go out."""
        self._write(
            (
                "UPDATE outbox SET attempts = ?, refusals = ?, last_error = ?, dead_at = ?,"  # noqa: S608
                f" secret = NULL, url = NULL WHERE {_UNCHANGED}",
                (attempts, refusals, error, self._clock(), row.id, row.url, row.secret),
            ),
            ("DELETE FROM outbox_photo WHERE outbox_id = ?", (row.id,)),
        )
        self.failures[row.kind] += 1
        self.dead[row.kind] += 1
        _LOGGER.warning(
            "Outbox %s #%d dead-lettered (%s) after %d attempts, %d refused",
            row.kind,
            row.id,
            error,
            attempts,
            refusals,
        )

    def _retry_delay(self, attempts: int) -> float:
        """1, 2, 4 … s after the 1st, 2nd, 3rd … failure, plus jitter, capped at max_backoff."""
        base = 2.0 ** min(attempts - 1, 62)
        jitter = 1.0 + random.uniform(0.0, _JITTER)  # noqa: S311 - spreading retries, not a secret
        return min(base * jitter, self._max_backoff)

    def _write(self, *statements: tuple[str, Sequence[Any]]) -> None:
        """Run the statements as one transaction (or inside the caller's, see the class doc).

        The worker's own transaction is not synced to disk on its own (``synchronous=NORMAL``
        for it, the connection's setting back right after): what it records — a row delivered,
        a recipient served, a retry's time — lost in a power cut only sends that row again,
        which the receivers recognise (at-least-once, as after a crash). The next synced commit
        of the store (WAL: one log, written in order) makes it durable too. Under an avalanche of
        alerts this spares the event loop one fsync per delivery.
        """
        if self._conn.in_transaction:
            for sql, params in statements:
                self._conn.execute(sql, params)
            return
        (level,) = self._conn.execute("PRAGMA synchronous").fetchone()
        self._conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._conn:
                for sql, params in statements:
                    self._conn.execute(sql, params)
        finally:
            self._conn.execute(f"PRAGMA synchronous={int(level)}")
