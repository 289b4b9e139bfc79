"""PROTECT+ in Home Assistant: the core's periods, persisted, timed and told.

The periods live in their own store (``imaprotect.<entry>.protect_plus``), so a restart keeps
them; a timer wakes the core at the booked start and at the end. Every change is an
``imaprotect_protect_plus`` bus event (the logbook's line) naming who did it, and a dispatcher
signal for the entities. Only A LA CARTE homes offer it: TOUT INCLUS has the station all the time
and e-VEILLE never. Routing reads ``active``; what PROTECT+ changes for an alarm is the offers'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import CONF_FORMULA, DOMAIN, EVENT_PROTECT_PLUS, STORAGE_VERSION
from .core.model import Formula
from .core.protect_plus import (
    Began,
    Expired,
    Extended,
    ProtectPlus,
    ProtectPlusError,
    ProtectPlusEvent,
    Started,
    Stopped,
)
from .origin import async_origin, async_user_name

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)


def signal_protect_plus(entry_id: str) -> str:
    """Dispatcher signal telling the PROTECT+ entities that the period changed."""
    return f"{DOMAIN}_{entry_id}_protect_plus"


async def async_who(hass: HomeAssistant, context: Context | None) -> str | None:
    """Who made a call: the logged-in user, else the automation or script that ran it."""
    if (name := await async_user_name(hass, context)) is not None:
        return name
    origin = await async_origin(hass, context)
    found = origin.get("name") or origin.get("entity_id")
    return str(found) if found else None


def _local(value: datetime | None) -> datetime | None:
    """An instant the user typed: a time without a zone is the home's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt_util.get_default_time_zone())


class ProtectPlusRuntime:
    """One home's PROTECT+: the core's periods with their store, timer and audit trail."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, on_change: Callable[[], None]
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.plus = ProtectPlus()
        self._on_change = on_change
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.protect_plus", private=True
        )
        self._timer: CALLBACK_TYPE | None = None
        self._stopped = False

    @property
    def offered(self) -> bool:
        """Whether the home's formula offers PROTECT+ (A LA CARTE only)."""
        return self.entry.data.get(CONF_FORMULA) == Formula.A_LA_CARTE

    def active(self, at: datetime | None = None) -> bool:
        """Whether the station handles the alerts (never outside A LA CARTE)."""
        return self.offered and self.plus.active(at or dt_util.utcnow())

    async def async_start(self) -> None:
        """Restore the periods; one that ended while Home Assistant was down expires now."""
        stored = await self._store.async_load()
        if stored is not None:
            try:
                self.plus = ProtectPlus.restore(stored, dt_util.utcnow())
            except ValueError:
                _LOGGER.warning("Saved PROTECT+ state of %s was unreadable", self.entry.title)
        await self._async_commit(None)

    async def async_stop(self) -> None:
        """Stop the timer and save; the next start resumes from the store."""
        self._stopped = True
        self._cancel_timer()
        await self._store.async_save(self.plus.snapshot())

    # ------------------------------------------------------------------ commands

    async def async_begin(
        self, slices: int, start: datetime | None, context: Context | None
    ) -> None:
        """``start_protect_plus``: from now or from ``start``, for ``slices`` slices of 24 h."""
        by = await self._async_checked(context)
        await self._async_run(
            lambda now: self.plus.start_period(now, slices, by, _local(start)), context
        )

    async def async_extend(self, slices: int, context: Context | None) -> None:
        """``extend_protect_plus``: ``slices`` slices of 24 h more."""
        by = await self._async_checked(context)
        await self._async_run(lambda now: self.plus.extend(now, slices, by), context)

    async def async_end(self, context: Context | None) -> None:
        """``stop_protect_plus``: end now, or cancel the booked period."""
        by = await self._async_checked(context)
        await self._async_run(lambda now: self.plus.stop(now, by), context)

    async def _async_checked(self, context: Context | None) -> str | None:
        if not self.offered:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="protect_plus_not_offered",
                translation_placeholders={"home": self.entry.title},
            )
        return await async_who(self.hass, context)

    async def _async_run(
        self, command: Callable[[datetime], None], context: Context | None
    ) -> None:
        try:
            command(dt_util.utcnow())
        except ProtectPlusError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key=f"protect_plus_{err.reason}"
            ) from None
        finally:
            await self._async_commit(context)

    # ------------------------------------------------------------------ outputs

    async def _async_commit(self, context: Context | None) -> None:
        if self._stopped:
            return
        events = self.plus.drain_events()
        for event in events:
            self._publish(event, context)
        self._reschedule()
        async_dispatcher_send(self.hass, signal_protect_plus(self.entry.entry_id))
        if events:
            self._on_change()
        await self._store.async_save(self.plus.snapshot())

    def _publish(self, event: ProtectPlusEvent, context: Context | None) -> None:
        data: dict[str, Any] = {"entry_id": self.entry.entry_id, "home": self.entry.title}
        match event:
            case Started(by=by, slices=slices, start=start, end=end):
                data |= {"action": "started", "by": by, "slices": slices}
                data |= {"start": start.isoformat(), "end": end.isoformat()}
                data["booked"] = start > event.at
            case Extended(by=by, slices=slices, end=end):
                data |= {"action": "extended", "by": by, "slices": slices, "end": end.isoformat()}
            case Stopped(by=by, booked=booked):
                data |= {"action": "stopped", "by": by, "booked": booked}
            case Began(end=end):
                data |= {"action": "began", "end": end.isoformat()}
            case Expired(end=end):
                data |= {"action": "expired", "end": end.isoformat()}
                _LOGGER.info("PROTECT+ of %s ended: alerts go to the contacts again", self.title)
        self.hass.bus.async_fire(EVENT_PROTECT_PLUS, data, context=context)

    @property
    def title(self) -> str:
        """The home's name."""
        return self.entry.title

    def _reschedule(self) -> None:
        self._cancel_timer()
        if (deadline := self.plus.next_deadline()) is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._async_deadline, deadline)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def _async_deadline(self, _now: datetime) -> None:
        self._timer = None
        self.plus.tick(dt_util.utcnow())
        self.entry.async_create_task(self.hass, self._async_commit(None), "imaprotect protect+")
