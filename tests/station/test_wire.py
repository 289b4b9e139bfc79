"""The wire format: CRC, length, sequence, account fields, pad, AES, extended data, fitting."""

from __future__ import annotations

from datetime import UTC, datetime
import os

import pytest

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import DataFormat, StationKey, TextEncoding
from custom_components.imaprotect.station.cipher import (
    MAX_PAD,
    MIN_PAD,
    PAD_ALPHABET,
    decrypt,
    encrypt,
    make_pad,
    pad_length,
)
from custom_components.imaprotect.station.crc import crc16_arc
from custom_components.imaprotect.station.encode import (
    check_report,
    data_block,
    event_frame,
    extended_data,
)
from custom_components.imaprotect.station.frames import (
    MAX_FRAME_BYTES,
    AccountId,
    FrameBuilder,
    FrameError,
    FrameId,
    envelope,
    next_sequence,
)
from custom_components.imaprotect.station.xdata import clean_text, text_block, url_block

AT = datetime(2026, 9, 25, 14, 12, 4, tzinfo=UTC)
KEY = StationKey.parse("hex:00112233445566778899AABBCCDDEEFF")


def plain() -> FrameBuilder:
    return FrameBuilder(AccountId("1234"), None, os.urandom)


@pytest.mark.parametrize(
    ("data", "crc"),
    [
        (b"123456789", 0xBB3D),  # the CRC-16/ARC check value
        (b"", 0x0000),
        (b'"SIA-DCS"0001L0#1234[#1234|Nri1/BA05]_14:12:04,09-25-2026', 0x5738),
        (b'"ADM-CID"0002L0#1234[#1234|1130 01 005]_14:12:09,09-25-2026', 0x796D),
        (b'"NULL"0003L0#1234[]_14:13:00,09-25-2026', 0x11C3),
        # pysiaalarm's real sample (research §1)
        (b'"ADM-CID"0247R4F39L4F39#4F39[#4F39|3401 01 057]', 0x5715),
    ],
)
def test_crc_vectors(data: bytes, crc: int) -> None:
    assert crc16_arc(data) == crc


def test_the_research_examples_are_built_byte_for_byte() -> None:
    frame = plain().frame(FrameId.SIA_DCS, 1, b"#1234|Nri1/BA05", (), AT)
    assert frame == b'\n57380039"SIA-DCS"0001L0#1234[#1234|Nri1/BA05]_14:12:04,09-25-2026\r'
    null = plain().frame(FrameId.NULL, 3, b"", (), datetime(2026, 9, 25, 14, 13, tzinfo=UTC))
    assert null == b'\n11C30027"NULL"0003L0#1234[]_14:13:00,09-25-2026\r'


def test_length_is_three_hex_digits_of_the_byte_count() -> None:
    body = b'"NULL"0000L0#1234[]' + b"x" * 300
    frame = envelope(body)
    assert frame[5:9] == b"013F"  # 319 bytes
    assert int(frame[5:9], 16) == len(body)
    with pytest.raises(FrameError, match="4095"):
        envelope(b"x" * 4096)


def test_sequence_wraps_from_9999_to_0001() -> None:
    assert next_sequence(1) == 2
    assert next_sequence(9998) == 9999
    assert next_sequence(9999) == 1
    with pytest.raises(FrameError, match="0000-9999"):
        plain().frame(FrameId.NULL, 10000, b"", (), AT)


def test_receiver_and_prefix_are_written_when_given() -> None:
    frame = FrameBuilder(AccountId("abc", "1F", "2a"), None, os.urandom).frame(
        FrameId.NULL, 0, b"", (), AT
    )
    assert b'"NULL"0000R2AL1F#ABC[]' in frame


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"account": "12"}, "account"),
        ({"account": "12345678901234567"}, "account"),
        ({"account": "12G4"}, "account"),
        ({"account": "1234", "line_prefix": ""}, "line prefix"),
        ({"account": "1234", "line_prefix": "1234567"}, "line prefix"),
        ({"account": "1234", "receiver": "XY"}, "receiver"),
    ],
)
def test_account_fields_are_validated(fields: dict[str, str], message: str) -> None:
    with pytest.raises(FrameError, match=message):
        AccountId(**fields)


@pytest.mark.parametrize("rest", range(64))
def test_pad_is_16_to_31_bytes_making_whole_blocks(rest: int) -> None:
    length = pad_length(rest)
    assert MIN_PAD <= length <= MAX_PAD
    assert (length + rest) % 16 == 0


