"""Group commit: the writes asked for in one event-loop turn share one transaction and one fsync.

Under an avalanche of alerts (a storm, a regional power cut: a thousand sites within a second)
one ``synchronous=FULL`` commit per alert, and another per first call, blocked the event loop
that answers the other alerts and starts their calls. A grouped write waits at most one loop
turn; its caller resumes once the transaction holding it is on disk, so an alert is still
answered 201 only when it would survive a power cut. Each write runs in its own savepoint: one
that raises is undone alone and its caller gets the exception, the others are kept.

``after`` runs right after the commit whatever became of the caller (a client gone meanwhile):
what must follow a committed write (the alert's call tree, the outbox's wake-up) never depends
on someone still waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import logging
import sqlite3
from typing import Any

__all__ = ["GroupCommit"]

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _Write:
    write: Callable[[sqlite3.Connection], Any]
    after: Callable[[Any], None] | None
    done: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


def _retrieved(done: asyncio.Future[Any]) -> None:
    """Mark the outcome as seen (it is never cancelled: callers wait through ``shield``)."""
    done.exception()


class GroupCommit:
    """Collects the writes of a loop turn and commits them together on ``conn``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._pending: list[_Write] = []
        self.commits = 0  # transactions committed (the benchmark and the tests read it)

    async def run[T](
        self,
        write: Callable[[sqlite3.Connection], T],
        after: Callable[[T], None] | None = None,
    ) -> T:
        """``write(conn)`` in this turn's transaction; its result once the commit is synced."""
        loop = asyncio.get_running_loop()
        item = _Write(write, after, loop.create_future())
        item.done.add_done_callback(_retrieved)  # a caller gone meanwhile leaves no warning
        self._pending.append(item)
        if len(self._pending) == 1:
            loop.call_soon(self._commit)
        result: T = await asyncio.shield(item.done)
        return result

    def _commit(self) -> None:
        if self._conn.in_transaction:  # someone's transaction is open: never commit their work
            asyncio.get_running_loop().call_soon(self._commit)
            return
        group, self._pending = self._pending, []
        try:
            self._conn.execute("BEGIN")
            for item in group:
                self._apply(item)
            self._conn.commit()
        except sqlite3.Error as err:  # the transaction itself failed: nothing of the group is kept
            with contextlib.suppress(sqlite3.Error):
                self._conn.rollback()
            for item in group:
                item.error = err
                item.after = None
        else:
            self.commits += 1
        for item in group:
            if item.error is None and item.after is not None:
                try:
                    item.after(item.result)
                except Exception:  # one caller's follow-up must not cost the others theirs
                    _LOGGER.exception("a grouped write's follow-up failed")
            if item.error is not None:
                item.done.set_exception(item.error)
            else:
                item.done.set_result(item.result)

    def _apply(self, item: _Write) -> None:
        self._conn.execute("SAVEPOINT grouped_write")
        try:
            item.result = item.write(self._conn)
        except Exception as err:  # noqa: BLE001 - handed to its caller, the others go on
            self._conn.execute("ROLLBACK TO grouped_write")
            item.error = err
        self._conn.execute("RELEASE grouped_write")
