"""A ``Report`` as a frame: its data block, its extended data, shortened to fit 1 000 bytes.

SIA-DCS: ``#acct|N[idUUU/]riA/CCnnn`` (``N`` new event, ``ri`` the area, then the code and its
zone or user number); ADM-CID: ``#acct|QEEE GG CCC`` (qualifier, event, partition, zone or user).
Extended data, in the order kept when space runs out: ``[H…]`` detection time, ``[V…]`` the
verification link, ``[I…]`` the alarm text, which is the one shortened. Contact ID receivers take
at most one block (pysiaalarm's ADM-CID pattern has room for one): an ADM-CID frame carries only
the first of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .codes import MAX_AREA, MAX_NUMBER, DataFormat, NumberSource, event_code
from .frames import MAX_FRAME_BYTES, FrameBuilder, FrameId
from .xdata import TextEncoding, XData, text_block, time_block, url_block

if TYPE_CHECKING:
    from datetime import datetime

    from custom_components.imaprotect.core.reports import Report


def check_report(report: Report) -> None:
    """Raise ``ValueError`` for numbers no station can take (a caller's bug, said at once)."""
    if report.at.tzinfo is None:
        raise ValueError("a report's time must be timezone-aware")
    if not 1 <= report.area <= MAX_AREA:
        raise ValueError(f"area must be 1-{MAX_AREA}")
    for name, value in (("zone", report.zone), ("user", report.user)):
        if value is not None and not 1 <= value <= MAX_NUMBER:
            raise ValueError(f"{name} must be 1-{MAX_NUMBER}")


def _number(report: Report, source: NumberSource) -> int | None:
    match source:
        case NumberSource.ZONE:
            return report.zone
        case NumberSource.USER:
            return report.user
        case NumberSource.USER_OR_ZONE:
            return report.user if report.user is not None else report.zone
        case NumberSource.AREA:
            return report.area
        case NumberSource.NONE:
            return None


def data_block(report: Report, data_format: DataFormat, account: str) -> bytes:
    """The data block's content, without its brackets."""
    code = event_code(report.kind)
    number = _number(report, code.number)
    if data_format is DataFormat.ADM_CID:
        body = f"{code.cid_qualifier}{code.cid_event:03d} {report.area:02d} {number or 0:03d}"
    else:
        who = f"id{report.user:03d}/" if code.number is NumberSource.AREA and report.user else ""
        address = f"{number:03d}" if number is not None else ""
        body = f"N{who}ri{report.area}/{code.sia}{address}"
    return f"#{account}|{body}".encode("ascii")


def extended_data(report: Report, data_format: DataFormat, encoding: TextEncoding) -> list[XData]:
    """The report's blocks, most important first."""
    blocks: list[XData] = []
    if report.detected_at is not None:
        blocks.append(time_block(report.detected_at))
    if report.verification_url is not None and (link := url_block(report.verification_url)):
        blocks.append(link)
    if report.text is not None and (text := text_block(report.text, encoding)):
        blocks.append(text)
    return blocks[:1] if data_format is DataFormat.ADM_CID else blocks


def event_frame(
    builder: FrameBuilder,
    report: Report,
    *,
    data_format: DataFormat,
    account: str,
    sequence: int,
    at: datetime,
    encoding: TextEncoding = TextEncoding.ASCII,
) -> bytes:
    """The report's frame at ``at``, its text shortened (then blocks dropped) to fit."""
    ident = FrameId(data_format.value)
    data = data_block(report, data_format, account)
    blocks = extended_data(report, data_format, encoding)
    frame = builder.frame(ident, sequence, data, blocks, at)
    if len(frame) <= MAX_FRAME_BYTES:
        return frame
    if blocks and blocks[-1].ident == "I":
        text = blocks.pop().value.decode(encoding.value)
        low, high = 1, len(text) - 1  # keep the longest prefix that fits
        best: bytes | None = None
        while low <= high:
            middle = (low + high + 1) // 2
            cut = XData("I", text[:middle].encode(encoding.value))
            candidate = builder.frame(ident, sequence, data, [*blocks, cut], at)
            if len(candidate) <= MAX_FRAME_BYTES:
                best, low = candidate, middle + 1
            else:
                high = middle - 1
        if best is not None:
            return best
    frame = builder.frame(ident, sequence, data, blocks, at)
    while len(frame) > MAX_FRAME_BYTES:  # without text, the link then the time go
        blocks.pop()
        frame = builder.frame(ident, sequence, data, blocks, at)
    return frame
