"""The fallback notifiers: a persistent notification and the home's notify entities.

They carry an alarm whenever the phones may not: no voice server, a voice server that cannot be
reached or cannot call now (down, degraded, ``queued``), and an alert that ended with nobody
taking it (``exhausted``, ``expired``). Names only, never a code, a phone or an address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import persistent_notification
from homeassistant.util import dt as dt_util

from .const import CONF_NOTIFY_ENTITIES, DOMAIN
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
    persistent_notification.async_create(
        hass, message, title=title, notification_id=f"{DOMAIN}_{entry.entry_id}"
    )
    if targets := entry.data.get(CONF_NOTIFY_ENTITIES):
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": targets, "title": title, "message": message},
            blocking=False,
        )
