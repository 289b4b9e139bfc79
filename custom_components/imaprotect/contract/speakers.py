"""The home's auto-answer speaker (a SIP intercom) that a contact may listen in through.

Two shapes are accepted: a SIP URI ``sip:user@host[:port]`` dialled directly (an intercom on the
home's network, an ESP32 or a tablet that answers by itself), or the name of a PJSIP endpoint the
voice server's Asterisk knows (one that registers, say). Nothing else reaches the dial string.
"""

import re

from .limits import MAX_STATION
from .phones import SIP_URI

__all__ = ["SPEAKER_ENDPOINT", "SpeakerError", "normalise_speaker"]

#: A PJSIP endpoint name: the characters Asterisk's configuration takes as a section name.
SPEAKER_ENDPOINT = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SpeakerError(ValueError):
    """A speaker address that cannot be dialled."""


def normalise_speaker(raw: str) -> str:
    """The speaker's address as it will be dialled; SpeakerError if it is neither shape."""
    value = raw.strip()
    if len(value) > MAX_STATION:
        raise SpeakerError(f"at most {MAX_STATION} characters")
    if value.startswith(("sip:", "sips:")):
        if not SIP_URI.fullmatch(value):
            raise SpeakerError("not a valid SIP URI")
        return value
    if not SPEAKER_ENDPOINT.fullmatch(value):
        raise SpeakerError("a SIP URI (sip:user@host) or a PJSIP endpoint name")
    return value
