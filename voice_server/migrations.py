"""The voice server's database schema, versioned, and the ordered steps that bring it up to date.

The whole schema lives here. ``PRAGMA user_version`` holds the database's schema version (the
database's own, unrelated to the wire contract's ``SCHEMA_VERSION``). ``migrate`` applies the steps
between that version and ``DB_SCHEMA_VERSION`` in order, each in one transaction together with its
version bump, so a crash half-way leaves the database at the last finished step and the next start
carries on from there. A step is never edited once released: a schema change is a new step
appended to ``_STEPS`` and ``DB_SCHEMA_VERSION`` raised by one.

Releases up to 0.1.0 kept no version (``user_version`` 0) and mended their schema on every start
(``CREATE ... IF NOT EXISTS``, ``ALTER TABLE`` of the outbox columns added later, and the removal
of callback settings from alert plans). Step 1 therefore both creates the schema of a new database
and adopts one of those releases without losing a row: each statement is idempotent, and on a new
database the mending finds nothing to do.

A database newer than this code (restored next to an older binary, say) is refused rather than
used: an older server could not know what the newer columns mean, and never downgrades them.
Steps run inside a transaction, so they may not change ``journal_mode`` or ``foreign_keys``.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import logging
import sqlite3

__all__ = ["DB_SCHEMA_VERSION", "SchemaError", "migrate", "schema_version"]

_LOGGER = logging.getLogger(__name__)

#: The schema version this code writes and reads; ``len(_STEPS)`` (checked by the tests).
DB_SCHEMA_VERSION = 7

#: Tables of the voice server (sqlite_sequence: SQLite's own, for AUTOINCREMENT).
_TABLES = frozenset(
    {"sites", "alerts", "attempts", "outbox", "outbox_photo", "wrong_codes", "sqlite_sequence"}
)
_TABLES |= {"heartbeats"}  # step 5: the homes' heartbeats
_TABLES |= {"alert_photos"}  # step 6: the alarms' photos (files next to the database)
_TABLES |= {"talkdowns"}  # step 7: talk-downs (a contact listening in through the home's speaker)

# Release 0.1.0's schema, one statement each: executescript() would commit half-way.
_SCHEMA_1 = (
    """CREATE TABLE IF NOT EXISTS sites (
        site_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,        -- JSON of store.Site, callback secret included
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS alerts (
        alert_id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        detector TEXT,
        zone TEXT,
        occurred_at TEXT NOT NULL,
        plan TEXT NOT NULL,        -- the site at alert time, without callback URL or secret
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_round INTEGER NOT NULL DEFAULT 1,
        next_position INTEGER NOT NULL DEFAULT 0,
        acknowledged_by_id TEXT,
        acknowledged_by_name TEXT,
        acknowledged_at TEXT,
        cancelled_by TEXT,
        finished_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status)",
    """CREATE INDEX IF NOT EXISTS alerts_finished ON alerts (finished_at)
        WHERE finished_at IS NOT NULL""",
    """CREATE TABLE IF NOT EXISTS attempts (
        id INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL REFERENCES alerts (alert_id),
        contact_id TEXT NOT NULL,
        contact_name TEXT NOT NULL,
        round INTEGER NOT NULL,
        position INTEGER NOT NULL,
        channel_id TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        outcome TEXT,
        cause INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS attempts_alert ON attempts (alert_id, id)",
    "CREATE INDEX IF NOT EXISTS attempts_open ON attempts (ended_at) WHERE ended_at IS NULL",
    """CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an idempotency key is never reused
        kind TEXT NOT NULL CHECK (kind IN ('email', 'callback')),
        site_id TEXT NOT NULL,
        alert_id TEXT,
        recipients TEXT,           -- email: JSON list of the addresses still to deliver
        subject TEXT,
        url TEXT,                  -- callback; cleared once delivered or dead
        secret TEXT,               -- callback; cleared once delivered or dead
        body BLOB NOT NULL,        -- email text (UTF-8) or the exact JSON bytes that are signed
        created_at REAL NOT NULL,
        next_attempt REAL NOT NULL,  -- worker clock; 0 = at once, whatever that clock is
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered_at REAL,
        refusals INTEGER NOT NULL DEFAULT 0,  -- permanent refusals among the attempts
        dead_at REAL               -- dead-lettered (worker clock): never sent again
    )""",
    """CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt)
        WHERE delivered_at IS NULL""",
    """CREATE INDEX IF NOT EXISTS outbox_callback_order ON outbox (site_id, url, id)
        WHERE delivered_at IS NULL AND kind = 'callback'""",
    """CREATE TABLE IF NOT EXISTS outbox_photo (
        outbox_id INTEGER NOT NULL REFERENCES outbox (id),
        position INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (outbox_id, position)
    )""",
)

# Outbox columns added after the outbox's first release, which older databases lack.
_OUTBOX_ADDED_COLUMNS = (
    ("refusals", "INTEGER NOT NULL DEFAULT 0"),
    ("dead_at", "REAL"),
)


class SchemaError(RuntimeError):
    """The database cannot be used by this code: newer than it, or not a voice server's."""


