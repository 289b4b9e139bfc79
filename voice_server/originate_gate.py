"""Which call Asterisk is asked to place next when more are due than it can take at once.

Under an avalanche (a storm, a regional power cut: a thousand sites within a second) every alert's
first call and, a few milliseconds later, the second call of each alert whose first contact was
busy all reached Asterisk together. Hundreds of originates queued behind the ARI client's pooled
connections, in the order they were asked, so a site that had just alerted waited behind other
sites' second and third calls; and the prompts of calls already answered waited behind them too.

The gate keeps at most ``slots`` originates in flight (well under the pool, which the answered
calls' plays and hang-ups share) and lets the waiting ones through earliest deadline first: a
call's deadline is when it was asked, an alert's first call gets ``head_start`` seconds off it.
So a site that has just alerted is dialled before the later calls of sites already being
called, yet a later call never waits more than ``head_start`` behind first calls asked after it.
Pure asyncio with an injected clock, like ``calltree``: every branch is unit-tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import heapq
import itertools

__all__ = ["FIRST_CALL_HEAD_START", "OriginateGate"]

#: How far ahead of the later calls an alert's first call is placed (seconds).
FIRST_CALL_HEAD_START = 2.0


@dataclass(order=True, slots=True)
class _Waiting:
    deadline: float
    order: int
    turn: asyncio.Future[None] = field(compare=False)


class OriginateGate:
    """At most ``slots`` originates at once; waiting ones go earliest deadline first."""

    def __init__(
        self,
        slots: int,
        *,
        head_start: float = FIRST_CALL_HEAD_START,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if slots < 1:
            raise ValueError("an originate gate needs at least one slot")
        self._free = slots
        self._head_start = head_start
        self._clock = clock
        self._waiting: list[_Waiting] = []  # a heap; entries of callers gone are skipped
        self._order = itertools.count()
        self.waiting = 0  # originates waiting for a slot now
        self.most_waiting = 0  # the longest queue seen (the benchmark and the tests read it)

    @contextlib.asynccontextmanager
    async def turn(self, *, first: bool) -> AsyncIterator[None]:
        """Hold a slot for one originate; ``first`` for an alert's first call."""
        await self._acquire(first=first)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, *, first: bool) -> None:
        if self._free > 0:  # a free slot means nobody waits: a release hands it over directly
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        deadline = (self._clock or loop.time)() - (self._head_start if first else 0.0)
        item = _Waiting(deadline, next(self._order), loop.create_future())
        heapq.heappush(self._waiting, item)
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        try:
            await item.turn
        except asyncio.CancelledError:
            if item.turn.cancelled():
                self.waiting -= 1  # gone while waiting: its entry is skipped when reached
            else:
                self._release()  # the slot was handed over as the caller went: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            item = heapq.heappop(self._waiting)
            if not item.turn.done():  # a caller cancelled while waiting left its entry behind
                self.waiting -= 1
                item.turn.set_result(None)
                return
        self._free += 1
