"""Home offline: the heartbeats of armed homes, and the alert when one goes silent.

``beat`` takes a heartbeat (``PUT /sites/{id}/heartbeat``) and ``run`` wakes at the earliest
deadline; what is silent is decided by the pure ``watchdog``, from the rows of ``heartbeats``.

A silent home becomes a ``home_offline`` alert through ``Campaigns.create``, like an alarm Home
Assistant raised: the information e-mail, then the call tree, contacts acknowledging with their
code. Its id is derived from the silence (``watchdog.silence_alert_id``) and ``create`` is
idempotent on it, so a crash between the alert and the watch's "reported" mark never calls twice.

A heartbeat that ends a reported silence writes, in its own transaction: the watch, the alert
stopped if it was still calling (``cancelled``, reason ``home_back``: the home answers again, and
phoning people about it would only alarm them), a ``home_back`` callback (Home Assistant, which
was not there to hear about the calls, tells its owner and its logbook) and the "it answers
again" e-mail to the site's contacts. Every heartbeat also lets the site's callbacks that are
waiting out a backoff go at once: their Home Assistant is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta, timezone
import logging
import math
import time
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import (
    AlertKind,
    AlertStatus,
    CallbackEvent,
    Reason,
)
from custom_components.imaprotect.contract.models import (
    Callback,
    HeartbeatAccepted,
    HeartbeatIn,
    PersonRef,
)
from voice_server import heartbeats, mailer, outbox, watchdog
from voice_server.campaign import AlertRequest
from voice_server.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable
    import sqlite3

    from custom_components.imaprotect.contract.models import Site
    from voice_server.campaign import Campaigns
    from voice_server.metrics import Metrics
    from voice_server.store import Alert

__all__ = ["HomeWatch"]

_LOGGER = logging.getLogger(__name__)

_MAX_SLEEP = 60.0  # look again at least this often (wall-clock steps, a missed wake-up)
_RETRY = 5.0  # a report that failed (a bug, a locked database) is tried again this much later


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")


def _local(at: float, utc_offset: int) -> datetime:
    """A server time on the home's clock (the offset its last heartbeat gave)."""
    return datetime.fromtimestamp(at, timezone(timedelta(seconds=utc_offset)))


