"""Callback signatures: the contract's HMAC, constant-time check, stale and malformed input."""

from __future__ import annotations

import pytest

from custom_components.imaprotect.contract.signing import sign, verify

SECRET = "k3y-0123456789-abcdefghijklmnopqrst"
BODY = b'{"a":1}'
NOW = 1_700_000_000
# printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'k3y-0123456789-abcdefghijklmnopqrst'
KNOWN = "sha256=3f528b1850f09cc1fec8bf880dbf34e343f37557154ae37fffa87263c40d1468"


def test_sign_matches_the_contract() -> None:
    assert sign(SECRET, NOW, BODY) == KNOWN


def test_sign_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="empty"):
        sign("", NOW, BODY)


def test_verify_accepts_a_fresh_signature() -> None:
    assert verify(SECRET, str(NOW), BODY, KNOWN, now=NOW + 12.5)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature"),
    [
        ("another-secret-0123456789-abcdefgh", str(NOW), BODY, KNOWN),
        (SECRET, str(NOW), b'{"a":2}', KNOWN),
        (SECRET, str(NOW + 1), BODY, KNOWN),
        (SECRET, str(NOW), BODY, KNOWN[:-1] + "0"),
        (SECRET, str(NOW), BODY, KNOWN.upper()),
        (SECRET, str(NOW), BODY, KNOWN.removeprefix("sha256=")),
        (SECRET, str(NOW), BODY, "sha1=" + KNOWN.removeprefix("sha256=")),
    ],
    ids=["secret", "body", "timestamp", "digest", "case", "no-prefix", "algorithm"],
)
def test_verify_refuses_a_bad_signature(
    secret: str, timestamp: str, body: bytes, signature: str
) -> None:
    assert not verify(secret, timestamp, body, signature, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, 86_400, -NOW])
def test_verify_refuses_a_stale_or_future_timestamp(offset: int) -> None:
    assert verify(SECRET, str(NOW), BODY, KNOWN, now=NOW + 300)
    assert not verify(SECRET, str(NOW), BODY, KNOWN, now=NOW + offset)


def test_verify_tolerance_is_configurable() -> None:
    assert not verify(SECRET, str(NOW), BODY, KNOWN, now=NOW + 31, tolerance=30)


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "abc",
        " 1700000000",
        "+1700000000",
        "1_700_000_000",
        "1.7e9",
        "-1",
        "\u0661\u0667" + "\u0660" * 8,  # Arabic-Indic digits: isdigit() is True
        "9" * 40,
    ],
)
def test_verify_refuses_a_malformed_timestamp(timestamp: str) -> None:
    signature = "sha256=" + "0" * 64
    assert not verify(SECRET, timestamp, BODY, signature, now=NOW)


@pytest.mark.parametrize(
    "signature", ["", "sha256=", "sha256=zz", "sha256=é" * 9, "\ud800", "x" * 500]
)
def test_verify_refuses_a_malformed_signature(signature: str) -> None:
    assert not verify(SECRET, str(NOW), BODY, signature, now=NOW)


def test_verify_refuses_everything_with_an_empty_secret() -> None:
    assert not verify("", str(NOW), BODY, KNOWN, now=NOW)
