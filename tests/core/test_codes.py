import base64

import pytest

from custom_components.imaprotect.contract.codes import MAX_ITERATIONS
from custom_components.imaprotect.core import (
    DEFAULT_ITERATIONS,
    CodeHash,
    hash_code,
    is_valid_code,
    split_hash,
    verify_code,
)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("1234", True),
        ("12345678", True),
        ("123", False),
        ("123456789", False),
        ("12a4", False),
        ("", False),
        ("١٢٣٤", False),  # Arabic-Indic digits are digits, but not ASCII
        (" 1234", False),
    ],
)
def test_is_valid_code(code: str, valid: bool) -> None:
    assert is_valid_code(code) is valid


def test_hash_round_trip_with_default_iterations() -> None:
    encoded = hash_code("2468")
    assert encoded.startswith(f"pbkdf2_sha256${DEFAULT_ITERATIONS}$")
    assert DEFAULT_ITERATIONS == 120_000
    assert verify_code("2468", encoded)
    assert not verify_code("2469", encoded)


def test_hash_uses_a_fresh_random_salt() -> None:
    first, second = hash_code("2468", iterations=5), hash_code("2468", iterations=5)
    assert first != second
    assert len(split_hash(first).salt) == 16


def test_hash_with_given_salt_is_deterministic_and_well_formed() -> None:
    encoded = hash_code("13579", salt=b"0123456789abcdef", iterations=7)
    assert encoded == hash_code("13579", salt=b"0123456789abcdef", iterations=7)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations) == ("pbkdf2_sha256", "7")
    assert base64.b64decode(salt) == b"0123456789abcdef"
    assert len(base64.b64decode(digest)) == 32


def test_split_hash_gives_parts_for_the_voice_server() -> None:
    encoded = hash_code("13579", salt=b"saltsalt", iterations=3)
    parts = split_hash(encoded)
    assert parts.algorithm == "pbkdf2_sha256"
    assert parts.iterations == 3
    assert parts.salt == b"saltsalt"
    assert len(parts.digest) == 32


def test_code_hash_repr_hides_salt_and_digest() -> None:
    parts = CodeHash("pbkdf2_sha256", 3, b"secret-salt", b"secret-digest")
    assert "secret" not in repr(parts)
    assert "pbkdf2_sha256" in repr(parts)


@pytest.mark.parametrize("code", ["123", "abcd", "123456789"])
def test_hash_refuses_invalid_code_without_echoing_it(code: str) -> None:
    with pytest.raises(ValueError, match="4 to 8 digits") as info:
        hash_code(code, iterations=1)
    assert code not in str(info.value)


@pytest.mark.parametrize("iterations", [0, MAX_ITERATIONS + 1])
def test_hash_refuses_iterations_out_of_range(iterations: int) -> None:
    with pytest.raises(ValueError, match="iterations"):
        hash_code("1234", iterations=iterations)


def test_hash_refuses_empty_salt() -> None:
    with pytest.raises(ValueError, match="salt"):
        hash_code("1234", salt=b"", iterations=1)


GOOD = hash_code("1234", salt=b"saltsalt", iterations=2)
_, _, GOOD_SALT, GOOD_DIGEST = GOOD.split("$")


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("", "not a pbkdf2"),
        ("pbkdf2_sha1$2$" + GOOD_SALT + "$" + GOOD_DIGEST, "not a pbkdf2"),
        (GOOD + "$extra", "not a pbkdf2"),
        (f"pbkdf2_sha256$x2${GOOD_SALT}${GOOD_DIGEST}", "iteration count"),
        (f"pbkdf2_sha256$-2${GOOD_SALT}${GOOD_DIGEST}", "iteration count"),
        (f"pbkdf2_sha256$0${GOOD_SALT}${GOOD_DIGEST}", "iterations out of range"),
        (f"pbkdf2_sha256${MAX_ITERATIONS + 1}${GOOD_SALT}${GOOD_DIGEST}", "out of range"),
        (f"pbkdf2_sha256$2$!!!!${GOOD_DIGEST}", "base64"),
        (f"pbkdf2_sha256$2${GOOD_SALT}$abc", "base64"),
        (f"pbkdf2_sha256$2$${GOOD_DIGEST}", "length"),
        (f"pbkdf2_sha256$2${GOOD_SALT}$" + base64.b64encode(b"short").decode(), "length"),
    ],
)
def test_malformed_hashes_are_refused_and_never_verify(encoded: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        split_hash(encoded)
    if GOOD_DIGEST in encoded:
        assert GOOD_DIGEST not in str(info.value)
    assert verify_code("1234", encoded) is False


def test_verify_rejects_invalid_code_even_against_good_hash() -> None:
    assert verify_code("1234", GOOD) is True
    assert verify_code("12345", GOOD) is False
    assert verify_code("12 4", GOOD) is False
