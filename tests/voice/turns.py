"""Test helpers for the two slot queues (originate gate, synthesis queue): who got a turn when."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

__all__ = ["Holder", "finish", "settle"]


async def settle() -> None:
    """Let every task that can run do so (a few loop turns, no time passes)."""
    for _ in range(5):
        await asyncio.sleep(0)


class Holder:
    """Takes a turn (``turn()``), records its name once it has it, holds it until released."""

    def __init__(
        self, turn: Callable[[], AbstractAsyncContextManager[None]], name: str, order: list[str]
    ) -> None:
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._run(turn, name, order))

    async def _run(
        self, turn: Callable[[], AbstractAsyncContextManager[None]], name: str, order: list[str]
    ) -> None:
        async with turn():
            order.append(name)
            await self.release.wait()


async def finish(*holders: Holder) -> None:
    """Release every holder and wait until each has given its turn back."""
    for holder in holders:
        holder.release.set()
    await asyncio.gather(*(holder.task for holder in holders))
