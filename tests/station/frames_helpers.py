"""Answer frames as a receiver writes them, for the unit tests of the pure parts."""

from __future__ import annotations

from datetime import datetime

from custom_components.imaprotect.station.cipher import encrypt, make_pad, pad_length
from custom_components.imaprotect.station.frames import envelope
from custom_components.imaprotect.station.keys import StationKey
from custom_components.imaprotect.station.xdata import dc09_time


def answer_frame(
    kind: str,
    sequence: int,
    account: str | None = "1234",
    *,
    key: StationKey | None = None,
    at: datetime | None = None,
    xdata: str = "",
    separator: bool = False,
) -> bytes:
    """``"ACK"0001L0#1234[]…`` (``key``: ``"*ACK"…[<hex of pad]xdata_ts>``)."""
    acct = f"#{account}" if account is not None else "A0"
    stamp = f"_{dc09_time(at)}" if at is not None else ""
    if key is None:
        body = f'"{kind}"{sequence:04d}L0{acct}[]{xdata}{stamp}'.encode("ascii")
        return envelope(body)
    clear = (("|" if separator else "") + "]" + xdata + stamp).encode("ascii")
    clear = make_pad(pad_length(len(clear)), lambda n: b"x" * n) + clear
    hexed = encrypt(key, clear).hex().upper()
    return envelope(f'"*{kind}"{sequence:04d}L0{acct}[{hexed}'.encode("ascii"))
