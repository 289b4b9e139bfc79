"""Waiting until a condition holds, with a deadline, for the peers that offer nothing to await.

Asterisk's boot, SIPp's socket, an alert's state over HTTP, a row in the outbox: none of them
signals its change, so the tests and the benchmark poll. One helper keeps the deadline logic (check
first, fail only after the deadline, say what was awaited) in one place. ``NotReachedError`` is an
``AssertionError`` so that pytest reports a condition never met as a failed check, with its text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import inspect
import time

type Check = Callable[[], bool | Awaitable[bool]]
type What = str | Callable[[], str]


class NotReachedError(AssertionError):
    """The condition did not hold within the time allowed, or its source went away."""


def _text(what: What) -> str:
    return what() if callable(what) else what


async def until(
    check: Check,
    *,
    within: float = 5.0,
    every: float = 0.02,
    what: What = "condition",
    alive: Callable[[], bool] | None = None,
) -> None:
    """Return once ``check()`` (plain or async) is true; raise ``NotReachedError`` otherwise.

    ``within`` seconds at most, checking every ``every`` seconds; ``alive`` (a process's
    liveness, say) makes it give up at once when it turns false. ``what`` may be a callable, so
    the message can show the last state seen.
    """
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if alive is not None and not alive():
            raise NotReachedError(f"{_text(what)}: gave up, its source is gone")
        if time.monotonic() > deadline:
            raise NotReachedError(f"{_text(what)}: not reached within {within:g} s")
        await asyncio.sleep(every)


def until_sync(
    check: Callable[[], bool],
    *,
    within: float = 5.0,
    every: float = 0.02,
    what: What = "condition",
    alive: Callable[[], bool] | None = None,
) -> None:
    """``until`` for code without an event loop (starting Asterisk or SIPp from a fixture)."""
    deadline = time.monotonic() + within
    while not check():
        if alive is not None and not alive():
            raise NotReachedError(f"{_text(what)}: gave up, its source is gone")
        if time.monotonic() > deadline:
            raise NotReachedError(f"{_text(what)}: not reached within {within:g} s")
        time.sleep(every)
