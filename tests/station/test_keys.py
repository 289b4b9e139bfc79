"""Keys are given with their format, validated, and never echoed."""

from __future__ import annotations

import pytest

from custom_components.imaprotect.station import (
    KeyErrorReason,
    KeyFormat,
    StationKey,
    StationKeyError,
)

SECRET_HEX = "C0FFEE" * 5 + "AB"  # 32 digits
SECRET_ASCII = "s3cr3t-Passw0rd!"  # 16 characters


@pytest.mark.parametrize(
    ("text", "bits", "fmt"),
    [
        (f"hex:{SECRET_HEX}", 128, KeyFormat.HEX),
        (f"HEX: {SECRET_HEX.lower()} ", 128, KeyFormat.HEX),
        ("hex:" + "ab" * 24, 192, KeyFormat.HEX),
        ("hex:" + "ab" * 32, 256, KeyFormat.HEX),
        (f"ascii:{SECRET_ASCII}", 128, KeyFormat.ASCII),
        ("ascii:" + "k" * 24, 192, KeyFormat.ASCII),
        ("Ascii:" + "k: " * 10 + "kk", 256, KeyFormat.ASCII),  # spaces and colons are key bytes
    ],
)
def test_keys_in_both_formats_and_every_size(text: str, bits: int, fmt: KeyFormat) -> None:
    key = StationKey.parse(text)
    assert (key.bits, key.format) == (bits, fmt)
    assert StationKey.parse(key.as_text()) == key


def test_the_same_bytes_are_the_same_key_whichever_way_written() -> None:
    assert (
        StationKey.parse("ascii:ABCDEFGHIJKLMNOP").material
        == StationKey.parse("hex:4142434445464748494A4B4C4D4E4F50").material
    )
    assert StationKey.from_hex(SECRET_HEX) == StationKey.parse(f"hex:{SECRET_HEX}")
    assert StationKey.from_ascii(SECRET_ASCII).as_text() == f"ascii:{SECRET_ASCII}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (SECRET_HEX, KeyErrorReason.MISSING_FORMAT),  # the trap: hex or ASCII?
        (f"key:{SECRET_HEX}", KeyErrorReason.MISSING_FORMAT),
        ("hex:" + SECRET_HEX[:-2], KeyErrorReason.BAD_LENGTH),
        ("hex:" + SECRET_HEX[:-1] + "G", KeyErrorReason.NOT_HEX),
        ("hex:", KeyErrorReason.NOT_HEX),
        ("ascii:" + SECRET_ASCII[:-1], KeyErrorReason.BAD_LENGTH),
        ("ascii:" + SECRET_ASCII[:-1] + "é", KeyErrorReason.NOT_ASCII),
        ("ascii:" + SECRET_ASCII[:-1] + "\t", KeyErrorReason.NOT_ASCII),
    ],
)
def test_bad_keys_are_refused_without_echoing_them(text: str, reason: KeyErrorReason) -> None:
    with pytest.raises(StationKeyError) as caught:
        StationKey.parse(text)
    assert caught.value.reason is reason
    message = str(caught.value)
    for secret in (SECRET_HEX, SECRET_HEX[:8], SECRET_ASCII, SECRET_ASCII[:6]):
        assert secret.lower() not in message.lower()


def test_raw_material_of_a_wrong_size_is_refused() -> None:
    with pytest.raises(StationKeyError, match="16, 24 or 32 bytes") as caught:
        StationKey(b"x" * 20, KeyFormat.HEX)
    assert caught.value.reason is KeyErrorReason.BAD_LENGTH


def test_a_key_never_shows_itself() -> None:
    key = StationKey.parse(f"ascii:{SECRET_ASCII}")
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert SECRET_ASCII not in shown
        assert "AES-128" in shown
