"""Config entry migrations of a home.

1.1 -> 1.2: badge ids were stored in clear in the person subentries, a bearer credential
readable by anyone with the configuration or a backup. Each home gets a random badge key and
each badge becomes its keyed digest plus a hint, keeping the unique id its entities had.
"""

import logging

from homeassistant.core import HomeAssistant

from .badges import home_badge_key, legacy_badge, new_badge_key
from .const import CONF_BADGE_KEY, CONF_BADGES, SUBENTRY_PERSON
from .panel import ImaProtectConfigEntry

_LOGGER = logging.getLogger(__name__)

CURRENT_MINOR_VERSION = 2


async def async_migrate_entry(hass: HomeAssistant, entry: ImaProtectConfigEntry) -> bool:
    """Bring a home's entry up to the current version; False for a newer major version."""
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        if CONF_BADGE_KEY not in entry.data:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_BADGE_KEY: new_badge_key()}
            )
        key = home_badge_key(entry)
        for subentry in list(entry.get_subentries_of_type(SUBENTRY_PERSON)):
            badges = [
                legacy_badge(key, badge).as_data() if isinstance(badge, str) else badge
                for badge in subentry.data.get(CONF_BADGES, ())
            ]
            hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_BADGES: badges}
            )
        hass.config_entries.async_update_entry(entry, minor_version=CURRENT_MINOR_VERSION)
        _LOGGER.info("Badge ids of %s are now stored as keyed hashes", entry.title)
    return True
