"""A call's second leg (the station, the home's speaker): dialled, awaited, torn down.

The SOS bridge, the contact's talk-down and the operator's all dial another party into the call's
own subscription, wait for it to answer while the contact's leg may end, then bridge the two and
tear both the leg and the bridge down. Those steps are defined once here so that a dial failure,
an unanswered leg or a contact hanging up mid-ring ends the same way for all three.
"""

from __future__ import annotations

import contextlib
import logging
import math
from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import Outcome
from voice_server.ari import CHANNEL_GONE, CONNECTION_LOST, AriError
from voice_server.call_media import CANCELLED, ERRORS_AWAY, RING_SLACK
from voice_server.calltree import CallResult

if TYPE_CHECKING:
    from collections.abc import Mapping

    from voice_server.ari import AriEvent
    from voice_server.ari_port import AriPort
    from voice_server.call_media import CallMedia
    from voice_server.config import CallSettings

__all__ = ["await_answer", "call_end", "dial_leg", "tear_down"]

_LOGGER = logging.getLogger(__name__)


async def dial_leg(
    ari: AriPort,
    endpoint: str,
    *,
    channel_id: str,
    role: str,
    settings: CallSettings,
    alert_id: str,
    variables: Mapping[str, str] | None = None,
) -> bool:
    """Dial ``role``'s leg into the application; whether Asterisk took it (a refusal is logged)."""
    try:
        await ari.originate(
            endpoint,
            channel_id=channel_id,
            app_args=(role,),
            caller_id=settings.caller_id,
            dial_timeout=math.ceil(settings.ring_timeout),
            variables=variables,
        )
    except (AriError, *ERRORS_AWAY):
        _LOGGER.warning("alert %s: %s originate failed", alert_id, role)
        return False
    return True


async def call_end(media: CallMedia, event: AriEvent) -> CallResult | None:
    """The contact's own leg going, Asterisk going, or the alert cancelled: the call ends."""
    if event.type in CHANNEL_GONE and event.channel_id == media.channel_id:
        # The contact's own leg only: a previous second leg's late end is ignored.
        return CallResult(Outcome.HUNG_UP, event.cause)
    if event.type == CONNECTION_LOST:
        return CallResult(Outcome.UNREACHABLE)
    if event.type == CANCELLED:
        await media.say_cancelled(event)
        return CallResult(Outcome.CANCELLED)
    return None


async def await_answer(
    media: CallMedia,
    leg_id: str,
    *,
    role: str,
    settings: CallSettings,
    alert_id: str,
    playback: str | None = None,
) -> bool | CallResult:
    """Wait for the dialled leg to answer (and ``playback`` to end, if given).

    True: both happened. False: the leg failed or did not answer in time. A CallResult: the
    contact's call ended meanwhile. Unless True, the contact's prompt stops and the leg is hung up.
    """
    answered = False
    said = playback is None
    try:
        while not (answered and said):
            event = await media.events.get(within=settings.ring_timeout + RING_SLACK)
            if event.channel_id == leg_id and event.type == "StasisStart":
                answered = True
            elif event.channel_id == leg_id and event.type == "ChannelDestroyed":
                _LOGGER.warning("alert %s: %s cause %s", alert_id, role, event.cause)
                return False
            elif event.type == "PlaybackFinished" and event.playback_id == playback:
                said = True
            elif (result := await call_end(media, event)) is not None:
                return result
    except TimeoutError:
        _LOGGER.warning("alert %s: %s did not answer", alert_id, role)
        return False
    finally:
        if not (answered and said):
            await media.stop()
            await media.hangup(leg_id)
    return True


async def tear_down(ari: AriPort, media: CallMedia, leg_id: str, bridge_id: str) -> None:
    """Hang the second leg up and destroy the bridge; a leg or bridge already gone is fine."""
    await media.hangup(leg_id)
    with contextlib.suppress(AriError, *ERRORS_AWAY):
        await ari.destroy_bridge(bridge_id)
