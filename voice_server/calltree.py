"""The INFO Alertes call tree as a pure state machine: who to call next, and when to stop.

No I/O and no asyncio, in the manner of ``core/engine.py``: the runner (campaign.py) reads the
alert from SQLite, asks ``next_step`` what to do, does it, and commits the attempt's end with the
cursor ``Cursor.after`` gives. Decisions:

1. The cursor names the *next* call: round ``round`` (from 1), contact ``position`` (from 0) in
   the plan's call order. It moves after every attempt, whatever its outcome, so a restarted
   server never calls the same contact twice in a row for one alert.
2. After the last contact of a round comes the first contact of the next round; after the last
   round the alert is exhausted.
3. An alert that reached a final status (acknowledged, escalated, cancelled, exhausted, expired)
   calls nobody: the status is the truth, not the cursor. A queued alert is still active.
3b. An active alert as old as the maximum alert age (or older) expires, ``too_old``: after an hour
   nobody is told of a burglary by phone any more, and Home Assistant's fallback takes over.
4. A call that ended before being answered gets its outcome from the Q.850 cause.
5. An attempt that acknowledged or escalated the alert records that as its outcome at once
   (``acknowledged``, ``sos``), before the call itself has ended.
6. A call the infrastructure failed (see outage.py) skips to the next contact of the same round
   (``Cursor.skip``) without spending the round.
7. An alert whose calls need no code (``acknowledgement: none``: the station handles the alarm)
   *informs*: a callee who answered heard the message (outcome ``informed``) and is not called
   again; the cursor passes over them (``done``). Once every callee heard it the alert is
   ``informed``; when the rounds run out it is ``informed`` if anyone heard it, else ``exhausted``
   (the fallback then says nobody was reached).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from custom_components.imaprotect.contract.enums import AlertStatus, Outcome, Reason

__all__ = [
    "CallContact",
    "CallResult",
    "Cursor",
    "Finish",
    "Step",
    "Stop",
    "next_step",
    "outcome_for_cause",
    "outcome_for_status",
    "outcome_on_watchdog",
]

#: Q.850 causes that mean the phone rang and nobody took it (16 normal clearing while ringing,
#: 18 no user responding, 19 no answer).
_NO_ANSWER_CAUSES = frozenset({16, 18, 19})
_BUSY = 17
_REJECTED = 21


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the call tree stands: the next call is contact ``position`` of round ``round``."""

    round: int
    position: int

    def after(self, contacts: int, done: frozenset[int] = frozenset()) -> Cursor:
        """The cursor once the current call is over: next contact, or next round's first.

        Positions in ``done`` (callees already informed) are passed over, at most one round on.
        """
        if contacts < 1:
            raise ValueError("a plan has at least one contact")
        cursor = self
        for _ in range(contacts):
            position = cursor.position + 1
            if position >= contacts:
                cursor = Cursor(cursor.round + 1, 0)
            else:
                cursor = Cursor(cursor.round, position)
            if cursor.position not in done:
                break
        return cursor

    def skip(self, contacts: int, done: frozenset[int] = frozenset()) -> Cursor:
        """The cursor once the current call failed for the network: next contact, same round.

        Positions in ``done`` are passed over; when every other one is done, it stays put.
        """
        if contacts < 1:
            raise ValueError("a plan has at least one contact")
        for step in range(1, contacts + 1):
            position = (self.position + step) % contacts
            if position not in done:
                return Cursor(self.round, position)
        return self


@dataclass(frozen=True, slots=True)
class CallContact:
    """Call contact ``cursor.position`` (round ``cursor.round``)."""

    cursor: Cursor


@dataclass(frozen=True, slots=True)
class Finish:
    """Every round is done (or the alert is too old): move the alert to ``status``."""

    status: AlertStatus = AlertStatus.EXHAUSTED
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """The alert already has its final ``status``: nothing more to do."""

    status: AlertStatus


type Step = CallContact | Finish | Stop


def next_step(
    status: AlertStatus,
    cursor: Cursor,
    *,
    contacts: int,
    rounds: int,
    age: float = 0.0,
    max_age: float = math.inf,
    informed: frozenset[int] | None = None,
) -> Step:
    """What the call tree does next for an alert in ``status`` whose cursor is ``cursor``.

    ``age`` is how long ago the server accepted the alert, in seconds; ``max_age`` its limit.
    ``informed`` is None for an alert whose calls ask for a code; for one that informs, the
    positions of the callees who already heard the message.
    """
    if status.terminal:
        return Stop(status)
    if age >= max_age:
        return Finish(AlertStatus.EXPIRED, Reason.TOO_OLD)
    if informed is not None and contacts >= 1 and len(informed) >= contacts:
        return Finish(AlertStatus.INFORMED)
    if contacts < 1 or cursor.round > rounds:
        return Finish(AlertStatus.INFORMED if informed else AlertStatus.EXHAUSTED)
    return CallContact(cursor)


@dataclass(frozen=True, slots=True)
class CallResult:
    """How one call attempt ended; ``cause`` is the Q.850 cause when Asterisk gave one."""

    outcome: Outcome
    cause: int | None = None


def outcome_for_cause(cause: int | None) -> Outcome:
    """Outcome of a call that ended before being answered, from its Q.850 cause."""
    if cause == _BUSY:
        return Outcome.BUSY
    if cause == _REJECTED:
        return Outcome.REJECTED
    if cause in _NO_ANSWER_CAUSES:
        return Outcome.NO_ANSWER
    return Outcome.UNREACHABLE


def outcome_on_watchdog(*, answered: bool) -> Outcome:
    """Outcome of a call the per-call watchdog (or the ring timer) ended."""
    return Outcome.ANSWERED if answered else Outcome.NO_ANSWER


def outcome_for_status(status: AlertStatus) -> Outcome | None:
    """The outcome an attempt records when it moved its alert to ``status`` (None: not one)."""
    match status:
        case AlertStatus.ACKNOWLEDGED:
            return Outcome.ACKNOWLEDGED
        case AlertStatus.ESCALATED:
            return Outcome.SOS
        case _:
            return None
