"""Which prompt is synthesised next: the ones a contact on the line waits for, before the others.

espeak-ng and sox take about 25 ms of CPU per sentence. Each alert's message is asked for as its
first phone starts ringing, so under an avalanche (a thousand sites within a second) a thousand
syntheses are asked at once; run together at full priority they took the two cores from the
event loop and from Asterisk, which were placing the other sites' calls. They run ``slots`` at a
time; one asked while a phone rings (``urgent=False``) waits behind those a contact who answered
is waiting to hear, and its processes run ``BACKGROUND_NICE`` steps lower in CPU priority, so
placing calls comes first. When its contact answers, ``hurry`` moves it ahead and gives its
processes their normal priority back (where the system allows it: only a privileged process may
raise a priority again; otherwise it only goes ahead in the queue).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
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


class SynthesisQueue:
    """At most ``slots`` syntheses at once; urgent ones first, each kind in the order asked."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a synthesis queue needs at least one slot")
        self._free = slots
        self._queue: list[tuple[int, int, str]] = []  # (0 urgent / 1 not, order, key): a heap
        self._order = itertools.count()
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._urgent: set[str] = set()
        self._processes: dict[str, set[int]] = {}
        self._nice = os.getpriority(os.PRIO_PROCESS, 0)  # the server's own: an urgent one's
        self.running = 0
        self.most_running = 0

    def urgent(self, key: str) -> bool:
        """Whether a contact is waiting to hear this prompt."""
        return key in self._urgent

    def hurry(self, key: str) -> None:
        """A contact is waiting for this prompt: it goes ahead, its processes at full priority."""
        if key in self._urgent:
            return
        self._urgent.add(key)
        if key in self._waiting:
            heapq.heappush(self._queue, (0, next(self._order), key))
        for pid in self._processes.get(key, ()):
            _set_nice(pid, self._nice)

    @contextlib.asynccontextmanager
    async def turn(self, key: str, *, urgent: bool) -> AsyncIterator[None]:
        """Hold a slot for the synthesis of ``key``; ``urgent`` when someone listens already."""
        if urgent:
            self._urgent.add(key)
        try:
            await self._acquire(key)
        except BaseException:
            self._urgent.discard(key)
            raise
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            yield
        finally:
            self.running -= 1
            self._urgent.discard(key)
            self._processes.pop(key, None)
            self._release()

    def started(self, key: str, pid: int) -> None:
        """A process of ``key``'s synthesis started: lower its priority unless someone listens."""
        self._processes.setdefault(key, set()).add(pid)
        if key not in self._urgent:
            _set_nice(pid, self._nice + BACKGROUND_NICE)

    def ended(self, key: str, pid: int) -> None:
        """A process of ``key``'s synthesis ended."""
        self._processes.get(key, set()).discard(pid)

    async def _acquire(self, key: str) -> None:
        if self._free > 0:  # a free slot means nobody waits: a release hands it over directly
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[key] = turn
        heapq.heappush(self._queue, (0 if key in self._urgent else 1, next(self._order), key))
        try:
            await turn
        except asyncio.CancelledError:
            if not turn.cancelled():
                self._release()  # the slot was handed over as the synthesis went: pass it on
            raise
        finally:
            del self._waiting[key]

    def _release(self) -> None:
        while self._queue:
            _, _, key = heapq.heappop(self._queue)
            turn = self._waiting.get(key)
            if turn is not None and not turn.done():  # else hurried twice, or gone meanwhile
                turn.set_result(None)
                return
        self._free += 1
