"""The INFO Alertes runner: one asyncio task per active alert, resumed after a crash.

What to do next is decided by the pure ``calltree.next_step`` from the alert as SQLite has it;
each call is a ``CallSession`` (keypad dialogue in keypad.py, SOS bridge in sos_bridge.py); each
status change is one ``AlertLedger`` transaction with its callbacks and e-mails. Every step is
committed before it is acted on (an attempt row before the INVITE, the cursor with the attempt's
end), so a restarted server picks up with the next contact and never calls anyone again for an
alert that is already finished.

Things that are not Asterisk events but must interrupt a call (a cancellation from the API, the
ARI WebSocket dropping) are put in the call's subscription queue as synthetic events, so a call
waits at exactly one place at a time.

When calls cannot be made the alert says so rather than failing silently: while Asterisk is away
it is ``queued`` (``asterisk_unavailable``) — from its creation, or once a grace of a few seconds
after start-up has passed —, while the trunk fails it is ``queued`` (``trunk_unavailable``, see
outage.py: such failures spend neither the contact nor the round, and back off), and it is
``calling`` again, with its callback, as soon as calls go through. An alert older than
``max_alert_age`` (from its creation on this server) stops as ``expired`` (``too_old``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import time
from typing import TYPE_CHECKING, Any
import uuid

from custom_components.imaprotect.contract.codes import verify_code
from custom_components.imaprotect.contract.enums import (
    Acknowledgement,
    AlertKind,
    AlertStatus,
    Outcome,
    Reason,
)
from voice_server.call_media import cancelled_event, hangup_channel
from voice_server.call_session import CallSession, CallTools
from voice_server.callees import callees
from voice_server.calltree import (
    CallContact,
    CallResult,
    Finish,
    Stop,
    next_step,
    outcome_for_cause,
)
from voice_server.ledger import AlertLedger
from voice_server.outage import Outage, Retry, Spent
from voice_server.store import Alert, Contact, Store, now_iso

if TYPE_CHECKING:
    from voice_server.ari import Subscription
    from voice_server.ari_port import AriPort, PromptSource
    from voice_server.config import CallSettings
    from voice_server.metrics import Metrics
    from voice_server.phones import Dialer

__all__ = ["AlertConflictError", "AlertRequest", "Campaigns", "outcome_for_cause", "verify_code"]

_LOGGER = logging.getLogger(__name__)
_RETRY_AFTER_CRASH = 1.0  # seconds before the next contact when an attempt raised
_RECONNECT_POLL = 0.1  # the WebSocket just dropped: the health watcher clears ready soon
_READY_GRACE = 5.0  # a resumed alert waits this long for Asterisk before it says it is queued


class AlertConflictError(Exception):
    """The alert id is already used by another site."""


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """A validated alert POST."""

    alert_id: str
    kind: str
    detector: str | None
    zone: str | None
    occurred_at: datetime
    photos: tuple[bytes, ...] = ()
    acknowledgement: Acknowledgement = Acknowledgement.REQUIRED
    skip_contacts: tuple[str, ...] = ()
    note: str | None = None


class Campaigns:
    """Runs the call trees; the API creates and cancels alerts through it."""

    def __init__(
        self,
        store: Store,
        ari: AriPort,
        *,
        prompts: PromptSource,
        dialer: Dialer,
        settings: CallSettings,
        metrics: Metrics,
        ready: asyncio.Event,
        wake_outbox: Callable[[], None],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._ari = ari
        self._settings = settings
        self._ready = ready
        self._sleep = sleep  # the back-off's waits (a test records them)
        self._ledger = AlertLedger(store, metrics, wake_outbox)
        self._tools = CallTools(
            ari,
            prompts=prompts,
            dialer=dialer,
            settings=settings,
            metrics=metrics,
            ledger=self._ledger,
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._calls: dict[str, Subscription] = {}
        self._received: dict[str, float] = {}

    @property
    def running(self) -> int:
        """Call trees in progress (for /metrics)."""
        return len(self._tasks)

    @property
    def calls_waiting(self) -> int:
        """Contacts' calls waiting at the originate gate (for /metrics)."""
        return self._tools.originates.waiting

    # --- API side ---------------------------------------------------------------------------

    def create(self, site_id: str, request: AlertRequest) -> tuple[Alert, bool]:
        """Record a new alert and start calling; (alert, created). Repeats change nothing."""
        received = time.monotonic()
        alert, new = self._new_alert(site_id, request)
        if new:
            self._ledger.open(alert, request.photos)
            self._launch(alert.alert_id, received)
        return alert, new

    async def async_create(self, site_id: str, request: AlertRequest) -> tuple[Alert, bool]:
        """``create`` for the API: the alert shares its fsync with the others of this loop turn.

        It returns once the alert is on disk (the 201 promises that); its calls start then even
        if the client is gone meanwhile.
        """
        received = time.monotonic()
        alert, new = self._new_alert(site_id, request)
        if not new:
            return alert, False
        if await self._ledger.async_open(
            alert, request.photos, lambda: self._launch(alert.alert_id, received)
        ):
            return alert, True
        return self._new_alert(site_id, request)  # the same alert, recorded meanwhile

    def _launch(self, alert_id: str, received: float) -> None:
        self._received[alert_id] = received
        self._start(alert_id)

    def _new_alert(self, site_id: str, request: AlertRequest) -> tuple[Alert, bool]:
        """The alert this request makes, or the one already recorded under its id (False)."""
        existing = self._store.get_alert(request.alert_id)
        if existing is not None:
            if existing.site_id != site_id:
                raise AlertConflictError(request.alert_id)
            return existing, False
        site = self._store.get_site(site_id)
        if site is None:
            raise LookupError(site_id)
        kind = AlertKind(request.kind)
        alert = Alert(
            alert_id=request.alert_id,
            site_id=site_id,
            kind=kind,
            detector=request.detector,
            zone=request.zone,
            occurred_at=request.occurred_at.isoformat(),
            plan=callees(site.without_callback(), kind, request.skip_contacts),
            status=AlertStatus.CALLING if self._ready.is_set() else AlertStatus.QUEUED,
            created_at=now_iso(),
            next_round=1,
            next_position=0,
            acknowledged_by_id=None,
            acknowledged_by_name=None,
            acknowledged_at=None,
            cancelled_by=None,
            finished_at=None,
            reason=None if self._ready.is_set() else Reason.ASTERISK_UNAVAILABLE,
            acknowledgement=(
                Acknowledgement.NONE if kind is AlertKind.AGENT_REQUEST else request.acknowledgement
            ),
            note=request.note,
        )
        return alert, True

    def cancel(self, alert_id: str, by: str | None) -> Alert | None:
        """Stop an alert's calls; a call in progress is told who stopped it. None if unknown."""
        alert = self._store.get_alert(alert_id)
        if alert is None or not alert.active:
            return alert
        self._ledger.cancel(alert, by)
        self.interrupt(alert_id, by)
        return self._store.get_alert(alert_id)

    def interrupt(self, alert_id: str, by: str | None = None) -> None:
        """The alert was stopped (its status already written): a call in progress is told so."""
        if (events := self._calls.get(alert_id)) is not None:
            events.queue.put_nowait(cancelled_event(by))
        self._received.pop(alert_id, None)

    def resume(self) -> None:
        """At start-up: close the attempts a dead process left open, go on with every alert."""
        stale = self._store.open_attempts()
        self._ledger.close_stale(stale)
        if stale:
            _LOGGER.warning("closed %d call attempts left open by a previous run", len(stale))
            channels = [a.channel_id for a in stale]
            self._start_task("hangup-stale", self._hangup_stale(channels))
        if talk_downs := self._tools.talk_downs.close_stale():
            _LOGGER.warning("closed %d talk-downs left open by a previous run", talk_downs)
        for alert_id in self._store.active_alert_ids():
            _LOGGER.info("alert %s: resuming its call tree", alert_id)
            self._start(alert_id)

    async def stop(self) -> None:
        """Stop every call tree (server shutdown); unfinished ones resume at the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- tasks ------------------------------------------------------------------------------

    def _start(self, alert_id: str) -> None:
        if alert_id not in self._tasks:
            self._start_task(alert_id, self._run(alert_id))

    def _start_task(self, key: str, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=f"campaign-{key}")
        self._tasks[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._tasks.get(key) is finished:
                del self._tasks[key]
            if not finished.cancelled() and (err := finished.exception()) is not None:
                _LOGGER.error("task %s crashed", key, exc_info=err)

        task.add_done_callback(done)

    async def _hangup_stale(self, channels: Sequence[str]) -> None:
        """Hang up the channels a dead process left in Stasis (they sit there silent)."""
        await self._ready.wait()
        for channel_id in channels:
            await hangup_channel(self._ari, channel_id)

    def _age(self, alert: Alert) -> float:
        """Seconds since this server accepted the alert (wall clock: it survives restarts)."""
        created = datetime.fromisoformat(alert.created_at)
        return (datetime.now(UTC) - created).total_seconds()

    async def _run(self, alert_id: str) -> None:
        """Walk the alert's call tree until it reaches a final status."""
        outage = Outage()
        settings = self._settings
        grace = _READY_GRACE  # only as the task starts: Asterisk may be connecting still
        while True:
            alert = self._store.get_alert(alert_id)
            if alert is None:
                return
            contacts = alert.plan.contacts
            age = self._age(alert)
            step = next_step(
                alert.status,
                alert.cursor,
                contacts=len(contacts),
                rounds=settings.rounds,
                age=age,
                max_age=settings.max_alert_age,
                informed=self._store.informed(self._store.conn, alert_id)
                if alert.informing
                else None,
            )
            left = settings.max_alert_age - age
            match step:
                case Stop():
                    return
                case Finish(status=status, reason=reason):
                    self._ledger.finish(alert, status, reason=reason)
                    return
                case CallContact(cursor=cursor):
                    if not self._ready.is_set():
                        await self._wait_for_asterisk(alert, left, grace)
                        continue
                    grace = 0.0
                    if not self._ari.connected:
                        await asyncio.sleep(_RECONNECT_POLL)
                        continue
                    if alert.reason is Reason.ASTERISK_UNAVAILABLE:
                        self._ledger.set_status(alert, AlertStatus.CALLING)
                    try:
                        verdict = await self._attempt(alert, contacts[cursor.position], outage)
                    except Exception:
                        # A bug or an unexpected ARI answer must not stop the calls: next contact.
                        _LOGGER.exception("alert %s: call attempt failed", alert_id)
                        await asyncio.sleep(_RETRY_AFTER_CRASH)
                        continue
                    if isinstance(verdict, Retry):
                        if verdict.queue and self._ready.is_set():
                            self._ledger.set_status(
                                alert, AlertStatus.QUEUED, Reason.TRUNK_UNAVAILABLE
                            )
                        await self._sleep(max(min(verdict.delay, left), 0.0))
                    elif alert.reason is Reason.TRUNK_UNAVAILABLE:
                        self._ledger.set_status(alert, AlertStatus.CALLING)

    async def _wait_for_asterisk(self, alert: Alert, left: float, grace: float) -> None:
        """Asterisk is away: after ``grace``, say the alert is queued; wait until it is back.

        The grace spares a resumed alert a queued-then-calling flicker at every start, while ARI
        connects; the wait ends at the alert's maximum age, when it expires.
        """
        grace = max(min(grace, left), 0.0)
        if grace:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._ready.wait()
                    return
        if self._ledger.set_status(alert, AlertStatus.QUEUED, Reason.ASTERISK_UNAVAILABLE):
            _LOGGER.info("alert %s: waiting for Asterisk", alert.alert_id)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(left - grace, 0.0)):
                await self._ready.wait()

    async def _attempt(self, alert: Alert, contact: Contact, outage: Outage) -> Spent | Retry:
        """One call, recorded before it is dialled and after it ended; how it counts."""
        channel_id = f"imaprotect-{uuid.uuid4().hex}"
        with self._ari.subscribe(channel_id) as events:
            attempt_id = await self._ledger.async_start_attempt(alert, contact, channel_id)
            session = CallSession(
                self._tools,
                alert=alert,
                contact=contact,
                attempt_id=attempt_id,
                channel_id=channel_id,
                events=events,
                received=self._received.pop(alert.alert_id, None),
            )
            self._calls[alert.alert_id] = events
            try:
                result = await session.run()
            except Exception:
                await self._ledger.async_end_attempt(
                    alert, contact, attempt_id, CallResult(Outcome.UNREACHABLE)
                )
                raise
            finally:
                self._calls.pop(alert.alert_id, None)
            verdict = outage.record(
                result, answered=session.answered, contacts=len(alert.plan.contacts)
            )
            spent = not isinstance(verdict, Retry)
            await self._ledger.async_end_attempt(alert, contact, attempt_id, result, spent=spent)
            return verdict
