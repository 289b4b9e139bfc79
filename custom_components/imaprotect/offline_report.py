"""The voice server says it heard nothing from the home for a while, and phoned the contacts.

Its ``home_back`` callback comes when the home's heartbeats (``heartbeat``) reach it again; Home
Assistant was not there to see the calls, so it is the owner's only word of them. It goes to the
logbook (an ``imaprotect_home_offline`` event: from when to when, and how the calls ended) and to
the home's notifiers, under its own notification (it is no alarm of the panel's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from .const import EVENT_HOME_OFFLINE
from .contract.enums import AlertStatus
from .notices import async_notify_owner
from .texts import text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .contract.models import Callback

TOPIC = "offline"
_OUTCOMES = frozenset({
    AlertStatus.CANCELLED,
    AlertStatus.ACKNOWLEDGED,
    AlertStatus.ESCALATED,
    AlertStatus.EXHAUSTED,
    AlertStatus.EXPIRED,
})  # fmt: skip


def _local_time(value: object) -> str:
    """The local day and time of an ISO timestamp, or nothing."""
    if (at := dt_util.parse_datetime(str(value or ""))) is None:
        return ""
    return dt_util.as_local(at).strftime("%d/%m %H:%M")


def describe(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The sentence of the logbook and the notification, from the event's data."""
    status = data.get("status")
    # A silence's alert has ended by the time the home is back (the server stops it if not).
    key = status if status in _OUTCOMES else AlertStatus.CANCELLED
    return text(
        hass,
        f"home_offline_{key}",
        since=_local_time(data.get("since")),
        until=_local_time(data.get("until")),
        contact=data.get("contact"),
    )


async def async_home_back(hass: HomeAssistant, entry: ConfigEntry, payload: Callback) -> None:
    """Record and tell what the server did while it heard nothing from the home."""
    data: dict[str, Any] = {
        "entry_id": entry.entry_id,
        "home": entry.title,
        "alert_id": payload.alert_id,
        "status": payload.status,
        "contact": payload.contact.name if payload.contact is not None else None,
        "since": payload.since,
        "until": payload.at,
    }
    hass.bus.async_fire(EVENT_HOME_OFFLINE, data)
    title = text(hass, "home_offline_notify_title", home=entry.title)
    await async_notify_owner(hass, entry, TOPIC, title, describe(hass, data))
