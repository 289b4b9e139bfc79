"""PROTECT+: the monitoring station handles an A LA CARTE home's alerts for 24-hour slices.

Pure and clock-injected, like the engine: every call gets ``now`` (timezone-aware), the caller
asks ``next_deadline()``, sets a timer and calls ``tick()``; events pile up until ``drain_events``.
Each grant (a start or an extension) is recorded: who, when, how many slices.

Decisions:

* A period starts now or at a given instant (holidays booked ahead, at most a year ahead) and
  lasts its slices times 24 hours; one period at a time, so a second start is refused (extend it).
* Extending adds slices to the end, of an active or a booked period alike; a period never
  exceeds ``MAX_PERIOD_SLICES`` slices in all, counted from its start.
* Stopping ends an active period at once, or cancels a booked one.
* The end is an absolute instant: a restart after it expires the period at once (``Expired``
  with the planned end), and one restored after a booked start finds it active (``Began``).
* History keeps the last ``MAX_HISTORY`` grants and stops, for the homeowner and the bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "MAX_HISTORY",
    "MAX_LEAD",
    "MAX_PERIOD_SLICES",
    "MAX_SLICES",
    "SLICE",
    "Began",
    "Expired",
    "Extended",
    "Grant",
    "GrantAction",
    "ProtectPlus",
    "ProtectPlusError",
    "ProtectPlusEvent",
    "Started",
    "Stopped",
]

SLICE = timedelta(hours=24)
MAX_SLICES = 30
"""Slices one start or extension may give."""
MAX_PERIOD_SLICES = 90
"""Slices one period may hold in all (three months of holidays)."""
MAX_LEAD = timedelta(days=365)
"""How far ahead a period may be booked."""
MAX_HISTORY = 100
_PAST_TOLERANCE = timedelta(minutes=5)  # a start "now" typed in a form is a little late


class ProtectPlusError(Exception):
    """A refused command; ``reason`` is the translation key's tail."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"protect+ refused: {reason}")
        self.reason = reason


class GrantAction(StrEnum):
    """What a history line records."""

    START = "start"
    EXTEND = "extend"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Grant:
    """One line of the history: ``by`` (a person or user name, None: unknown) did ``action``."""

    at: datetime
    action: GrantAction
    by: str | None
    slices: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Started:
    """A period was granted (``start`` may be later than ``at``: booked)."""

    at: datetime
    by: str | None
    slices: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Extended:
    """Slices were added; ``end`` is the new end."""

    at: datetime
    by: str | None
    slices: int
    end: datetime


@dataclass(frozen=True, slots=True)
class Stopped:
    """The period was ended early, or the booked one cancelled (``booked``)."""

    at: datetime
    by: str | None
    booked: bool


@dataclass(frozen=True, slots=True)
class Began:
    """A booked period started: the station handles the alerts from now."""

    at: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Expired:
    """The period ran out: alerts go to the contacts again; ``end`` is when it was due."""

    at: datetime
    end: datetime


type ProtectPlusEvent = Started | Extended | Stopped | Began | Expired


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return now


def _check_slices(slices: int) -> None:
    if not 1 <= slices <= MAX_SLICES:
        raise ProtectPlusError("invalid_slices")


