"""The home's heartbeat to its voice server: "still here" every minute while the home is armed.

An alarm that loses its power, its network or its Home Assistant is silent exactly when a burglar
would want it; nothing at home can say so. So while the panel is anything but disarmed (armed
total or partial, and through the exit and entry delays and an alarm), a heartbeat goes to the
voice server every ``HEARTBEAT_INTERVAL`` seconds; when none has come for the home's grace (the
*Home offline after* setting, 5 minutes by default), the server phones the contacts: "the alarm
of <home> no longer answers", acknowledged with their code like an intrusion. A disarm is told at
once (``armed`` false: the server stops watching) and sent again each interval until the server
has it, so a disarm is never lost to a server that was briefly away.

A restart of Home Assistant is a short silence: on start the current state goes at once. Home
Assistant stopping, or the home being reloaded, says nothing on purpose: a home that stays away
longer than its grace is a home nobody watches. Only a home its owner *disabled* tells the server
to stop watching. A failed heartbeat is logged once, not every minute (the voice server's
supervision already makes a repair of a server that cannot be reached); a server that lost the
site gets it again first.

The panel is followed through ``HomePanel.async_add_listener``, never by growing ``panel.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import CONF_OFFLINE_AFTER, CONF_VOICE_TOKEN, CONF_VOICE_URL, DEFAULT_OFFLINE_AFTER
from .contract.models import HeartbeatAccepted, HeartbeatIn
from .core import PanelState, StateChanged
from .instructions import contacts
from .voice_client import VoiceClient, VoiceServerError, VoiceServerRejectedError

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import Context

    from .core import Event
    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 60.0
"""Seconds between two heartbeats while the home is watched (the interval promised the server)."""
MINUTE = 60.0
"""Seconds in a minute of the *Home offline after* setting (tests shorten it, and the interval)."""


def watched(state: PanelState) -> bool:
    """Whether a silence of the home in this state must phone somebody: all but disarmed."""
    return state is not PanelState.DISARMED


class HomeHeartbeat:
    """Sends one home's heartbeats while its entry is loaded."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self._panel = panel
        url, token = entry.data.get(CONF_VOICE_URL), entry.data.get(CONF_VOICE_TOKEN)
        self._client = (
            VoiceClient(async_get_clientsession(hass), url, token) if url and token else None
        )
        self.watched = False
        self.told = False  # the server has the current state
        self.last: HeartbeatAccepted | None = None  # the server's last answer
        self._failing = False
        self._lock = asyncio.Lock()
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @property
    def grace(self) -> float:
        """Seconds of silence after which the server phones: the setting, at least two beats."""
        minutes = float(self.entry.data.get(CONF_OFFLINE_AFTER) or DEFAULT_OFFLINE_AFTER)
        return max(minutes * MINUTE, 2 * HEARTBEAT_INTERVAL)

    @callback
    def async_start(self) -> None:
        """Follow the panel and send the current state now; nothing without a server or contacts."""
        if self._client is None or not contacts(self.entry):
            return
        self.watched = watched(self._panel.engine.state)
        self._unsubscribe = [
            self._panel.async_add_listener(self._async_event),
            async_track_time_interval(
                self.hass,
                self._async_tick,
                timedelta(seconds=HEARTBEAT_INTERVAL),
                name="imaprotect heartbeat",
            ),
        ]
        self._send_soon()

    async def async_stop(self) -> None:
        """The entry unloads: stop; a home its owner disabled also stops the server watching."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        started, self._unsubscribe = bool(self._unsubscribe), []
        if started and self.entry.disabled_by is not None and self.watched:
            self.watched, self.told = False, False
            await self._async_send_now()

    @callback
    def _async_event(self, event: Event, _context: Context | None) -> None:
        if not isinstance(event, StateChanged):
            return
        now_watched = watched(event.new)
        if now_watched != self.watched:
            self.watched, self.told = now_watched, False
            self._send_soon()

    @callback
    def _async_tick(self, _now: datetime) -> None:
        if self.watched or not self.told:
            self._send_soon()

    def _send_soon(self) -> None:
        self.entry.async_create_task(self.hass, self.async_send(), "imaprotect heartbeat")

    async def async_send(self) -> None:
        """One heartbeat with the current state; a failure waits for the next interval."""
        # The start's site sync first: a heartbeat sent before it would find no site, and sync
        # it a second time on its own.
        await self._panel.callout.synced_once.wait()
        await self._async_send_now()

    async def _async_send_now(self) -> None:
        assert self._client is not None
        async with self._lock:  # in order: an armed beat never overtakes the disarm after it
            armed = self.watched
            beat = HeartbeatIn(
                armed=armed, interval=HEARTBEAT_INTERVAL, grace=self.grace, at=dt_util.now()
            )
            try:
                self.last = await self._async_put(self._client, beat)
            except VoiceServerError as err:
                if not self._failing:
                    _LOGGER.warning(
                        "Heartbeat of %s not delivered (tried again every %.0f s): %s",
                        self.entry.title,
                        HEARTBEAT_INTERVAL,
                        err,
                    )
                self._failing = True
                return
            if self._failing:
                _LOGGER.info("Heartbeats of %s are delivered again", self.entry.title)
            self._failing = False
            self.told = armed == self.watched

    async def _async_put(self, client: VoiceClient, beat: HeartbeatIn) -> HeartbeatAccepted:
        """PUT the heartbeat; a server that lost the site gets it first, then the heartbeat."""
        site_id = self.entry.entry_id
        try:
            return await client.async_put_heartbeat(site_id, beat)
        except VoiceServerRejectedError as err:
            if not (err.not_found and err.detail == "site_id"):
                raise
            if not await self._panel.callout.async_ensure_site(again=True):
                raise VoiceServerError("site not synced") from err
            return await client.async_put_heartbeat(site_id, beat)