class HomeWatch:
    """Takes the heartbeats and reports the homes that fall silent while armed."""

    def __init__(
        self,
        store: Store,
        campaigns: Campaigns,
        metrics: Metrics,
        wake_outbox: Callable[[], None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._campaigns = campaigns
        self._metrics = metrics
        self._wake_outbox = wake_outbox
        self._clock = clock
        #: Silences count from here at the earliest: the server heard nothing while it was down.
        self.since = clock()
        self._changed = asyncio.Event()
        self._wake_at = math.inf

    # --- heartbeats -------------------------------------------------------------------------

    def beat(self, site_id: str, body: HeartbeatIn) -> HeartbeatAccepted:
        """Record a heartbeat; LookupError for an unknown site (Home Assistant sends it again)."""
        site = self._store.get_site(site_id)
        if site is None:
            raise LookupError(site_id)
        now = self._clock()
        offset = body.at.utcoffset() or timedelta()
        beat = watchdog.Beat(
            armed=body.armed,
            interval=body.interval,
            grace=body.grace,
            at=now,
            utc_offset=int(offset.total_seconds()),
        )
        stopped: str | None = None
        with self._store.transaction() as conn:
            previous = heartbeats.get(conn, site_id)
            result = watchdog.heard(previous, site_id, beat)
            heartbeats.put(conn, result.watch)
            outbox.hurry_callbacks(conn, site_id=site_id)
            if (
                previous is not None
                and previous.reported
                and self._write_back(conn, site, previous, result.watch, now)
            ):
                stopped = previous.alert_id
        self._wake_outbox()
        if result.ended is not None:
            _LOGGER.info("site %s: heartbeats are back (alert %s)", site_id, result.ended)
        if stopped is not None:
            self._campaigns.interrupt(stopped)
            self._metrics.alerts.inc(AlertStatus.CANCELLED)
        offline_at = watchdog.deadline(result.watch, since=self.since)
        if offline_at is not None and offline_at < self._wake_at:
            self._changed.set()  # a deadline sooner than the watcher's next wake-up
        return HeartbeatAccepted(
            site_id=site_id,
            armed=body.armed,
            offline_at=_iso(offline_at) if offline_at is not None else None,
            ended_silence=result.ended,
        )

    def _write_back(
        self,
        conn: sqlite3.Connection,
        site: Site,
        silence: watchdog.Watch,
        watch: watchdog.Watch,
        now: float,
    ) -> bool:
        """The silence is over: stop its alert, call back, e-mail. True if calls were stopped."""
        assert silence.alert_id is not None
        site_id, at = silence.site_id, _iso(now)
        alert = self._store.get_alert(silence.alert_id)
        stopped = (
            alert is not None
            and alert.active
            and Store.finish_alert(
                conn, silence.alert_id, AlertStatus.CANCELLED, at=at, reason=Reason.HOME_BACK
            )
        )
        since = _local(silence.last_seen, silence.utc_offset)
        if site.callback_url and site.callback_secret:
            if stopped:
                self._callback(
                    conn,
                    site,
                    Callback(
                        event=CallbackEvent.ALERT_STATUS,
                        site_id=site_id,
                        alert_id=silence.alert_id,
                        status=AlertStatus.CANCELLED,
                        at=at,
                        reason=Reason.HOME_BACK,
                    ),
                    keep={"cancelled_by", "reason"},
                )
            status = AlertStatus.CANCELLED if stopped or alert is None else alert.status
            self._callback(
                conn,
                site,
                Callback(
                    event=CallbackEvent.HOME_BACK,
                    site_id=site_id,
                    alert_id=silence.alert_id,
                    status=status,
                    contact=_taken_by(alert),
                    at=at,
                    since=since.isoformat(),
                    reason=Reason.HOME_BACK if stopped else None,
                ),
                keep={"since", "reason"} if stopped else {"since"},
            )
        recipients = [c.email for c in site.contacts if c.email]
        if recipients:
            facts = mailer.AlertFacts(
                site_name=site.name,
                language=site.language,
                kind=AlertKind.HOME_OFFLINE,
                detector=None,
                zone=None,
                occurred_at=since,
            )
            subject, body = mailer.back_email(
                facts, _local(now, watch.utc_offset), armed=watch.armed, stopped=stopped
            )
            outbox.enqueue_email(
                conn,
                site_id=site_id,
                alert_id=silence.alert_id,
                to=recipients,
                subject=subject,
                body=body,
            )
        return stopped

    @staticmethod
    def _callback(
        conn: sqlite3.Connection, site: Site, callback: Callback, *, keep: set[str]
    ) -> None:
        """Queue a callback; optional fields absent unless kept (the ledger's convention)."""
        optional = {"cancelled_by", "reason", "wrong_codes", "since", "talk_down"}
        assert site.callback_url is not None
        assert site.callback_secret is not None
        outbox.enqueue_callback(
            conn,
            site_id=callback.site_id,
            url=site.callback_url,
            secret=site.callback_secret,
            payload=callback.model_dump(mode="json", exclude=optional - keep),
        )

    # --- the watcher ------------------------------------------------------------------------

    async def run(self) -> None:
        """Report silent homes as their deadlines pass; sleep until the next one."""
        while True:
            self._changed.clear()
            now = self._clock()
            failed = False
            for watch in watchdog.silent(
                heartbeats.watched(self._store.conn), now, since=self.since
            ):
                try:
                    failed |= not self._report(watch)
                except Exception:
                    _LOGGER.exception("site %s: the home offline alert failed", watch.site_id)
                    failed = True
            wake_at = watchdog.next_deadline(heartbeats.watched(self._store.conn), since=self.since)
            if failed:  # never spin on a report that keeps failing
                wake_at = now + _RETRY if wake_at is None else max(wake_at, now + _RETRY)
            self._wake_at = math.inf if wake_at is None else wake_at
            delay = min(max(self._wake_at - now, 0.0), _MAX_SLEEP)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._changed.wait()

    def _report(self, watch: watchdog.Watch) -> bool:
        """The home fell silent while armed: its ``home_offline`` alert, then the mark.

        False when the mark could not be written: the watcher tries again a little later (the
        same alert id, so nobody is called twice) rather than spin on a home still due.
        """
        alert_id = watchdog.silence_alert_id(watch)
        request = AlertRequest(
            alert_id=alert_id,
            kind=AlertKind.HOME_OFFLINE,
            detector=None,
            zone=None,
            occurred_at=_local(watch.last_seen, watch.utc_offset),
        )
        try:
            _, created = self._campaigns.create(watch.site_id, request)
        except LookupError:  # the site went (a deleted site loses its watch, but be sure)
            with self._store.transaction() as conn:
                heartbeats.forget(conn, watch.site_id)
            return True
        with self._store.transaction() as conn:
            marked = heartbeats.mark_reported(conn, watch, alert_id)
        silent_for = self._clock() - max(watch.last_seen, self.since)
        _LOGGER.warning(
            "site %s: no heartbeat for %.0f s while armed: home offline, alert %s%s",
            watch.site_id,
            silent_for,
            alert_id,
            "" if created else " (already raised before a restart)",
        )
        return marked


def _taken_by(alert: Alert | None) -> PersonRef | None:
    """Who acknowledged or escalated the silence's alert, if anybody did."""
    if alert is None or alert.acknowledged_by_id is None or alert.acknowledged_by_name is None:
        return None
    return PersonRef(id=alert.acknowledged_by_id, name=alert.acknowledged_by_name)
