"""The keypad dialogue, pure: digits, '#', prompts, silence deadlines, wrong codes, SOS key."""

from __future__ import annotations

from custom_components.imaprotect.contract.enums import Outcome
from voice_server.keypad import (
    MAX_DIGITS,
    Acknowledge,
    CheckCode,
    Collect,
    EndCall,
    GiveUp,
    Keypad,
    KeypadAction,
    PlayPrompt,
    Prompt,
    RepeatMessage,
    StartSos,
)


def _keypad(*, can_sos: bool = False, max_wrong_codes: int = 3, locked: bool = False) -> Keypad:
    return Keypad(
        can_sos=can_sos,
        digit_timeout=10.0,
        max_wrong_codes=max_wrong_codes,
        code_pause=3.0,
        locked=locked,
    )


def _type(keypad: Keypad, keys: str, now: float = 0.0) -> list[KeypadAction]:
    return [keypad.digit(key, now) for key in keys]


def test_opening_prompt_mentions_sos_only_with_a_station() -> None:
    assert _keypad(can_sos=True).opening_prompt is Prompt.ENTER_CODE_OR_SOS
    assert _keypad(can_sos=False).opening_prompt is Prompt.ENTER_CODE


def test_no_silence_deadline_while_the_first_prompt_plays() -> None:
    keypad = _keypad()
    assert keypad.deadline is None
    assert keypad.time_left(1000.0) is None
    assert keypad.silence() == Collect()  # only the watchdog ends this wait


def test_silence_is_timed_from_the_end_of_the_prompt() -> None:
    keypad = _keypad()
    assert keypad.prompt_finished(100.0) == Collect()
    assert keypad.deadline == 110.0
    assert keypad.time_left(104.0) == 6.0
    assert keypad.time_left(111.0) == 0.0  # never negative
    # Issue 8: the first silence repeats the message (below); this test now waits for the second.
    assert keypad.silence() == RepeatMessage()
    assert keypad.prompt_finished(120.0) == Collect()
    assert keypad.silence() == GiveUp(Outcome.ANSWERED)


def test_each_digit_restarts_the_silence_deadline() -> None:
    keypad = _keypad()
    keypad.prompt_finished(0.0)
    assert keypad.digit("1", 7.0) == Collect()
    assert keypad.deadline == 17.0
    keypad.digit("A", 15.0)  # even an ignored key shows someone is there
    assert keypad.deadline == 25.0


def test_code_then_pound_asks_for_a_check_and_starts_afresh() -> None:
    keypad = _keypad()
    assert _type(keypad, "4321") == [Collect()] * 4
    assert keypad.typed == 4
    assert keypad.digit("#", 1.0) == CheckCode("4321")
    assert keypad.typed == 0
    assert keypad.code_checked(right=True) == Acknowledge()


def test_pound_alone_is_ignored() -> None:
    keypad = _keypad()
    assert keypad.digit("#", 0.0) == Collect()
    assert _type(keypad, "12#")[-1] == CheckCode("12")


def test_star_is_a_code_digit_and_letters_are_not() -> None:
    keypad = _keypad()
    _type(keypad, "1*A2D")
    assert keypad.digit("#", 0.0) == CheckCode("1*2")


def test_digits_past_the_maximum_are_dropped() -> None:
    keypad = _keypad()
    _type(keypad, "1234567890" * 2)
    assert keypad.typed == MAX_DIGITS
    assert keypad.digit("#", 0.0) == CheckCode(("1234567890" * 2)[:MAX_DIGITS])


def test_wrong_codes_play_try_again_then_the_last_one_says_goodbye() -> None:
    keypad = _keypad(max_wrong_codes=3)
    keypad.prompt_finished(0.0)
    for expected_wrong in (1, 2):
        assert _type(keypad, "11#")[-1] == CheckCode("11")
        assert keypad.code_checked(right=False) == PlayPrompt(Prompt.WRONG_CODE)
        assert keypad.wrong_codes == expected_wrong
        assert keypad.deadline is None  # timed again from the end of "wrong code"
    _type(keypad, "11#")
    assert keypad.code_checked(right=False) == EndCall(Prompt.TOO_MANY, Outcome.WRONG_CODE)
    assert keypad.wrong_codes == 3


def test_a_right_code_after_wrong_ones_acknowledges() -> None:
    keypad = _keypad()
    _type(keypad, "11#")
    keypad.code_checked(right=False)
    _type(keypad, "4321#")
    assert keypad.code_checked(right=True) == Acknowledge()


def test_one_allowed_wrong_code_ends_at_the_first() -> None:
    keypad = _keypad(max_wrong_codes=1)
    _type(keypad, "9#")
    assert keypad.code_checked(right=False) == EndCall(Prompt.TOO_MANY, Outcome.WRONG_CODE)


