"""The home's journal in Home Assistant: fed by the panel and the call-out, kept in its own store.

The data and the policy (kinds, redaction, retention, duress) are the HA-free ``core.journal``;
read its docstring before recording. Here the journal follows the panel's events (with the
origin Home Assistant vouches for, read from each call's context), the call-out's statuses
(``imaprotect_alert``) and each call's end (the voice server's callbacks), and the badge
switches. It is saved a few seconds after a change, in one write, and at once after an alarm;
it is loaded before the panel starts, so an alarm caught up on at start is journalled.

Other features record through ``HomePanel.journal``::

    entry.runtime_data.journal.record(EntryKind.AGENT_REQUESTED, at, who=Who(...), details={...})
"""

from __future__ import annotations

import asyncio
from collections import deque
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Context, Event as HassEvent, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    EVENT_AGENT_REQUESTED,
    EVENT_ALERT,
    EVENT_BADGE_DISABLED,
    EVENT_BADGE_ENABLED,
    EVENT_PROTECT_PLUS,
    JOURNAL_STORAGE_VERSION,
)
from .contract.enums import AlertStatus, CallbackEvent
from .core.journal import PROMPT_KINDS, EntryKind, Journal, Who
from .core.journal_events import EventNotes, Note
from .origin import async_origin

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

    from .contract.models import Callback
    from .core import Event
    from .core.journal import Detail, Entry
    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

SAVE_DELAY = 10  # seconds: a burst of entries is one write
PHONE = "phone"  # the method of what a contact does on the phone
_PROTECT_PLUS_DETAILS = ("action", "slices", "start", "end", "booked")
_ON_THE_PHONE = frozenset({AlertStatus.CALLING, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED})


def journal_store_key(entry_id: str) -> str:
    """The journal's own store file."""
    return f"{DOMAIN}.{entry_id}.journal"


