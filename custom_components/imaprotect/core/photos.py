"""The rules of alarm photos, HA-free and clock-injected: their size, their life, their links.

A photo set is the burst one alarm (or one request) takes: three shots a second apart from each
camera watching the detector. It is kept ``keep`` days, then deleted. A verification link (DC-09
``[V…]``) opens one set for two hours: its token is random (``secrets.token_urlsafe(32)``, 256
bits), only its SHA-256 is kept, and it is compared in constant time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import hmac
import secrets
from typing import Any

MAX_WIDTH = 640
MAX_HEIGHT = 480
TARGET_BYTES = 150 * 1024
"""A photo's size aimed at: three of them fit any e-mail and a station's page loads at once."""
SHOTS = 3
SHOT_INTERVAL = 1.0
"""Seconds between two shots: at detection, +1 s, +2 s."""
LINK_VALIDITY = timedelta(hours=2)
"""How long a station's link opens its photos (Ajax Photo Mode keeps them as long)."""


def fit(width: int, height: int) -> tuple[int, int]:
    """The size a ``width`` x ``height`` frame is brought down to (never up), ratio kept."""
    if width <= 0 or height <= 0:
        raise ValueError("a frame has a positive size")
    scale = min(MAX_WIDTH / width, MAX_HEIGHT / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def expired(taken_at: datetime, now: datetime, keep: timedelta) -> bool:
    """Whether a photo taken at ``taken_at`` has outlived its ``keep``."""
    return now - taken_at >= keep


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Link:
    """One issued link: the set it opens and until when (its token is not kept)."""

    set_id: str
    expires_at: datetime


class VerificationLinks:
    """The home's open verification links, by the SHA-256 of their token."""

    def __init__(self, validity: timedelta = LINK_VALIDITY) -> None:
        self._validity = validity
        self._links: dict[str, Link] = {}

    def issue(self, set_id: str, now: datetime) -> str:
        """A new token opening ``set_id`` until ``now`` + the validity."""
        self.prune(now)
        token = secrets.token_urlsafe(32)
        self._links[_digest(token)] = Link(set_id, now + self._validity)
        return token

    def resolve(self, token: str, now: datetime) -> str | None:
        """The set a token opens, or None (unknown, or expired); every link is compared."""
        given = _digest(token)
        found: str | None = None
        for digest, link in self._links.items():
            if hmac.compare_digest(digest, given) and now < link.expires_at:
                found = link.set_id
        return found

    def prune(self, now: datetime) -> None:
        """Forget the links that no longer open anything."""
        self._links = {d: link for d, link in self._links.items() if now < link.expires_at}

    def stored(self) -> dict[str, Any]:
        """The links as the store keeps them (digests, never tokens)."""
        return {d: [link.set_id, link.expires_at.isoformat()] for d, link in self._links.items()}

    def load(self, stored: dict[str, Any]) -> None:
        """Restore the links; an unreadable one is dropped (it then opens nothing)."""
        for digest, value in stored.items():
            try:
                set_id, expires = value
                self._links[str(digest)] = Link(str(set_id), datetime.fromisoformat(expires))
            except TypeError, ValueError:
                continue
