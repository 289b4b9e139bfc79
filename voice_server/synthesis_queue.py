"""Which prompt is synthesised next: the ones a contact on the line waits for, before the others.

espeak-ng and sox take about 25 ms of CPU per sentence. Each alert's message is asked for as its
first phone starts ringing, so under an avalanche (a thousand sites within a second) a thousand
syntheses are asked at once; run together at full priority they took the two cores from the
event loop and from Asterisk, which were placing the other sites' calls. They run ``slots`` at a
time; one asked while a phone rings (``urgent=False``) waits behind those a contact who answered
is waiting to hear, and its processes run ``BACKGROUND_NICE`` steps lower in CPU priority, so
placing calls comes first. With two slots or more, one is kept for urgent syntheses: a contact
never waits for the niced processes of others to finish. When its contact answers, ``hurry``
moves a synthesis ahead and gives its processes their normal priority back where the system
allows it (raising a priority needs the privilege, which the add-on's unprivileged user lacks:
there it only goes ahead, and the kept slot does the rest).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
import heapq
import itertools
import logging
import os

__all__ = ["BACKGROUND_NICE", "SynthesisQueue"]

_LOGGER = logging.getLogger(__name__)

#: How much lower the CPU priority of a synthesis nobody is listening for yet is (nice steps).
BACKGROUND_NICE = 10


def _set_nice(pid: int, value: int) -> bool:
    """Set a process's nice value; False when it is gone or the system refuses."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, value)
    except (ProcessLookupError, PermissionError) as err:
        _LOGGER.debug("nice %d for a synthesis process refused: %s", value, type(err).__name__)
        return False
    return True


@dataclass(order=True, slots=True)
class _Waiting:
    urgency: int  # 0: someone listens; 1: made ahead of need
    order: int
    key: str = field(compare=False)
    turn: asyncio.Future[None] = field(compare=False)


class SynthesisQueue:
    """At most ``slots`` syntheses at once; urgent ones first, each kind in the order asked.

    One synthesis per key at a time (``PromptCache`` shares one task per sentence).
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a synthesis queue needs at least one slot")
        self._free = slots
        self._kept = 1 if slots > 1 else 0  # slots only an urgent synthesis may take
        self._queue: list[_Waiting] = []  # a heap; entries already served are skipped
        self._order = itertools.count()
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._urgent: set[str] = set()
        self._processes: dict[str, set[int]] = {}
        self._nice = os.getpriority(os.PRIO_PROCESS, 0)  # the server's own: an urgent one's
        self.running = 0
        self.most_running = 0

    @property
    def processes(self) -> int:
        """espeak-ng and sox processes running now."""
        return sum(len(pids) for pids in self._processes.values())

    def urgent(self, key: str) -> bool:
        """Whether a contact is waiting to hear this prompt."""
        return key in self._urgent

    def hurry(self, key: str) -> None:
        """A contact is waiting for this prompt: it goes ahead, its processes at full priority."""
        if key in self._urgent:
            return
        self._urgent.add(key)
        turn = self._waiting.get(key)
        if turn is not None:
            heapq.heappush(self._queue, _Waiting(0, next(self._order), key, turn))
            self._dispatch()
        for pid in self._processes.get(key, ()):
            _set_nice(pid, self._nice)

    def forget(self, key: str) -> None:
        """The synthesis of ``key`` is over, whether it ran or not: nobody waits for it now."""
        self._urgent.discard(key)

    @contextlib.asynccontextmanager
    async def turn(self, key: str, *, urgent: bool) -> AsyncIterator[None]:
        """Hold a slot for the synthesis of ``key``; ``urgent`` when someone listens already."""
        if urgent:
            self._urgent.add(key)
        try:
            await self._acquire(key)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            try:
                yield
            finally:
                self.running -= 1
                self._processes.pop(key, None)
                self._free += 1
                self._dispatch()
        finally:
            self._urgent.discard(key)

    def started(self, key: str, pid: int) -> None:
        """A process of ``key``'s synthesis started: lower its priority unless someone listens."""
        self._processes.setdefault(key, set()).add(pid)
        if key not in self._urgent:
            _set_nice(pid, self._nice + BACKGROUND_NICE)

    def ended(self, key: str, pid: int) -> None:
        """A process of ``key``'s synthesis ended."""
        self._processes.get(key, set()).discard(pid)

    async def _acquire(self, key: str) -> None:
        if key in self._waiting:
            raise RuntimeError("one synthesis per key at a time")
        turn = asyncio.get_running_loop().create_future()
        self._waiting[key] = turn
        urgency = 0 if key in self._urgent else 1
        heapq.heappush(self._queue, _Waiting(urgency, next(self._order), key, turn))
        try:
            self._dispatch()
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._free += 1  # the slot was handed over as the synthesis went: pass it on
                self._dispatch()
            raise
        finally:
            del self._waiting[key]

    def _dispatch(self) -> None:
        """Hand the free slots to the waiting syntheses, urgent first; keep one for the urgent."""
        while self._queue and self._free > 0:
            head = self._queue[0]
            if head.turn.done():  # served through another entry (hurried), or gone
                heapq.heappop(self._queue)
                continue
            if head.urgency and self._free <= self._kept:
                return  # the slot left is for a contact on the line
            heapq.heappop(self._queue)
            self._free -= 1
            head.turn.set_result(None)