async def async_remove_journal(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The home is deleted: so is its journal."""
    await Store[dict[str, Any]](
        hass, JOURNAL_STORAGE_VERSION, journal_store_key(entry.entry_id), private=True
    ).async_remove()


def _with_origin(who: Who, origin: Mapping[str, Any]) -> Who:
    name = origin.get("name") or origin.get("entity_id")
    return Who(
        person=who.person,
        user=who.user,
        method=who.method,
        origin=origin.get("type"),
        origin_name=str(name) if name is not None else None,
    )


def _time(value: object, fallback: datetime) -> datetime:
    """An ISO time from an event or a callback; its arrival when missing or unreadable."""
    parsed = dt_util.parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else fallback


class HomeJournal:
    """One home's journal, its store and its subscriptions."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.journal = Journal(dt_util.utcnow)
        self._store: Store[dict[str, Any]] = Store(
            hass, JOURNAL_STORAGE_VERSION, journal_store_key(entry.entry_id), private=True
        )
        self._panel: HomePanel | None = None
        self._notes: EventNotes | None = None
        self._pending: deque[tuple[Note, Context | None]] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._stopped = False

    async def async_start(self, panel: HomePanel) -> None:
        """Load the saved entries and follow the panel, the call-out and the badge switches."""
        stored = await self._store.async_load()
        if stored is not None:
            self.journal = Journal.restore(stored, dt_util.utcnow)
            if self.journal.skipped:
                _LOGGER.warning(
                    "%s unreadable journal entries of %s were left out",
                    self.journal.skipped,
                    self.entry.title,
                )
        self._panel = panel
        self._notes = EventNotes(panel.layout.config)
        entry_id = self.entry.entry_id

        @callback
        def ours(data: Mapping[str, Any]) -> bool:
            return data.get("entry_id") == entry_id

        self._unsubscribe = [
            panel.async_add_listener(self._async_panel_event),
            panel.callout.async_add_listener(self._async_callback),
            self.hass.bus.async_listen(EVENT_ALERT, self._async_alert, ours),
            self.hass.bus.async_listen(EVENT_BADGE_ENABLED, self._async_badge, ours),
            self.hass.bus.async_listen(EVENT_BADGE_DISABLED, self._async_badge, ours),
            self.hass.bus.async_listen(EVENT_PROTECT_PLUS, self._async_protect_plus, ours),
            self.hass.bus.async_listen(EVENT_AGENT_REQUESTED, self._async_agent, ours),
        ]

    async def async_stop(self) -> None:
        """Stop following, record what is still waiting for its origin, and save."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._worker is not None:
            await self._worker
        self._stopped = True
        await self._store.async_save(self.journal.snapshot())

    # ------------------------------------------------------------------ the API

    def record(
        self,
        kind: EntryKind,
        at: datetime,
        *,
        who: Who | None = None,
        details: Mapping[str, Detail] | None = None,
    ) -> Entry | None:
        """Record an entry (redacted and kept as ``core.journal`` says) and schedule its save.

        An alarm (``PROMPT_KINDS``) is written at once, the rest within ``SAVE_DELAY``. After the
        home stopped, nothing is kept (the next start reads the store): None.
        """
        if self._stopped:
            _LOGGER.warning(
                "A journal entry (%s) came after %s stopped: not kept", kind, self.title
            )
            return None
        entry = self.journal.record(kind, at, who=who, details=details)
        if kind in PROMPT_KINDS:
            self.entry.async_create_task(
                self.hass,
                self._store.async_save(self.journal.snapshot()),
                "imaprotect journal save",
            )
        else:
            self._store.async_delay_save(self.journal.snapshot, SAVE_DELAY)
        return entry

    @property
    def title(self) -> str:
        """The home's name."""
        return self.entry.title

    def query(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[EntryKind] | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries in a time range, of some kinds, newest first (see ``Journal.query``)."""
        return self.journal.query(start=start, end=end, kinds=kinds, limit=limit)

    # ------------------------------------------------------------------ the panel

    @callback
    def _async_panel_event(self, event: Event, context: Context | None) -> None:
        """An engine event: noted now, recorded in order once its origin is known."""
        assert self._notes is not None  # set by async_start
        assert self._panel is not None
        note = self._notes.note(event, self._panel.engine.mode)
        if note is None:
            return
        self._pending.append((note, context))
        if self._worker is None or self._worker.done():  # one worker for the whole batch
            self._worker = self.entry.async_create_task(
                self.hass, self._async_drain(), "imaprotect journal", eager_start=False
            )

    async def _async_drain(self) -> None:
        while self._pending:
            note, context = self._pending.popleft()
            origin = await async_origin(self.hass, context)
            self.record(
                note.kind, note.at, who=_with_origin(note.who, origin), details=note.details
            )

    # ------------------------------------------------------------------ the call-out

    @callback
    def _async_alert(self, event: HassEvent[dict[str, Any]]) -> None:
        """The alert's status changed: calling, acknowledged by, escalated, cancelled."""
        data = event.data
        status, contact = str(data.get("status")), data.get("contact")
        details: dict[str, Detail] = {"status": status, "alert": data.get("alert_id")}
        who = None
        if status == AlertStatus.CANCELLED:
            details["by"] = contact  # who disarmed at home (their disarm is its own entry)
        else:
            details["contact"] = contact
            if status in _ON_THE_PHONE and contact:
                who = Who(person=contact, method=PHONE)
        assert self._panel is not None  # set by async_start
        alert = self._panel.callout.alert
        if alert.alert_id == data.get("alert_id") and alert.kind is not None:
            details["alarm"] = alert.kind
        at = _time(data.get("at"), event.time_fired)
        self.record(EntryKind.ALERT, at, who=who, details=details)

    @callback
    def _async_callback(self, payload: Callback) -> None:
        """A voice server's callback: each call's end, and a wrong code typed on the phone."""
        arrived = dt_util.utcnow()
        contact = payload.contact.name if payload.contact is not None else None
        if payload.event is CallbackEvent.ATTEMPT_ENDED and payload.attempt is not None:
            attempt = payload.attempt
            name = attempt.contact_name or contact
            outcome = attempt.outcome.value if attempt.outcome is not None else None
            details: dict[str, Detail] = {
                "alert": payload.alert_id,
                "contact": name,
                "outcome": outcome,
                "round": attempt.round,
                "cause": attempt.cause,
            }
            at = _time(attempt.ended_at or payload.at, arrived)
            who = Who(person=name, method=PHONE)
            self.record(EntryKind.CALL_ENDED, at, who=who, details=details)
        elif payload.event is CallbackEvent.CODE_REJECTED:
            details = {
                "alert": payload.alert_id,
                "contact": contact,
                "wrong_codes": payload.wrong_codes,
            }
            who = Who(person=contact, method=PHONE)
            at = _time(payload.at, arrived)
            self.record(EntryKind.PHONE_CODE_REJECTED, at, who=who, details=details)

    # ------------------------------------------------------------------ the badges

    @callback
    def _async_badge(self, event: HassEvent[dict[str, Any]]) -> None:
        """A badge switched off (lost) or on again, with who did it."""
        data = event.data
        kind = (
            EntryKind.BADGE_DISABLED
            if event.event_type == EVENT_BADGE_DISABLED
            else EntryKind.BADGE_ENABLED
        )
        origin = data.get("origin") or {}
        who = _with_origin(Who(user=data.get("user")), origin)
        details: dict[str, Detail] = {"badge": data.get("badge"), "holder": data.get("person")}
        self.record(kind, event.time_fired, who=who, details=details)

    # ------------------------------------------------------------------ the offers

    @callback
    def _async_protect_plus(self, event: HassEvent[dict[str, Any]]) -> None:
        """A PROTECT+ slice: booked or started (by whom, how many 24 h), extended, stopped, over."""
        data = event.data
        details: dict[str, Detail] = {
            key: data.get(key) for key in _PROTECT_PLUS_DETAILS if data.get(key) is not None
        }
        by = data.get("by")
        who = Who(user=str(by)) if by else None
        self.record(EntryKind.PROTECT_PLUS, event.time_fired, who=who, details=details)

    @callback
    def _async_agent(self, event: HassEvent[dict[str, Any]]) -> None:
        """A security agent asked for: who asked, their words, the station or the phone, paid."""
        data = event.data
        origin = data.get("origin") or {}
        who = _with_origin(
            Who(person=data.get("person"), user=data.get("user"), method=data.get("method")),
            origin,
        )
        details: dict[str, Detail] = {
            "message": data.get("message"),
            "via": data.get("via"),
            "paid": data.get("paid"),
        }
        self.record(EntryKind.AGENT_REQUESTED, event.time_fired, who=who, details=details)
