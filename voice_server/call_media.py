"""What one contact hears: prompts played, interrupted and said to the end on their channel.

Every ARI call here can fail because the channel is gone or Asterisk is away; a call must never
stop on that, so failures are logged at debug level and the caller learns of them from the events
(StasisEnd, ChannelDestroyed, the synthetic CONNECTION_LOST).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp

from voice_server.ari import CHANNEL_GONE, CONNECTION_LOST, AriError, AriEvent
from voice_server.prompts import texts

if TYPE_CHECKING:
    from voice_server.ari import Subscription
    from voice_server.ari_port import AriPort, PromptSource

__all__ = [
    "CANCELLED",
    "ERRORS_AWAY",
    "FALLBACK_PROMPT",
    "RING_SLACK",
    "CallMedia",
    "cancelled_event",
    "hangup_channel",
]

_LOGGER = logging.getLogger(__name__)

#: Synthetic event put in a call's queue when its alert is cancelled; ``raw["by"]`` says by whom.
CANCELLED = "ImaprotectCancelled"
#: Errors that mean Asterisk did not answer (as opposed to an ARI error status).
ERRORS_AWAY = (aiohttp.ClientError, OSError, TimeoutError)
FALLBACK_PROMPT = "sound:agent-pass"  # Asterisk core sound, if espeak-ng ever fails
PROMPT_SECONDS = 30.0  # longest wait for a closing sentence before hanging up anyway
RING_SLACK = 10.0  # beyond a ring timeout, how long to wait for Asterisk's own verdict


def cancelled_event(by: str | None) -> AriEvent:
    """The synthetic event that tells a call in progress its alert was cancelled."""
    return AriEvent(type=CANCELLED, raw={"by": by})


class CallMedia:
    """The prompts of one call leg; ``playback`` is what the contact hears now."""

    def __init__(
        self,
        ari: AriPort,
        prompts: PromptSource,
        *,
        channel_id: str,
        events: Subscription,
        language: str,
        alert_id: str,
    ) -> None:
        self._ari = ari
        self._prompts = prompts
        self.channel_id = channel_id
        self.events = events
        self.language = language
        self._alert_id = alert_id
        self.playback: str | None = None

    async def media(self, text: str, *, urgent: bool = True) -> str:
        """The sentence as a media URI; a core sound if synthesis fails (the call goes on).

        ``urgent=False`` makes it ahead of need (while the phone rings), in the background.
        """
        try:
            return await self._prompts.media(self.language, text, urgent=urgent)
        except OSError, RuntimeError, TimeoutError:
            _LOGGER.exception("alert %s: prompt synthesis failed", self._alert_id)
            return FALLBACK_PROMPT

    async def play(self, *media: str) -> str | None:
        """Start a playlist instead of the current one; None when the channel is gone."""
        await self.stop()
        try:
            self.playback = await self._ari.play(self.channel_id, media)
        except (AriError, *ERRORS_AWAY):
            return None
        return self.playback

    async def play_text(self, text: str) -> str | None:
        """Synthesise and play one sentence, without waiting for its end."""
        return await self.play(await self.media(text))

    async def stop(self) -> None:
        """Silence the current prompt (the contact typed, or something else must be said)."""
        playback, self.playback = self.playback, None
        if playback is None:
            return
        try:
            await self._ari.stop_playback(playback)
        except (AriError, *ERRORS_AWAY):
            _LOGGER.debug("stopping playback failed")

    async def say(self, text: str) -> None:
        """Play one sentence to the end (or until the line drops); the caller then hangs up."""
        playback = await self.play_text(text)
        if playback is None:
            return
        try:
            async with asyncio.timeout(PROMPT_SECONDS):
                while True:
                    event = await self.events.get(within=PROMPT_SECONDS)
                    if event.type == "PlaybackFinished" and event.playback_id == playback:
                        return
                    if event.type == CONNECTION_LOST:
                        return
                    if event.type in CHANNEL_GONE and event.channel_id == self.channel_id:
                        return  # this leg's end only: a station leg's late end is not ours
        except TimeoutError:
            return

    async def say_cancelled(self, event: AriEvent) -> None:
        """Tell the contact the alert was stopped, and by whom when known."""
        words = texts(self.language)
        by = event.raw.get("by")
        await self.say(words.cancelled_by.format(by=by) if by else words.cancelled)

    async def hangup(self, channel_id: str | None = None) -> None:
        """Hang up this leg (or another one, the station's); failures are only logged."""
        await hangup_channel(self._ari, channel_id or self.channel_id)


async def hangup_channel(ari: AriPort, channel_id: str) -> None:
    """Hang up a channel; a channel already gone or Asterisk away is only logged."""
    try:
        await ari.hangup(channel_id)
    except (AriError, *ERRORS_AWAY):
        _LOGGER.debug("hangup of %s failed", channel_id)
