"""The keypad dialogue of an answered call, as pure code: events in, one action out.

The call session (call_session.py) feeds it what the contact does — a digit, the end of a prompt,
the result of a code check, the end of silence — with the time as a number from an injected
clock (the event loop's), and does what it answers: play a prompt, check a code, acknowledge,
bridge to the station, give up. The PBKDF2 check is slow and stays outside: ``CheckCode`` asks for
it and ``code_checked`` takes its result. Decisions, as the call has always behaved:

1. Silence is timed from the end of a prompt or from the last digit (``digit_timeout``); while a
   prompt plays there is no silence deadline (the per-call watchdog still runs). The first time the
   deadline passes the alert message is said again (typing starts afresh): a contact who did not
   catch it gets a second chance. The second time the call gives up with outcome ``answered``: a
   voicemail, or nobody there.
2. Every digit interrupts the prompt that plays (the session stops it) and restarts the deadline.
3. ``9`` as the first digit, when the site has a monitoring station, asks for the SOS bridge;
   a site without one takes ``9`` as a code digit. If the station cannot be reached, its prompt
   plays and code entry goes on.
4. ``#`` after at least one digit submits the code; ``#`` alone is ignored. Digits are ``0``-``9``
   and ``*``; others (``A``-``D``) are ignored, and so is anything after ``MAX_DIGITS`` digits.
4b. Without ``#``: digits only, of a phone code's length (6 to 8, ``contract.codes``), are
   submitted after a pause of ``code_pause`` seconds with no other key — many people never press
   ``#``. A shorter or longer entry waits for ``#`` (or the silence).
5. A wrong code plays "wrong code, try again"; the ``max_wrong_codes``-th one says goodbye and
   ends the call with outcome ``wrong_code``. A right code acknowledges the alert.
6. A contact whose code is locked (too many wrong codes in a day, counted by the ledger across
   calls and alerts) hears "your code is locked" instead of a check, and may still press 9 for the
   station; the wrong code that reaches the lock says so at once.
7. ``*`` as the first digit, when the site has a talk-down (its speaker, or Home Assistant's
   spoken warning), asks for it; phone codes are digits only, so ``*`` is free. When the
   talk-down is over its prompt plays (``talk_down_over``) and code entry goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from custom_components.imaprotect.contract.codes import MAX_CODE_LENGTH, MIN_PHONE_CODE_LENGTH
from custom_components.imaprotect.contract.enums import Outcome

__all__ = [
    "MAX_DIGITS",
    "TALK_DOWN_ENDS",
    "Acknowledge",
    "CheckCode",
    "Collect",
    "EndCall",
    "GiveUp",
    "Keypad",
    "KeypadAction",
    "PlayPrompt",
    "Prompt",
    "RepeatMessage",
    "StartSos",
    "StartTalkDown",
]

MAX_DIGITS = 16
_CODE_DIGITS = frozenset("0123456789*")
_SUBMIT = "#"
_SOS = "9"
_TALK_DOWN = "*"


class Prompt(StrEnum):
    """The fixed sentences the dialogue plays (their texts are in prompts.Texts)."""

    ENTER_CODE = "enter_code"
    ENTER_CODE_OR_SOS = "enter_code_or_sos"
    WRONG_CODE = "wrong_code"
    TOO_MANY = "too_many"
    STATION_UNREACHABLE = "station_unreachable"
    CODE_LOCKED = "code_locked"
    CODE_LOCKED_OR_SOS = "code_locked_or_sos"
    # The end of a talk-down, then the code prompt again.
    TALK_DOWN_OVER = "talk_down_over"
    SPEAKER_UNREACHABLE = "speaker_unreachable"
    WARNING_SENT = "warning_sent"


#: The prompts that may end a talk-down.
TALK_DOWN_ENDS = frozenset({Prompt.TALK_DOWN_OVER, Prompt.SPEAKER_UNREACHABLE, Prompt.WARNING_SENT})


@dataclass(frozen=True, slots=True)
class Collect:
    """Nothing to do but wait for the next event (a digit was kept or ignored)."""


@dataclass(frozen=True, slots=True)
class CheckCode:
    """Check ``code`` against the contact's hash, then call ``Keypad.code_checked``."""

    code: str = field(repr=False)  # a personal code: never in a log line


@dataclass(frozen=True, slots=True)
class StartSos:
    """Bridge the contact to the station; call ``Keypad.station_unreachable`` if that fails."""


@dataclass(frozen=True, slots=True)
class StartTalkDown:
    """Listen in through the home's speaker (or ask for the warning); then ``talk_down_over``."""


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Play ``prompt`` in place of what plays now, and keep listening."""

    prompt: Prompt


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """The code is right: acknowledge the alert."""


@dataclass(frozen=True, slots=True)
class EndCall:
    """Say ``prompt`` to the end, then hang up with ``outcome``."""

    prompt: Prompt
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class RepeatMessage:
    """Nobody typed anything after the prompt: say the alert message and the prompt again."""


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Nobody typed anything in time: hang up with ``outcome``."""

    outcome: Outcome = Outcome.ANSWERED


