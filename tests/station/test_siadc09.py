"""siadc09 (DC-09-2026 primitives) as a third parser: every frame we build parses right.

siadc09 reads DC-03 addresses and DC-05 fields as hex, we write decimal digits like most panels:
the checks compare the digits (``format(value, "X")``), which is what a station sees.
"""

from __future__ import annotations

from datetime import UTC, datetime
import os

import pytest
from siadc09 import message

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import EVENT_CODES, DataFormat, StationKey
from custom_components.imaprotect.station.codes import NumberSource
from custom_components.imaprotect.station.encode import event_frame
from custom_components.imaprotect.station.frames import AccountId, FrameBuilder, FrameId

AT = datetime(2026, 12, 2, 14, 12, 4, tzinfo=UTC)
DETECTED = datetime(2026, 12, 2, 14, 12, 1, tzinfo=UTC)
HEX_KEYS = {
    128: "00112233445566778899AABBCCDDEEFF",
    192: "00112233445566778899AABBCCDDEEFF0123456789ABCDEF",
    256: "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
}
KEYS: list[StationKey | None] = [
    None,
    *(StationKey.parse(f"hex:{digits}") for digits in HEX_KEYS.values()),
    StationKey.parse("ascii:imaprotect-station-key!!"),  # 24 characters
]


def _digits(value: int, width: int) -> str:
    return format(value, "X").zfill(width)


def _number(report: Report, source: NumberSource) -> int | None:
    return {
        NumberSource.ZONE: report.zone,
        NumberSource.USER: report.user,
        NumberSource.USER_OR_ZONE: report.user,
        NumberSource.AREA: report.area,
        NumberSource.NONE: None,
    }[source]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: "plain" if k is None else repr(k))
@pytest.mark.parametrize("data_format", list(DataFormat))
@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_frame_parses_with_the_right_fields(
    kind: ReportKind, data_format: DataFormat, key: StationKey | None
) -> None:
    builder = FrameBuilder(AccountId("12AB", "3", "5"), key, os.urandom)
    report = Report(
        kind,
        AT,
        area=2,
        zone=17,
        user=4,
        text="Porte d'entrée",
        detected_at=DETECTED,
        verification_url="https://verify.example/v/34AC4DE3446",
    )
    frame = event_frame(
        builder, report, data_format=data_format, account="12AB", sequence=9876, at=AT
    )
    parsed = message.parse_frame(frame, keys=key.material if key else None)
    assert parsed.idtoken == data_format.value
    assert parsed.seq == 9876
    assert parsed.encrypted is (key is not None)
    assert (parsed.account.acct, parsed.account.pref, parsed.account.rcvr) == (0x12AB, 3, 5)
    assert parsed.timestamp == AT
    code = EVENT_CODES[kind]
    blocks = {x.prefix: x.value for x in parsed.xdata}
    if data_format is DataFormat.ADM_CID:
        event = parsed.data.event
        assert (event.qualifier, event.code) == (str(code.cid_qualifier), f"{code.cid_event:03d}")
        assert _digits(event.group, 2) == "02"
        number = _number(report, code.number) or 0
        assert _digits(event.addr, 3) == f"{number:03d}"
        assert blocks == {"H": DETECTED}  # one block only for Contact ID
        return
    account_block, info = parsed.data.blocks  # "#12AB", then the event
    assert account_block.functioncode == "#"
    (event,) = info.events
    assert event.code == code.sia
    assert event.modifiers["ri"].value == 2
    number = _number(report, code.number)
    if number is None:
        assert event.addr is None
    else:
        assert _digits(event.addr, 3) == f"{number:03d}"
    if code.number is NumberSource.AREA:
        assert event.modifiers["id"].value == 4
    assert blocks == {
        "H": DETECTED,
        "V": "https://verify.example/v/34AC4DE3446",
        "I": "Porte d'entree",
    }


@pytest.mark.parametrize("key", KEYS, ids=lambda k: "plain" if k is None else repr(k))
def test_null_polls_parse(key: StationKey | None) -> None:
    builder = FrameBuilder(AccountId("1234"), key, os.urandom)
    frame = builder.frame(FrameId.NULL, 0, b"", (), AT)
    parsed = message.parse_frame(frame, keys=key.material if key else None)
    assert isinstance(parsed, message.NullMessage)
    assert (parsed.seq, parsed.account.acct, parsed.timestamp) == (0, 0x1234, AT)
    assert parsed.encrypted is (key is not None)


def test_siadc09_frames_and_ours_agree_byte_for_byte_when_plain() -> None:
    # siadc09 builds a plain NULL the way we do: same CRC, same length, same bytes.
    from siadc09 import account

    theirs = message.NullMessage(account.Account(acct=0x1234), timestamp=AT).encode(seq=0)
    ours = FrameBuilder(AccountId("1234"), None, os.urandom).frame(FrameId.NULL, 0, b"", (), AT)
    assert ours == theirs
