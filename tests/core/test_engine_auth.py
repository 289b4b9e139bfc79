import pytest

from custom_components.imaprotect.core import (
    AlarmEngine,
    BadgeRejected,
    BadgeRejectedError,
    CodeRejected,
    LockedOut,
    LockedOutError,
    Method,
    WrongCodeError,
)
from tests.core.builders import (
    ALICE_BADGE,
    ALICE_CODE,
    BOB_CODE,
    CAROL_BADGE,
    T0,
    at,
    digest,
    make_config,
    make_engine,
)


def test_right_code_names_the_person() -> None:
    engine = make_engine()
    assert engine.authenticate_code(ALICE_CODE, T0, Method.KEYPAD).id == "alice"
    assert engine.authenticate_code(BOB_CODE, T0, Method.APP).id == "bob"
    assert engine.drain_events() == []


def test_wrong_code_is_reported_without_the_code() -> None:
    engine = make_engine()
    with pytest.raises(WrongCodeError) as info:
        engine.authenticate_code("9999", at(1), Method.KEYPAD)
    assert info.value.failures == 1
    assert "9999" not in str(info.value)
    [event] = engine.drain_events()
    assert event == CodeRejected(at=at(1), method=Method.KEYPAD, failures=1)
    assert "9999" not in repr(event)


def test_malformed_code_counts_as_wrong() -> None:
    engine = make_engine()
    with pytest.raises(WrongCodeError):
        engine.authenticate_code("12ab", T0, Method.APP)
    assert engine.drain_events() == [CodeRejected(at=T0, method=Method.APP, failures=1)]


def test_five_wrong_codes_lock_out_for_ninety_seconds() -> None:
    engine = make_engine()
    for n in range(1, 6):
        with pytest.raises(WrongCodeError) as info:
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
        assert info.value.failures == n
    events = engine.drain_events()
    assert [type(e).__name__ for e in events] == ["CodeRejected"] * 5 + ["LockedOut"]
    assert events[-1] == LockedOut(at=at(5), until=at(95))
    assert engine.locked_until(at(50)) == at(95)
    # even the right code is refused while locked, and nothing is counted or reported
    with pytest.raises(LockedOutError) as locked:
        engine.authenticate_code(ALICE_CODE, at(94), Method.KEYPAD)
    assert locked.value.until == at(95)
    assert engine.drain_events() == []
    assert engine.authenticate_code(ALICE_CODE, at(95), Method.KEYPAD).id == "alice"
    assert engine.locked_until(at(95)) is None


def test_lock_runs_out_and_counting_restarts() -> None:
    engine = make_engine()
    for n in range(5):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    with pytest.raises(WrongCodeError) as info:
        engine.authenticate_code("0000", at(200), Method.KEYPAD)
    assert info.value.failures == 1


def test_right_code_resets_the_failure_count() -> None:
    engine = make_engine()
    for n in range(4):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    engine.authenticate_code(ALICE_CODE, at(5), Method.KEYPAD)
    with pytest.raises(WrongCodeError) as info:
        engine.authenticate_code("0000", at(6), Method.KEYPAD)
    assert info.value.failures == 1


def test_every_person_hash_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from custom_components.imaprotect.core import codes as codes_module

    checked: list[str] = []
    real = codes_module.verify_code

    def spy(code: str, encoded: str) -> bool:
        checked.append(encoded)
        return real(code, encoded)

    monkeypatch.setattr(codes_module, "verify_code", spy)
    engine = make_engine()
    engine.authenticate_code(ALICE_CODE, T0, Method.KEYPAD)
    assert len(checked) == 2  # Alice and Bob; Carol has no code


def test_known_badge_names_the_person_whatever_the_case() -> None:
    engine = make_engine()
    assert engine.authenticate_badge(ALICE_BADGE, T0).id == "alice"
    assert engine.authenticate_badge(f" {CAROL_BADGE.lower()} ", T0).id == "carol"


def test_unknown_badge_is_rejected_with_a_hint_only() -> None:
    engine = make_engine()
    with pytest.raises(BadgeRejectedError) as info:
        engine.authenticate_badge("DEADBEEF99", at(1))
    assert info.value.reason == "unknown"
    assert "DEADBEEF" not in str(info.value).upper()
    [event] = engine.drain_events()
    assert event == BadgeRejected(at=at(1), badge_id_hint="ef99", reason="unknown")


@pytest.mark.parametrize(("badge", "hint"), [("abc", "c"), ("ab12", "12"), ("x", ""), ("", "")])
def test_hint_of_a_short_badge_never_holds_the_whole_id(badge: str, hint: str) -> None:
    engine = make_engine()
    with pytest.raises(BadgeRejectedError):
        engine.authenticate_badge(badge, T0)
    [event] = engine.drain_events()
    assert isinstance(event, BadgeRejected)
    assert event.badge_id_hint == hint


