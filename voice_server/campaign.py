"""The INFO Alertes call tree: phone the contacts in order until one types their code.

One asyncio task per active alert walks the contacts round after round. Every step is committed
to SQLite before it is acted on (an attempt row before the INVITE, the cursor with the attempt's
end), together with the callbacks and emails it causes, so a restarted server picks up with the
next contact and never calls anyone again for an alert that is already finished.

Home Assistant gets a signed callback (see outbox.py) for every change of an alert's status
(``event: "alert_status"``: calling at creation, then the final status, once) and for the start and
end of every call attempt (``attempt_started`` / ``attempt_ended``, with the callee as ``contact``).

Each call reads one ARI subscription queue. Things that are not Asterisk events but must interrupt
the call (a cancellation from the API, the ARI WebSocket dropping) are put in the same queue as
synthetic events, so a call waits at exactly one place at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
from datetime import datetime
import logging
import math
import time
from typing import TYPE_CHECKING, Any
import uuid

import aiohttp

from custom_components.imaprotect.contract.codes import verify_code
from voice_server import mailer, outbox
from voice_server.ari import CHANNEL_GONE, CONNECTION_LOST, AriError, AriEvent
from voice_server.prompts import alert_message, texts
from voice_server.store import Alert, Attempt, Contact, Store, now_iso

if TYPE_CHECKING:
    import sqlite3

    from voice_server.ari import AriClient, Subscription
    from voice_server.config import CallSettings
    from voice_server.metrics import Metrics
    from voice_server.phones import Dialer
    from voice_server.prompts import PromptCache

__all__ = ["AlertConflictError", "AlertRequest", "Campaigns", "outcome_for_cause"]

_LOGGER = logging.getLogger(__name__)

#: Synthetic event: the alert was cancelled; ``raw["by"]`` says by whom.
CANCELLED = "ImaprotectCancelled"
#: The ``event`` of the status callbacks.
ALERT_STATUS = "alert_status"
ATTEMPT_STARTED = "attempt_started"
ATTEMPT_ENDED = "attempt_ended"
_DIGITS = frozenset("0123456789*")
_MAX_DIGITS = 16
_PROMPT_SECONDS = 30.0  # longest wait for a confirmation prompt before hanging up anyway
_ERRORS_AWAY = (aiohttp.ClientError, OSError, TimeoutError)
_ORIGINATE_TRIES = 3
_ORIGINATE_RETRY_DELAY = 0.2
_CONFLICT = 409
_SHUTDOWN_GRACE = 0.5  # how long after a hang-up an Asterisk shutdown closes the WebSocket
_FALLBACK_PROMPT = "sound:agent-pass"  # Asterisk core sound, if espeak-ng ever fails


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


def outcome_for_cause(cause: int | None) -> str:
    """Outcome of a call that ended before being answered, from its Q.850 cause."""
    match cause:
        case 17:
            return "busy"
        case 21:
            return "rejected"
        case 16 | 18 | 19:
            return "no_answer"
        case _:
            return "unreachable"


@dataclass(slots=True)
class _Call:
    """One attempt in progress."""

    alert: Alert
    contact: Contact
    attempt_id: int
    channel_id: str
    events: Subscription
    watchdog: asyncio.Timeout | None = None
    playback: str | None = None  # what the contact hears now; a new prompt interrupts it


class Campaigns:
    """Runs the call trees; the API creates and cancels alerts through it."""

    def __init__(
        self,
        store: Store,
        ari: AriClient,
        *,
        prompts: PromptCache,
        dialer: Dialer,
        settings: CallSettings,
        metrics: Metrics,
        ready: asyncio.Event,
        wake_outbox: Callable[[], None],
    ) -> None:
        self._store = store
        self._ari = ari
        self._prompts = prompts
        self._dialer = dialer
        self._settings = settings
        self._metrics = metrics
        self._ready = ready
        self._wake = wake_outbox
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._calls: dict[str, Subscription] = {}
        self._received: dict[str, float] = {}

    @property
    def running(self) -> int:
        """Call trees in progress (for /metrics)."""
        return len(self._tasks)

    # --- API side ---------------------------------------------------------------------------

    def create(self, site_id: str, request: AlertRequest) -> tuple[Alert, bool]:
        """Record a new alert and start calling; (alert, created). Repeats change nothing."""
        received = time.monotonic()
        existing = self._store.get_alert(request.alert_id)
        if existing is not None:
            if existing.site_id != site_id:
                raise AlertConflictError(request.alert_id)
            return existing, False
        site = self._store.get_site(site_id)
        if site is None:
            raise LookupError(site_id)
        alert = Alert(
            alert_id=request.alert_id,
            site_id=site_id,
            kind=request.kind,
            detector=request.detector,
            zone=request.zone,
            occurred_at=request.occurred_at.isoformat(),
            plan=site.without_callback(),
            status="calling",
            created_at=now_iso(),
            next_round=1,
            next_position=0,
            acknowledged_by_id=None,
            acknowledged_by_name=None,
            acknowledged_at=None,
            cancelled_by=None,
            finished_at=None,
        )
        with self._store.transaction() as conn:
            Store.insert_alert(conn, alert)
            self._callback(conn, alert, ALERT_STATUS, "calling")
            self._email(conn, alert, mailer.info_email(_facts(alert)), request.photos)
        self._received[alert.alert_id] = received
        self._start(alert.alert_id)
        self._wake()
        return alert, True

    def cancel(self, alert_id: str, by: str | None) -> Alert | None:
        """Stop an alert's calls; a call in progress is told who stopped it. None if unknown."""
        alert = self._store.get_alert(alert_id)
        if alert is None or not alert.active:
            return alert
        at = now_iso()
        with self._store.transaction() as conn:
            if Store.finish_alert(conn, alert_id, "cancelled", at=at, cancelled_by=by):
                self._callback(conn, alert, ALERT_STATUS, "cancelled", cancelled_by=by)
                facts = _facts(alert)
                self._email(conn, alert, mailer.cancelled_email(facts, by, _dt(at)))
                self._metrics.alerts.inc("cancelled")
        self._wake()
        if (events := self._calls.get(alert_id)) is not None:
            events.queue.put_nowait(AriEvent(type=CANCELLED, raw={"by": by}))
        self._received.pop(alert_id, None)
        return self._store.get_alert(alert_id)

    def resume(self) -> None:
        """At start-up: close the attempts a dead process left open, go on with every alert."""
        stale = self._store.open_attempts()
        at = now_iso()
        with self._store.transaction() as conn:
            for attempt in stale:
                alert = self._store.get_alert(attempt.alert_id)
                assert alert is not None
                Store.end_attempt(conn, attempt.id, at=at, outcome="unreachable", cause=None)
                if alert.active:
                    Store.advance(conn, alert.alert_id, len(alert.plan.contacts))
                self._callback(
                    conn, alert, ATTEMPT_ENDED, alert.status, attempt, attempt_id=attempt.id
                )
        self._wake()
        if stale:
            _LOGGER.warning("closed %d call attempts left open by a previous run", len(stale))
            channels = [a.channel_id for a in stale]
            self._start_task("hangup-stale", self._hangup_stale(channels))
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
            await self._hangup(channel_id)

    async def _run(self, alert_id: str) -> None:
        while True:
            alert = self._store.get_alert(alert_id)
            if alert is None or not alert.active:
                return
            if alert.next_round > self._settings.rounds:
                self._finish(alert, "exhausted", None, None)
                return
            if not self._ready.is_set():
                _LOGGER.info("alert %s: waiting for Asterisk", alert_id)
                await self._ready.wait()
                continue
            if not self._ari.connected:
                await asyncio.sleep(0.1)  # just dropped: the health watcher clears ready soon
                continue
            try:
                await self._attempt(alert, alert.plan.contacts[alert.next_position])
            except Exception:
                # A bug or an unexpected ARI answer must not stop the calls: next contact.
                _LOGGER.exception("alert %s: call attempt failed", alert_id)
                await asyncio.sleep(1)

    # --- one attempt ------------------------------------------------------------------------

    async def _attempt(self, alert: Alert, contact: Contact) -> None:
        channel_id = f"imaprotect-{uuid.uuid4().hex}"
        with self._ari.subscribe(channel_id) as events:
            with self._store.transaction() as conn:
                attempt_id = Store.insert_attempt(conn, alert, contact, channel_id, now_iso())
                self._callback(
                    conn, alert, ATTEMPT_STARTED, alert.status, contact, attempt_id=attempt_id
                )
            self._wake()
            call = _Call(alert, contact, attempt_id, channel_id, events)
            self._calls[alert.alert_id] = events
            try:
                outcome, cause = await self._call(call)
            except asyncio.CancelledError:
                await asyncio.shield(self._hangup(channel_id))
                raise
            except Exception:
                await self._hangup(channel_id)
                self._end(call, "unreachable", None)
                raise
            finally:
                self._calls.pop(alert.alert_id, None)
            if outcome != "unreachable" or self._ari.connected:
                await self._hangup(channel_id)
            self._end(call, outcome, cause)

    def _end(self, call: _Call, outcome: str, cause: int | None) -> None:
        alert_id = call.alert.alert_id
        with self._store.transaction() as conn:
            Store.end_attempt(conn, call.attempt_id, at=now_iso(), outcome=outcome, cause=cause)
            Store.advance(conn, alert_id, len(call.alert.plan.contacts))
            current = self._store.get_alert(alert_id)
            status = current.status if current else call.alert.status
            self._callback(
                conn, call.alert, ATTEMPT_ENDED, status, call.contact, attempt_id=call.attempt_id
            )
        self._wake()
        self._metrics.calls.inc(self._store.attempt(call.attempt_id).outcome or outcome)
        _LOGGER.info("alert %s: attempt %d ended: %s", alert_id, call.attempt_id, outcome)

    async def _originate(self, call: _Call) -> bool:
        """Dial the contact; False when Asterisk refused or is away.

        A request dropped while the events connection stays up (Asterisk's HTTP server shedding
        sessions under load) is sent again: the imposed channel id makes a repeat answer 409 if the
        first one did get through, which then counts as dialled.
        """
        for attempt in range(_ORIGINATE_TRIES):
            try:
                await self._ari.originate(
                    self._dialer.endpoint(call.contact.phone),
                    channel_id=call.channel_id,
                    app_args=("contact",),
                    caller_id=self._settings.caller_id,
                    dial_timeout=math.ceil(self._settings.ring_timeout),
                )
            except AriError as err:
                if attempt > 0 and err.status == _CONFLICT:
                    return True
                _LOGGER.warning(
                    "alert %s: originate refused: HTTP %d", call.alert.alert_id, err.status
                )
                return False
            except _ERRORS_AWAY as err:
                _LOGGER.warning("alert %s: Asterisk away: %r", call.alert.alert_id, type(err))
                if not self._ari.connected or attempt + 1 == _ORIGINATE_TRIES:
                    return False
                await asyncio.sleep(_ORIGINATE_RETRY_DELAY)
            else:
                return True
        return False  # pragma: no cover - the loop always returns

    async def _call(self, call: _Call) -> tuple[str, int | None]:
        settings = self._settings
        received = self._received.pop(call.alert.alert_id, None)
        if not await self._originate(call):
            return "unreachable", None
        dialled = time.monotonic()
        if received is not None:
            self._metrics.first_call.observe(dialled - received)
        # Synthesise the alert message while the phone rings, never before the INVITE.
        message = asyncio.create_task(self._media(call, self._message_text(call.alert)))
        try:
            async with asyncio.timeout(settings.call_watchdog) as watchdog:
                call.watchdog = watchdog
                event = await call.events.wait_for(
                    "StasisStart",
                    "ChannelDestroyed",
                    CONNECTION_LOST,
                    CANCELLED,
                    within=settings.ring_timeout + 10,
                )
                if event.type == "ChannelDestroyed":
                    return outcome_for_cause(event.cause), event.cause
                if event.type == CONNECTION_LOST:
                    return "unreachable", None
                if event.type == CANCELLED:
                    return "cancelled", None
                self._metrics.answer.observe(time.monotonic() - dialled)
                with self._store.transaction() as conn:
                    Store.answer_attempt(conn, call.attempt_id, now_iso())
                return await self._converse(call, message)
        except TimeoutError:
            # Ring timer or per-call watchdog: Asterisk should have ended the call by now.
            answered = self._store.attempt(call.attempt_id).answered_at is not None
            _LOGGER.warning("alert %s: call watchdog fired", call.alert.alert_id)
            return ("answered" if answered else "no_answer"), None
        finally:
            message.cancel()

    def _message_text(self, alert: Alert) -> str:
        return alert_message(
            alert.plan.language,
            site_name=alert.plan.name,
            kind=alert.kind,
            detector=alert.detector,
            zone=alert.zone,
            occurred_at=_dt(alert.occurred_at),
        )

    async def _media(self, call: _Call, text: str) -> str:
        try:
            return await self._prompts.media(call.alert.plan.language, text)
        except OSError, RuntimeError, TimeoutError:
            _LOGGER.exception("alert %s: prompt synthesis failed", call.alert.alert_id)
            return _FALLBACK_PROMPT

    async def _play(self, call: _Call, *media: str) -> str | None:
        """Start a playlist instead of the current one; None when the channel is gone."""
        await self._stop_playback(call)
        try:
            call.playback = await self._ari.play(call.channel_id, media)
        except (AriError, *_ERRORS_AWAY):
            return None
        return call.playback

    async def _hangup(self, channel_id: str) -> None:
        try:
            await self._ari.hangup(channel_id)
        except (AriError, *_ERRORS_AWAY):
            _LOGGER.debug("hangup of %s failed", channel_id)

    async def _converse(self, call: _Call, message: asyncio.Task[str]) -> tuple[str, int | None]:
        """The answered call: message, code entry, SOS; returns the outcome."""
        settings = self._settings
        words = texts(call.alert.plan.language)
        can_sos = call.alert.plan.station is not None
        prompt = await self._media(call, words.enter_code_or_sos if can_sos else words.enter_code)
        await self._play(call, await message, prompt)
        digits, wrong = "", 0
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # silence timer, from the end of a prompt or last digit
        while True:
            within = settings.call_watchdog if deadline is None else deadline - loop.time()
            try:
                event = await call.events.get(within=max(within, 0.0))
            except TimeoutError:
                if deadline is None:
                    raise
                return "answered", None  # silence: a voicemail or nobody there
            match event.type:
                case "PlaybackFinished" if event.playback_id == call.playback:
                    call.playback = None
                    deadline = loop.time() + settings.digit_timeout
                case "ChannelDtmfReceived":
                    await self._stop_playback(call)
                    deadline = loop.time() + settings.digit_timeout
                    digit = event.digit or ""
                    if digit == "9" and not digits and can_sos:
                        result = await self._sos(call)
                        if result is not None:
                            return result
                        await self._play(call, await self._media(call, words.station_unreachable))
                        deadline = None
                    elif digit == "#" and digits:
                        code, digits = digits, ""
                        if await asyncio.to_thread(verify_code, code, call.contact.code_hash):
                            return await self._acknowledged(call)
                        wrong += 1
                        _LOGGER.info("alert %s: wrong code %d", call.alert.alert_id, wrong)
                        if wrong >= settings.max_wrong_codes:
                            await self._say(call, words.too_many)
                            return "wrong_code", None
                        await self._play(call, await self._media(call, words.wrong_code))
                        deadline = None
                    elif digit in _DIGITS and len(digits) < _MAX_DIGITS:
                        digits += digit
                case "StasisEnd" | "ChannelDestroyed":
                    return await self._gone(call, event)
                case _ if event.type == CONNECTION_LOST:
                    return "unreachable", None
                case _ if event.type == CANCELLED:
                    await self._say_cancelled(call, event)
                    return "cancelled", None

    async def _gone(self, call: _Call, event: AriEvent) -> tuple[str, int | None]:
        """The contact's line went away: they hung up, unless Asterisk is shutting down.

        Both look the same (StasisEnd, then ChannelDestroyed with cause 0); only a shutdown
        closes the events WebSocket right after, so wait a moment for that.
        """
        try:
            await call.events.wait_for(CONNECTION_LOST, within=_SHUTDOWN_GRACE)
        except TimeoutError:
            return "hung_up", event.cause
        return "unreachable", None

    async def _stop_playback(self, call: _Call) -> None:
        """Silence the current prompt (the contact typed, or something else must be said)."""
        playback, call.playback = call.playback, None
        if playback is None:
            return
        try:
            await self._ari.stop_playback(playback)
        except (AriError, *_ERRORS_AWAY):
            _LOGGER.debug("stopping playback failed")

    async def _say(self, call: _Call, text: str) -> None:
        """Play one sentence to the end (or until the line drops); the caller then hangs up."""
        playback = await self._play(call, await self._media(call, text))
        if playback is None:
            return
        try:
            async with asyncio.timeout(_PROMPT_SECONDS):
                while True:
                    event = await call.events.get(within=_PROMPT_SECONDS)
                    if event.type == "PlaybackFinished" and event.playback_id == playback:
                        return
                    if event.type in CHANNEL_GONE or event.type == CONNECTION_LOST:
                        return
        except TimeoutError:
            return

    async def _say_cancelled(self, call: _Call, event: AriEvent) -> None:
        words = texts(call.alert.plan.language)
        by = event.raw.get("by")
        await self._say(call, words.cancelled_by.format(by=by) if by else words.cancelled)

    async def _acknowledged(self, call: _Call) -> tuple[str, int | None]:
        if not self._finish(call.alert, "acknowledged", call.contact, call.attempt_id):
            # Cancelled while the code was being checked: the cancellation event follows.
            with contextlib.suppress(TimeoutError):
                await self._say_cancelled(call, await call.events.wait_for(CANCELLED, within=1.0))
            return "cancelled", None
        created = _dt(call.alert.created_at)
        self._metrics.acknowledge.observe((_dt(now_iso()) - created).total_seconds())
        await self._say(call, texts(call.alert.plan.language).acknowledged)
        return "acknowledged", None

    async def _sos(self, call: _Call) -> tuple[str, int | None] | None:
        """Bridge the caller to the station; None when the station cannot be reached."""
        station = call.alert.plan.station
        assert station is not None
        settings = self._settings
        station_id = f"imaprotect-{uuid.uuid4().hex}"
        bridge_id = f"imaprotect-bridge-{uuid.uuid4().hex}"
        self._ari.route(call.events, station_id, bridge_id)
        words = texts(call.alert.plan.language)
        await self._play(call, await self._media(call, words.connecting))
        _LOGGER.info("alert %s: SOS, calling the station", call.alert.alert_id)
        try:
            await self._ari.originate(
                self._dialer.endpoint(station),
                channel_id=station_id,
                app_args=("station",),
                caller_id=settings.caller_id,
                dial_timeout=math.ceil(settings.ring_timeout),
            )
        except (AriError, *_ERRORS_AWAY):
            _LOGGER.warning("alert %s: station originate failed", call.alert.alert_id)
            return None
        result: tuple[str, int | None] | None = None
        answered = False
        try:
            while result is None and not answered:
                event = await call.events.get(within=settings.ring_timeout + 10)
                if event.channel_id == station_id:
                    if event.type == "StasisStart":
                        answered = True
                    elif event.type == "ChannelDestroyed":
                        _LOGGER.warning(
                            "alert %s: station cause %s", call.alert.alert_id, event.cause
                        )
                        break
                elif event.type in CHANNEL_GONE:
                    result = ("hung_up", event.cause)
                elif event.type == CONNECTION_LOST:
                    result = ("unreachable", None)
                elif event.type == CANCELLED:
                    await self._say_cancelled(call, event)
                    result = ("cancelled", None)
        except TimeoutError:
            _LOGGER.warning("alert %s: station did not answer", call.alert.alert_id)
        finally:
            await self._stop_playback(call)
            if not answered:
                await self._hangup(station_id)
        if not answered:
            return result
        return await self._bridge(call, station_id, bridge_id)

    async def _bridge(self, call: _Call, station_id: str, bridge_id: str) -> tuple[str, int | None]:
        try:
            await self._ari.create_bridge(bridge_id, name="sos")
            await self._ari.add_to_bridge(bridge_id, call.channel_id)
            await self._ari.add_to_bridge(bridge_id, station_id)
            self._finish(call.alert, "escalated", call.contact, call.attempt_id)
            _LOGGER.info("alert %s: bridged to the station", call.alert.alert_id)
            if call.watchdog is not None:
                call.watchdog.reschedule(
                    asyncio.get_running_loop().time() + self._settings.sos_max_duration + 10
                )
            legs = {call.channel_id, station_id}
            with contextlib.suppress(TimeoutError):  # the SOS time limit: hang up both legs
                async with asyncio.timeout(self._settings.sos_max_duration):
                    while True:
                        event = await call.events.get(within=self._settings.sos_max_duration)
                        if event.type == CONNECTION_LOST:
                            break
                        if event.channel_id in legs and event.type in {
                            "ChannelLeftBridge",
                            *CHANNEL_GONE,
                        }:
                            break
        finally:
            await self._hangup(station_id)
            try:
                await self._ari.destroy_bridge(bridge_id)
            except (AriError, *_ERRORS_AWAY):
                _LOGGER.debug("bridge cleanup failed")
        return "sos", None

    # --- status changes ---------------------------------------------------------------------

    def _finish(
        self, alert: Alert, status: str, contact: Contact | None, attempt_id: int | None
    ) -> bool:
        """Move the alert to a final status with its callback and email; False if too late."""
        at = now_iso()
        with self._store.transaction() as conn:
            if not Store.finish_alert(conn, alert.alert_id, status, at=at, contact=contact):
                return False
            if attempt_id is not None:
                Store.set_outcome(conn, attempt_id, "sos" if status == "escalated" else status)
            self._callback(conn, alert, ALERT_STATUS, status, contact, attempt_id=attempt_id)
            facts = _facts(alert)
            if status == "exhausted":
                self._email(conn, alert, mailer.exhausted_email(facts))
            elif contact is not None and status == "acknowledged":
                self._email(conn, alert, mailer.ack_email(facts, contact.name, _dt(at)))
            elif contact is not None and status == "escalated":
                self._email(conn, alert, mailer.escalated_email(facts, contact.name, _dt(at)))
        self._wake()
        self._metrics.alerts.inc(status)
        _LOGGER.info("alert %s: %s", alert.alert_id, status)
        return True

    def _callback(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        event: str,
        status: str,
        contact: Contact | Attempt | None = None,
        *,
        attempt_id: int | None = None,
        **extra: str | None,
    ) -> None:
        """Queue a callback to the site's *current* URL and secret (HA may have changed them).

        ``event`` is ALERT_STATUS for a change of ``status`` (then ``contact`` is who
        acknowledged or escalated), or ATTEMPT_STARTED / ATTEMPT_ENDED with the callee as
        ``contact``; ``status`` is always the alert's status at that moment.
        """
        site = self._store.get_site(alert.site_id)
        if site is None or not site.callback_url or not site.callback_secret:
            return
        payload: dict[str, Any] = {
            "event": event,
            "site_id": alert.site_id,
            "alert_id": alert.alert_id,
            "status": status,
            "contact": _who(contact) if contact else None,
            "at": now_iso(),
            "attempt": self._store.attempt(attempt_id).public() if attempt_id else None,
            **extra,
        }
        outbox.enqueue_callback(
            conn,
            site_id=alert.site_id,
            url=site.callback_url,
            secret=site.callback_secret,
            payload=payload,
        )

    def _email(
        self,
        conn: sqlite3.Connection,
        alert: Alert,
        text: tuple[str, str],
        photos: Sequence[bytes] = (),
    ) -> None:
        """Queue one email to every contact of the alert that has an address."""
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


def _who(person: Contact | Attempt) -> dict[str, str]:
    """A contact as callbacks name it (from the plan or from an attempt row)."""
    if isinstance(person, Attempt):
        return {"id": person.contact_id, "name": person.contact_name}
    return {"id": person.id, "name": person.name}


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _facts(alert: Alert) -> mailer.AlertFacts:
    return mailer.AlertFacts(
        site_name=alert.plan.name,
        language=alert.plan.language,
        kind=alert.kind,
        detector=alert.detector,
        zone=alert.zone,
        occurred_at=_dt(alert.occurred_at),
    )
