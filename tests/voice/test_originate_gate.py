"""The originate gate (issue 8, avalanche): how many calls Asterisk is asked at once, in order.

A fake clock gives each request its time; the gate is pure asyncio, so the order is exact.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.voice.turns import Holder, settle
from voice_server.originate_gate import FIRST_CALL_HEAD_START, OriginateGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def originating(gate: OriginateGate, name: str, order: list[str], *, first: bool) -> Holder:
    """One originate: asks the gate, records when it got through, holds until released."""
    return Holder(lambda: gate.turn(first=first), name, order)


async def test_no_more_originates_in_flight_than_slots() -> None:
    gate = OriginateGate(2, clock=Clock())
    order: list[str] = []
    callers = [originating(gate, f"c{n}", order, first=True) for n in range(5)]
    await settle()
    assert order == ["c0", "c1"]
    assert (gate.waiting, gate.most_waiting) == (3, 3)
    callers[0].release.set()
    await settle()
    assert order == ["c0", "c1", "c2"]
    for caller in callers:
        caller.release.set()
    await asyncio.gather(*(c.task for c in callers))
    assert order == ["c0", "c1", "c2", "c3", "c4"]
    assert gate.waiting == 0


async def test_a_first_call_goes_before_later_calls_asked_shortly_before_it() -> None:
    clock = Clock()
    gate = OriginateGate(1, clock=clock)
    order: list[str] = []
    holder = originating(gate, "holder", order, first=True)
    await settle()
    later = [originating(gate, f"later-{n}", order, first=False) for n in range(2)]
    await settle()
    clock.now += FIRST_CALL_HEAD_START / 2  # a site alerts a moment after the later calls
    first = originating(gate, "first", order, first=True)
    await settle()
    for caller in (holder, *later, first):
        caller.release.set()
    await asyncio.gather(*(c.task for c in (holder, *later, first)))
    assert order == ["holder", "first", "later-0", "later-1"]


async def test_a_later_call_waits_no_more_than_the_head_start() -> None:
    clock = Clock()
    gate = OriginateGate(1, clock=clock)
    order: list[str] = []
    holder = originating(gate, "holder", order, first=True)
    await settle()
    later = originating(gate, "later", order, first=False)
    await settle()
    clock.now += FIRST_CALL_HEAD_START + 0.5  # this site alerted long after the later call
    first = originating(gate, "first", order, first=True)
    await settle()
    for caller in (holder, later, first):
        caller.release.set()
    await asyncio.gather(holder.task, later.task, first.task)
    assert order == ["holder", "later", "first"]


async def test_calls_of_the_same_kind_keep_their_order() -> None:
    clock = Clock()
    gate = OriginateGate(1, clock=clock)
    order: list[str] = []
    callers = [originating(gate, "holder", order, first=False)]
    await settle()
    for n in range(4):
        clock.now += 0.01
        callers.append(originating(gate, f"first-{n}", order, first=True))
        await settle()
    for caller in callers:
        caller.release.set()
    await asyncio.gather(*(c.task for c in callers))
    assert order == ["holder", "first-0", "first-1", "first-2", "first-3"]


async def test_a_caller_gone_while_waiting_leaves_no_hole() -> None:
    gate = OriginateGate(1, clock=Clock())
    order: list[str] = []
    holder = originating(gate, "holder", order, first=True)
    await settle()
    gone = originating(gate, "gone", order, first=True)
    after = originating(gate, "after", order, first=True)
    await settle()
    gone.task.cancel()
    await settle()
    assert gate.waiting == 1
    holder.release.set()
    after.release.set()
    await asyncio.gather(holder.task, after.task)
    assert gone.task.cancelled()
    assert order == ["holder", "after"]
    assert gate.waiting == 0
    # The slot came back: one more goes through at once.
    again = originating(gate, "again", order, first=False)
    await settle()
    assert order[-1] == "again"
    again.release.set()
    await again.task


async def test_a_slot_handed_to_a_caller_that_goes_is_passed_on() -> None:
    gate = OriginateGate(1, clock=Clock())
    order: list[str] = []
    holding = gate.turn(first=True)
    await holding.__aenter__()  # this test holds the only slot
    handed = originating(gate, "handed", order, first=True)
    after = originating(gate, "after", order, first=True)
    await settle()
    await holding.__aexit__(None, None, None)  # the slot is handed to "handed", not resumed yet…
    handed.task.cancel()  # …which goes before it runs again
    after.release.set()
    await asyncio.wait_for(after.task, 1)
    assert handed.task.cancelled()
    assert order == ["after"]
    assert gate.waiting == 0


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        OriginateGate(0)
