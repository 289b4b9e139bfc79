"""The receiver's answers: ACK, NAK, DUH and RSP frames, checked and decrypted.

``ACK`` / ``RSP`` / ``DUH`` echo the sequence number and the account (the transmitter ignores
one that does not match the frame in flight). ``NAK`` carries ``0000`` and the receiver's clock
(``"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY``): the sender takes its clock offset from it.
An answer to an encrypted frame is ``"*ACK"…[<hex>`` whose cleartext is ``pad]…_timestamp``
(pysiaalarm) or ``pad|]…_timestamp`` (DC-09-2026); NAK and DUH are never encrypted.
A frame with a wrong CRC or length is refused: a corrupted ACK must not remove an alarm.
pysiaalarm (so Home Assistant's ``sia``) writes the literal ``None`` where the receiver number
goes when the frame had no ``R`` field (``"ACK"0001NoneL0#1234[]``), and its NAK puts ``L`` before
``R`` (``"NAK"0000L0R0A0[]…``): receiver and prefix are read in any order, ``None`` as nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import re
from typing import TYPE_CHECKING

from .cipher import decrypt
from .crc import crc16_arc

if TYPE_CHECKING:
    from .keys import StationKey

_FRAME = re.compile(rb"\n([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})(.*)\r", re.DOTALL)
_HEADER = re.compile(
    r'"(?P<star>\*?)(?P<kind>ACK|NAK|DUH|RSP)"(?P<seq>\d{4})'
    r"(?:R[0-9A-Fa-f]{1,6}|L[0-9A-Fa-f]{1,6}|None)*"
    r"(?:#(?P<acct>[0-9A-Fa-f]{3,16})|A[0-9A-Fa-f]*)?\[(?P<rest>.*)",
    re.DOTALL,
)
_TIMESTAMP = re.compile(r"_(\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4})$")
_BLOCK = re.compile(r"\[([^\[\]]*)\]")


class AnswerKind(StrEnum):
    """What the receiver said."""

    ACK = "ACK"
    NAK = "NAK"
    DUH = "DUH"
    RSP = "RSP"


class AnswerError(ValueError):
    """Bytes that are not a valid answer frame (ignored by the transmitter)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One parsed answer."""

    kind: AnswerKind
    sequence: int
    account: str | None
    encrypted: bool
    timestamp: datetime | None = None
    xdata: tuple[str, ...] = ()

    def answers(self, sequence: int, account: str, *, encrypted: bool) -> bool:
        """Whether this ACK/RSP/DUH is the answer to our frame ``sequence`` of ``account``.

        With a key (``encrypted``), only an encrypted ACK or RSP counts; DUH is never encrypted.
        """
        if self.sequence != sequence or self.account != account:
            return False
        return self.encrypted or not encrypted or self.kind is AnswerKind.DUH


def _timestamp(text: str) -> tuple[str, datetime | None]:
    match = _TIMESTAMP.search(text)
    if match is None:
        return text, None
    try:
        at = datetime.strptime(match.group(1), "%H:%M:%S,%m-%d-%Y").replace(tzinfo=UTC)
    except ValueError as err:
        raise AnswerError("unreadable timestamp") from err
    return text[: match.start()], at


def _check_envelope(raw: bytes) -> str:
    match = _FRAME.fullmatch(raw)
    if match is None:
        raise AnswerError("not a DC-09 frame (LF crc length … CR)")
    body = match.group(3)
    if int(match.group(1), 16) != crc16_arc(body):
        raise AnswerError("CRC mismatch")
    length = match.group(2).decode("ascii")
    # Some devices write the length in decimal; the CRC already vouches for the bytes.
    if len(body) not in (int(length, 16), int(length) if length.isdigit() else -1):
        raise AnswerError("length mismatch")
    try:
        return body.decode("ascii")
    except UnicodeDecodeError as err:
        raise AnswerError("non-ASCII answer") from err


def _cleartext(rest: str, key: StationKey | None) -> str:
    if key is None:
        raise AnswerError("encrypted answer but no key")
    try:
        clear = decrypt(key, bytes.fromhex(rest.rstrip("]"))).decode("ascii")
    except (ValueError, UnicodeDecodeError) as err:
        raise AnswerError("encrypted answer does not decrypt with our key") from err
    end = clear.find("]")
    if end < 0:
        raise AnswerError("encrypted answer does not decrypt with our key")
    return clear[end + 1 :]


def parse_answer(raw: bytes, key: StationKey | None) -> Answer:
    """Parse one frame ``raw`` (LF … CR); ``key`` decrypts an encrypted answer."""
    body = _check_envelope(raw)
    header = _HEADER.fullmatch(body)
    if header is None:
        raise AnswerError("not an ACK, NAK, DUH or RSP")
    kind = AnswerKind(header["kind"])
    encrypted = bool(header["star"])
    rest = header["rest"]
    if encrypted:
        after = _cleartext(rest, key)
    else:
        end = rest.find("]")
        if end < 0:
            raise AnswerError("missing ] after the data block")
        after = rest[end + 1 :]
    blocks_text, at = _timestamp(after)
    blocks = tuple(_BLOCK.findall(blocks_text))
    if encrypted and at is None:
        raise AnswerError("encrypted answer without timestamp")
    return Answer(
        kind=kind,
        sequence=int(header["seq"]),
        account=header["acct"].upper() if header["acct"] else None,
        encrypted=encrypted,
        timestamp=at,
        xdata=blocks,
    )


def split_frames(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut a TCP stream into ``LF…CR`` frames; returns the frames and what is left over."""
    frames: list[bytes] = []
    start = buffer.find(b"\n")
    while start >= 0:
        end = buffer.find(b"\r", start)
        if end < 0:
            return frames, buffer[start:]
        start = buffer.rfind(b"\n", start, end)  # junk before a frame never hides it
        frames.append(buffer[start : end + 1])
        start = buffer.find(b"\n", end + 1)
    return frames, b""
