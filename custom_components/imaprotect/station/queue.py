"""The ordered store-and-forward queue and its serialisable state.

Each event gets its id and its sequence number when queued, and keeps both until the station
acknowledges it: a retransmission, on any path and after a restart, carries the same number, so a
receiver that saw the first copy takes the second as a repeat (DC-09's test annex). The queue's
``to_dict`` is what the link saves before an event's first transmission; ``from_dict`` reads it
back (``StoreFormatError`` for a document it cannot read, never a partial queue).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from custom_components.imaprotect.core.reports import Report, ReportKind

from .frames import next_sequence

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

STATE_VERSION = 1


class StoreFormatError(ValueError):
    """A saved queue this version cannot read."""


@dataclass(slots=True)
class QueuedEvent:
    """One event waiting for the station's ACK (only its two flags ever change)."""

    id: int
    sequence: int
    report: Report
    queued_at: datetime
    overdue_reported: bool = False
    fault_reported: bool = False


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time")
    return parsed


def report_to_dict(report: Report) -> dict[str, Any]:
    """A report as JSON-ready values."""
    return {
        "kind": report.kind.value,
        "at": report.at.isoformat(),
        "area": report.area,
        "zone": report.zone,
        "user": report.user,
        "text": report.text,
        "detected_at": _time(report.detected_at),
        "verification_url": report.verification_url,
    }


def report_from_dict(data: Mapping[str, Any]) -> Report:
    """The inverse of :func:`report_to_dict`."""
    at = _parse_time(data["at"])
    assert at is not None
    return Report(
        kind=ReportKind(data["kind"]),
        at=at,
        area=int(data["area"]),
        zone=data["zone"],
        user=data["user"],
        text=data["text"],
        detected_at=_parse_time(data["detected_at"]),
        verification_url=data["verification_url"],
    )


class EventQueue:
    """Events in the order they were queued; only the head is ever in flight."""

    __slots__ = ("_events", "next_id", "next_sequence", "next_test_at")

    def __init__(self) -> None:
        self._events: deque[QueuedEvent] = deque()
        self.next_id = 1
        self.next_sequence = 1
        self.next_test_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[QueuedEvent]:
        return iter(self._events)

    @property
    def head(self) -> QueuedEvent | None:
        """The oldest event, the only one sent."""
        return self._events[0] if self._events else None

    def append(self, report: Report, now: datetime) -> QueuedEvent:
        """Queue ``report`` with the next id and sequence number."""
        event = QueuedEvent(self.next_id, self.next_sequence, report, now)
        self.next_id += 1
        self.next_sequence = next_sequence(self.next_sequence)
        self._events.append(event)
        return event

    def pop_head(self) -> QueuedEvent:
        """Remove and return the head (acknowledged or rejected)."""
        return self._events.popleft()

    def to_dict(self) -> dict[str, Any]:
        """The whole queue as JSON-ready values."""
        return {
            "version": STATE_VERSION,
            "next_id": self.next_id,
            "next_sequence": self.next_sequence,
            "next_test_at": _time(self.next_test_at),
            "events": [
                {
                    "id": e.id,
                    "sequence": e.sequence,
                    "queued_at": e.queued_at.isoformat(),
                    "overdue_reported": e.overdue_reported,
                    "fault_reported": e.fault_reported,
                    "report": report_to_dict(e.report),
                }
                for e in self._events
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EventQueue:
        """Read :meth:`to_dict`'s document back."""
        if data.get("version") != STATE_VERSION:
            raise StoreFormatError(f"station queue version {data.get('version')!r} unknown")
        queue = cls()
        try:
            queue.next_id = int(data["next_id"])
            queue.next_sequence = int(data["next_sequence"])
            queue.next_test_at = _parse_time(data["next_test_at"])
            for item in data["events"]:
                queued_at = _parse_time(item["queued_at"])
                assert queued_at is not None
                queue._events.append(
                    QueuedEvent(
                        id=int(item["id"]),
                        sequence=int(item["sequence"]),
                        report=report_from_dict(item["report"]),
                        queued_at=queued_at,
                        overdue_reported=bool(item["overdue_reported"]),
                        fault_reported=bool(item["fault_reported"]),
                    )
                )
        except (KeyError, TypeError, ValueError, AssertionError) as err:
            raise StoreFormatError(f"station queue unreadable: {err!r}") from err
        if not 1 <= queue.next_sequence <= 9999:
            raise StoreFormatError("station queue unreadable: sequence out of range")
        return queue
