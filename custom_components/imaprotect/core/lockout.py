"""Code and badge lockout against guessing, in the style of EN 50131-3.

After ``MAX_FAILURES`` failures in a row (wrong codes and rejected badges alike), code and badge
entry is refused. The first lock lasts ``LOCK_TIME``; each further lockout in a row doubles it
(90 s, 3, 6, 12 minutes…) up to ``MAX_LOCK_TIME``. When a lock runs out the guesser gets another
five tries, but only a right code (or a valid badge) resets the escalation: with a fixed 90 s
lock, every 4-digit code could be tried through the services in about two days; doubling makes
that years. ``locks`` counts the lockouts in a row, so the caller can raise the alarm from the
second one (someone keeps trying). The state is persisted (``to_dict``) so a restart neither lifts
a lock nor resets the escalation.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, override

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_FAILURES = 5
LOCK_TIME = timedelta(seconds=90)
MAX_LOCK_TIME = timedelta(hours=24)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value


class CodeLockout:
    """Counts failures (wrong codes, rejected badges) in a row and locks entry after too many."""

    __slots__ = ("_failures", "_locks", "_until")

    def __init__(self) -> None:
        self._failures = 0
        self._locks = 0
        self._until: datetime | None = None

    @override
    def __repr__(self) -> str:
        return f"CodeLockout(failures={self._failures}, locks={self._locks}, until={self._until!r})"

    @property
    def locks(self) -> int:
        """Lockouts in a row since the last success (the current one included)."""
        return self._locks

    @property
    def failures(self) -> int:
        """Failures in a row so far (reset by a right code or badge, or the end of a lock)."""
        return self._failures

    def _expire(self, now: datetime) -> None:
        if self._until is not None and now >= self._until:
            self._until = None
            self._failures = 0

    def locked_until(self, now: datetime) -> datetime | None:
        """Return the end of the current lock, or None when codes may be entered at ``now``."""
        self._expire(_aware(now))
        return self._until

    def record_failure(self, now: datetime) -> datetime | None:
        """Count a wrong code or rejected badge; return the lock end when it starts a lockout.

        A failure reported while already locked is not counted and does not extend the lock
        (callers should not check codes or badges while locked at all).
        """
        self._expire(_aware(now))
        if self._until is not None:
            return None
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._locks += 1
            # 2**n overflows timedelta long before n is large; the cap is reached at n = 10.
            length = LOCK_TIME * 2 ** min(self._locks - 1, 16)
            self._until = now + min(length, MAX_LOCK_TIME)
            return self._until
        return None

    def record_success(self) -> None:
        """Clear the count, the escalation and any lock: a right code or valid badge was shown."""
        self._failures = 0
        self._locks = 0
        self._until = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state."""
        return {
            "failures": self._failures,
            "locks": self._locks,
            "locked_until": self._until.isoformat() if self._until is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeLockout:
        """Rebuild from ``to_dict`` output; ValueError when it is malformed."""
        lockout = cls()
        failures = data.get("failures", 0)
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ValueError("malformed lockout failures")
        locks = data.get("locks", 0)
        if not isinstance(locks, int) or isinstance(locks, bool) or locks < 0:
            raise ValueError("malformed lockout escalation")
        until = data.get("locked_until")
        if until is not None:
            if not isinstance(until, str):
                raise ValueError("malformed lockout end")
            lockout._until = _aware(datetime.fromisoformat(until))
        lockout._failures = failures
        lockout._locks = locks
        return lockout