def _step_1(conn: sqlite3.Connection) -> None:
    """Release 0.1.0's schema: create it, or adopt a database of an unversioned release."""
    for statement in _SCHEMA_1:
        conn.execute(statement)
    present = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
    for name, definition in _OUTBOX_ADDED_COLUMNS:
        if name not in present:
            conn.execute(f"ALTER TABLE outbox ADD COLUMN {name} {definition}")
    # Plans stored before 0.1.0 kept the site's callback URL and secret: drop them. Only those
    # plans are rewritten (json_extract is NULL for a JSON null), unlike 0.1.0's json_type test,
    # which rewrote every plan at every start.
    conn.execute(
        "UPDATE alerts SET plan = json_remove(plan, '$.callback_url', '$.callback_secret')"
        " WHERE json_extract(plan, '$.callback_secret') IS NOT NULL"
        " OR json_extract(plan, '$.callback_url') IS NOT NULL"
    )


def _without_keypad_codes(text: str, *, finished: bool) -> str:
    """A stored site or plan with contract 3's contacts: no keypad code hash, ever.

    Releases up to 0.1.0 kept each contact's keypad code hash (``code_hash``), which could disarm
    the panel once reversed. It is dropped, not converted: Home Assistant sends every contact's own
    phone code (``ack_code_hash``) when it next syncs the site, at its start. A finished alert's
    plan also loses the contacts' phones and e-mails, which nothing reads any more.
    """
    body = json.loads(text)
    for contact in body.get("contacts", ()):
        contact.pop("code_hash", None)
        contact["ack_code_hash"] = ""
        if finished:
            contact["phone"] = ""
            contact["email"] = None
    return json.dumps(body, ensure_ascii=False)


def _step_2(conn: sqlite3.Connection) -> None:
    """Contract 3: contacts acknowledge with a phone code of their own; see above."""
    sites = conn.execute("SELECT site_id, body FROM sites").fetchall()
    for site_id, body in sites:
        conn.execute(
            "UPDATE sites SET body = ? WHERE site_id = ?",
            (_without_keypad_codes(body, finished=False), site_id),
        )
    alerts = conn.execute("SELECT alert_id, plan, finished_at FROM alerts").fetchall()
    for alert_id, plan, finished_at in alerts:
        conn.execute(
            "UPDATE alerts SET plan = ? WHERE alert_id = ?",
            (_without_keypad_codes(plan, finished=finished_at is not None), alert_id),
        )


