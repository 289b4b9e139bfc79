"""DC-09 extended data blocks after the data block: ``[I…]`` text, ``[H…]`` time, ``[V…]`` link.

A block's value may hold neither ``[``, ``]`` nor ``|`` (they delimit blocks), nor CR or LF (they
delimit frames): texts are cleaned, never refused, so an odd detector name cannot cost an alarm.

Text encoding (``TextEncoding``): DC-09-2026 allows UTF-8 or CP1252 in ``[I…]``, but pysiaalarm
and Home Assistant's ``sia`` decode the whole line as ASCII *dropping* other bytes before they
check the CRC, so one "é" in a plain frame makes them drop the alarm unanswered
(``tests/station/test_receivers.py::test_a_utf8_text_is_dropped_by_pysiaalarm_so_ascii_is_the_default``).
ASCII (accents folded: "Entrée" -> "Entree") is therefore the default; UTF-8 and CP1252 are for
stations that say they take them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import unicodedata

MAX_VALUE_CHARS = 256
_TIME_FORMAT = "%H:%M:%S,%m-%d-%Y"
_DELIMITERS = str.maketrans({"[": "(", "]": ")", "|": "/"})
_URL_FORBIDDEN = frozenset("[]|<>\"'\\ ")


class TextEncoding(StrEnum):
    """How ``[I…]`` alarm texts are written."""

    ASCII = "ascii"
    UTF8 = "utf-8"
    CP1252 = "cp1252"


@dataclass(frozen=True, slots=True)
class XData:
    """One extended data block: its letter and its value's bytes."""

    ident: str
    value: bytes

    def pack(self) -> bytes:
        """``[`` + letter + value + ``]``."""
        return b"[" + self.ident.encode("ascii") + self.value + b"]"


def dc09_time(at: datetime) -> str:
    """``HH:MM:SS,MM-DD-YYYY`` in UTC, the format of timestamps and ``[H…]``."""
    return at.astimezone(UTC).strftime(_TIME_FORMAT)


def clean_text(text: str, encoding: TextEncoding) -> str:
    """``text`` as one line without block delimiters, in what ``encoding`` can write."""
    text = text.translate(_DELIMITERS)
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split())
    if encoding is TextEncoding.ASCII:
        folded = unicodedata.normalize("NFKD", text)
        text = "".join(
            ch if ord(ch) < 0x80 else "?" for ch in folded if not unicodedata.combining(ch)
        )
    elif encoding is TextEncoding.CP1252:
        text = text.encode("cp1252", "replace").decode("cp1252")
    return text[:MAX_VALUE_CHARS]


def text_block(text: str, encoding: TextEncoding) -> XData | None:
    """``[I…]`` for ``text``, or None when nothing is left after cleaning."""
    cleaned = clean_text(text, encoding)
    return XData("I", cleaned.encode(encoding.value)) if cleaned else None


def time_block(at: datetime) -> XData:
    """``[H…]``: when the event was detected, when that differs from the message's time."""
    return XData("H", dc09_time(at).encode("ascii"))


def url_block(url: str) -> XData | None:
    """``[V…]`` for an http(s) link of at most 256 printable ASCII characters, else None.

    A link that cannot be written as is is left out rather than altered: a changed URL would
    lead the operator to the wrong place or nowhere.
    """
    if not url.startswith(("https://", "http://")) or len(url) > MAX_VALUE_CHARS:
        return None
    if any(not 0x21 <= ord(ch) <= 0x7E or ch in _URL_FORBIDDEN for ch in url):
        return None
    return XData("V", url.encode("ascii"))
