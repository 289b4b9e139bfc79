"""The station operator's talk-down on an SOS bridge: ``*`` listens in the home, ``1`` speaks.

When the contact pressed 9 and the station answered, the operator may want to hear the home.
``*`` (from the station's leg) dials the home's speaker with the auto-answer headers; once it
answers, a snoop channel that only hears the speaker joins the SOS bridge, so the operator (and the
contact) hear the home while the home hears nobody. ``1`` puts the speaker itself in the bridge:
two-way. ``#`` or ``*`` hangs the speaker up; so does the end of the SOS bridge. The speaker
hanging up ends it too. Events arrive in the call's one subscription; ``handle`` takes those that
are its own and tells the bridge loop so.
"""

from __future__ import annotations

from enum import Enum, auto
import logging
from typing import TYPE_CHECKING
import uuid

from custom_components.imaprotect.contract.enums import TalkDownMode
from voice_server.ari import CHANNEL_GONE, AriError
from voice_server.call_media import ERRORS_AWAY, hangup_channel
from voice_server.talk_downs import TalkDownEnd

if TYPE_CHECKING:
    from voice_server.ari import AriEvent, Subscription
    from voice_server.home_speaker import HomeSpeaker

__all__ = ["OperatorTalkDown"]

_LOGGER = logging.getLogger(__name__)
_LISTEN = "*"
_SPEAK = "1"
_STOP = frozenset("#*")


class _State(Enum):
    IDLE = auto()
    RINGING = auto()  # the speaker is dialled
    SNOOPING = auto()  # it answered; the listening channel is on its way
    LISTENING = auto()
    SPEAKING = auto()


class OperatorTalkDown:
    """One SOS bridge's talk-down for the operator; ``attach`` it to the bridge first."""

    def __init__(
        self,
        speaker: HomeSpeaker,
        events: Subscription,
    ) -> None:
        self._speaker = speaker
        self._ari = speaker.ari
        self._events = events
        self._state = _State.IDLE
        self._bridge_id = ""
        self._station_id = ""
        self._speaker_id = ""
        self._snoop_id = ""
        self._talk_id: int | None = None

    def attach(self, bridge_id: str, station_id: str) -> None:
        """The SOS bridge and the station's leg, whose keys drive the talk-down."""
        self._bridge_id, self._station_id = bridge_id, station_id

    async def handle(self, event: AriEvent) -> bool:
        """Act on ``event`` if it is the talk-down's; whether it was."""
        channel = event.channel_id
        if event.type == "ChannelDtmfReceived" and channel == self._station_id:
            await self._key(event.digit or "")
            return True
        if self._state is _State.IDLE or channel not in {self._speaker_id, self._snoop_id}:
            return False
        if channel == self._speaker_id:
            if event.type in CHANNEL_GONE:
                await self.stop(TalkDownEnd.SPEAKER_GONE)
            elif event.type == "StasisStart" and self._state is _State.RINGING:
                await self._snoop()
        elif event.type == "StasisStart" and self._state is _State.SNOOPING:
            await self._listen()
        return True

    async def _key(self, digit: str) -> None:
        if self._state is _State.IDLE and digit == _LISTEN:
            await self._dial()
        elif self._state is _State.LISTENING and digit == _SPEAK:
            await self._speak()
        elif self._state is not _State.IDLE and digit in _STOP:
            await self.stop(TalkDownEnd.KEY)

    async def _dial(self) -> None:
        self._speaker_id = f"imaprotect-speaker-{uuid.uuid4().hex}"
        self._snoop_id = f"imaprotect-snoop-{uuid.uuid4().hex}"
        self._ari.route(self._events, self._speaker_id, self._snoop_id)
        _LOGGER.info("alert %s: the operator calls the home's speaker", self._speaker.alert_id)
        dialled = await self._speaker.dial(self._speaker_id)
        if not dialled:
            return
        self._state = _State.RINGING

    async def _snoop(self) -> None:
        try:
            await self._ari.snoop(self._speaker_id, snoop_id=self._snoop_id, spy="in")
        except (AriError, *ERRORS_AWAY):
            _LOGGER.warning("alert %s: cannot listen to the speaker", self._speaker.alert_id)
            await self.stop(TalkDownEnd.UNREACHABLE)
            return
        self._state = _State.SNOOPING

    async def _listen(self) -> None:
        if not await self._join(self._snoop_id):
            return
        self._state = _State.LISTENING
        self._talk_id = self._speaker.record.started(TalkDownMode.SPEAKER)

    async def _speak(self) -> None:
        if not await self._join(self._speaker_id):
            return
        await hangup_channel(self._ari, self._snoop_id)  # the speaker is heard directly now
        self._state = _State.SPEAKING
        if self._talk_id is not None:
            self._speaker.record.spoke(self._talk_id)

    async def _join(self, channel_id: str) -> bool:
        """Put a channel in the SOS bridge; if it cannot, the talk-down ends, unreachable."""
        try:
            await self._ari.add_to_bridge(self._bridge_id, channel_id)
        except (AriError, *ERRORS_AWAY):
            await self.stop(TalkDownEnd.UNREACHABLE)
            return False
        return True

    async def stop(self, reason: TalkDownEnd) -> None:
        """Hang the speaker up; the talk-down, if it began, ends with ``reason``."""
        if self._state is _State.IDLE:
            return
        self._state = _State.IDLE
        for channel in (self._snoop_id, self._speaker_id):
            await hangup_channel(self._ari, channel)
        if self._talk_id is not None:
            self._speaker.record.ended(self._talk_id, reason)
            self._talk_id = None
