"""Sentences the integration writes itself (logbook lines, notifications), in fr and en.

They live in the translations' `common` section, loaded once at set-up so that synchronous
callers (logbook describers) can read them.
"""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .const import DOMAIN

CATEGORY = "common"


async def async_load_texts(hass: HomeAssistant) -> None:
    """Load the sentences in the instance's language, and English as the fallback."""
    for language in {hass.config.language, "en"}:
        await async_get_translations(hass, language, CATEGORY, {DOMAIN})


def text(hass: HomeAssistant, key: str, **placeholders: Any) -> str:
    """One sentence, its placeholders filled (a missing value reads as nothing)."""
    full_key = f"component.{DOMAIN}.{CATEGORY}.{key}"
    template = async_get_cached_translations(hass, hass.config.language, CATEGORY, DOMAIN).get(
        full_key
    ) or async_get_cached_translations(hass, "en", CATEGORY, DOMAIN).get(full_key, key)
    try:
        return template.format(**{k: "" if v is None else v for k, v in placeholders.items()})
    except KeyError, IndexError:
        return template