def test_pad_symbols_exclude_the_delimiters_and_are_uniform() -> None:
    assert not set(b"[]|") & set(PAD_ALPHABET)
    pad = make_pad(20000, os.urandom)
    assert len(pad) == 20000
    assert set(pad) <= set(PAD_ALPHABET)
    counts = [pad.count(symbol) for symbol in PAD_ALPHABET]
    assert min(counts) > 20000 / len(PAD_ALPHABET) / 2  # every symbol drawn, none starved
    # Bytes at or above the rejection bound are skipped, so a source of only those never ends
    # a pad by itself: the next draw completes it.
    draws = iter([b"\xff" * 4, b"\x00" * 4])
    assert make_pad(4, lambda n: next(draws)[:n]) == bytes([PAD_ALPHABET[0]]) * 4


def test_aes_round_trip_and_block_errors() -> None:
    clear = b"0123456789abcdef" * 3
    for key in (
        KEY,
        StationKey.parse("hex:" + "ab" * 24),
        StationKey.parse("ascii:" + "k" * 32),
    ):
        secret = encrypt(key, clear)
        assert secret != clear
        assert decrypt(key, secret) == clear
    with pytest.raises(ValueError, match="multiple of 16"):
        encrypt(KEY, b"short")
    with pytest.raises(ValueError, match="multiple of 16"):
        decrypt(KEY, b"")


def test_an_encrypted_frame_holds_pad_data_and_timestamp_after_the_bracket() -> None:
    builder = FrameBuilder(AccountId("1234"), KEY, lambda n: b"A" * n)
    assert builder.encrypted
    frame = builder.frame(FrameId.SIA_DCS, 7, b"#1234|Nri1/BA005", (), AT)
    head, hexed = frame[9:-1].split(b"[")
    assert head == b'"*SIA-DCS"0007L0#1234'
    clear = decrypt(KEY, bytes.fromhex(hexed.decode()))
    pad, rest = clear.split(b"|", 1)
    assert MIN_PAD <= len(pad) <= MAX_PAD
    assert rest == b"#1234|Nri1/BA005]_14:12:04,09-25-2026"
    null = builder.frame(FrameId.NULL, 0, b"", (), AT)
    clear = decrypt(KEY, bytes.fromhex(null[9:-1].split(b"[")[1].decode()))
    assert clear.endswith(b"]_14:12:04,09-25-2026")
    assert b"|" not in clear  # no data, no separator


def test_texts_are_cleaned_never_refused() -> None:
    raw = "Porte [entrée]|cave\r\n\tnuit\x00"
    assert clean_text(raw, TextEncoding.ASCII) == "Porte (entree)/cave nuit"
    assert clean_text(raw, TextEncoding.UTF8) == "Porte (entrée)/cave nuit"
    assert clean_text("Œuvre € ✓", TextEncoding.CP1252) == "Œuvre € ?"
    assert clean_text("日本", TextEncoding.ASCII) == "??"
    assert len(clean_text("x" * 300, TextEncoding.ASCII)) == 256
    assert text_block(" \r\n ", TextEncoding.ASCII) is None
    block = text_block("Entrée", TextEncoding.CP1252)
    assert block is not None
    assert block.pack() == b"[IEntr\xe9e]"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.example/a",
        "https://x.example/" + "a" * 240,
        "https://x.example/a b",
        "https://x.example/[a]",
        "https://x.example/é",
    ],
)
def test_a_link_that_cannot_be_written_as_is_is_left_out(url: str) -> None:
    assert url_block(url) is None


def test_a_link_is_kept_whole() -> None:
    block = url_block("https://verify.example/v/" + "A" * 200)
    assert block is not None
    assert block.pack().startswith(b"[Vhttps://verify.example/v/")


def _report(kind: ReportKind = ReportKind.BURGLARY, **fields: object) -> Report:
    return Report(kind, AT, **fields)  # type: ignore[arg-type]


