"""Every closed set of words that travels between Home Assistant and the voice server.

Statuses, outcomes, kinds, languages and formulas are ``StrEnum``: their values are the wire
format, so a JSON document, a SQLite column and a log line all carry the same word, and mypy
catches a misspelt one.
"""

from enum import StrEnum

__all__ = [
    "TERMINAL_STATUSES",
    "Acknowledgement",
    "AlertKind",
    "AlertStatus",
    "CallbackEvent",
    "Formula",
    "Language",
    "NoticeKind",
    "Outcome",
    "Reason",
    "TalkDownMode",
    "TroubleKind",
]


class AlertKind(StrEnum):
    """Why an alarm was raised; drives the wording of notifications and calls."""

    INTRUSION = "intrusion"
    SMOKE = "smoke"
    FLOOD = "flood"
    TAMPER = "tamper"
    FAULT = "fault"
    SOS = "sos"
    AGENT_REQUEST = "agent_request"  # the homeowner asks for a security agent: said to the station
    HOME_OFFLINE = "home_offline"  # raised by the voice server: the armed home's heartbeats stopped


class Formula(StrEnum):
    """The service formula the home is modelled on (the seed's three offers)."""

    E_VEILLE = "e_veille"
    A_LA_CARTE = "a_la_carte"
    TOUT_INCLUS = "tout_inclus"


class Language(StrEnum):
    """What the voice server speaks and writes to a home's contacts."""

    FR = "fr"
    EN = "en"


class AlertStatus(StrEnum):
    """An alert's life on the voice server: calling (or queued), then exactly one final status."""

    QUEUED = "queued"  # accepted and kept, but nobody can be called now (see Reason)
    CALLING = "calling"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody could be called before the alert's maximum age (see Reason)
    INFORMED = "informed"  # acknowledgement none: the callees heard the message (the station acts)

    @property
    def terminal(self) -> bool:
        """Whether nobody will be called any more for this alert."""
        return self not in (AlertStatus.QUEUED, AlertStatus.CALLING)

    @property
    def unanswered(self) -> bool:
        """Final without anybody having taken the alert: the fallback notifiers must say it."""
        return self in (AlertStatus.EXHAUSTED, AlertStatus.EXPIRED)


TERMINAL_STATUSES: frozenset[AlertStatus] = frozenset(s for s in AlertStatus if s.terminal)


class Outcome(StrEnum):
    """How one call attempt ended."""

    ANSWERED = "answered"  # answered, but no code and no SOS before the silence timeout
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    UNREACHABLE = "unreachable"
    HUNG_UP = "hung_up"
    WRONG_CODE = "wrong_code"
    ACKNOWLEDGED = "acknowledged"
    SOS = "sos"
    CANCELLED = "cancelled"
    INFORMED = "informed"  # a call that needs no code: answered, the message was said


class CallbackEvent(StrEnum):
    """What a signed callback to Home Assistant reports."""

    ALERT_STATUS = "alert_status"  # the alert's status changed
    ATTEMPT_STARTED = "attempt_started"  # a call to a contact began
    ATTEMPT_ENDED = "attempt_ended"  # that call ended (its outcome is set)
    CODE_REJECTED = "code_rejected"  # a contact typed a wrong code (``wrong_codes`` counts them)
    HOME_BACK = "home_back"  # heartbeats came back after a silence the server reported (``since``)
    # Talk-down (``talk_down`` says which): a contact listens in, then speaks, through the home's
    # speaker; without one, asks Home Assistant for the spoken warning (and the siren).
    TALK_DOWN_STARTED = "talk_down_started"
    TALK_DOWN_ENDED = "talk_down_ended"
    WARNING_REQUESTED = "warning_requested"


class Reason(StrEnum):
    """Why an alert is queued or expired (what the server could not do), or cancelled by itself."""

    ASTERISK_UNAVAILABLE = "asterisk_unavailable"  # no ARI connection
    TRUNK_UNAVAILABLE = (
        "trunk_unavailable"  # calls fail for infrastructure causes (Q.850 0, 3, 27…)
    )
    TOO_OLD = "too_old"  # older than the server's maximum alert age
    HOME_BACK = "home_back"  # a home_offline alert stopped: the home's heartbeats came back


class Acknowledgement(StrEnum):
    """What an alert's calls ask of the person who answers.

    ``required``: they type their phone code, and the first one who does takes the alert (INFO
    Alertes). ``none``: the station handles the alarm, so the call says the message and ends, and
    each callee is called until they heard it (TOUT INCLUS, PROTECT+, an agent request).
    """

    REQUIRED = "required"
    NONE = "none"


class TroubleKind(StrEnum):
    """A trouble the equipment found in itself (self-diagnosis), named in a notice."""

    LOW_BATTERY = "low_battery"  # a detector's battery
    TAMPER = "tamper"  # a detector's tamper switch
    FAULT = "fault"  # a detector unavailable past the supervision window
    TRUNK = "trunk"  # the voice server's SIP trunk cannot be reached
    SMTP = "smtp"  # the voice server's SMTP relay refuses the e-mails


class NoticeKind(StrEnum):
    """What an owner notice (an information e-mail, no call) says."""

    TROUBLE = "trouble"  # a trouble began
    TROUBLE_CLEARED = "trouble_cleared"  # it is over
    DIGEST = "digest"  # the daily list of what is still wrong


class TalkDownMode(StrEnum):
    """How a contact reaches the people in the home during a call."""

    SPEAKER = "speaker"  # bridged to the home's auto-answer SIP speaker: listen, then speak
    WARNING = "warning"  # no speaker: Home Assistant plays a spoken warning (and the siren)