def _step_3(conn: sqlite3.Connection) -> None:
    """Why an alert is queued or expired (``reason``), and the wrong codes typed on the phone.

    ``wrong_codes`` holds one row per wrong code, keyed by the contact (site and contact id) rather
    than by the alert, so that a guesser is counted across calls and alerts; rows older than a day
    no longer count and are purged. Idempotent, like step 1 (a database whose version was lost).
    """
    if "reason" not in {row[1] for row in conn.execute("PRAGMA table_info(alerts)")}:
        conn.execute("ALTER TABLE alerts ADD COLUMN reason TEXT")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS wrong_codes (
            site_id TEXT NOT NULL,
            contact_id TEXT NOT NULL,
            at REAL NOT NULL           -- wall-clock time (Unix seconds) of the wrong code
        )"""
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS wrong_codes_contact ON wrong_codes (site_id, contact_id, at)"
    )


def _step_4(conn: sqlite3.Connection) -> None:
    """Contract 4 (the offers): what an alert's calls ask (``acknowledgement``) and its ``note``.

    Alerts of older databases all asked for a code: the default says so. Idempotent, like step 3,
    and independent of it (it only adds columns to ``alerts``).
    """
    present = {row[1] for row in conn.execute("PRAGMA table_info(alerts)")}
    if "acknowledgement" not in present:
        conn.execute(
            "ALTER TABLE alerts ADD COLUMN acknowledgement TEXT NOT NULL DEFAULT 'required'"
        )
    if "note" not in present:
        conn.execute("ALTER TABLE alerts ADD COLUMN note TEXT")


def _step_5(conn: sqlite3.Connection) -> None:
    """The homes' heartbeats (see watchdog.py): one row per site, the last heartbeat heard.

    ``last_seen`` is the server's wall clock, so a watch outlives a restart; ``alert_id`` is the
    ``home_offline`` alert of the silence under way once reported, so a restart never reports it
    again. Idempotent, like the steps before (a database whose version was lost).
    """
    conn.execute(
        """CREATE TABLE IF NOT EXISTS heartbeats (
            site_id TEXT PRIMARY KEY,
            armed INTEGER NOT NULL,    -- 1 while the home is watched
            interval REAL NOT NULL,    -- seconds between heartbeats, as Home Assistant promised
            grace REAL NOT NULL,       -- seconds of silence after which the home is offline
            last_seen REAL NOT NULL,   -- wall-clock time (Unix seconds) of the last heartbeat
            utc_offset INTEGER NOT NULL DEFAULT 0,  -- the home's clock, seconds east of UTC
            alert_id TEXT              -- the home_offline alert of the silence, once reported
        )"""
    )


def _step_6(conn: sqlite3.Connection) -> None:
    """The alarms' photos (see photos.py): one row per photo, the JPEG itself in a 0600 file.

    ``file`` is the file's name in the photos folder next to the database, made by the server
    (never from the alert id); ``sha256`` lets a restored folder be checked. No foreign key: the
    retention deletes the alerts first, then the photos whose alert is gone. Idempotent, like the
    steps before.
    """
    conn.execute(
        """CREATE TABLE IF NOT EXISTS alert_photos (
            alert_id TEXT NOT NULL,
            position INTEGER NOT NULL,  -- 0, 1, … in the order Home Assistant sent them
            file TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,      -- bytes
            sha256 TEXT NOT NULL,
            received_at TEXT NOT NULL,  -- ISO time the server stored it
            PRIMARY KEY (alert_id, position)
        )"""
    )


def _step_7(conn: sqlite3.Connection) -> None:
    """Talk-downs (see talk_down.py): when a contact listened in, spoke, stopped, on which call.

    No foreign key: a purge deletes them with their alert (``Store.purge``) in the same
    transaction. Idempotent, like the steps before.
    """
    conn.execute(
        """CREATE TABLE IF NOT EXISTS talkdowns (
            id INTEGER PRIMARY KEY,
            alert_id TEXT NOT NULL,
            attempt_id INTEGER NOT NULL,
            mode TEXT NOT NULL,              -- speaker or warning (contract TalkDownMode)
            by_station INTEGER NOT NULL DEFAULT 0,  -- 1: the station's operator asked for it
            started_at TEXT NOT NULL,
            spoke_at TEXT,                   -- the contact's voice first reached the home
            ended_at TEXT,
            end_reason TEXT                  -- key, contact_gone, speaker_gone, unreachable...
        )"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS talkdowns_alert ON talkdowns (alert_id)")


#: ``_STEPS[n]`` brings a database from version n to n + 1.
_STEPS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _step_1,
    _step_2,
    _step_3,
    _step_4,
    _step_5,
    _step_6,  # the alarms' photos
    _step_7,  # the talk-downs
)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's schema version (``PRAGMA user_version``; 0 for unversioned releases)."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to ``DB_SCHEMA_VERSION``; return the version it had.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction with its version bump; the version is
    read inside that transaction, so two processes opening the same file never apply a step twice.
    At the current version this only reads the version. Raises ``SchemaError`` for a newer
    database, and for an unversioned one holding tables that are not the voice server's.
    """
    isolation = conn.isolation_level
    conn.isolation_level = None  # BEGIN and COMMIT are issued here, not implicitly
    found: int | None = None
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = schema_version(conn)
                found = version if found is None else found
                if version >= DB_SCHEMA_VERSION:
                    _check_not_newer(version)
                    conn.execute("ROLLBACK")
                    return found
                if version == 0:
                    _check_ours(conn)
                _STEPS[version](conn)
                conn.execute(f"PRAGMA user_version = {version + 1:d}")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            _LOGGER.info("database schema migrated from version %d to %d", version, version + 1)
    finally:
        conn.isolation_level = isolation


def _check_not_newer(version: int) -> None:
    if version > DB_SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {version}, newer than the {DB_SCHEMA_VERSION} this"
            " voice server knows: run the newer voice server that wrote it (it is never downgraded)"
        )


def _check_ours(conn: sqlite3.Connection) -> None:
    """An unversioned database is adopted only if every table in it is one of ours."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if tables - _TABLES:
        raise SchemaError(
            "the database holds tables that are not the voice server's: "
            + ", ".join(sorted(tables - _TABLES))
        )
    if tables:
        _LOGGER.info("database of an unversioned release (0.1.0 or older): adopting it")
