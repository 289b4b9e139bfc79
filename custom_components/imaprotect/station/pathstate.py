"""One transmission path's state inside the transmitter: what is in flight, when to poll.

A path is UNKNOWN until its first answer, UP while it answers, DOWN once a frame went ``tries``
times unanswered (or refused). ``Flight`` is the one frame awaiting an answer on the path: its
sequence number, which try it is, and when the try is given up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class PathState(StrEnum):
    """Whether the receiver takes our frames."""

    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class FlightKind(StrEnum):
    """An event or a NULL poll."""

    EVENT = "event"
    POLL = "poll"


@dataclass(slots=True)
class Flight:
    """The frame awaiting an answer on a path."""

    kind: FlightKind
    event_id: int | None
    sequence: int
    attempt: int
    sent_at: datetime
    deadline: datetime
    nak_resent: bool = False


@dataclass(slots=True)
class PathRuntime:
    """Mutable per-path state (the link reads it for its status)."""

    next_poll_at: datetime
    state: PathState = PathState.UNKNOWN
    flight: Flight | None = None
    offset: timedelta = field(default_factory=timedelta)
    last_ack_at: datetime | None = None
    last_nak_at: datetime | None = None
    last_duh_at: datetime | None = None
    last_duh_code: str | None = None
    trouble_queued: bool = False
    frames_sent: int = 0
    ignored_answers: int = 0
