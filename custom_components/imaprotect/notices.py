"""Notices to the homeowner that are not alarms (someone keeps guessing codes or badges).

They go where alarms go without a voice server: a persistent notification, and the notify
entities chosen in the home's settings. They never hold a code or a badge id.
"""

from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .const import CONF_NOTIFY_ENTITIES, DOMAIN


async def async_notify_owner(
    hass: HomeAssistant, entry: ConfigEntry, topic: str | None, title: str, message: str
) -> None:
    """Show ``message`` as a persistent notification (one per home and topic) and send it on.

    ``topic`` None is the home's own notification (its alarms), replaced by the next one.
    """
    notification_id = f"{DOMAIN}_{entry.entry_id}" + (f"_{topic}" if topic else "")
    persistent_notification.async_create(
        hass, message, title=title, notification_id=notification_id
    )
    if targets := entry.data.get(CONF_NOTIFY_ENTITIES):
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": targets, "title": title, "message": message},
            blocking=False,
        )
