"""When the telephone network fails rather than the contact: retry without spending anyone.

Pure, like ``calltree``: the runner (campaign.py) tells ``Outage`` how each call ended and does what
it answers. Decisions:

1. A call that was never answered and ended ``unreachable`` without a cause (an ARI error, the
   originate refused, Asterisk away) or with a network cause (Q.850 0, 3, 27, 34, 38, 41, 47: a
   trunk down, unregistered or congested) is the infrastructure's failure, not the contact's.
   Anything else — busy, no answer, refused, a wrong number, an answered call — spends the contact.
2. The infrastructure's failure does not spend the contact or the round: the cursor skips to the
   next contact of the *same* round (``Cursor.skip``), so one dead route never blocks the others and
   a dead trunk never uses up the rounds in seconds, as it used to (``exhausted`` at once).
3. Failures in a row wait 1, 2, 4 … up to 30 s before the next call; any spent call resets them.
4. From the second failure in a row (the first with a single contact) nobody can be reached: the
   alert is ``queued`` with ``trunk_unavailable``, and goes back to ``calling`` with the next call
   that is spent. Only the maximum alert age (``calltree.next_step``) ends that wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from custom_components.imaprotect.contract.enums import Outcome
from voice_server.calltree import CallResult

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "INFRASTRUCTURE_CAUSES",
    "Outage",
    "Retry",
    "Spent",
    "Verdict",
    "infrastructure_failure",
]

#: Q.850 causes of the network, not of the callee: 0 unspecified (no SIP answer), 3 no route to
#: destination, 27 destination out of order, 34 no circuit available, 38 network out of order,
#: 41 temporary failure, 47 resource unavailable.
INFRASTRUCTURE_CAUSES = frozenset({0, 3, 27, 34, 38, 41, 47})
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
_QUEUED_AFTER = 2


def infrastructure_failure(result: CallResult, *, answered: bool) -> bool:
    """Whether the call failed because of Asterisk or the trunk, before reaching the contact."""
    if answered or result.outcome is not Outcome.UNREACHABLE:
        return False
    return result.cause is None or result.cause in INFRASTRUCTURE_CAUSES


@dataclass(frozen=True, slots=True)
class Spent:
    """The call reached the contact's line: move the cursor on as usual."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Nobody was reached: skip to the next contact of the round after ``delay`` seconds.

    ``queue``: nobody can be reached at all; the alert must say so (queued, trunk_unavailable).
    """

    delay: float
    queue: bool


type Verdict = Spent | Retry


@dataclass(slots=True)
class Outage:
    """Infrastructure failures in a row for one alert's call tree."""

    failures: int = 0

    def record(self, result: CallResult, *, answered: bool, contacts: int) -> Verdict:
        """How the call that just ended counts, and what comes next."""
        if not infrastructure_failure(result, answered=answered):
            self.failures = 0
            return Spent()
        self.failures += 1
        delay = min(BACKOFF_FIRST * 2.0 ** min(self.failures - 1, 16), BACKOFF_MAX)
        return Retry(delay=delay, queue=self.failures >= min(_QUEUED_AFTER, max(contacts, 1)))
