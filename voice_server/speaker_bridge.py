"""The talk-down key: dial the home's auto-answer speaker and bridge the contact to it.

The speaker answers by itself (home_speaker.py). The contact first only listens: their channel
is muted toward the home (``direction=in``, voice only, so their keys still arrive). ``1`` lets
them speak; ``#`` (or ``*`` again) ends the bridge, and so does the speaker hanging up or the SOS
time limit; the dialogue then goes on. The contact hanging up ends the bridge and the call. The
speaker leg is routed into the contact's subscription, so the call still waits at one place for
everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING
import uuid

from custom_components.imaprotect.contract.enums import Outcome, TalkDownMode
from voice_server.ari import CHANNEL_GONE, AriError
from voice_server.call_media import CANCELLED, ERRORS_AWAY
from voice_server.calltree import CallResult
from voice_server.keypad import Prompt
from voice_server.prompts import texts
from voice_server.second_leg import await_answer, call_end, tear_down
from voice_server.talk_downs import TalkDownEnd

if TYPE_CHECKING:
    from voice_server.ari import AriEvent
    from voice_server.call_media import CallMedia
    from voice_server.home_speaker import HomeSpeaker

__all__ = ["SpeakerBridge"]

_LOGGER = logging.getLogger(__name__)

_SPEAK = "1"
_STOP = frozenset("#*")


class SpeakerBridge:
    """One talk-down of one call; ``run`` returns how the dialogue goes on, or the call's end."""

    def __init__(self, speaker: HomeSpeaker, media: CallMedia) -> None:
        self._speaker = speaker
        self._ari = speaker.ari
        self._media = media
        self._settings = speaker.settings
        self.speaker_id = f"imaprotect-speaker-{uuid.uuid4().hex}"
        self.bridge_id = f"imaprotect-bridge-{uuid.uuid4().hex}"

    async def run(self) -> CallResult | Prompt:
        """Listen in, then speak; a Prompt: the bridge is over, the dialogue goes on."""
        media, settings = self._media, self._settings
        self._ari.route(media.events, self.speaker_id, self.bridge_id)
        instructions = await media.play_text(texts(media.language).listening)
        _LOGGER.info("alert %s: talk-down, calling the home's speaker", self._speaker.alert_id)
        dialled = await self._speaker.dial(self.speaker_id)
        if not dialled:
            await media.stop()
            return Prompt.SPEAKER_UNREACHABLE
        answer = await await_answer(  # the instructions are heard before the home is
            media,
            self.speaker_id,
            role="speaker",
            settings=settings,
            alert_id=self._speaker.alert_id,
            playback=instructions,
        )
        if answer is False:
            return Prompt.SPEAKER_UNREACHABLE
        if isinstance(answer, CallResult):
            return answer
        return await self._bridge()

    async def _bridge(self) -> CallResult | Prompt:
        """Both legs bridged, the contact muted toward the home until they press 1."""
        media, limit = self._media, self._settings.sos_max_duration
        talk_id: int | None = None
        reason = TalkDownEnd.TIME_LIMIT
        result: CallResult | Prompt = Prompt.TALK_DOWN_OVER
        muted = False
        cancelled: AriEvent | None = None
        try:
            await self._ari.mute(media.channel_id, muted=True)
            muted = True
            # The contact's keys are for us: the home hears none of them.
            await self._ari.create_bridge(self.bridge_id, name="talk-down", dtmf_events=True)
            await self._ari.add_to_bridge(self.bridge_id, media.channel_id)
            await self._ari.add_to_bridge(self.bridge_id, self.speaker_id)
            talk_id = self._speaker.record.started(TalkDownMode.SPEAKER)
            with contextlib.suppress(TimeoutError):  # the time limit: back to the dialogue
                async with asyncio.timeout(limit):
                    while True:
                        event = await media.events.get(within=limit)
                        _LOGGER.debug("talk-down: %s on %s", event.type, event.channel_id)
                        if event.channel_id == self.speaker_id and event.type in {
                            "ChannelLeftBridge",
                            *CHANNEL_GONE,
                        }:
                            reason = TalkDownEnd.SPEAKER_GONE
                            break
                        if event.type == "ChannelDtmfReceived" and (
                            event.channel_id == media.channel_id
                        ):
                            if event.digit in _STOP:
                                reason = TalkDownEnd.KEY
                                break
                            if event.digit == _SPEAK and muted:
                                await self._ari.mute(media.channel_id, muted=False)
                                muted = False
                                self._speaker.record.spoke(talk_id)
                            continue
                        if event.type == CANCELLED:  # said once out of the bridge
                            cancelled, reason = event, TalkDownEnd.CANCELLED
                            result = CallResult(Outcome.CANCELLED)
                            break
                        if (ended := await call_end(media, event)) is not None:
                            reason = _reason(ended)
                            result = ended
                            break
        except (AriError, *ERRORS_AWAY):
            _LOGGER.warning("alert %s: talk-down bridge failed", self._speaker.alert_id)
            reason = TalkDownEnd.UNREACHABLE
            if talk_id is None:
                result = Prompt.SPEAKER_UNREACHABLE
        finally:
            await tear_down(self._ari, media, self.speaker_id, self.bridge_id)
            if muted and not isinstance(result, CallResult):
                with contextlib.suppress(AriError, *ERRORS_AWAY):
                    await self._ari.mute(media.channel_id, muted=False)
            if talk_id is not None:
                self._speaker.record.ended(talk_id, reason)
        if cancelled is not None:
            await media.say_cancelled(cancelled)
        return result


def _reason(result: CallResult) -> TalkDownEnd:
    """Why the talk-down ended when the contact's call did."""
    if result.outcome is Outcome.UNREACHABLE:
        return TalkDownEnd.UNREACHABLE
    return TalkDownEnd.CONTACT_GONE