type KeypadAction = (
    Collect
    | CheckCode
    | StartSos
    | StartTalkDown
    | PlayPrompt
    | Acknowledge
    | EndCall
    | RepeatMessage
    | GiveUp
)


class Keypad:
    """One answered call's code entry; times are seconds on the caller's monotonic clock."""

    def __init__(
        self,
        *,
        can_sos: bool,
        digit_timeout: float,
        max_wrong_codes: int,
        code_pause: float = 3.0,
        locked: bool = False,
        can_talk_down: bool = False,
    ) -> None:
        self.can_sos = can_sos
        self.can_talk_down = can_talk_down
        self._digit_timeout = digit_timeout
        self._max_wrong = max_wrong_codes
        self._code_pause = code_pause
        self._digits = ""
        self.wrong_codes = 0
        #: Whether the contact's code may no longer acknowledge (SOS still may).
        self.locked = locked
        #: When silence ends the call; None while a prompt plays.
        self.deadline: float | None = None
        #: When the digits typed without ``#`` are submitted; None when they are not.
        self._submit_at: float | None = None
        self._repeated = False

    @property
    def opening_prompt(self) -> Prompt:
        """What follows the alert message: how to type the code (and the SOS key, if any)."""
        return Prompt.ENTER_CODE_OR_SOS if self.can_sos else Prompt.ENTER_CODE

    @property
    def typed(self) -> int:
        """How many code digits are waiting for ``#``."""
        return len(self._digits)

    def time_left(self, now: float) -> float | None:
        """Seconds until ``silence`` must be called (never negative); None while a prompt plays."""
        times = [t for t in (self.deadline, self._submit_at) if t is not None]
        if not times:
            return None
        return max(min(times) - now, 0.0)

    def prompt_finished(self, now: float) -> KeypadAction:
        """The current prompt played to its end: the silence timer starts."""
        self.deadline = now + self._digit_timeout
        return Collect()

    def digit(self, digit: str, now: float) -> KeypadAction:
        """The contact pressed ``digit`` (the prompt has been interrupted)."""
        self.deadline = now + self._digit_timeout
        self._submit_at = None
        if digit == _SOS and not self._digits and self.can_sos:
            return StartSos()
        if digit == _TALK_DOWN and not self._digits and self.can_talk_down:
            self.deadline = None  # no silence deadline while the talk-down lasts
            return StartTalkDown()
        if digit == _SUBMIT and self._digits:
            return self._submit()
        if digit in _CODE_DIGITS and len(self._digits) < MAX_DIGITS:
            self._digits += digit
        typed = self._digits
        if MIN_PHONE_CODE_LENGTH <= len(typed) <= MAX_CODE_LENGTH and typed.isdigit():
            self._submit_at = now + self._code_pause
        return Collect()

    def code_checked(self, *, right: bool, locked: bool = False) -> KeypadAction:
        """The result of the ``CheckCode`` just asked for; ``locked``: this wrong code locked it."""
        if right:
            return Acknowledge()
        self.wrong_codes += 1
        if self.wrong_codes >= self._max_wrong:
            return EndCall(Prompt.TOO_MANY, Outcome.WRONG_CODE)
        if locked:
            return self.lock()
        return self._play(Prompt.WRONG_CODE)

    def lock(self) -> KeypadAction:
        """The contact's code is locked from now on: say so (and that 9 still reaches help)."""
        self.locked = True
        self._digits = ""
        return self._play(Prompt.CODE_LOCKED_OR_SOS if self.can_sos else Prompt.CODE_LOCKED)

    def _submit(self) -> KeypadAction:
        code, self._digits = self._digits, ""
        self._submit_at = None
        if self.locked:
            return self.lock()
        return CheckCode(code)

    def station_unreachable(self) -> KeypadAction:
        """The SOS bridge could not reach the station: say so, code entry goes on."""
        return self._play(Prompt.STATION_UNREACHABLE)

    def talk_down_over(self, prompt: Prompt) -> KeypadAction:
        """The talk-down ended (``prompt`` says how): say so, code entry goes on."""
        if prompt not in TALK_DOWN_ENDS:
            raise ValueError(f"{prompt} does not end a talk-down")
        return self._play(prompt)

    def silence(self, now: float | None = None) -> KeypadAction:
        """The wait of ``time_left`` seconds ended with no event at ``now``.

        Digits of a phone code's length whose pause is over are submitted; otherwise silence
        repeats the message once, then gives up. Without a deadline (a prompt plays) only the
        per-call watchdog ends the wait, and that is the session's business; the dialogue then
        just keeps listening. ``now`` None: the deadline that was waited for has passed.
        """
        if self._submit_at is not None and (now is None or now >= self._submit_at):
            return self._submit()
        if self.deadline is None or (now is not None and now < self.deadline):
            return Collect()
        if not self._repeated:
            self._repeated = True
            self._digits = ""
            self.deadline = None  # timed again from the end of the repeated message
            return RepeatMessage()
        return GiveUp()

    def _play(self, prompt: Prompt) -> KeypadAction:
        self.deadline = None  # silence is timed from the end of the new prompt
        self._submit_at = None
        return PlayPrompt(prompt)
