"""What the transmitter asks for (``Transmit``) and what it tells (the notices).

The link performs ``Transmit`` and hands every notice to its listeners; the HA adapter turns
them into entities, repairs and messages to the contacts:

* ``Delivered``: the station acknowledged an event (``after_fault``: it had been reported as a
  transmission fault before, so the contacts may be told it finally went through);
* ``TransmissionFault``: an event the station did not take. ``reason`` NO_ANSWER or REFUSED: every
  path was tried ``tries`` times, the event stays queued and is retried; REJECTED: the receiver
  answered DUH (it will never take it), the event left the queue (``dropped``) and ``code`` is
  its SIA code, for the repair. Either way the adapter sends the event to the contacts. With a
  key, a receiver holding another key answers NAK or DUH (pysiaalarm's DUH when the garbage it
  decrypted happens to parse): a REJECTED repair on an encrypted link should mention the key;
* ``AlarmOverdue``: an alarm still not acknowledged after the category's transmission time; it
  stays queued for the station, and the adapter also sends it to the contacts;
* ``PathLost`` / ``PathRestored``: a receiver stopped answering, or answers again;
* ``ClockResynced``: a NAK gave the receiver's clock; frames now carry ``offset``;
* ``ReceiverData``: an RSP's extended data (for instance a ``K`` key change, not applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from custom_components.imaprotect.core.reports import Report


class FaultReason(StrEnum):
    """Why an event did not reach the station."""

    NO_ANSWER = "no_answer"  # no ACK on any path (down, silent, unreachable)
    REFUSED = "refused"  # NAK after the clock re-sync: bad key, format or clock
    REJECTED = "rejected"  # DUH: the receiver will never take it


class PathLossReason(StrEnum):
    """Why a path was declared lost."""

    NO_ANSWER = "no_answer"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Transmit:
    """Send ``frame`` on path ``path`` (index in the link's receivers)."""

    path: int
    frame: bytes
    sequence: int
    event_id: int | None  # None for a NULL poll


@dataclass(frozen=True, slots=True)
class Delivered:
    """The station has the event."""

    event_id: int
    report: Report
    path: int
    sequence: int
    attempts: int
    after_fault: bool


@dataclass(frozen=True, slots=True)
class TransmissionFault:
    """An event that did not reach the station (see the module docstring)."""

    event_id: int
    report: Report
    reason: FaultReason
    dropped: bool
    code: str | None = None


@dataclass(frozen=True, slots=True)
class AlarmOverdue:
    """An alarm not acknowledged within ``limit`` of being queued at ``queued_at``."""

    event_id: int
    report: Report
    queued_at: datetime
    limit: timedelta


@dataclass(frozen=True, slots=True)
class PathLost:
    """Path ``path`` stopped taking our frames."""

    path: int
    reason: PathLossReason


@dataclass(frozen=True, slots=True)
class PathRestored:
    """Path ``path`` answers again."""

    path: int


@dataclass(frozen=True, slots=True)
class ClockResynced:
    """Frames on ``path`` now carry our clock plus ``offset`` (from a NAK)."""

    path: int
    offset: timedelta


@dataclass(frozen=True, slots=True)
class ReceiverData:
    """Extended data blocks of an RSP on ``path``."""

    path: int
    blocks: tuple[str, ...]


type Notice = (
    Delivered
    | TransmissionFault
    | AlarmOverdue
    | PathLost
    | PathRestored
    | ClockResynced
    | ReceiverData
)
type Output = Transmit | Notice
