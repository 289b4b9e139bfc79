"""The fallback notifiers: a persistent notification and the home's notify entities.

They carry an alarm whenever the phones may not: no voice server, a voice server that cannot be
reached or cannot call now (down, degraded, ``queued``), and an alert that ended with nobody
taking it (``exhausted``, ``expired``). Names only, never a code, a phone or an address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from .notices import async_notify_owner
from .texts import text

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


def alarm_text(
    hass: HomeAssistant, kind: str, detector: str | None, zone: str | None, at: datetime
) -> str:
    """What happened and when, as the logbook says it."""
    return text(
        hass, f"alarm_{kind}" if detector else "alarm_manual", detector=detector, zone=zone
    ) + text(hass, "notify_time", time=dt_util.as_local(at).strftime("%H:%M"))


async def async_notify(hass: HomeAssistant, entry: ConfigEntry, message: str) -> None:
    """Send ``message`` to the home's persistent notification and its notify entities."""
    title = text(hass, "notify_title", home=entry.title)
    await async_notify_owner(hass, entry, None, title, message)
