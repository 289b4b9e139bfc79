"""The ``heartbeats`` table (created by migrations.py, step 4): each home's last heartbeat.

Plain functions on the caller's connection, joining its transaction, so that a heartbeat that ends
a silence is written together with what it causes (see home_watch.py). The rows are the
watchdog's ``Watch`` values, one per site; a deleted site's row goes with it (``Store``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voice_server.watchdog import Watch

if TYPE_CHECKING:
    import sqlite3

__all__ = ["counts", "forget", "get", "mark_reported", "put", "watched"]

_COLUMNS = "site_id, armed, interval, grace, last_seen, utc_offset, alert_id"


def _watch(row: tuple[Any, ...]) -> Watch:
    site_id, armed, interval, grace, last_seen, utc_offset, alert_id = row
    return Watch(
        site_id=str(site_id),
        armed=bool(armed),
        interval=float(interval),
        grace=float(grace),
        last_seen=float(last_seen),
        utc_offset=int(utc_offset),
        alert_id=None if alert_id is None else str(alert_id),
    )


def get(conn: sqlite3.Connection, site_id: str) -> Watch | None:
    """The site's watch, or None before its first heartbeat."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM heartbeats WHERE site_id = ?",  # noqa: S608 - constant
        (site_id,),
    ).fetchone()
    return _watch(row) if row else None


def watched(conn: sqlite3.Connection) -> list[Watch]:
    """The homes whose silence would be reported: armed, and not reported already."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM heartbeats WHERE armed = 1 AND alert_id IS NULL",  # noqa: S608
    ).fetchall()
    return [_watch(row) for row in rows]


def put(conn: sqlite3.Connection, watch: Watch) -> None:
    """Write the site's watch (replacing the previous one)."""
    conn.execute(
        f"INSERT OR REPLACE INTO heartbeats ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            watch.site_id, int(watch.armed), watch.interval, watch.grace, watch.last_seen,
            watch.utc_offset, watch.alert_id,
        ),
    )  # fmt: skip


def mark_reported(conn: sqlite3.Connection, watch: Watch, alert_id: str) -> bool:
    """Record that ``watch``'s silence was reported; False if a heartbeat came meanwhile."""
    cursor = conn.execute(
        "UPDATE heartbeats SET alert_id = ?"
        " WHERE site_id = ? AND last_seen = ? AND armed = 1 AND alert_id IS NULL",
        (alert_id, watch.site_id, watch.last_seen),
    )
    return cursor.rowcount == 1


def forget(conn: sqlite3.Connection, site_id: str) -> None:
    """The site is deleted: nothing to watch any more."""
    conn.execute("DELETE FROM heartbeats WHERE site_id = ?", (site_id,))


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(homes watched now, homes reported silent), for /metrics."""
    watching, silent = conn.execute(
        "SELECT coalesce(sum(armed = 1 AND alert_id IS NULL), 0),"
        " coalesce(sum(alert_id IS NOT NULL), 0) FROM heartbeats"
    ).fetchone()
    return int(watching), int(silent)
