"""The AES key of a station account, given explicitly as hex or ASCII.

The same 32 characters mean two different keys depending on who reads them: pysiaalarm and Home
Assistant's ``sia`` take the string's ASCII bytes (16, 24 or 32 characters: AES-128/192/256),
most panels and receivers take hex (32, 48 or 64 digits). A key is therefore only ever accepted
with its format said (``hex:…`` or ``ascii:…``, or :meth:`StationKey.from_hex` /
:meth:`StationKey.from_ascii`), so a station's key is never silently read the wrong way.
Errors carry a ``reason`` (for a translated message) and never the key or any part of it; the
key's ``repr`` says only its size and format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import override

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SIZES = (16, 24, 32)


class KeyFormat(StrEnum):
    """How the key was written down."""

    HEX = "hex"
    ASCII = "ascii"


class KeyErrorReason(StrEnum):
    """Why a key was refused (a translation key for the adapter)."""

    MISSING_FORMAT = "missing_format"  # neither "hex:" nor "ascii:"
    BAD_LENGTH = "bad_length"
    NOT_HEX = "not_hex"
    NOT_ASCII = "not_ascii"


class StationKeyError(ValueError):
    """A key that cannot be used; the message never contains the key."""

    def __init__(self, reason: KeyErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True, repr=False)
class StationKey:
    """An AES-128/192/256 key and the format it was given in."""

    material: bytes = field(compare=True)
    format: KeyFormat

    def __post_init__(self) -> None:
        if len(self.material) not in _SIZES:
            raise StationKeyError(
                KeyErrorReason.BAD_LENGTH,
                "an AES key has 16, 24 or 32 bytes (128, 192 or 256 bits)",
            )

    @classmethod
    def parse(cls, text: str) -> StationKey:
        """Read ``hex:<32|48|64 hex digits>`` or ``ascii:<16|24|32 characters>``."""
        prefix, sep, value = text.partition(":")
        kind = prefix.strip().lower()
        if sep and kind == KeyFormat.HEX:
            return cls.from_hex(value)
        if sep and kind == KeyFormat.ASCII:
            return cls.from_ascii(value)
        raise StationKeyError(
            KeyErrorReason.MISSING_FORMAT,
            'say how the key is written: "hex:" followed by 32, 48 or 64 hex digits, or "ascii:" '
            "followed by 16, 24 or 32 characters",
        )

    @classmethod
    def from_hex(cls, digits: str) -> StationKey:
        """A key written as 32, 48 or 64 hex digits (most panels, siadc09, ioBroker)."""
        digits = digits.strip()
        if not digits or any(char not in _HEX_DIGITS for char in digits):
            raise StationKeyError(
                KeyErrorReason.NOT_HEX, "a hex key holds only the digits 0-9 and letters A-F"
            )
        if len(digits) not in (32, 48, 64):
            raise StationKeyError(
                KeyErrorReason.BAD_LENGTH,
                f"a hex key has 32, 48 or 64 digits, not {len(digits)}",
            )
        return cls(bytes.fromhex(digits), KeyFormat.HEX)

    @classmethod
    def from_ascii(cls, characters: str) -> StationKey:
        """A key written as 16, 24 or 32 printable ASCII characters (pysiaalarm, HA ``sia``)."""
        if any(not 0x20 <= ord(char) <= 0x7E for char in characters):
            raise StationKeyError(
                KeyErrorReason.NOT_ASCII,
                "an ASCII key holds only printable ASCII characters "
                "(no accents, no control characters)",
            )
        if len(characters) not in _SIZES:
            raise StationKeyError(
                KeyErrorReason.BAD_LENGTH,
                f"an ASCII key has 16, 24 or 32 characters, not {len(characters)}",
            )
        return cls(characters.encode("ascii"), KeyFormat.ASCII)

    @property
    def bits(self) -> int:
        """128, 192 or 256."""
        return len(self.material) * 8

    def as_text(self) -> str:
        """The key as :meth:`parse` reads it back, to keep in the adapter's settings."""
        if self.format is KeyFormat.HEX:
            return f"hex:{self.material.hex().upper()}"
        return f"ascii:{self.material.decode('ascii')}"

    @override
    def __repr__(self) -> str:
        return f"StationKey(AES-{self.bits}, {self.format.value}, <redacted>)"

    @override
    def __str__(self) -> str:
        return self.__repr__()
