"""Code and badge lockout against guessing, in the style of EN 50131-3.

After ``MAX_FAILURES`` failures in a row (wrong codes and rejected badges alike), code and badge
entry is refused for ``LOCK_TIME``. When the lock has run out the count starts again from zero,
so the next guesser gets another five tries and then another lock. The state is persisted
(``to_dict``) so a restart does not lift a lock.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, override

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_FAILURES = 5
LOCK_TIME = timedelta(seconds=90)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value


class CodeLockout:
    """Counts failures (wrong codes, rejected badges) in a row and locks entry after too many."""

    __slots__ = ("_failures", "_until")

    def __init__(self) -> None:
        self._failures = 0
        self._until: datetime | None = None

    @override
    def __repr__(self) -> str:
        return f"CodeLockout(failures={self._failures}, until={self._until!r})"

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
            self._until = now + LOCK_TIME
            return self._until
        return None

    def record_success(self) -> None:
        """Clear the count and any lock: a right code or a valid badge was presented."""
        self._failures = 0
        self._until = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state."""
        return {
            "failures": self._failures,
            "locked_until": self._until.isoformat() if self._until is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeLockout:
        """Rebuild from ``to_dict`` output; ValueError when it is malformed."""
        lockout = cls()
        failures = data.get("failures", 0)
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ValueError("malformed lockout failures")
        until = data.get("locked_until")
        if until is not None:
            if not isinstance(until, str):
                raise ValueError("malformed lockout end")
            lockout._until = _aware(datetime.fromisoformat(until))
        lockout._failures = failures
        return lockout
