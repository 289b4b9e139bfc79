"""The voice server's state in one SQLite database (WAL): sites, alerts, call attempts, outbox.

Every change of an alert is one transaction together with the emails and callbacks it causes
(see outbox.py), so a crash or ``kill -9`` loses or duplicates nothing. WAL with
``synchronous=FULL`` syncs the log at every commit, so a transaction committed — an alert answered
201 — survives a process crash, an OS crash and a power cut alike: Home Assistant never resends an
alert it was told is kept. One fsync per commit costs nothing at an alarm's pace; under an
avalanche of alerts, the alerts' creations and first calls share theirs (``group``,
group_commit.py), and the outbox's delivery marks are not synced on their own (a lost one only
sends its row again, see ``OutboxWorker._write``).
The connection is used from the event-loop thread only; no transaction spans an ``await``.

The database, its ``-wal`` and ``-shm`` files are the owner's only (0600) — they hold phones,
e-mails and code hashes — and a folder the server creates for them is 0700. One server per
database: ``<db>.lock`` is held with an exclusive ``flock`` for the store's life, and a second
server on the same file refuses to start (``DatabaseInUseError``) rather than call everybody twice.

An alert that finishes loses, in the same transaction, what only its calls needed: the contacts'
code hashes, phones and e-mails, and the station (step 2 of migrations.py did so for older rows).

Nothing is kept for ever: ``purge`` (run at start and every hour) deletes finished alerts with
their attempts after the configured retention, and delivered or dead outbox rows after a week.
An alert's plan never holds the site's callback URL or secret (callbacks read the current site).
The schema and its versioned migrations are in migrations.py, run when a ``Store`` opens.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import functools
from pathlib import Path
import sqlite3
from typing import Any

from custom_components.imaprotect.contract.enums import (
    Acknowledgement,
    AlertKind,
    AlertStatus,
    Outcome,
    Reason,
)
from custom_components.imaprotect.contract.models import STORED, AttemptView, Contact, Site
from voice_server import heartbeats, migrations, outbox
from voice_server.calltree import Cursor
from voice_server.group_commit import GroupCommit
from voice_server.private import DatabaseInUseError, hold_lock, private_dir, private_file

__all__ = ["Alert", "Attempt", "Contact", "DatabaseInUseError", "Site", "Store", "now_iso"]

_ACTIVE = (AlertStatus.QUEUED, AlertStatus.CALLING)
WRONG_CODE_WINDOW = 24 * 3600.0
"""Seconds during which a wrong code typed on the phone counts against its contact."""


def now_iso() -> str:
    """Current UTC time, ISO 8601 with milliseconds (the API's time format)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call to one contact."""

    id: int
    alert_id: str
    contact_id: str
    contact_name: str
    round: int
    position: int
    channel_id: str
    started_at: str
    answered_at: str | None
    ended_at: str | None
    outcome: Outcome | None
    cause: int | None

    def __post_init__(self) -> None:
        # Rows come back from SQLite as plain text: make the outcome its enum (same value).
        if self.outcome is not None:
            object.__setattr__(self, "outcome", Outcome(self.outcome))

    def public(self) -> AttemptView:
        """The attempt as the API and the callbacks show it."""
        return AttemptView(
            contact_id=self.contact_id,
            contact_name=self.contact_name,
            round=self.round,
            started_at=self.started_at,
            answered_at=self.answered_at,
            ended_at=self.ended_at,
            outcome=self.outcome,
            cause=self.cause,
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert and where its call tree stands; ``plan`` is the site as it was at alert time."""

    alert_id: str
    site_id: str
    kind: AlertKind
    detector: str | None
    zone: str | None
    occurred_at: str
    plan: Site
    status: AlertStatus
    created_at: str
    next_round: int
    next_position: int
    acknowledged_by_id: str | None
    acknowledged_by_name: str | None
    acknowledged_at: str | None
    cancelled_by: str | None
    finished_at: str | None
    reason: Reason | None = None  # why it is queued or expired
    acknowledgement: Acknowledgement = Acknowledgement.REQUIRED  # what its calls ask
    note: str | None = None  # said after the message (an agent request's words)

    def __post_init__(self) -> None:
        # Rows come back from SQLite as plain text: make kind and status their enums (same values).
        object.__setattr__(self, "kind", AlertKind(self.kind))
        object.__setattr__(self, "status", AlertStatus(self.status))
        object.__setattr__(self, "acknowledgement", Acknowledgement(self.acknowledgement))
        if self.reason is not None:
            object.__setattr__(self, "reason", Reason(self.reason))

    @property
    def informing(self) -> bool:
        """Whether its calls need no code: each callee is called until they heard the message."""
        return self.acknowledgement is Acknowledgement.NONE

    @property
    def active(self) -> bool:
        """Whether the call tree still runs."""
        return not self.status.terminal

    @property
    def cursor(self) -> Cursor:
        """The call tree's next call: round and position in the plan's call order."""
        return Cursor(round=self.next_round, position=self.next_position)


_ALERT_COLUMNS = (
    "alert_id, site_id, kind, detector, zone, occurred_at, plan, status, created_at, next_round,"
    " next_position, acknowledged_by_id, acknowledged_by_name, acknowledged_at, cancelled_by,"
    " finished_at, reason, acknowledgement, note"
)
_ATTEMPT_COLUMNS = (
    "id, alert_id, contact_id, contact_name, round, position, channel_id, started_at,"
    " answered_at, ended_at, outcome, cause"
)


PARSED_SITES = 2048
"""Stored sites and plans kept parsed: an avalanche of 1 000 sites reads 1 000 of each."""


@functools.lru_cache(maxsize=PARSED_SITES)
def _site(text: str) -> Site:
    """A site or plan as stored (the contract's model; numbers kept as they were accepted).

    The same text always gives the same model, which is frozen: each is parsed once while it
    is in use. A call tree reads its alert's plan and its site about ten times, and under an
    avalanche parsing and validating them again was a third of the event loop's work. Deleting
    a site or purging old alerts empties the cache: no parsed copy keeps their contacts' details.
    """
    return Site.model_validate_json(text, context=STORED)


def _alert(row: tuple[Any, ...]) -> Alert:
    values = list(row)
    values[6] = _site(values[6])
    return Alert(*values)


def finished_plan(plan: Site) -> Site:
    """A finished alert's plan: names kept (the views show them), no code hash, phone or e-mail."""
    contacts = tuple(
        c.model_copy(update={"phone": "", "email": None, "ack_code_hash": ""})
        for c in plan.contacts
    )
    return plan.model_copy(update={"contacts": contacts, "station": None})


class Store:
    """Typed access to the database; writes go through ``transaction()``."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        self._lock = hold_lock(path.with_name(path.name + ".lock"))
        try:
            private_file(path)
            self.conn = sqlite3.connect(path, timeout=10)
        except BaseException:
            self._lock.close()
            raise
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            migrations.migrate(self.conn)  # refuses a database newer than this code
            #: Writes that may wait one loop turn to share their fsync (group_commit.py).
            self.group = GroupCommit(self.conn)
            # An older release left its -wal and -shm world-readable: they exist after a write.
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    private_file(path.with_name(path.name + suffix))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (committed data is already safe) and let the lock go."""
        self.conn.close()
        self._lock.close()

    def purge(self, *, retention_days: int, now: datetime | None = None) -> tuple[int, int]:
        """Delete old finished alerts and outbox rows; return (alerts, outbox rows) deleted.

        Alerts finished more than ``retention_days`` ago go with their attempts; outbox rows
        delivered or dead-lettered more than a week ago go too. Active alerts and pending outbox
        rows are never deleted, however old.
        """
        now = (now or datetime.now(UTC)).astimezone(UTC)  # finished_at is UTC text
        before = (now - timedelta(days=retention_days)).isoformat(timespec="milliseconds")
        old = "SELECT alert_id FROM alerts WHERE finished_at IS NOT NULL AND finished_at < ?"
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM attempts WHERE alert_id IN ({old})", (before,))  # noqa: S608
            conn.execute(f"DELETE FROM talkdowns WHERE alert_id IN ({old})", (before,))  # noqa: S608
            alerts = conn.execute(
                "DELETE FROM alerts WHERE finished_at IS NOT NULL AND finished_at < ?", (before,)
            ).rowcount
            rows = outbox.purge(conn, now=now.timestamp())
            conn.execute(
                "DELETE FROM wrong_codes WHERE at < ?", (now.timestamp() - WRONG_CODE_WINDOW,)
            )
        _site.cache_clear()  # nor do the plans of the alerts it deleted
        return alerts, rows

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit what the block did, or roll all of it back on an exception."""
        if self.conn.in_transaction:
            raise RuntimeError("nested transaction")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    # --- sites ------------------------------------------------------------------------------

    def put_site(self, site_id: str, site: Site) -> bool:
        """Create or replace a site; True when it was created."""
        previous = self.get_site(site_id)
        with self.transaction() as conn:
            if previous is not None and (previous.callback_url, previous.callback_secret) != (
                site.callback_url,
                site.callback_secret,
            ):
                # Pending callbacks signed with a rotated secret would be refused forever.
                outbox.retarget_callbacks(
                    conn, site_id=site_id, url=site.callback_url, secret=site.callback_secret
                )
            conn.execute(
                "INSERT INTO sites (site_id, body, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (site_id) DO UPDATE SET body = excluded.body,"
                " updated_at = excluded.updated_at",
                (site_id, site.model_dump_json(), now_iso()),
            )
        return previous is None

    def get_site(self, site_id: str) -> Site | None:
        """The site, or None."""
        row = self.conn.execute("SELECT body FROM sites WHERE site_id = ?", (site_id,)).fetchone()
        return _site(row[0]) if row else None

    def delete_site(self, site_id: str) -> bool:
        """Forget a site, its pending callbacks and its watch; running alerts keep calling."""
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM sites WHERE site_id = ?", (site_id,))
            outbox.retarget_callbacks(conn, site_id=site_id, url=None, secret=None)
            heartbeats.forget(conn, site_id)
        _site.cache_clear()  # its contacts' phones and e-mails stay in no parsed copy either
        return cursor.rowcount > 0

    # --- alerts -----------------------------------------------------------------------------

    def get_alert(self, alert_id: str) -> Alert | None:
        """The alert, or None."""
        row = self.conn.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE alert_id = ?",  # noqa: S608 - constant
            (alert_id,),
        ).fetchone()
        return _alert(row) if row else None

    def active_alert_ids(self) -> list[str]:
        """Alerts whose call tree has not finished, oldest first."""
        rows = self.conn.execute(
            "SELECT alert_id FROM alerts WHERE status IN (?, ?) ORDER BY created_at", _ACTIVE
        ).fetchall()
        return [r[0] for r in rows]

    @staticmethod
    def insert_alert(conn: sqlite3.Connection, alert: Alert) -> None:
        """Add an alert (inside the caller's transaction); its plan without callback settings."""
        plan = alert.plan.without_callback().model_dump_json()
        conn.execute(
            f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES ({', '.join('?' * 19)})",  # noqa: S608
            (
                alert.alert_id, alert.site_id, alert.kind, alert.detector, alert.zone,
                alert.occurred_at, plan, alert.status, alert.created_at,
                alert.next_round, alert.next_position, alert.acknowledged_by_id,
                alert.acknowledged_by_name, alert.acknowledged_at, alert.cancelled_by,
                alert.finished_at, alert.reason, alert.acknowledgement, alert.note,
            ),
        )  # fmt: skip

    @staticmethod
    def finish_alert(
        conn: sqlite3.Connection,
        alert_id: str,
        status: AlertStatus,
        *,
        at: str,
        contact: Contact | None = None,
        cancelled_by: str | None = None,
        reason: Reason | None = None,
    ) -> bool:
        """Move an active alert to a final status; False if it had already finished.

        The plan loses its code hashes, phones and e-mails in the same statement's transaction.
        """
        row = conn.execute(
            "SELECT plan FROM alerts WHERE alert_id = ? AND status IN (?, ?)", (alert_id, *_ACTIVE)
        ).fetchone()
        if row is None:
            return False
        plan = finished_plan(_site(row[0])).model_dump_json()
        cursor = conn.execute(
            "UPDATE alerts SET status = ?, finished_at = ?, cancelled_by = ?,"
            " acknowledged_by_id = ?, acknowledged_by_name = ?, acknowledged_at = ?, reason = ?,"
            " plan = ? WHERE alert_id = ? AND status IN (?, ?)",
            (
                status, at, cancelled_by,
                contact.id if contact else None, contact.name if contact else None,
                at if contact else None, reason, plan, alert_id, *_ACTIVE,
            ),
        )  # fmt: skip
        return cursor.rowcount == 1

    @staticmethod
    def set_active_status(
        conn: sqlite3.Connection, alert_id: str, status: AlertStatus, reason: Reason | None
    ) -> bool:
        """Queued (with its reason) or calling again; False if unchanged or already finished."""
        cursor = conn.execute(
            "UPDATE alerts SET status = ?, reason = ? WHERE alert_id = ? AND status IN (?, ?)"
            " AND (status IS NOT ? OR reason IS NOT ?)",
            (status, reason, alert_id, *_ACTIVE, status, reason),
        )
        return cursor.rowcount == 1

    @staticmethod
    def add_wrong_code(conn: sqlite3.Connection, site_id: str, contact_id: str, at: float) -> int:
        """Count one wrong code of a contact; return their wrong codes of the last 24 hours."""
        conn.execute(
            "INSERT INTO wrong_codes (site_id, contact_id, at) VALUES (?, ?, ?)",
            (site_id, contact_id, at),
        )
        return Store.wrong_codes(conn, site_id, contact_id, at)

    @staticmethod
    def wrong_codes(conn: sqlite3.Connection, site_id: str, contact_id: str, now: float) -> int:
        """A contact's wrong codes on the phone in the 24 hours before ``now``."""
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM wrong_codes WHERE site_id = ? AND contact_id = ? AND at > ?",
            (site_id, contact_id, now - WRONG_CODE_WINDOW),
        ).fetchone()
        return int(count)

    @staticmethod
    def advance(
        conn: sqlite3.Connection, alert_id: str, contacts: int, *, spent: bool = True
    ) -> None:
        """Move the alert's cursor on: ``Cursor.after``, or ``Cursor.skip`` when not ``spent``.

        Callees already informed (an alert that needs no code) are passed over.
        """
        row = conn.execute(
            "SELECT next_round, next_position FROM alerts WHERE alert_id = ?", (alert_id,)
        ).fetchone()
        if row is None:
            return
        next_round, next_position = row
        cursor = Cursor(round=next_round, position=next_position)
        done = Store.informed(conn, alert_id)
        moved = cursor.after(contacts, done) if spent else cursor.skip(contacts, done)
        conn.execute(
            "UPDATE alerts SET next_round = ?, next_position = ? WHERE alert_id = ?",
            (moved.round, moved.position, alert_id),
        )

    @staticmethod
    def informed(conn: sqlite3.Connection, alert_id: str) -> frozenset[int]:
        """Positions in the call order of the callees who heard an alert that needs no code."""
        rows = conn.execute(
            "SELECT DISTINCT position FROM attempts WHERE alert_id = ? AND outcome = ?",
            (alert_id, Outcome.INFORMED),
        ).fetchall()
        return frozenset(int(row[0]) for row in rows)

    # --- attempts ---------------------------------------------------------------------------

    def attempts(self, alert_id: str) -> list[Attempt]:
        """Every attempt of an alert, in order."""
        rows = self.conn.execute(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE alert_id = ? ORDER BY id",  # noqa: S608
            (alert_id,),
        ).fetchall()
        return [Attempt(*r) for r in rows]

    def attempt(self, attempt_id: int) -> Attempt:
        """One attempt by id."""
        row = self.conn.execute(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE id = ?",  # noqa: S608 - constant
            (attempt_id,),
        ).fetchone()
        return Attempt(*row)

    def open_attempts(self) -> list[Attempt]:
        """Attempts that never ended: their process died during the call."""
        rows = self.conn.execute(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE ended_at IS NULL",  # noqa: S608
        ).fetchall()
        return [Attempt(*r) for r in rows]

    @staticmethod
    def insert_attempt(
        conn: sqlite3.Connection,
        alert: Alert,
        contact: Contact,
        channel_id: str,
        started_at: str,
    ) -> int:
        """Record a call about to be dialled; return its id."""
        cursor = conn.execute(
            "INSERT INTO attempts (alert_id, contact_id, contact_name, round, position,"
            " channel_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                alert.alert_id, contact.id, contact.name, alert.next_round, alert.next_position,
                channel_id, started_at,
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @staticmethod
    def answer_attempt(conn: sqlite3.Connection, attempt_id: int, at: str) -> None:
        """The contact picked up."""
        conn.execute("UPDATE attempts SET answered_at = ? WHERE id = ?", (at, attempt_id))

    @staticmethod
    def set_outcome(conn: sqlite3.Connection, attempt_id: int, outcome: Outcome) -> None:
        """Record the outcome before the call has ended (an SOS bridge still running)."""
        conn.execute("UPDATE attempts SET outcome = ? WHERE id = ?", (outcome, attempt_id))

    @staticmethod
    def end_attempt(
        conn: sqlite3.Connection,
        attempt_id: int,
        *,
        at: str,
        outcome: Outcome,
        cause: int | None,
    ) -> None:
        """The call is over; an outcome recorded earlier (``sos``) is kept."""
        conn.execute(
            "UPDATE attempts SET ended_at = ?, outcome = coalesce(outcome, ?), cause = ?"
            " WHERE id = ? AND ended_at IS NULL",
            (at, outcome, cause, attempt_id),
        )
