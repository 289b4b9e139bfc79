"""One call attempt to one contact: dial, wait for the answer, run the keypad dialogue.

The session drives ARI through ``AriPort`` and does what the pure ``Keypad`` answers; the ledger
records the answer, the acknowledgement and the escalation as they happen. All the call's events
(Asterisk's, and the synthetic CANCELLED and CONNECTION_LOST) arrive in one subscription queue,
so the call waits at exactly one place at a time. Times for the keypad come from ``clock``
(the event loop's monotonic time unless a test injects another).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
import logging
import math
import time
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.codes import verify_code
from custom_components.imaprotect.contract.enums import (
    AlertKind,
    AlertStatus,
    Outcome,
)
from voice_server.ari import CHANNEL_GONE, CONNECTION_LOST, MAX_ORIGINATES, AriError
from voice_server.call_media import CANCELLED, ERRORS_AWAY, PROMPT_SECONDS, RING_SLACK, CallMedia
from voice_server.call_talk_down import CallTalkDown, prompt_text
from voice_server.calltree import CallResult, outcome_for_cause, outcome_on_watchdog
from voice_server.keypad import (
    Acknowledge,
    CheckCode,
    Collect,
    EndCall,
    GiveUp,
    Keypad,
    PlayPrompt,
    RepeatMessage,
    StartSos,
    StartTalkDown,
)
from voice_server.originate_gate import OriginateGate
from voice_server.prompts import alert_message, texts
from voice_server.sos_bridge import StationBridge
from voice_server.talk_downs import TalkDownLog

if TYPE_CHECKING:
    from collections.abc import Callable

    from voice_server.ari import AriEvent, Subscription
    from voice_server.ari_port import AriPort, PromptSource
    from voice_server.config import CallSettings
    from voice_server.keypad import KeypadAction
    from voice_server.ledger import AlertLedger
    from voice_server.metrics import Metrics
    from voice_server.phones import Dialer
    from voice_server.store import Alert, Contact

__all__ = ["CallSession", "CallTools", "prompt_text"]

_LOGGER = logging.getLogger(__name__)

_ORIGINATE_TRIES = 3
_ORIGINATE_RETRY_DELAY = 0.2
_CONFLICT = 409
_SHUTDOWN_GRACE = 0.5  # how long after a hang-up an Asterisk shutdown closes the WebSocket
_CANCEL_FOLLOWS = 1.0  # how long the cancellation event may trail a lost acknowledgement


class CallTools:
    """What every call of the server shares: ARI, prompts, dial strings, settings, records."""

    def __init__(
        self,
        ari: AriPort,
        *,
        prompts: PromptSource,
        dialer: Dialer,
        settings: CallSettings,
        metrics: Metrics,
        ledger: AlertLedger,
        check_code: Callable[[str, str], bool] = verify_code,
        talk_downs: TalkDownLog | None = None,
        originates: OriginateGate | None = None,
    ) -> None:
        self.ari = ari
        self.prompts = prompts
        self.dialer = dialer
        self.settings = settings
        self.metrics = metrics
        self.ledger = ledger
        #: The slow PBKDF2 check, run in a worker thread.
        self.check_code = check_code
        self.talk_downs = talk_downs or TalkDownLog(ledger)
        #: Which contact Asterisk dials next under an avalanche: alerts' first calls first.
        self.originates = originates or OriginateGate(MAX_ORIGINATES)


class CallSession:
    """One attempt; ``run`` returns how it ended, the channel hung up."""

    def __init__(
        self,
        tools: CallTools,
        *,
        alert: Alert,
        contact: Contact,
        attempt_id: int,
        channel_id: str,
        events: Subscription,
        received: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._tools = tools
        self._ari = tools.ari
        self._settings = tools.settings
        self.alert = alert
        self.contact = contact
        self.attempt_id = attempt_id
        self._received = received  # monotonic time the alert arrived, for its first call only
        self._clock = clock or asyncio.get_running_loop().time
        self._words = texts(alert.plan.language)
        self._answered = False
        self._destroyed = False  # Asterisk said the channel is gone: nothing left to hang up
        self._watchdog: asyncio.Timeout | None = None
        self._opening: tuple[str, ...] = ()  # the message and the code prompt, to say again
        self._talk = CallTalkDown(
            tools, alert=alert, contact=contact, attempt_id=attempt_id, words=self._words
        )
        self.media = CallMedia(
            tools.ari,
            tools.prompts,
            channel_id=channel_id,
            events=events,
            language=alert.plan.language,
            alert_id=alert.alert_id,
        )

    @property
    def answered(self) -> bool:
        """Whether the contact picked up (their call is then spent, whatever followed)."""
        return self._answered

    async def run(self) -> CallResult:
        """The whole attempt; the contact's channel is hung up whatever happens.

        Not when Asterisk already destroyed it (busy, no answer, refused): under an avalanche
        those hang-ups were a thousand requests for channels already gone.
        """
        try:
            result = await self._call()
        except asyncio.CancelledError:
            await asyncio.shield(self.media.hangup())
            raise
        except Exception:
            await self.media.hangup()
            raise
        if self._destroyed:
            return result
        if result.outcome is not Outcome.UNREACHABLE or self._ari.connected:
            await self.media.hangup()
        return result

    async def _originate(self) -> bool:
        """Dial the contact; False when Asterisk refused or is away.

        The request waits its turn at the gate: under an avalanche, the first call of an alert that
        has just arrived goes before the later calls of alerts already being called.

        A request dropped while the events connection stays up (Asterisk's HTTP server shedding
        sessions under load) is sent again: the imposed channel id makes a repeat answer 409 if the
        first one did get through, which then counts as dialled.
        """
        settings, alert_id = self._settings, self.alert.alert_id
        gate = self._tools.originates
        for attempt in range(_ORIGINATE_TRIES):
            try:
                async with gate.turn(first=self._received is not None):
                    await self._ari.originate(
                        self._tools.dialer.endpoint(self.contact.phone),
                        channel_id=self.media.channel_id,
                        app_args=("contact",),
                        caller_id=settings.caller_id,
                        dial_timeout=math.ceil(settings.ring_timeout),
                    )
            except AriError as err:
                if attempt > 0 and err.status == _CONFLICT:
                    return True
                _LOGGER.warning("alert %s: originate refused: HTTP %d", alert_id, err.status)
                return False
            except ERRORS_AWAY as err:
                _LOGGER.warning("alert %s: Asterisk away: %r", alert_id, type(err))
                if not self._ari.connected or attempt + 1 == _ORIGINATE_TRIES:
                    return False
                await asyncio.sleep(_ORIGINATE_RETRY_DELAY)
            else:
                return True
        return False  # pragma: no cover - the loop always returns

    async def _call(self) -> CallResult:
        settings, metrics = self._settings, self._tools.metrics
        if not await self._originate():
            return CallResult(Outcome.UNREACHABLE)
        dialled = time.monotonic()
        if self._received is not None:
            metrics.first_call.observe(dialled - self._received)
        # Synthesise the alert message while the phone rings, never before the INVITE, and in
        # the background: under an avalanche the other sites' calls and the prompts of contacts
        # already on the line come first. Once this contact answers, theirs does.
        text = self._message_text()
        message = asyncio.create_task(self.media.media(text, urgent=False))
        try:
            async with asyncio.timeout(settings.call_watchdog) as watchdog:
                self._watchdog = watchdog
                event = await self.media.events.wait_for(
                    "StasisStart",
                    "ChannelDestroyed",
                    CONNECTION_LOST,
                    CANCELLED,
                    within=settings.ring_timeout + RING_SLACK,
                )
                if event.type == "ChannelDestroyed":
                    self._destroyed = True
                    return CallResult(outcome_for_cause(event.cause), event.cause)
                if event.type == CONNECTION_LOST:
                    return CallResult(Outcome.UNREACHABLE)
                if event.type == CANCELLED:
                    return CallResult(Outcome.CANCELLED)
                metrics.answer.observe(time.monotonic() - dialled)
                self._tools.ledger.answered(self.attempt_id)
                self._answered = True
                if not message.done():  # someone is listening now: their message goes ahead
                    message.cancel()  # only this wait: the synthesis itself goes on
                    message = asyncio.create_task(self.media.media(text))
                if self.alert.informing:
                    return await self._inform(message)
                return await self._converse(message)
        except TimeoutError:
            # Ring timer or per-call watchdog: Asterisk should have ended the call by now.
            _LOGGER.warning("alert %s: call watchdog fired", self.alert.alert_id)
            return CallResult(outcome_on_watchdog(answered=self._answered))
        finally:
            message.cancel()

    def _message_text(self) -> str:
        alert = self.alert
        return alert_message(
            alert.plan.language,
            site_name=alert.plan.name,
            kind=alert.kind,
            detector=alert.detector,
            zone=alert.zone,
            occurred_at=datetime.fromisoformat(alert.occurred_at),
            note=alert.note,
        )

    async def _inform(self, message: asyncio.Task[str]) -> CallResult:
        """A call that needs no code: the message, said twice with its closing, then goodbye.

        Whoever answered was told (a voicemail too: the message is on it), so hanging up before
        the end still counts as ``informed``; nothing typed is listened to.
        """
        media, words = self.media, self._words
        agent = self.alert.kind is AlertKind.AGENT_REQUEST
        closing = await media.media(words.agent_closing if agent else words.informed)
        said = await message
        playback = await media.play(said, closing, said, closing)
        if playback is None:  # the line is already gone
            return CallResult(Outcome.INFORMED)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(4 * PROMPT_SECONDS):
                while True:
                    event = await media.events.get(within=4 * PROMPT_SECONDS)
                    if event.type == "PlaybackFinished" and event.playback_id == playback:
                        break
                    if event.type in CHANNEL_GONE and event.channel_id == media.channel_id:
                        break
                    if event.type == CONNECTION_LOST:
                        return CallResult(Outcome.UNREACHABLE)
                    if event.type == CANCELLED:
                        await media.say_cancelled(event)
                        return CallResult(Outcome.CANCELLED)
        return CallResult(Outcome.INFORMED)

    def _code_locked(self) -> bool:
        """Whether the contact made too many wrong codes today (any call, any alert)."""
        wrong = self._tools.ledger.wrong_codes(self.alert, self.contact)
        return wrong >= self._settings.code_lock_after

    async def _converse(self, message: asyncio.Task[str]) -> CallResult:
        """The answered call: message, code entry, SOS; returns the outcome."""
        media = self.media
        keypad = Keypad(
            can_sos=self.alert.plan.station is not None,
            digit_timeout=self._settings.digit_timeout,
            max_wrong_codes=self._settings.max_wrong_codes,
            code_pause=self._settings.code_pause,
            locked=self._code_locked(),
            can_talk_down=self.alert.plan.talk_down is not None,
        )
        opening = await media.media(self._talk.prompt_text(keypad, keypad.opening_prompt))
        self._opening = (await message, opening)
        await media.play(*self._opening)
        while True:
            left = keypad.time_left(self._clock())
            try:
                event = await media.events.get(
                    within=self._settings.call_watchdog if left is None else left
                )
            except TimeoutError:
                if left is None:
                    raise  # the watchdog's business
                action = keypad.silence(self._clock())
            else:
                match event.type:
                    case "PlaybackFinished" if event.playback_id == media.playback:
                        media.playback = None
                        action = keypad.prompt_finished(self._clock())
                    case "ChannelDtmfReceived":
                        now = self._clock()
                        await media.stop()
                        action = keypad.digit(event.digit or "", now)
                    case "StasisEnd" | "ChannelDestroyed" if event.channel_id == media.channel_id:
                        # Only this leg's end: the station leg's late events share the queue.
                        return await self._gone(event)
                    case _ if event.type == CONNECTION_LOST:
                        return CallResult(Outcome.UNREACHABLE)
                    case _ if event.type == CANCELLED:
                        await media.say_cancelled(event)
                        return CallResult(Outcome.CANCELLED)
                    case _:
                        continue
            if (result := await self._apply(keypad, action)) is not None:
                return result

    async def _apply(self, keypad: Keypad, action: KeypadAction) -> CallResult | None:
        """Do what the keypad dialogue asks; a result ends the call."""
        match action:
            case Collect():
                return None
            case CheckCode(code=code):
                if self._code_locked():  # locked meanwhile, by a call of another alert
                    return await self._apply(keypad, keypad.lock())
                check = self._tools.check_code
                right = await asyncio.to_thread(check, code, self.contact.ack_code_hash)
                if right:
                    return await self._apply(keypad, keypad.code_checked(right=True))
                wrong = self._tools.ledger.wrong_code(self.alert, self.contact, self.attempt_id)
                _LOGGER.info("alert %s: wrong code (%d today)", self.alert.alert_id, wrong)
                locked = wrong >= self._settings.code_lock_after
                return await self._apply(keypad, keypad.code_checked(right=False, locked=locked))
            case StartSos():
                if (result := await self._sos()) is not None:
                    return result
                return await self._apply(keypad, keypad.station_unreachable())
            case StartTalkDown():
                self._extend_watchdog()
                ended = await self._talk.run(self.media)
                if isinstance(ended, CallResult):
                    return ended
                return await self._apply(keypad, keypad.talk_down_over(ended))
            case PlayPrompt(prompt=prompt):
                await self.media.play_text(self._talk.prompt_text(keypad, prompt))
                return None
            case RepeatMessage():
                await self.media.play(*self._opening)
                return None
            case Acknowledge():
                return await self._acknowledged()
            case EndCall(prompt=prompt, outcome=outcome):
                await self.media.say(prompt_text(self._words, prompt))
                return CallResult(outcome)
            case GiveUp(outcome=outcome):
                return CallResult(outcome)

    async def _gone(self, event: AriEvent) -> CallResult:
        """The contact's line went away: they hung up, unless Asterisk is shutting down.

        Both look the same (StasisEnd, then ChannelDestroyed with cause 0); only a shutdown
        closes the events WebSocket right after, so wait a moment for that.
        """
        try:
            await self.media.events.wait_for(CONNECTION_LOST, within=_SHUTDOWN_GRACE)
        except TimeoutError:
            return CallResult(Outcome.HUNG_UP, event.cause)
        return CallResult(Outcome.UNREACHABLE)

    async def _acknowledged(self) -> CallResult:
        ledger = self._tools.ledger
        if not ledger.finish(self.alert, AlertStatus.ACKNOWLEDGED, self.contact, self.attempt_id):
            # Cancelled while the code was being checked: the cancellation event follows.
            with contextlib.suppress(TimeoutError):
                event = await self.media.events.wait_for(CANCELLED, within=_CANCEL_FOLLOWS)
                await self.media.say_cancelled(event)
            return CallResult(Outcome.CANCELLED)
        await self.media.say(self._words.acknowledged)
        return CallResult(Outcome.ACKNOWLEDGED)

    async def _sos(self) -> CallResult | None:
        """The SOS key: bridge to the station; None when the station cannot be reached."""
        station = self.alert.plan.station
        assert station is not None  # the keypad offers SOS only with a station
        bridge = StationBridge(
            self._ari,
            self.media,
            endpoint=self._tools.dialer.endpoint(station),
            settings=self._settings,
            alert_id=self.alert.alert_id,
            on_bridged=self._escalated,
            operator=self._talk.operator(self.media),
        )
        return await bridge.run()

    def _escalated(self) -> None:
        """Both legs are bridged: the alert is escalated, and the call may last the SOS limit."""
        self._tools.ledger.finish(self.alert, AlertStatus.ESCALATED, self.contact, self.attempt_id)
        self._extend_watchdog()

    def _extend_watchdog(self) -> None:
        """A bridge may last the SOS time limit: the per-call watchdog waits that long more."""
        if self._watchdog is not None:  # asyncio timeouts run on the loop's clock
            settings = self._settings
            more = settings.ring_timeout + settings.sos_max_duration + RING_SLACK
            self._watchdog.reschedule(asyncio.get_running_loop().time() + more)
