"""AES-CBC with a zero IV and DC-09 padding, for the ``*``-flagged (encrypted) frames.

DC-09 encrypts everything after ``[``: ``pad|data]xdata_timestamp``. The IV is 16 zero bytes,
so the pad is what makes two encryptions of the same event differ: DC-09-2026 asks for 16 to 31
pseudorandom bytes, none of them ``[``, ``]`` or ``|``, and as many as make the cleartext a
whole number of AES blocks. We draw pad bytes from printable ASCII (91 symbols, about 6.5 bits
each, more than 100 bits per pad): pysiaalarm and Home Assistant decode the cleartext as ASCII
and drop other bytes, and some receivers treat control bytes as the frame's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

if TYPE_CHECKING:
    from collections.abc import Callable

    from .keys import StationKey

BLOCK = 16
MIN_PAD = 16
MAX_PAD = 31
_IV = bytes(BLOCK)
PAD_ALPHABET = bytes(c for c in range(0x21, 0x7F) if c not in b"[]|")
# The largest multiple of the alphabet's size that fits in a byte: rejection sampling above it
# keeps every symbol equally likely.
_ACCEPT_BELOW = 256 - 256 % len(PAD_ALPHABET)


def pad_length(rest: int) -> int:
    """The pad length (16-31) that makes ``pad + rest`` a multiple of 16 bytes."""
    return MIN_PAD + (-(MIN_PAD + rest)) % BLOCK


def make_pad(length: int, random_bytes: Callable[[int], bytes]) -> bytes:
    """``length`` uniformly drawn pad symbols from ``random_bytes`` (``os.urandom``)."""
    out = bytearray()
    while len(out) < length:
        out.extend(
            PAD_ALPHABET[b % len(PAD_ALPHABET)]
            for b in random_bytes(length - len(out))
            if b < _ACCEPT_BELOW
        )
    return bytes(out)


def encrypt(key: StationKey, cleartext: bytes) -> bytes:
    """AES-CBC, zero IV; ``cleartext`` must already be a whole number of blocks."""
    if len(cleartext) % BLOCK:
        raise ValueError("cleartext must be a multiple of 16 bytes (pad it first)")
    encryptor = Cipher(algorithms.AES(key.material), modes.CBC(_IV)).encryptor()
    return encryptor.update(cleartext) + encryptor.finalize()


def decrypt(key: StationKey, ciphertext: bytes) -> bytes:
    """The inverse of :func:`encrypt`; raises ``ValueError`` on a partial block."""
    if not ciphertext or len(ciphertext) % BLOCK:
        raise ValueError("ciphertext must be a non-empty multiple of 16 bytes")
    decryptor = Cipher(algorithms.AES(key.material), modes.CBC(_IV)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()
