"""Badges as Home Assistant sees them: stable ids that never expose the badge's number."""

import hashlib

from homeassistant.config_entries import ConfigSubentry

from .const import CONF_BADGES
from .core.engine import badge_hint as core_badge_hint
from .core.model import normalize_badge


def badge_key(badge_id: str) -> str:
    """A short stable digest of a badge id for unique ids.

    It keeps the id out of the registries' plain text; badge ids are short, so it would not stop
    someone who can read the registry from trying them all.
    """
    return hashlib.sha256(normalize_badge(badge_id).encode()).hexdigest()[:12]


def badge_hint(badge_id: str) -> str:
    """A short tail of the id, enough for a person to tell their badges apart."""
    return core_badge_hint(normalize_badge(badge_id)).upper()


def person_badges(subentry: ConfigSubentry) -> list[str]:
    """The badge ids registered to a person."""
    return list(subentry.data.get(CONF_BADGES, ()))
