"""A read-only picture of a link, for the adapter's entities, diagnostics and repairs.

Nothing in it is secret: no key, no frame. ``last_duh_code`` is the event code a receiver
answered DUH to (for the repair "the station does not take code XX").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .pathstate import PathState

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from .settings import Transport


@dataclass(frozen=True, slots=True)
class PathStatus:
    """One receiver, as the link sees it now."""

    index: int
    host: str
    port: int
    transport: Transport
    connected: bool  # a socket is open (TCP), or the UDP socket exists
    state: PathState  # whether the receiver takes our frames
    last_ack_at: datetime | None
    last_nak_at: datetime | None
    last_duh_at: datetime | None
    last_duh_code: str | None
    clock_offset: timedelta
    frames_sent: int
    ignored_answers: int
    in_flight_sequence: int | None


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """The whole link."""

    paths: tuple[PathStatus, ...]
    queue_length: int
    oldest_queued_at: datetime | None
    next_test_at: datetime | None

    @property
    def connected(self) -> bool:
        """Whether at least one receiver takes our frames."""
        return any(path.state is PathState.UP for path in self.paths)
