"""The alert ledger: every status change of an alert, committed with what it causes.

Each method is ONE SQLite transaction holding the change (an attempt started or ended, the alert
acknowledged, escalated, exhausted or cancelled) together with its outbox rows: the signed
callback to Home Assistant and the e-mails to the contacts. A crash therefore loses or repeats
neither the change nor its messages. After each commit the outbox worker is woken.

Callbacks (``CallbackEvent``): ``alert_status`` at creation (calling, or queued with its
``reason``), at each change between queued and calling, and once at the final status (then
``contact`` is who acknowledged or escalated; ``reason`` says why an alert expired);
``attempt_started`` / ``attempt_ended`` with the callee as ``contact``; ``code_rejected`` for each
wrong code typed on the phone, with the contact's count of the last 24 hours (``wrong_codes``).
``status`` is always the alert's status at that moment; ``reason``, ``wrong_codes`` and
``cancelled_by`` appear only in the callbacks they belong to; so does ``talk_down``, in the
``talk_down_started`` / ``talk_down_ended`` / ``warning_requested`` callbacks (talk_downs.py).
They go to the site's *current* callback URL and secret, which Home Assistant may have changed
since the alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
import logging
import time
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import (
    AlertStatus,
    CallbackEvent,
    Outcome,
    Reason,
)
from custom_components.imaprotect.contract.models import Callback, PersonRef, TalkDownView
from voice_server import mailer, outbox
from voice_server.calltree import outcome_for_status
from voice_server.store import Attempt, Store, now_iso

if TYPE_CHECKING:
    import sqlite3

    from voice_server.calltree import CallResult
    from voice_server.metrics import Metrics
    from voice_server.store import Alert, Contact

__all__ = ["AlertLedger", "alert_facts"]

_LOGGER = logging.getLogger(__name__)


class AlertLedger:
    """Writes an alert's life to SQLite and the outbox; ``now`` is the clock (ISO text)."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        wake_outbox: Callable[[], None],
        *,
        now: Callable[[], str] = now_iso,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._wake = wake_outbox
        self._now = now
        self._wall = wall

    @property
    def store(self) -> Store:
        """The database the ledger writes (the talk-down log writes there too)."""
        return self._store

    def notify(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        event: CallbackEvent,
        contact: Contact,
        *,
        attempt_id: int,
        talk_down: TalkDownView,
    ) -> None:
        """Queue a talk-down callback inside the caller's transaction (then call ``wake``)."""
        current = self._store.get_alert(alert.alert_id)
        status = current.status if current else alert.status
        self._callback(
            conn, alert, event, status, contact, attempt_id=attempt_id, talk_down=talk_down
        )

    def wake(self) -> None:
        """Tell the outbox worker that callbacks were committed."""
        self._wake()

    def open(self, alert: Alert, photos: Sequence[bytes] = ()) -> None:
        """A new alert: its row, the ``calling`` or ``queued`` callback, the information e-mail."""
        with self._store.transaction() as conn:
            self._open(conn, alert, photos)
        self._wake()

    async def async_open(
        self, alert: Alert, photos: Sequence[bytes], then: Callable[[], None]
    ) -> bool:
        """``open``, committed with the other writes of this loop turn (one fsync for all).

        False, and nothing written, when an alert with this id was recorded meanwhile (the
        same alert sent twice at once). ``then`` runs once it is on disk (the call tree starts).
        """

        def write(conn: sqlite3.Connection) -> bool:
            if self._store.get_alert(alert.alert_id) is not None:
                return False
            self._open(conn, alert, photos)
            return True

        def opened(created: bool) -> None:
            if created:
                self._wake()
                then()

        return await self._store.group.run(write, opened)

    def _open(self, conn: sqlite3.Connection, alert: Alert, photos: Sequence[bytes]) -> None:
        Store.insert_alert(conn, alert)
        self._callback(conn, alert, CallbackEvent.ALERT_STATUS, alert.status, reason=alert.reason)
        info = mailer.info_email(alert_facts(alert), informing=alert.informing)
        self._email(conn, alert, info, photos)

    def set_status(self, alert: Alert, status: AlertStatus, reason: Reason | None = None) -> bool:
        """Queued with ``reason``, or calling again; its callback. False if nothing changed."""
        with self._store.transaction() as conn:
            changed = Store.set_active_status(conn, alert.alert_id, status, reason)
            if changed:
                self._callback(conn, alert, CallbackEvent.ALERT_STATUS, status, reason=reason)
        if changed:
            self._wake()
            _LOGGER.info("alert %s: %s (%s)", alert.alert_id, status, reason or "calls go through")
        return changed

    def wrong_code(self, alert: Alert, contact: Contact, attempt_id: int) -> int:
        """A wrong code on the phone: counted for the contact, told to Home Assistant.

        Returns the contact's wrong codes of the last 24 hours, this one included.
        """
        with self._store.transaction() as conn:
            count = Store.add_wrong_code(conn, alert.site_id, contact.id, self._wall())
            current = self._store.get_alert(alert.alert_id)
            self._callback(
                conn,
                alert,
                CallbackEvent.CODE_REJECTED,
                current.status if current else alert.status,
                contact,
                attempt_id=attempt_id,
                wrong_codes=count,
            )
        self._wake()
        return count

    def wrong_codes(self, alert: Alert, contact: Contact) -> int:
        """The contact's wrong codes of the last 24 hours, across calls and alerts."""
        return Store.wrong_codes(self._store.conn, alert.site_id, contact.id, self._wall())

    def cancel(self, alert: Alert, by: str | None) -> bool:
        """Cancel an active alert (disarmed at home); False if it had already finished."""
        at = self._now()
        with self._store.transaction() as conn:
            done = Store.finish_alert(
                conn, alert.alert_id, AlertStatus.CANCELLED, at=at, cancelled_by=by
            )
            if done:
                self._callback(
                    conn, alert, CallbackEvent.ALERT_STATUS, AlertStatus.CANCELLED, cancelled_by=by
                )
                facts = alert_facts(alert)
                self._email(conn, alert, mailer.cancelled_email(facts, by, _dt(at)))
        self._wake()
        if done:
            self._metrics.alerts.inc(AlertStatus.CANCELLED)
        return done

    def finish(
        self,
        alert: Alert,
        status: AlertStatus,
        contact: Contact | None = None,
        attempt_id: int | None = None,
        *,
        reason: Reason | None = None,
    ) -> bool:
        """Move the alert to a final status with its callback and e-mail; False if too late.

        ``contact`` and ``attempt_id`` name who acknowledged or escalated, and on which call;
        that attempt records the matching outcome at once (its call may go on, bridged).
        """
        at = self._now()
        with self._store.transaction() as conn:
            if not Store.finish_alert(
                conn, alert.alert_id, status, at=at, contact=contact, reason=reason
            ):
                return False
            outcome = outcome_for_status(status)
            if attempt_id is not None and outcome is not None:
                Store.set_outcome(conn, attempt_id, outcome)
            self._callback(
                conn,
                alert,
                CallbackEvent.ALERT_STATUS,
                status,
                contact,
                attempt_id=attempt_id,
                reason=reason,
            )
            facts = alert_facts(alert)
            if status is AlertStatus.EXHAUSTED and not alert.informing:
                # An alert that informs is the station's: its contacts were told so at once.
                self._email(conn, alert, mailer.exhausted_email(facts))
            elif status is AlertStatus.EXPIRED:
                self._email(conn, alert, mailer.expired_email(facts))
            elif contact is not None and status is AlertStatus.ACKNOWLEDGED:
                self._email(conn, alert, mailer.ack_email(facts, contact.name, _dt(at)))
            elif contact is not None and status is AlertStatus.ESCALATED:
                self._email(conn, alert, mailer.escalated_email(facts, contact.name, _dt(at)))
        self._wake()
        self._metrics.alerts.inc(status)
        if status is AlertStatus.ACKNOWLEDGED:
            seconds = (_dt(at) - _dt(alert.created_at)).total_seconds()
            self._metrics.acknowledge.observe(seconds)
        _LOGGER.info("alert %s: %s", alert.alert_id, status)
        return True

    def start_attempt(self, alert: Alert, contact: Contact, channel_id: str) -> int:
        """A call about to be dialled at the alert's cursor; returns the attempt's id."""
        with self._store.transaction() as conn:
            attempt_id = self._start_attempt(conn, alert, contact, channel_id)
        self._wake()
        return attempt_id

    async def async_start_attempt(self, alert: Alert, contact: Contact, channel_id: str) -> int:
        """``start_attempt``, committed with the other writes of this loop turn."""
        return await self._store.group.run(
            lambda conn: self._start_attempt(conn, alert, contact, channel_id),
            lambda _attempt_id: self._wake(),
        )

    def _start_attempt(
        self, conn: sqlite3.Connection, alert: Alert, contact: Contact, channel_id: str
    ) -> int:
        attempt_id = Store.insert_attempt(conn, alert, contact, channel_id, self._now())
        self._callback(
            conn, alert, CallbackEvent.ATTEMPT_STARTED, alert.status, contact, attempt_id=attempt_id
        )
        return attempt_id

    def answered(self, attempt_id: int) -> None:
        """The contact picked up (no callback: the next one is the attempt's end)."""
        with self._store.transaction() as conn:
            Store.answer_attempt(conn, attempt_id, self._now())

    async def async_end_attempt(
        self,
        alert: Alert,
        contact: Contact,
        attempt_id: int,
        result: CallResult,
        *,
        spent: bool = True,
    ) -> None:
        """The call is over: its outcome, the cursor moved on, the ``attempt_ended`` callback.

        ``spent`` False (the network failed, see outage.py): the cursor skips within the round.
        Committed with the other writes of this loop turn: under an avalanche the busy first
        contacts' calls all end within a few milliseconds, and one synced commit each held up the
        next calls of every other site.
        """
        await self._store.group.run(
            lambda conn: self._end_attempt(conn, alert, contact, attempt_id, result, spent=spent),
            lambda _: self._ended(alert, attempt_id, result),
        )

    def _end_attempt(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        contact: Contact,
        attempt_id: int,
        result: CallResult,
        *,
        spent: bool,
    ) -> None:
        Store.end_attempt(
            conn, attempt_id, at=self._now(), outcome=result.outcome, cause=result.cause
        )
        Store.advance(conn, alert.alert_id, len(alert.plan.contacts), spent=spent)
        current = self._store.get_alert(alert.alert_id)
        status = current.status if current else alert.status
        self._callback(
            conn, alert, CallbackEvent.ATTEMPT_ENDED, status, contact, attempt_id=attempt_id
        )

    def _ended(self, alert: Alert, attempt_id: int, result: CallResult) -> None:
        self._wake()
        recorded = self._store.attempt(attempt_id).outcome
        self._metrics.calls.inc(recorded or result.outcome)
        _LOGGER.info("alert %s: attempt %d ended: %s", alert.alert_id, attempt_id, result.outcome)

    def close_stale(self, attempts: Sequence[Attempt]) -> None:
        """At start-up: end the attempts a dead process left open, each alert past that contact."""
        at = self._now()
        with self._store.transaction() as conn:
            for attempt in attempts:
                alert = self._store.get_alert(attempt.alert_id)
                assert alert is not None
                Store.end_attempt(conn, attempt.id, at=at, outcome=Outcome.UNREACHABLE, cause=None)
                if alert.active:
                    Store.advance(conn, alert.alert_id, len(alert.plan.contacts))
                self._callback(
                    conn,
                    alert,
                    CallbackEvent.ATTEMPT_ENDED,
                    alert.status,
                    attempt,
                    attempt_id=attempt.id,
                )
        self._wake()

    def _callback(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        event: CallbackEvent,
        status: AlertStatus,
        contact: Contact | Attempt | None = None,
        *,
        attempt_id: int | None = None,
        cancelled_by: str | None = None,
        reason: Reason | None = None,
        wrong_codes: int | None = None,
        talk_down: TalkDownView | None = None,
    ) -> None:
        """Queue a callback to the site's current URL and secret; none if the site has none."""
        site = self._store.get_site(alert.site_id)
        if site is None or not site.callback_url or not site.callback_secret:
            return
        callback = Callback(
            event=event,
            site_id=alert.site_id,
            alert_id=alert.alert_id,
            status=status,
            contact=_who(contact) if contact else None,
            at=self._now(),
            attempt=self._store.attempt(attempt_id).public() if attempt_id else None,
            cancelled_by=cancelled_by,
            reason=reason,
            wrong_codes=wrong_codes,
            talk_down=talk_down,
        )
        # ``cancelled_by`` (maybe null) only in the cancellation callback, as the contract says;
        # ``reason`` and ``wrong_codes`` only where they are set.
        exclude = {
            name
            for name, absent in (
                ("cancelled_by", status is not AlertStatus.CANCELLED),
                ("reason", reason is None),
                ("wrong_codes", wrong_codes is None),
                ("since", True),  # home_back callbacks only (home_watch.py)
                ("talk_down", talk_down is None),  # talk-down callbacks only (talk_downs.py)
            )
            if absent
        }
        outbox.enqueue_callback(
            conn,
            site_id=alert.site_id,
            url=site.callback_url,
            secret=site.callback_secret,
            payload=callback.model_dump(mode="json", exclude=exclude or None),
        )

    def _email(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        text: tuple[str, str],
        photos: Sequence[bytes] = (),
    ) -> None:
        """Queue one e-mail to every contact of the alert that has an address."""
        recipients = [c.email for c in alert.plan.contacts if c.email]
        if recipients:
            subject, body = text
            outbox.enqueue_email(
                conn,
                site_id=alert.site_id,
                alert_id=alert.alert_id,
                to=recipients,
                subject=subject,
                body=body,
                photos=photos,
            )


def _who(person: Contact | Attempt) -> PersonRef:
    """A contact as callbacks name it (from the plan or from an attempt row)."""
    if isinstance(person, Attempt):
        return PersonRef(id=person.contact_id, name=person.contact_name)
    return PersonRef(id=person.id, name=person.name)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def alert_facts(alert: Alert) -> mailer.AlertFacts:
    """What the e-mails say about an alert."""
    return mailer.AlertFacts(
        site_name=alert.plan.name,
        language=alert.plan.language,
        kind=alert.kind,
        detector=alert.detector,
        zone=alert.zone,
        occurred_at=_dt(alert.occurred_at),
    )
