"""Badge ids are kept and compared as keyed digests, never in clear."""

from custom_components.imaprotect.core import badge_digest
from custom_components.imaprotect.core.badges import KEY_BYTES, digest_among
from tests.core.builders import ALICE_BADGE, BADGE_KEY, CAROL_BADGE, make_engine


def test_digest_is_keyed_and_normalised() -> None:
    assert len(BADGE_KEY) == KEY_BYTES
    digest = badge_digest(BADGE_KEY, ALICE_BADGE)
    assert len(digest) == 64
    assert ALICE_BADGE.lower() not in digest.lower()
    assert badge_digest(BADGE_KEY, f"  {ALICE_BADGE.lower()} ") == digest
    assert badge_digest(bytes(32), ALICE_BADGE) != digest  # another home, another digest


def test_digest_among_checks_every_candidate() -> None:
    digest = badge_digest(BADGE_KEY, ALICE_BADGE)
    assert digest_among(digest, ["0" * 64, digest, "f" * 64])
    assert not digest_among(digest, ["0" * 64])
    assert not digest_among(digest, [])


def test_engine_knows_only_the_badges_of_its_home() -> None:
    engine = make_engine()
    assert engine.knows_badge(ALICE_BADGE)
    assert engine.knows_badge(CAROL_BADGE.lower())
    assert not engine.knows_badge("DEADBEEF99")
    # a clear id is not what the engine holds: only its digest opens
    assert not engine.knows_badge(badge_digest(BADGE_KEY, ALICE_BADGE))
    assert engine.badge_digest(ALICE_BADGE) == badge_digest(BADGE_KEY, ALICE_BADGE)
