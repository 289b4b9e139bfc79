"""Talk-down in the home: what Home Assistant does when a contact reaches the home by phone.

The voice server bridges the contact to the home's SIP speaker itself; Home Assistant learns of it
from the signed callbacks (``talk_down_started``, ``talk_down_ended``), journals it, tells the
bus (``imaprotect_talk_down``) and sends the monitoring station its listen-in begin and end
(SIA ``LF``/``LE``) when the home has a station link. Without a speaker, the contact's key asks
for the spoken warning (``warning_requested``): the chosen media players announce it through the
chosen TTS entity (``announce``: it interrupts what they play) and the chosen sirens sound for
the alarm duration. A silent alert (a duress code) never makes a sound at home and never shows:
only the station hears of its listen-in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from homeassistant.components.media_player import (
    ATTR_MEDIA_ANNOUNCE,
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    SERVICE_PLAY_MEDIA,
    MediaType,
)
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ALARM_DURATION,
    CONF_WARNING_PLAYERS,
    CONF_WARNING_SIRENS,
    CONF_WARNING_TTS,
    DEFAULT_ALARM_DURATION,
    EVENT_TALK_DOWN,
)
from .contract.enums import CallbackEvent
from .core.journal import EntryKind, Who
from .core.reports import Report, ReportKind
from .texts import text

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

    from .contract.models import Callback
    from .core.journal import Detail
    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

PHONE = "phone"
TTS_SOURCE = "media-source://tts/"
_KINDS = {
    CallbackEvent.TALK_DOWN_STARTED: (EntryKind.TALK_DOWN_STARTED, ReportKind.LISTEN_IN_BEGIN),
    CallbackEvent.TALK_DOWN_ENDED: (EntryKind.TALK_DOWN_ENDED, ReportKind.LISTEN_IN_END),
}


def _time(value: str | None) -> datetime:
    return (dt_util.parse_datetime(value) if value else None) or dt_util.utcnow()


class HomeTalkDown:
    """Follows one home's talk-down callbacks."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._sounding: list[str] = []  # the warning's sirens, on until their timer ends
        self._silence: CALLBACK_TYPE | None = None

    @callback
    def async_start(self) -> None:
        """Listen to the call-out's callbacks."""
        self._unsubscribe.append(self.panel.callout.async_add_listener(self._async_callback))

    @callback
    def async_stop(self) -> None:
        """Stop listening; the warning's sirens stop now rather than never."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        if self._silence is not None:
            self._silence()
            self._silence = None
            self.hass.async_create_task(self._async_silence(), "imaprotect warning sirens off")

    @callback
    def _async_callback(self, payload: Callback) -> None:
        if payload.talk_down is None:
            return
        silent = self.panel.callout.silent(payload.alert_id)
        if payload.event is CallbackEvent.WARNING_REQUESTED:
            if silent:
                _LOGGER.info("%s: no warning at home for a silent alert", self.entry.title)
                return
            self._record(payload, EntryKind.WARNING_PLAYED, "warning_requested")
            self.entry.async_create_task(
                self.hass, self.async_warn(), "imaprotect talk-down warning"
            )
            return
        if payload.event not in _KINDS:
            return
        entry_kind, report_kind = _KINDS[payload.event]
        view = payload.talk_down
        started = payload.event is CallbackEvent.TALK_DOWN_STARTED
        at = _time(view.started_at if started else view.ended_at)
        if (station := self.panel.station) is not None:
            self.entry.async_create_task(
                self.hass,
                station.async_send(Report(report_kind, at)),
                "imaprotect listen-in report",
            )
        if not silent:
            self._record(payload, entry_kind, str(payload.event))

    def _record(self, payload: Callback, kind: EntryKind, what: str) -> None:
        """Journal it and say it on the bus."""
        assert payload.talk_down is not None
        view = payload.talk_down
        contact = payload.contact.name if payload.contact is not None else None
        details: dict[str, Detail] = {
            "alert": payload.alert_id,
            "contact": contact,
            "mode": view.mode.value,
        }
        if kind is EntryKind.TALK_DOWN_ENDED:
            details["spoke"] = view.spoke_at is not None
        at = _time(payload.at)
        self.panel.journal.record(kind, at, who=Who(person=contact, method=PHONE), details=details)
        self.hass.bus.async_fire(
            EVENT_TALK_DOWN,
            {
                "entry_id": self.entry.entry_id,
                "home": self.entry.title,
                "what": what,
                "alert_id": payload.alert_id,
                "contact": contact,
                "spoke": view.spoke_at is not None,
                "at": payload.at,
            },
        )

    async def async_warn(self) -> None:
        """Say the warning on the chosen players and sound the chosen sirens."""
        data = self.entry.data
        players: list[str] = list(data.get(CONF_WARNING_PLAYERS) or [])
        sirens: list[str] = list(data.get(CONF_WARNING_SIRENS) or [])
        engine: str | None = data.get(CONF_WARNING_TTS)
        if players and engine:
            await self._async_announce(players, engine)
        if sirens:
            await self._async_sirens(sirens)

    async def _async_announce(self, players: list[str], engine: str) -> None:
        if missing := [p for p in players if self.hass.states.get(p) is None]:
            _LOGGER.warning(
                "%s: the spoken warning could not be played on %s (no such media player)",
                self.entry.title,
                ", ".join(missing),
            )
            players = [p for p in players if p not in missing]
            if not players:
                return
        language = "fr" if self.hass.config.language.startswith("fr") else "en"
        message = text(self.hass, "warning_message")
        # Home Assistant's TTS media source (``tts.speak`` makes the same): the player resolves it.
        media_id = f"{TTS_SOURCE}{engine}?{urlencode({'message': message, 'language': language})}"
        try:
            await self.hass.services.async_call(
                Platform.MEDIA_PLAYER,
                SERVICE_PLAY_MEDIA,
                {
                    ATTR_ENTITY_ID: players,
                    ATTR_MEDIA_CONTENT_ID: media_id,
                    ATTR_MEDIA_CONTENT_TYPE: MediaType.MUSIC,
                    ATTR_MEDIA_ANNOUNCE: True,
                },
                blocking=True,
            )
        except HomeAssistantError as err:
            _LOGGER.warning("%s: the spoken warning could not be played: %s", self.entry.title, err)

    async def _async_sirens(self, sirens: list[str]) -> None:
        try:
            await self.hass.services.async_call(
                Platform.SIREN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: sirens}, blocking=True
            )
        except HomeAssistantError as err:
            _LOGGER.warning("%s: the warning's sirens did not start: %s", self.entry.title, err)
            return
        self._sounding = sorted({*self._sounding, *sirens})
        if self._silence is not None:  # a second warning: the duration starts again
            self._silence()
        seconds = int(self.entry.data.get(CONF_ALARM_DURATION, DEFAULT_ALARM_DURATION))

        async def _async_timer(_now: datetime) -> None:
            self._silence = None
            await self._async_silence()

        self._silence = async_call_later(self.hass, seconds, _async_timer)

    async def _async_silence(self) -> None:
        """The warning's sirens off (the alarm duration is over, or the home stops)."""
        sirens, self._sounding = self._sounding, []
        if not sirens:
            return
        try:
            await self.hass.services.async_call(
                Platform.SIREN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: sirens}, blocking=True
            )
        except HomeAssistantError as err:
            _LOGGER.warning("%s: the warning's sirens did not stop: %s", self.entry.title, err)
