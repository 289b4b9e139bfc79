"""The talk-down log: when a contact listened in, spoke, stopped, and the callbacks saying so.

Each change is one SQLite transaction with its callback to Home Assistant (``talk_down_started``,
``talk_down_ended``; ``warning_requested`` when the home has no speaker and Home Assistant plays
the spoken warning), so Home Assistant can journal it and send the station its listen-in begin
and end (SIA ``LF``/``LE``). A talk-down that a dead process left open is closed at the next
start (``close_stale``), with its end callback: the station never keeps a listen-in open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import logging
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import CallbackEvent, TalkDownMode
from custom_components.imaprotect.contract.models import TalkDownView
from voice_server.store import now_iso

if TYPE_CHECKING:
    import sqlite3

    from voice_server.ledger import AlertLedger
    from voice_server.store import Alert, Contact

__all__ = ["TalkDownEnd", "TalkDownLog", "TalkDownRecord"]

_LOGGER = logging.getLogger(__name__)
_COLUMNS = "id, mode, started_at, spoke_at, ended_at, by_station"


class TalkDownEnd(StrEnum):
    """Why a talk-down ended (the ``end_reason`` column)."""

    KEY = "key"  # the contact (or the operator) pressed the key that stops it
    CONTACT_GONE = "contact_gone"
    SPEAKER_GONE = "speaker_gone"
    TIME_LIMIT = "time_limit"
    CANCELLED = "cancelled"
    UNREACHABLE = "unreachable"  # Asterisk went away
    PLAYED = "played"  # a warning: asked for, and Home Assistant plays it
    RESTART = "restart"  # left open by a process that died
    SOS_ENDED = "sos_ended"  # the operator's: the SOS bridge it was part of ended


def _view(row: tuple[object, ...]) -> TalkDownView:
    talk_id, mode, started, spoke, ended, by_station = row
    return TalkDownView(
        id=int(str(talk_id)),
        mode=TalkDownMode(str(mode)),
        started_at=str(started),
        spoke_at=None if spoke is None else str(spoke),
        ended_at=None if ended is None else str(ended),
        by_station=bool(by_station),
    )


class TalkDownLog:
    """Writes talk-downs next to the alerts, with their callbacks."""

    def __init__(self, ledger: AlertLedger, *, now: Callable[[], str] = now_iso) -> None:
        self._ledger = ledger
        self._store = ledger.store
        self._now = now

    def start(
        self,
        alert: Alert,
        contact: Contact,
        attempt_id: int,
        mode: TalkDownMode,
        *,
        by_station: bool = False,
    ) -> int:
        """A talk-down begins (a warning is asked for, and so over at once); returns its id."""
        at = self._now()
        ended, reason = (at, TalkDownEnd.PLAYED) if mode is TalkDownMode.WARNING else (None, None)
        event = (
            CallbackEvent.WARNING_REQUESTED
            if mode is TalkDownMode.WARNING
            else CallbackEvent.TALK_DOWN_STARTED
        )
        with self._store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO talkdowns (alert_id, attempt_id, mode, by_station, started_at,"
                " ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (alert.alert_id, attempt_id, mode, int(by_station), at, ended, reason),
            )
            assert cursor.lastrowid is not None
            talk_id = cursor.lastrowid
            self._ledger.notify(
                conn,
                alert,
                event,
                contact,
                attempt_id=attempt_id,
                talk_down=self._get(conn, talk_id),
            )
        self._ledger.wake()
        _LOGGER.info("alert %s: talk-down %d (%s) started", alert.alert_id, talk_id, mode)
        return talk_id

    def spoke(self, talk_id: int) -> None:
        """The contact's voice reaches the home from now on (the first time counts)."""
        with self._store.transaction() as conn:
            conn.execute(
                "UPDATE talkdowns SET spoke_at = ? WHERE id = ? AND spoke_at IS NULL",
                (self._now(), talk_id),
            )

    def end(
        self, alert: Alert, contact: Contact, attempt_id: int, talk_id: int, reason: TalkDownEnd
    ) -> bool:
        """The talk-down is over; its callback. False when it had ended already."""
        with self._store.transaction() as conn:
            ended = conn.execute(
                "UPDATE talkdowns SET ended_at = ?, end_reason = ?"
                " WHERE id = ? AND ended_at IS NULL",
                (self._now(), reason, talk_id),
            ).rowcount
            if ended:
                view = self._get(conn, talk_id)
                self._ledger.notify(
                    conn,
                    alert,
                    CallbackEvent.TALK_DOWN_ENDED,
                    contact,
                    attempt_id=attempt_id,
                    talk_down=view,
                )
        if ended:
            self._ledger.wake()
            _LOGGER.info("alert %s: talk-down %d ended (%s)", alert.alert_id, talk_id, reason)
        return bool(ended)

    def of_alert(self, alert_id: str) -> list[TalkDownView]:
        """Every talk-down of an alert, in order."""
        rows = self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM talkdowns WHERE alert_id = ? ORDER BY id",  # noqa: S608
            (alert_id,),
        ).fetchall()
        return [_view(row) for row in rows]

    def close_stale(self) -> int:
        """At start-up: end the talk-downs a dead process left open; how many there were."""
        rows = self._store.conn.execute(
            "SELECT id, alert_id, attempt_id FROM talkdowns WHERE ended_at IS NULL"
        ).fetchall()
        closed = 0
        for talk_id, alert_id, attempt_id in rows:
            alert = self._store.get_alert(alert_id)
            if alert is None:
                continue
            attempt = self._store.attempt(attempt_id)
            contact = next((c for c in alert.plan.contacts if c.id == attempt.contact_id), None)
            if contact is not None:
                closed += self.end(alert, contact, attempt_id, talk_id, TalkDownEnd.RESTART)
        return closed

    @staticmethod
    def _get(conn: sqlite3.Connection, talk_id: int) -> TalkDownView:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM talkdowns WHERE id = ?",  # noqa: S608 - constant columns
            (talk_id,),
        ).fetchone()
        return _view(row)


@dataclass(frozen=True, slots=True)
class TalkDownRecord:
    """One call's talk-down as the bridge reports it: the log, bound to the alert and call."""

    log: TalkDownLog
    alert: Alert
    contact: Contact
    attempt_id: int
    by_station: bool = False

    def started(self, mode: TalkDownMode) -> int:
        """It begins; returns its id."""
        return self.log.start(
            self.alert, self.contact, self.attempt_id, mode, by_station=self.by_station
        )

    def spoke(self, talk_id: int) -> None:
        """The contact speaks into the home now."""
        self.log.spoke(talk_id)

    def ended(self, talk_id: int, reason: TalkDownEnd) -> None:
        """It is over."""
        self.log.end(self.alert, self.contact, self.attempt_id, talk_id, reason)
