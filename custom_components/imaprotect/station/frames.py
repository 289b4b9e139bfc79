"""SIA DC-09 frames: ``LF crc 0LLL "id" seq [R…] L… #acct [data]xdata_timestamp CR``.

Pure: the caller gives the sequence number, the time and the random source. CRC-16/ARC and the
length (``0`` + three hex digits, the byte count) cover the span from the id token's opening quote
to the end of the timestamp. With a key, the id gets a ``*`` and everything after ``[`` is
``pad|data]xdata_timestamp`` encrypted (AES-CBC, zero IV) and written in upper-case hex; the
timestamp, optional in plain frames, is always sent. A frame is at most 1 000 bytes (pysiaalarm
reads 1 000 bytes per TCP read): ``encode.py`` shortens texts to fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TYPE_CHECKING

from .cipher import encrypt, make_pad, pad_length
from .crc import crc16_arc
from .xdata import dc09_time

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from .keys import StationKey
    from .xdata import XData

MAX_FRAME_BYTES = 1000
MAX_SEQUENCE = 9999
NULL_SEQUENCE = 0  # polls use 0000, so they never share a number with an event
_HEX = re.compile(r"[0-9A-F]+")


class FrameId(StrEnum):
    """Id tokens this sender writes."""

    SIA_DCS = "SIA-DCS"
    ADM_CID = "ADM-CID"
    NULL = "NULL"


class FrameError(ValueError):
    """A frame that cannot be built (bad account field, too long)."""


def _hex_field(name: str, value: str, low: int, high: int) -> str:
    value = value.strip().upper()
    if not low <= len(value) <= high or not _HEX.fullmatch(value):
        raise FrameError(f"{name} must be {low} to {high} hex digits")
    return value


@dataclass(frozen=True, slots=True)
class AccountId:
    """Who we are to the receiver: ``#acct`` (3-16 hex), ``L`` prefix and optional ``R``."""

    account: str
    line_prefix: str = "0"
    receiver: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "account", _hex_field("account", self.account, 3, 16))
        object.__setattr__(self, "line_prefix", _hex_field("line prefix", self.line_prefix, 1, 6))
        if self.receiver is not None:
            object.__setattr__(self, "receiver", _hex_field("receiver", self.receiver, 1, 6))


def next_sequence(sequence: int) -> int:
    """0001 … 9999, then 0001 again (0000 is the polls')."""
    return 1 if sequence >= MAX_SEQUENCE else sequence + 1


def envelope(body: bytes) -> bytes:
    """LF, CRC, length, ``body``, CR."""
    if len(body) > 0xFFF:
        raise FrameError("a DC-09 frame body holds at most 4095 bytes")
    return b"\n%04X0%03X%s\r" % (crc16_arc(body), len(body), body)


class FrameBuilder:
    """Builds one account's frames, plain or encrypted."""

    __slots__ = ("_header_tail", "_key", "_random")

    def __init__(
        self,
        ident: AccountId,
        key: StationKey | None,
        random_bytes: Callable[[int], bytes],
    ) -> None:
        receiver = f"R{ident.receiver}" if ident.receiver is not None else ""
        self._header_tail = f"{receiver}L{ident.line_prefix}#{ident.account}[".encode("ascii")
        self._key = key
        self._random = random_bytes

    @property
    def encrypted(self) -> bool:
        """Whether frames are sent with ``*`` (a key is set)."""
        return self._key is not None

    def frame(
        self,
        ident: FrameId,
        sequence: int,
        data: bytes,
        xdata: Sequence[XData],
        at: datetime,
    ) -> bytes:
        """The whole frame; ``data`` without brackets (empty for NULL), ``at`` its timestamp."""
        if not 0 <= sequence <= MAX_SEQUENCE:
            raise FrameError("sequence must be 0000-9999")
        tail = b"]" + b"".join(block.pack() for block in xdata)
        tail += b"_" + dc09_time(at).encode("ascii")
        star = b"*" if self._key is not None else b""
        head = b'"%s%s"%04d' % (star, ident.value.encode("ascii"), sequence) + self._header_tail
        if self._key is None:
            return envelope(head + data + tail)
        clear = (b"|" + data if data else b"") + tail
        clear = make_pad(pad_length(len(clear)), self._random) + clear
        return envelope(head + encrypt(self._key, clear).hex().upper().encode("ascii"))
