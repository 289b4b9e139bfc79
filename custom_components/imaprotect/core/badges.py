"""Badge ids at rest: keyed hashes, compared in constant time, shown only by a short hint.

A badge id is a bearer credential (it disarms without a code), often short or printed on the
fob, so it is never kept in clear. Each home has its own random key and stores
HMAC-SHA256(key, id) of each badge: someone who reads the configuration or a backup cannot
replay a badge, and without the key cannot even try ids offline against the digests (an
unkeyed sha256 of a short id is reversed by trying them all). Readers differ in case and
padding, so the id is normalised before hashing.
"""

import hashlib
import hmac
from typing import TYPE_CHECKING

from .model import normalize_badge

if TYPE_CHECKING:
    from collections.abc import Iterable

KEY_BYTES = 32


def badge_digest(key: bytes, badge_id: str) -> str:
    """The keyed hash of a badge id (hex), as stored and compared."""
    return hmac.new(key, normalize_badge(badge_id).encode(), hashlib.sha256).hexdigest()


def digest_among(digest: str, digests: Iterable[str]) -> bool:
    """Whether ``digest`` is one of ``digests``; every one is compared, each in constant time."""
    found = False
    for candidate in digests:
        found |= hmac.compare_digest(candidate.encode(), digest.encode())
    return found


def badge_hint(badge_id: str) -> str:
    """Return the last characters of a badge id, at most 4 and never more than half of it."""
    keep = min(4, len(badge_id) // 2)
    return badge_id[len(badge_id) - keep :]