class ProtectPlus:
    """One home's PROTECT+ periods."""

    def __init__(self) -> None:
        self._start: datetime | None = None
        self._end: datetime | None = None
        self._began = False
        self._history: list[Grant] = []
        self._events: list[ProtectPlusEvent] = []

    # ------------------------------------------------------------------ reading

    def active(self, now: datetime) -> bool:
        """Whether the station handles the alerts at ``now``."""
        _aware(now)
        return self._start is not None and self._end is not None and self._start <= now < self._end

    def booked(self, now: datetime) -> bool:
        """Whether a period is granted but not started yet."""
        _aware(now)
        return self._start is not None and now < self._start

    @property
    def start(self) -> datetime | None:
        """The current or booked period's start; None without one."""
        return self._start

    @property
    def end(self) -> datetime | None:
        """The current or booked period's end; None without one."""
        return self._end

    @property
    def history(self) -> tuple[Grant, ...]:
        """The grants and stops, oldest first."""
        return tuple(self._history)

    def next_deadline(self) -> datetime | None:
        """When ``tick`` has work: a booked start, or the end."""
        if self._start is None or self._end is None:
            return None
        return self._end if self._began else self._start

    # ------------------------------------------------------------------ commands

    def start_period(
        self, now: datetime, slices: int, by: str | None, start: datetime | None = None
    ) -> None:
        """Grant ``slices`` slices from ``start`` (default: now)."""
        self.tick(now)
        _check_slices(slices)
        if self._start is not None:
            raise ProtectPlusError("already_granted")
        begin = now if start is None else _aware(start)
        if begin < now - _PAST_TOLERANCE:
            raise ProtectPlusError("start_in_past")
        if begin > now + MAX_LEAD:
            raise ProtectPlusError("start_too_far")
        begin = max(begin, now)
        self._start, self._end = begin, begin + slices * SLICE
        self._began = begin == now  # a booked period says when it begins (``Began``)
        self._record(now, GrantAction.START, by, slices)
        self._events.append(Started(now, by, slices, begin, self._end))

    def extend(self, now: datetime, slices: int, by: str | None) -> None:
        """Add ``slices`` slices to the current or booked period."""
        self.tick(now)
        _check_slices(slices)
        if self._start is None or self._end is None:
            raise ProtectPlusError("not_granted")
        end = self._end + slices * SLICE
        if end - self._start > MAX_PERIOD_SLICES * SLICE:
            raise ProtectPlusError("too_long")
        self._end = end
        self._record(now, GrantAction.EXTEND, by, slices)
        self._events.append(Extended(now, by, slices, end))

    def stop(self, now: datetime, by: str | None) -> None:
        """End the active period now, or cancel the booked one."""
        self.tick(now)
        if self._start is None or self._end is None:
            raise ProtectPlusError("not_granted")
        booked = not self._began
        self._end = self._start if booked else now
        self._record(now, GrantAction.STOP, by, 0)
        self._start = self._end = None
        self._began = False
        self._events.append(Stopped(now, by, booked))

    def tick(self, now: datetime) -> None:
        """A booked period starts, a running one expires."""
        _aware(now)
        if self._start is None or self._end is None:
            return
        if not self._began and now >= self._start:
            self._began = True
            if now < self._end:
                self._events.append(Began(now, self._end))
        if self._began and now >= self._end:
            self._events.append(Expired(now, self._end))
            self._start = self._end = None
            self._began = False

    def drain_events(self) -> list[ProtectPlusEvent]:
        """Events since the last drain, oldest first."""
        events, self._events = self._events, []
        return events

    def _record(self, now: datetime, action: GrantAction, by: str | None, slices: int) -> None:
        assert self._start is not None
        assert self._end is not None
        self._history.append(Grant(now, action, by, slices, self._start, self._end))
        del self._history[:-MAX_HISTORY]

    # ------------------------------------------------------------------ persistence

    def snapshot(self) -> dict[str, Any]:
        """JSON-serialisable state (names of who granted, no secret)."""
        return {
            "start": _iso(self._start),
            "end": _iso(self._end),
            "began": self._began,
            "history": [
                {
                    "at": g.at.isoformat(),
                    "action": g.action.value,
                    "by": g.by,
                    "slices": g.slices,
                    "start": g.start.isoformat(),
                    "end": g.end.isoformat(),
                }
                for g in self._history
            ],
        }

    @classmethod
    def restore(cls, data: dict[str, Any], now: datetime) -> ProtectPlus:
        """Rebuild from ``snapshot()`` and catch up to ``now``; ValueError on malformed data."""
        plus = cls()
        try:
            start, end = _time(data.get("start")), _time(data.get("end"))
            if (start is None) != (end is None) or (start and end and end < start):
                raise ValueError("inconsistent protect+ period")
            plus._start, plus._end = start, end
            plus._began = bool(data.get("began")) and start is not None
            plus._history = [
                Grant(
                    at=_required(g["at"]),
                    action=GrantAction(g["action"]),
                    by=g.get("by"),
                    slices=int(g["slices"]),
                    start=_required(g["start"]),
                    end=_required(g["end"]),
                )
                for g in data.get("history", [])
            ][-MAX_HISTORY:]
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed protect+ snapshot: {type(err).__name__}") from None
        plus.tick(now)
        return plus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    return _aware(datetime.fromisoformat(value))


def _required(value: object) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise TypeError(value)
    return parsed
