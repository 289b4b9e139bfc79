"""The code-hash format, defined once: validation, PBKDF2 hashing and constant-time checking.

Codes are secrets: no function here logs them or puts them (or a hash) in a message or repr.
The encoded form ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` (standard base64 with
padding) is what Home Assistant stores and what the voice server checks codes typed on the phone
against.
"""

import base64
import binascii
from dataclasses import dataclass, field
import hashlib
import hmac
import secrets

MIN_CODE_LENGTH = 4
"""Keypad codes: 4 digits give 10 000 combinations, EN 50131-1 grade 2's minimum."""
MAX_CODE_LENGTH = 8
MIN_PHONE_CODE_LENGTH = 6
"""A contact's phone code: its hash leaves Home Assistant, so at least 10**6 combinations
(not starting with 9, the SOS key: 900 000), and it is never the keypad code."""
DEFAULT_ITERATIONS = 120_000
ALGORITHM = "pbkdf2_sha256"
SALT_BYTES = 16
DIGEST_BYTES = 32
MAX_ITERATIONS = 10_000_000
"""Upper bound on a stored iteration count, so a tampered hash cannot stall the panel."""


@dataclass(frozen=True, slots=True)
class CodeHash:
    """An encoded code hash taken apart; salt and digest stay out of the repr."""

    algorithm: str
    iterations: int
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)


def is_valid_code(code: str) -> bool:
    """Whether ``code`` is 4 to 8 ASCII digits (what a keypad or a phone can type)."""
    return MIN_CODE_LENGTH <= len(code) <= MAX_CODE_LENGTH and code.isascii() and code.isdigit()


def is_valid_phone_code(code: str) -> bool:
    """Whether ``code`` can be a contact's phone code: 6 to 8 digits, not starting with 9."""
    return is_valid_code(code) and len(code) >= MIN_PHONE_CODE_LENGTH and not code.startswith("9")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(code: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", code.encode("ascii"), salt, iterations, DIGEST_BYTES)


def hash_code(code: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """Hash a code for storage with PBKDF2-HMAC-SHA256 and a random 16-byte salt.

    Raises ValueError (without echoing the code) for a code that is not 4 to 8 digits, an
    empty salt or an iteration count outside 1..MAX_ITERATIONS.
    """
    if not is_valid_code(code):
        raise ValueError(f"a code must be {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} digits")
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError("iterations out of range")
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    elif not salt:
        raise ValueError("salt must not be empty")
    digest = _derive(code, salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def split_hash(encoded: str) -> CodeHash:
    """Take an encoded hash apart; ValueError (not quoting it) when it is malformed."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        raise ValueError("not a pbkdf2_sha256 code hash")
    algorithm, iterations_text, salt_text, digest_text = parts
    if not (iterations_text.isascii() and iterations_text.isdigit()):
        raise ValueError("malformed iteration count")
    iterations = int(iterations_text)
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError("iterations out of range")
    try:
        salt = base64.b64decode(salt_text, validate=True)
        digest = base64.b64decode(digest_text, validate=True)
    except binascii.Error:
        raise ValueError("malformed base64 in code hash") from None
    if not salt or len(digest) != DIGEST_BYTES:
        raise ValueError("wrong salt or digest length")
    return CodeHash(algorithm=algorithm, iterations=iterations, salt=salt, digest=digest)


def verify_code(code: str, encoded: str) -> bool:
    """Whether ``code`` matches ``encoded``; False (never an exception) when either is malformed.

    The digest comparison is constant-time.
    """
    try:
        parsed = split_hash(encoded)
    except ValueError:
        return False
    if not is_valid_code(code):
        return False
    return hmac.compare_digest(_derive(code, parsed.salt, parsed.iterations), parsed.digest)