def test_nine_first_asks_for_the_station_when_there_is_one() -> None:
    keypad = _keypad(can_sos=True)
    assert keypad.digit("9", 0.0) == StartSos()
    assert keypad.typed == 0


def test_nine_is_a_code_digit_without_a_station() -> None:
    keypad = _keypad(can_sos=False)
    assert keypad.digit("9", 0.0) == Collect()
    assert keypad.digit("#", 0.0) == CheckCode("9")


def test_nine_after_other_digits_is_a_code_digit() -> None:
    keypad = _keypad(can_sos=True)
    assert _type(keypad, "19") == [Collect(), Collect()]
    assert keypad.digit("#", 0.0) == CheckCode("19")


def test_station_unreachable_goes_back_to_code_entry() -> None:
    keypad = _keypad(can_sos=True)
    keypad.prompt_finished(0.0)
    keypad.digit("9", 1.0)
    assert keypad.station_unreachable() == PlayPrompt(Prompt.STATION_UNREACHABLE)
    assert keypad.deadline is None
    assert keypad.digit("9", 2.0) == StartSos()  # may try again
    keypad.station_unreachable()
    assert _type(keypad, "4321#")[-1] == CheckCode("4321")
    assert keypad.wrong_codes == 0


def test_the_code_never_shows_in_a_repr() -> None:
    assert "4321" not in repr(CheckCode("4321"))


def test_a_phone_code_without_pound_is_taken_after_a_pause() -> None:
    keypad = _keypad()
    keypad.prompt_finished(0.0)
    assert _type(keypad, "246810", now=1.0) == [Collect()] * 6
    assert keypad.time_left(1.0) == 3.0  # the pause, before the silence deadline (10 s)
    assert keypad.silence(2.0) == Collect()  # not yet: an early wake-up changes nothing
    assert keypad.silence(4.0) == CheckCode("246810")
    assert keypad.typed == 0


def test_the_pause_needs_a_phone_codes_length_and_digits_only() -> None:
    for keys in ("24681", "123456789", "24*810"):
        keypad = _keypad()
        keypad.prompt_finished(0.0)
        _type(keypad, keys, now=1.0)
        assert keypad.time_left(1.0) == 10.0  # only the silence deadline
        assert keypad.silence(11.0) == RepeatMessage()  # nothing submitted
    eight = _keypad()
    _type(eight, "24681012", now=0.0)
    assert eight.silence(3.0) == CheckCode("24681012")


def test_pound_still_submits_at_once_and_cancels_the_pause() -> None:
    keypad = _keypad()
    _type(keypad, "246810", now=0.0)
    assert keypad.digit("#", 1.0) == CheckCode("246810")
    assert keypad.time_left(1.0) == 10.0
    assert keypad.silence(4.5) == Collect()  # no second submission when the pause would end


def test_silence_repeats_the_message_once_then_gives_up() -> None:
    keypad = _keypad()
    keypad.prompt_finished(0.0)
    _type(keypad, "12", now=1.0)  # a start of a code, then nothing
    assert keypad.silence(11.0) == RepeatMessage()
    assert keypad.typed == 0  # typing starts afresh after the repeat
    assert keypad.deadline is None  # timed from the end of the repeated message
    keypad.prompt_finished(30.0)
    assert keypad.silence(40.0) == GiveUp(Outcome.ANSWERED)


def test_a_locked_code_is_not_checked_and_sos_still_works() -> None:
    keypad = _keypad(can_sos=True, locked=True)
    keypad.prompt_finished(0.0)
    assert _type(keypad, "1234#", now=1.0)[-1] == PlayPrompt(Prompt.CODE_LOCKED_OR_SOS)
    assert keypad.wrong_codes == 0
    _type(keypad, "246810", now=5.0)
    assert keypad.silence(8.0) == PlayPrompt(Prompt.CODE_LOCKED_OR_SOS)
    assert keypad.digit("9", 9.0) == StartSos()
    without_station = _keypad(locked=True)
    assert _type(without_station, "1234#")[-1] == PlayPrompt(Prompt.CODE_LOCKED)


def test_the_wrong_code_that_reaches_the_lock_says_so() -> None:
    keypad = _keypad(can_sos=True)
    _type(keypad, "1111#")
    assert keypad.code_checked(right=False, locked=True) == PlayPrompt(Prompt.CODE_LOCKED_OR_SOS)
    assert keypad.locked
    assert _type(keypad, "4321#")[-1] == PlayPrompt(Prompt.CODE_LOCKED_OR_SOS)
    # The lock found only at the check (another call locked it meanwhile).
    other = _keypad()
    assert other.lock() == PlayPrompt(Prompt.CODE_LOCKED)
    # The call's own limit still ends it.
    last = _keypad(max_wrong_codes=1)
    _type(last, "1111#")
    assert last.code_checked(right=False, locked=True) == EndCall(
        Prompt.TOO_MANY, Outcome.WRONG_CODE
    )
