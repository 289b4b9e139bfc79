"""Answers: ACK, NAK, DUH, RSP, plain and encrypted; broken frames refused; stream splitting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.imaprotect.station import StationKey
from custom_components.imaprotect.station.answers import (
    AnswerError,
    AnswerKind,
    parse_answer,
    split_frames,
)
from custom_components.imaprotect.station.cipher import encrypt
from custom_components.imaprotect.station.frames import envelope

from .frames_helpers import answer_frame

KEY = StationKey.parse("ascii:0123456789abcdef")
AT = datetime(2026, 12, 2, 10, 0, 5, tzinfo=UTC)


def test_ack_with_sequence_and_account() -> None:
    answer = parse_answer(answer_frame("ACK", 42, "12ab"), None)
    assert (answer.kind, answer.sequence, answer.account) == (AnswerKind.ACK, 42, "12AB")
    assert not answer.encrypted
    assert answer.timestamp is None


def test_pysiaalarm_writes_none_for_a_missing_receiver_and_l_before_r_in_nak() -> None:
    ack = parse_answer(envelope(b'"ACK"0001NoneL0#1234[]'), None)
    assert (ack.sequence, ack.account) == (1, "1234")
    nak = parse_answer(envelope(b'"NAK"0000L0R0A0[]_10:00:05,12-02-2026'), None)
    assert (nak.kind, nak.sequence, nak.account, nak.timestamp) == (AnswerKind.NAK, 0, None, AT)


def test_duh_and_rsp_with_its_blocks() -> None:
    assert parse_answer(answer_frame("DUH", 7), None).kind is AnswerKind.DUH
    rsp = parse_answer(answer_frame("RSP", 7, xdata="[KABCD][Ihello]", at=AT), None)
    assert (rsp.kind, rsp.xdata, rsp.timestamp) == (AnswerKind.RSP, ("KABCD", "Ihello"), AT)


@pytest.mark.parametrize("separator", [False, True])
def test_encrypted_ack_of_pysiaalarm_and_of_dc09_2026(separator: bool) -> None:
    raw = answer_frame("ACK", 3, key=KEY, at=AT, separator=separator)
    answer = parse_answer(raw, KEY)
    assert (answer.kind, answer.sequence, answer.encrypted, answer.timestamp) == (
        AnswerKind.ACK,
        3,
        True,
        AT,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\n\r", "not a DC-09 frame"),  # pysiaalarm's answer to a bad CRC
        (b'"ACK"', "not a DC-09 frame"),
        (answer_frame("ACK", 1).replace(b"#1234", b"#1235"), "CRC"),
        (b"\n" + answer_frame("ACK", 1)[1:5] + b"0099" + answer_frame("ACK", 1)[9:], "length"),
        (envelope(b'"XYZ"0001L0#1234[]'), "not an ACK"),
        (envelope(b'"ACK"0001L0#1234[no end'), "missing ]"),
        (envelope(b'"NAK"0000L0A0[]_99:99:99,12-02-2026'), "timestamp"),
        (envelope('"ACK"0001L0#1234[]é'.encode()), "non-ASCII"),
    ],
)
def test_broken_answers_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        parse_answer(raw, None)


def test_a_decimal_length_is_tolerated_when_the_crc_is_right() -> None:
    body = b'"ACK"0001L0#1234[]'  # 18 bytes: 0012 in hex, 0018 in decimal
    good = envelope(body)
    decimal = good[:5] + b"0018" + good[9:]
    assert parse_answer(decimal, None).sequence == 1


def test_encrypted_answers_need_our_key_and_a_timestamp() -> None:
    other = StationKey.parse("ascii:fedcba9876543210")
    raw = answer_frame("ACK", 3, key=KEY, at=AT)
    with pytest.raises(AnswerError, match="no key"):
        parse_answer(raw, None)
    with pytest.raises(AnswerError, match="decrypt"):
        parse_answer(raw, other)
    with pytest.raises(AnswerError, match="without timestamp"):
        parse_answer(answer_frame("ACK", 3, key=KEY), KEY)
    not_hex = envelope(b'"*ACK"0003L0#1234[NOTHEX')
    with pytest.raises(AnswerError, match="decrypt"):
        parse_answer(not_hex, KEY)
    no_bracket = encrypt(KEY, b"x" * 16).hex().upper().encode()
    with pytest.raises(AnswerError, match="decrypt"):
        parse_answer(envelope(b'"*ACK"0003L0#1234[' + no_bracket), KEY)


def test_a_stream_is_cut_into_frames() -> None:
    one, two = answer_frame("ACK", 1), answer_frame("ACK", 2)
    frames, rest = split_frames(one + two[:10])
    assert (frames, rest) == ([one], two[:10])
    frames, rest = split_frames(rest + two[10:])
    assert (frames, rest) == ([two], b"")
    frames, rest = split_frames(b"junk\n\nno cr" + one)  # junk before a frame never hides it
    assert (frames, rest) == ([one], b"")
    assert split_frames(b"no frame at all") == ([], b"")