def test_disabled_badge_is_rejected_until_enabled() -> None:
    engine = make_engine()
    engine.set_badge_disabled(digest(ALICE_BADGE.lower()), disabled=True)
    assert engine.disabled_badges == {digest(ALICE_BADGE)}
    with pytest.raises(BadgeRejectedError) as info:
        engine.authenticate_badge(ALICE_BADGE, at(1))
    assert info.value.reason == "disabled"
    assert engine.drain_events() == [
        BadgeRejected(at=at(1), badge_id_hint="c3d4", reason="disabled")
    ]
    engine.set_badge_disabled(digest(ALICE_BADGE), disabled=False)
    assert engine.authenticate_badge(ALICE_BADGE, at(2)).id == "alice"


def test_disabled_badges_from_the_constructor() -> None:
    engine = AlarmEngine(make_config(), disabled_badges=frozenset({digest(CAROL_BADGE)}))
    with pytest.raises(BadgeRejectedError, match="disabled"):
        engine.authenticate_badge(CAROL_BADGE, T0)


def test_naive_time_is_refused_for_authentication() -> None:
    engine = make_engine()
    naive = T0.replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.authenticate_code(ALICE_CODE, naive, Method.KEYPAD)
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.authenticate_badge(ALICE_BADGE, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.locked_until(naive)


def test_split_code_check_counts_like_the_combined_one() -> None:
    from custom_components.imaprotect.core import match_code

    engine = make_engine()
    engine.check_code_lock(T0)
    assert match_code(engine.config.people, "0000") is None
    with pytest.raises(WrongCodeError):
        engine.record_code_attempt(None, T0, Method.KEYPAD)
    person = match_code(engine.config.people, BOB_CODE)
    assert person is not None
    assert engine.record_code_attempt(person, T0, Method.KEYPAD).id == "bob"


# ----------------------------------------------------------------- badges share the lockout


def test_five_unknown_badges_lock_out_like_wrong_codes() -> None:
    engine = make_engine()
    for n in range(1, 6):
        with pytest.raises(BadgeRejectedError, match="unknown"):
            engine.authenticate_badge(f"GUESS{n:04}", at(n))
    events = engine.drain_events()
    assert [type(e).__name__ for e in events] == ["BadgeRejected"] * 5 + ["LockedOut"]
    assert events[-2] == BadgeRejected(at=at(5), badge_id_hint="0005", reason="unknown")
    assert events[-1] == LockedOut(at=at(5), until=at(95))
    assert engine.locked_until(at(50)) == at(95)


def test_while_locked_no_badge_is_even_looked_at() -> None:
    engine = make_engine()
    for n in range(1, 6):
        with pytest.raises(BadgeRejectedError):
            engine.authenticate_badge("DEADBEEF99", at(n))
    engine.drain_events()
    engine.set_badge_disabled(digest(CAROL_BADGE), disabled=True)
    for badge in (ALICE_BADGE, "DEADBEEF99", CAROL_BADGE):
        with pytest.raises(LockedOutError) as locked:
            engine.authenticate_badge(badge, at(94))
        assert locked.value.until == at(95)
    # nothing reported, nothing counted, the lock not extended
    assert engine.drain_events() == []
    assert engine.locked_until(at(94)) == at(95)
    assert engine.authenticate_badge(ALICE_BADGE, at(95)).id == "alice"
    assert engine.locked_until(at(95)) is None


def test_disabled_badge_counts_as_a_failure() -> None:
    engine = make_engine()
    engine.set_badge_disabled(digest(ALICE_BADGE), disabled=True)
    for n in range(1, 5):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    engine.drain_events()
    with pytest.raises(BadgeRejectedError, match="disabled"):
        engine.authenticate_badge(ALICE_BADGE, at(5))
    assert engine.drain_events() == [
        BadgeRejected(at=at(5), badge_id_hint="c3d4", reason="disabled"),
        LockedOut(at=at(5), until=at(95)),
    ]
    with pytest.raises(LockedOutError):
        engine.authenticate_code(ALICE_CODE, at(6), Method.KEYPAD)


def test_codes_and_badges_share_one_count() -> None:
    engine = make_engine()
    with pytest.raises(BadgeRejectedError):
        engine.authenticate_badge("DEADBEEF99", at(1))
    with pytest.raises(WrongCodeError) as info:
        engine.authenticate_code("0000", at(2), Method.KEYPAD)
    assert info.value.failures == 2
    for n in range(3, 6):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    # locked by codes: a valid badge is refused too
    with pytest.raises(LockedOutError) as locked:
        engine.authenticate_badge(ALICE_BADGE, at(6))
    assert locked.value.until == at(95)


def test_valid_badge_resets_the_failure_count() -> None:
    engine = make_engine()
    for n in range(1, 5):
        with pytest.raises(WrongCodeError):
            engine.authenticate_code("0000", at(n), Method.KEYPAD)
    assert engine.authenticate_badge(CAROL_BADGE, at(5)).id == "carol"
    with pytest.raises(WrongCodeError) as info:
        engine.authenticate_code("0000", at(6), Method.KEYPAD)
    assert info.value.failures == 1
    for n in range(7, 10):
        with pytest.raises(BadgeRejectedError):
            engine.authenticate_badge("DEADBEEF99", at(n))
    assert engine.locked_until(at(10)) is None
    assert not any(isinstance(e, LockedOut) for e in engine.drain_events())


def test_locked_out_error_names_badges_too() -> None:
    assert "code and badge entry locked" in str(LockedOutError(T0))
