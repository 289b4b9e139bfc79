"""The home's auto-answer speaker, as both talk-downs dial it (the contact's and the operator's).

The speaker is asked to answer by itself: its INVITE carries ``Call-Info: …;answer-after=0`` and
``Alert-Info: …;info=alert-autoanswer`` (what intercoms, Linphone and ESP32 VoIP stacks look for),
set through ``PJSIP_HEADER`` channel variables at originate (``res_pjsip_header_funcs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voice_server.second_leg import dial_leg

if TYPE_CHECKING:
    from voice_server.ari_port import AriPort
    from voice_server.config import CallSettings
    from voice_server.talk_downs import TalkDownRecord

__all__ = ["ALERT_INFO", "AUTO_ANSWER", "CALL_INFO", "HomeSpeaker"]

#: ``Call-Info`` of the INVITE to the speaker: answer at once (RFC 3261 header, answer-after).
CALL_INFO = "<sip:imaprotect.invalid>;answer-after=0"
#: ``Alert-Info`` of the INVITE to the speaker: the other auto-answer convention.
ALERT_INFO = "<http://imaprotect.invalid>;info=alert-autoanswer;delay=0"
#: The channel variables that add both headers to the speaker's INVITE.
AUTO_ANSWER = {
    "PJSIP_HEADER(add,Call-Info)": CALL_INFO,
    "PJSIP_HEADER(add,Alert-Info)": ALERT_INFO,
}


@dataclass(frozen=True, slots=True)
class HomeSpeaker:
    """One alert's speaker: how to reach it, and where its talk-down is recorded."""

    ari: AriPort
    endpoint: str
    settings: CallSettings
    alert_id: str
    record: TalkDownRecord

    async def dial(self, channel_id: str) -> bool:
        """Dial the speaker with the auto-answer headers; whether Asterisk took it."""
        return await dial_leg(
            self.ari,
            self.endpoint,
            channel_id=channel_id,
            role="speaker",
            settings=self.settings,
            alert_id=self.alert_id,
            variables=AUTO_ANSWER,
        )