def test_data_blocks_of_both_formats() -> None:
    assert data_block(_report(zone=5), DataFormat.SIA_DCS, "1234") == b"#1234|Nri1/BA005"
    assert data_block(_report(zone=5), DataFormat.ADM_CID, "1234") == b"#1234|1130 01 005"
    test = _report(ReportKind.TEST_AUTOMATIC, area=3)
    assert data_block(test, DataFormat.SIA_DCS, "1234") == b"#1234|Nri3/RP"
    assert data_block(test, DataFormat.ADM_CID, "1234") == b"#1234|1602 03 000"
    partial = _report(ReportKind.ARM_PARTIAL, user=8, area=2)
    assert data_block(partial, DataFormat.SIA_DCS, "1234") == b"#1234|Nid008/ri2/NL002"
    anonymous = _report(ReportKind.ARM_PARTIAL)
    assert data_block(anonymous, DataFormat.SIA_DCS, "1234") == b"#1234|Nri1/NL001"
    panic = _report(ReportKind.PANIC, zone=9)
    assert data_block(panic, DataFormat.SIA_DCS, "1234") == b"#1234|Nri1/PA009"
    panic = _report(ReportKind.PANIC, zone=9, user=2)
    assert data_block(panic, DataFormat.SIA_DCS, "1234") == b"#1234|Nri1/PA002"
    arm = _report(ReportKind.ARM_TOTAL, user=12)
    assert data_block(arm, DataFormat.ADM_CID, "1234") == b"#1234|3401 01 012"


def test_contact_id_takes_one_block_sia_dcs_all() -> None:
    report = _report(text="Salon", detected_at=AT, verification_url="https://v.example/x")
    assert [b.ident for b in extended_data(report, DataFormat.SIA_DCS, TextEncoding.ASCII)] == [
        "H",
        "V",
        "I",
    ]
    assert [b.ident for b in extended_data(report, DataFormat.ADM_CID, TextEncoding.ASCII)] == ["H"]
    text_only = _report(text="Salon")
    assert [b.ident for b in extended_data(text_only, DataFormat.ADM_CID, TextEncoding.ASCII)] == [
        "I"
    ]


@pytest.mark.parametrize("key", [None, KEY, StationKey.parse("hex:" + "cd" * 32)])
def test_long_texts_are_shortened_to_fit_1000_bytes(key: StationKey | None) -> None:
    builder = FrameBuilder(AccountId("1234567890ABCDEF", "ABCDEF", "123456"), key, os.urandom)
    report = _report(
        text="€" * 256,  # three bytes each in UTF-8
        detected_at=AT,
        verification_url="https://verify.example/" + "v" * 230,
    )
    for encoding in TextEncoding:
        frame = event_frame(
            builder,
            report,
            data_format=DataFormat.SIA_DCS,
            account="1234567890ABCDEF",
            sequence=1,
            at=AT,
            encoding=encoding,
        )
        assert len(frame) <= MAX_FRAME_BYTES
        assert b"[I" in frame or key is not None
        if key is None and encoding is TextEncoding.UTF8:
            assert b"[Vhttps://verify.example/" in frame
            assert len(frame) > MAX_FRAME_BYTES - 8  # the text was cut, not dropped
    short = event_frame(
        builder,
        _report(text="Salon"),
        data_format=DataFormat.SIA_DCS,
        account="1234567890ABCDEF",
        sequence=1,
        at=AT,
    )
    assert len(short) < 300


def test_blocks_go_when_even_a_one_character_text_does_not_fit() -> None:
    class Huge(FrameBuilder):
        def frame(self, ident, sequence, data, xdata, at):  # type: ignore[no-untyped-def]
            return super().frame(ident, sequence, data + b"x" * (850 if xdata else 0), xdata, at)

    builder = Huge(AccountId("1234"), None, os.urandom)
    report = _report(
        text="Salon", detected_at=AT, verification_url="https://v.example/" + "a" * 200
    )
    frame = event_frame(
        builder, report, data_format=DataFormat.SIA_DCS, account="1234", sequence=1, at=AT
    )
    assert b"[V" not in frame
    assert b"[I" not in frame
    assert len(frame) <= MAX_FRAME_BYTES


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"at": datetime(2026, 1, 1)}, "timezone"),  # noqa: DTZ001
        ({"area": 0}, "area"),
        ({"area": 100}, "area"),
        ({"zone": 0}, "zone"),
        ({"zone": 1000}, "zone"),
        ({"user": 1000}, "user"),
    ],
)
def test_impossible_numbers_are_refused_at_once(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"kind": ReportKind.BURGLARY, "at": AT}
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        check_report(Report(**values))  # type: ignore[arg-type]
