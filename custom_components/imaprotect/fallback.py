"""The fallback notifiers: a persistent notification and the home's notify entities.

They carry an alarm whenever the phones may not: no voice server, a voice server that cannot be
reached or cannot call now (down, degraded, ``queued``), and an alert that ended with nobody
taking it (``exhausted``, ``expired``). Names only, never a code, a phone or an address.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from .const import CONF_NOTIFY_ENTITIES
from .contract.enums import AlertKind
from .notices import async_notify_owner
from .texts import text

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)


def alarm_text(
    hass: HomeAssistant, kind: str, detector: str | None, zone: str | None, at: datetime
) -> str:
    """What happened and when, as the logbook says it."""
    named = detector or kind in (AlertKind.SOS, AlertKind.AGENT_REQUEST)
    return text(
        hass, f"alarm_{kind}" if named else "alarm_manual", detector=detector, zone=zone
    ) + text(hass, "notify_time", time=dt_util.as_local(at).strftime("%H:%M"))


async def async_notify(hass: HomeAssistant, entry: ConfigEntry, message: str) -> None:
    """Send ``message`` to the home's persistent notification and its notify entities."""
    title = text(hass, "notify_title", home=entry.title)
    await async_notify_owner(hass, entry, None, title, message)


async def async_notify_quietly(hass: HomeAssistant, entry: ConfigEntry, message: str) -> None:
    """Send ``message`` to the home's notify entities only: a silent alert's fallback.

    A duress code's alert must not show where the person forced to give it stands (a persistent
    notification is on every dashboard); without notify entities it is only logged.
    """
    if targets := entry.data.get(CONF_NOTIFY_ENTITIES):
        title = text(hass, "notify_title", home=entry.title)
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": targets, "title": title, "message": message},
            blocking=False,
        )
    else:
        _LOGGER.warning("%s: a silent alert has no notify entity to go to", entry.title)
