"""Badges as Home Assistant stores and shows them: keyed digests, a hint, a stable unique id.

A person subentry keeps, per badge, its keyed digest (``core.badges``), a hint (its last
characters, for the names "Badge …FCFF") and the ``uid`` its entities' unique ids are built
from. Badges of releases that stored clear ids keep the uid they had (an unkeyed sha256 prefix),
so their entities, names and switches stay the same after the migration; new badges take their
uid from the keyed digest.
"""

from dataclasses import dataclass
import hashlib
import secrets
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import CONF_BADGE_KEY, CONF_BADGES
from .core import badge_digest, badge_hint as core_badge_hint
from .core.badges import KEY_BYTES
from .core.model import normalize_badge

HINT_PREFIX = "…"


@dataclass(frozen=True, slots=True)
class StoredBadge:
    """One registered badge, without its id."""

    digest: str
    hint: str
    uid: str

    @property
    def label(self) -> str:
        """How the person form shows a registered badge (its id is not known any more)."""
        return f"{HINT_PREFIX}{self.hint}"

    def as_data(self) -> dict[str, str]:
        """The subentry form of the badge."""
        return {"digest": self.digest, "hint": self.hint, "uid": self.uid}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StoredBadge:
        """Read a badge stored by ``as_data``."""
        return cls(digest=str(data["digest"]), hint=str(data["hint"]), uid=str(data["uid"]))


def badge_hint(badge_id: str) -> str:
    """A short tail of the id, enough for a person to tell their badges apart."""
    return core_badge_hint(normalize_badge(badge_id)).upper()


def new_badge_key() -> str:
    """A fresh random key for a home's badge digests (hex)."""
    return secrets.token_hex(KEY_BYTES)


def home_badge_key(entry: ConfigEntry) -> bytes:
    """The home's badge key (set when the home is created, or by the migration)."""
    return bytes.fromhex(entry.data.get(CONF_BADGE_KEY, ""))


def new_badge(key: bytes, badge_id: str) -> StoredBadge:
    """Store a badge typed in the person form."""
    digest = badge_digest(key, badge_id)
    return StoredBadge(digest=digest, hint=badge_hint(badge_id), uid=digest[:12])


def legacy_badge(key: bytes, badge_id: str) -> StoredBadge:
    """Store a badge kept in clear by an older release, keeping its entities' unique ids."""
    uid = hashlib.sha256(normalize_badge(badge_id).encode()).hexdigest()[:12]
    return StoredBadge(digest=badge_digest(key, badge_id), hint=badge_hint(badge_id), uid=uid)


def person_badges(subentry: ConfigSubentry) -> list[StoredBadge]:
    """The badges registered to a person."""
    return [StoredBadge.from_data(b) for b in subentry.data.get(CONF_BADGES, ())]
