"""The SOS key: dial the monitoring station and bridge the contact to it.

The station leg is routed into the contact's own subscription, so the call still waits at one
place for everything (the station answering, the contact hanging up, a cancellation). The alert
becomes ``escalated`` only once both legs are in the bridge; a station that does not answer,
or cannot be dialled, gives None and the contact goes back to code entry. When the home has a
speaker, the operator's ``*`` listens in the home from the bridge (operator_talk_down.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING
import uuid

from custom_components.imaprotect.contract.enums import Outcome
from voice_server.ari import CHANNEL_GONE, CONNECTION_LOST
from voice_server.calltree import CallResult
from voice_server.prompts import texts
from voice_server.second_leg import await_answer, dial_leg, tear_down
from voice_server.talk_downs import TalkDownEnd

if TYPE_CHECKING:
    from collections.abc import Callable

    from voice_server.ari_port import AriPort
    from voice_server.call_media import CallMedia
    from voice_server.config import CallSettings
    from voice_server.operator_talk_down import OperatorTalkDown

__all__ = ["StationBridge"]

_LOGGER = logging.getLogger(__name__)


class StationBridge:
    """One SOS attempt from one call; ``on_bridged`` runs once both legs are bridged."""

    def __init__(
        self,
        ari: AriPort,
        media: CallMedia,
        *,
        endpoint: str,
        settings: CallSettings,
        alert_id: str,
        on_bridged: Callable[[], None],
        operator: OperatorTalkDown | None = None,
    ) -> None:
        self._ari = ari
        self._media = media
        self._endpoint = endpoint
        self._settings = settings
        self._alert_id = alert_id
        self._on_bridged = on_bridged
        #: The operator's talk-down keys (the site has a speaker), else None.
        self._operator = operator

    async def run(self) -> CallResult | None:
        """Bridge the caller to the station; None when the station cannot be reached."""
        media, settings = self._media, self._settings
        station_id = f"imaprotect-{uuid.uuid4().hex}"
        bridge_id = f"imaprotect-bridge-{uuid.uuid4().hex}"
        self._ari.route(media.events, station_id, bridge_id)
        if self._operator is not None:
            self._operator.attach(bridge_id, station_id)
        await media.play_text(texts(media.language).connecting)
        _LOGGER.info("alert %s: SOS, calling the station", self._alert_id)
        dialled = await dial_leg(
            self._ari,
            self._endpoint,
            channel_id=station_id,
            role="station",
            settings=settings,
            alert_id=self._alert_id,
        )
        if not dialled:
            return None
        answer = await await_answer(
            media, station_id, role="station", settings=settings, alert_id=self._alert_id
        )
        if answer is False:
            return None
        if isinstance(answer, CallResult):
            return answer
        await media.stop()  # the "connecting" prompt, if still playing
        return await self._bridge(station_id, bridge_id)

    async def _bridge(self, station_id: str, bridge_id: str) -> CallResult:
        """Both legs in one bridge until either leaves or the SOS time limit hangs both up."""
        media, limit = self._media, self._settings.sos_max_duration
        operator = self._operator
        try:
            # With the operator's keys, keys reach the application only (not the home's speaker).
            await self._ari.create_bridge(bridge_id, name="sos", dtmf_events=operator is not None)
            await self._ari.add_to_bridge(bridge_id, media.channel_id)
            await self._ari.add_to_bridge(bridge_id, station_id)
            self._on_bridged()
            _LOGGER.info("alert %s: bridged to the station", self._alert_id)
            legs = {media.channel_id, station_id}
            with contextlib.suppress(TimeoutError):  # the SOS time limit: hang up both legs
                async with asyncio.timeout(limit):
                    while True:
                        event = await media.events.get(within=limit)
                        if operator is not None and await operator.handle(event):
                            continue
                        if event.type == CONNECTION_LOST:
                            break
                        if event.channel_id in legs and event.type in {
                            "ChannelLeftBridge",
                            *CHANNEL_GONE,
                        }:
                            break
        finally:
            if operator is not None:
                await operator.stop(TalkDownEnd.SOS_ENDED)
            await tear_down(self._ari, media, station_id, bridge_id)
        return CallResult(Outcome.SOS)
