"""HMAC-SHA256 signatures of the status callbacks sent to Home Assistant.

The signed text is ``f"{timestamp}.".encode() + raw_body``: binding the timestamp stops an old
callback from being replayed later, and signing the raw bytes (not re-serialised JSON) means both
sides hash exactly what went over the wire.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "verify"]

SIGNATURE_HEADER = "X-Imaprotect-Signature"
TIMESTAMP_HEADER = "X-Imaprotect-Timestamp"
DELIVERY_HEADER = "X-Imaprotect-Delivery"

_PREFIX = "sha256="
_MAX_TIMESTAMP_DIGITS = 12  # unix seconds stay below 10**12 for the next 30,000 years


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    if not secret:
        raise ValueError("empty signing secret")
    return _PREFIX + _digest(secret, str(timestamp), body)


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance: float = 300
) -> bool:
    """Whether the headers sign ``body`` with ``secret`` within ``tolerance`` s of ``now``.

    Anything malformed is simply False, so a receiver can answer 401 without a try block. The
    timestamp must be plain ASCII digits: ``int()`` alone would accept ``" +1_700"``-like spellings
    that the sender never signed.
    """
    if not secret or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > _MAX_TIMESTAMP_DIGITS or abs(now - int(timestamp)) > tolerance:
        return False
    expected = (_PREFIX + _digest(secret, timestamp, body)).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))
