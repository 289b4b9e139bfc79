"""One call's talk-down: the hint after the code prompt, the contact's key, the operator's.

Kept apart from the call session so the dialogue reads on its own: the session asks here what
its prompts say, what ``*`` does (the speaker bridge, or the warning asked of Home Assistant) and,
for an SOS bridge, whether the operator gets the talk-down keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.imaprotect.contract.enums import TalkDownMode
from voice_server.home_speaker import HomeSpeaker
from voice_server.keypad import TALK_DOWN_ENDS, Keypad, Prompt
from voice_server.operator_talk_down import OperatorTalkDown
from voice_server.speaker_bridge import SpeakerBridge
from voice_server.talk_downs import TalkDownRecord

if TYPE_CHECKING:
    from voice_server.call_media import CallMedia
    from voice_server.call_session import CallTools
    from voice_server.calltree import CallResult
    from voice_server.prompts import Texts
    from voice_server.store import Alert, Contact

__all__ = ["CallTalkDown", "prompt_text"]


def prompt_text(words: Texts, prompt: Prompt) -> str:
    """The sentence of a keypad prompt in the call's language."""
    match prompt:
        case Prompt.ENTER_CODE:
            return words.enter_code
        case Prompt.ENTER_CODE_OR_SOS:
            return words.enter_code_or_sos
        case Prompt.WRONG_CODE:
            return words.wrong_code
        case Prompt.TOO_MANY:
            return words.too_many
        case Prompt.STATION_UNREACHABLE:
            return words.station_unreachable
        case Prompt.CODE_LOCKED:
            return words.code_locked
        case Prompt.CODE_LOCKED_OR_SOS:
            return words.code_locked_or_sos
        case Prompt.TALK_DOWN_OVER:
            return words.talk_down_over
        case Prompt.SPEAKER_UNREACHABLE:
            return words.speaker_unreachable
        case Prompt.WARNING_SENT:
            return words.warning_sent


class CallTalkDown:
    """The talk-down of one call attempt."""

    def __init__(
        self,
        tools: CallTools,
        *,
        alert: Alert,
        contact: Contact,
        attempt_id: int,
        words: Texts,
    ) -> None:
        self._tools = tools
        self._alert = alert
        self._contact = contact
        self._attempt_id = attempt_id
        self._words = words
        self.mode = alert.plan.talk_down

    def prompt_text(self, keypad: Keypad, prompt: Prompt) -> str:
        """A prompt's sentence; the code prompt names the talk-down key when the site has one.

        The end of a talk-down is followed by the code prompt again.
        """
        words = self._words
        text = prompt_text(words, prompt)
        if prompt in TALK_DOWN_ENDS:
            return f"{text} {self.prompt_text(keypad, keypad.opening_prompt)}"
        if prompt is keypad.opening_prompt and self.mode is not None:
            hint = words.talk_down_key if self.mode is TalkDownMode.SPEAKER else words.warning_key
            return f"{text} {hint}"
        return text

    def _speaker(self, *, by_station: bool = False) -> HomeSpeaker | None:
        """The home's speaker and the record of its talk-down; None when the home has none."""
        speaker = self._alert.plan.speaker
        if speaker is None:
            return None
        return HomeSpeaker(
            self._tools.ari,
            self._tools.dialer.speaker(speaker),
            self._tools.settings,
            self._alert.alert_id,
            self._record(by_station=by_station),
        )

    def _record(self, *, by_station: bool = False) -> TalkDownRecord:
        return TalkDownRecord(
            self._tools.talk_downs,
            self._alert,
            self._contact,
            self._attempt_id,
            by_station=by_station,
        )

    async def run(self, media: CallMedia) -> CallResult | Prompt:
        """The contact's key: the speaker bridge, or the warning asked of Home Assistant."""
        speaker = self._speaker()
        if speaker is None:
            self._record().started(TalkDownMode.WARNING)
            return Prompt.WARNING_SENT
        return await SpeakerBridge(speaker, media).run()

    def operator(self, media: CallMedia) -> OperatorTalkDown | None:
        """The operator's keys on an SOS bridge, when the home has a speaker."""
        speaker = self._speaker(by_station=True)
        return None if speaker is None else OperatorTalkDown(speaker, media.events)
