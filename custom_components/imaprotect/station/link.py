"""The asyncio station link: the transmitter driven by the real clock over real sockets.

One task runs the machine: it waits for the next deadline or an input, calls ``tick``, saves the
queue when an event not yet on disk is about to be sent, sends the frames and hands the notices
to the listeners. ``async_send`` returns once the report is on disk (``QueueStore``); removals are
saved ``save_delay`` later in one write, so draining a long queue does not rewrite it per event
(a crash in between sends the last acknowledged events again, with their sequence numbers, which a
receiver takes as repeats). A listener that raises is logged and never stops the link.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
import logging
import os
from typing import TYPE_CHECKING

from .outputs import Notice, Transmit
from .settings import TransmitterSettings, Transport
from .status import LinkStatus, PathStatus
from .transmitter import Transmitter
from .transport import PathConnection, TcpConnection, UdpConnection

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from custom_components.imaprotect.core.reports import Report

    from .queue import QueuedEvent
    from .settings import ReceiverPath, StationAccount
    from .store import QueueStore

_LOGGER = logging.getLogger(__name__)
_MAX_CONNECT_TIMEOUT = 5.0


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class StationLink:
    """A home's DC-09 link to its station: store and forward over one or more receivers."""

    def __init__(
        self,
        account: StationAccount,
        receivers: Sequence[ReceiverPath],
        store: QueueStore,
        settings: TransmitterSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        random_bytes: Callable[[int], bytes] = os.urandom,
        save_delay: float = 0.5,
    ) -> None:
        if not receivers:
            raise ValueError("a station link needs at least one receiver")
        self._account = account
        self._receivers = tuple(receivers)
        self._store = store
        self._settings = settings if settings is not None else TransmitterSettings()
        self._clock = clock
        self._random = random_bytes
        self._save_delay = save_delay
        self._machine: Transmitter | None = None
        self._connections: list[PathConnection] = []
        self._listeners: list[Callable[[Notice], None]] = []
        self._wake = asyncio.Event()
        self._save_lock = asyncio.Lock()
        self._saved_revision = 0
        self._runner: asyncio.Task[None] | None = None
        self._lazy_save: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the saved queue, open nothing yet (sockets open on first send), start."""
        if self._runner is not None:
            raise RuntimeError("station link already started")
        state = await self._store.async_load()
        self._machine = Transmitter(
            self._account,
            self._receivers,
            self._settings,
            self._clock(),
            state=state,
            random_bytes=self._random,
        )
        # Revision 0 is what was loaded; with nothing loaded, even the empty queue is saved.
        self._saved_revision = 0 if state is not None else -1
        timeout = min(self._settings.ack_timeout.total_seconds(), _MAX_CONNECT_TIMEOUT)
        for index, receiver in enumerate(self._receivers):
            kind = TcpConnection if receiver.transport is Transport.TCP else UdpConnection
            self._connections.append(
                kind(
                    receiver.host,
                    receiver.port,
                    self._frame_handler(index),
                    self._failure_handler(index),
                    timeout,
                )
            )
        self._runner = asyncio.get_running_loop().create_task(self._run())

    async def async_stop(self) -> None:
        """Stop sending, save what changed, close the sockets."""
        for task in (self._runner, self._lazy_save):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._runner = self._lazy_save = None
        if self._machine is not None:
            await self._save_up_to(self._machine.revision)
        for connection in self._connections:
            await connection.close()
        self._connections.clear()

    # -- the StationGateway side ----------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """A link exists only for a home with a station account."""
        return True

    @property
    def connected(self) -> bool:
        """Whether a receiver acknowledged us within its supervision window."""
        return self.status.connected

    async def async_send(self, report: Report) -> None:
        """Queue ``report``; returns once it is saved. ``ValueError`` for impossible numbers."""
        await self.async_queue(report)

    async def async_queue(self, report: Report) -> QueuedEvent:
        """``async_send``, returning the queued event (its ``id`` is in the notices)."""
        machine = self._running()
        event = machine.submit(report, self._clock())
        self._wake.set()
        await self._save_up_to(machine.added_revision)
        return event

    def add_listener(self, listener: Callable[[Notice], None]) -> Callable[[], None]:
        """Call ``listener`` with every notice; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def status(self) -> LinkStatus:
        """Where each path and the queue stand now."""
        machine = self._running()
        paths = []
        for index, (receiver, runtime) in enumerate(
            zip(self._receivers, machine.paths, strict=True)
        ):
            connection = self._connections[index] if index < len(self._connections) else None
            flight = runtime.flight
            paths.append(
                PathStatus(
                    index=index,
                    host=receiver.host,
                    port=receiver.port,
                    transport=receiver.transport,
                    connected=connection is not None and connection.connected,
                    state=runtime.state,
                    last_ack_at=runtime.last_ack_at,
                    last_nak_at=runtime.last_nak_at,
                    last_duh_at=runtime.last_duh_at,
                    last_duh_code=runtime.last_duh_code,
                    clock_offset=runtime.offset,
                    frames_sent=runtime.frames_sent,
                    ignored_answers=runtime.ignored_answers,
                    in_flight_sequence=flight.sequence if flight is not None else None,
                )
            )
        head = machine.queue.head
        return LinkStatus(
            paths=tuple(paths),
            queue_length=len(machine.queue),
            oldest_queued_at=head.queued_at if head is not None else None,
            next_test_at=machine.queue.next_test_at,
        )

    # -- internals -------------------------------------------------------------------------------

    def _running(self) -> Transmitter:
        if self._machine is None:
            raise RuntimeError("station link not started")
        return self._machine

    def _frame_handler(self, index: int) -> Callable[[bytes], None]:
        def handle(frame: bytes) -> None:
            if self._machine is not None:
                self._machine.receive(index, frame, self._clock())
                self._wake.set()

        return handle

    def _failure_handler(self, index: int) -> Callable[[], None]:
        def handle() -> None:
            if self._machine is not None:
                self._machine.transport_failed(index, self._clock())
                self._wake.set()

        return handle

    async def _save_up_to(self, revision: int) -> None:
        # Shielded: a cancelled caller (stop, a cancelled async_send) leaves the write to finish
        # under the lock, so two writes never overlap and the newest document is the last one.
        await asyncio.shield(self._locked_save(revision))

    async def _locked_save(self, revision: int) -> None:
        async with self._save_lock:
            machine = self._running()
            if self._saved_revision >= revision:
                return
            target = machine.revision
            await self._store.async_save(machine.snapshot())
            self._saved_revision = target

    async def _save_later(self) -> None:
        await asyncio.sleep(self._save_delay)
        await self._save_up_to(self._running().revision)

    async def _run(self) -> None:
        machine = self._running()
        while True:
            self._wake.clear()
            machine.tick(self._clock())
            outputs = machine.drain()
            if machine.added_revision > self._saved_revision and any(
                isinstance(output, Transmit) for output in outputs
            ):
                await self._save_up_to(machine.added_revision)
            for output in outputs:
                if isinstance(output, Transmit):
                    self._connections[output.path].send(output.frame)
                else:
                    self._notify(output)
            if machine.revision > self._saved_revision and (
                self._lazy_save is None or self._lazy_save.done()
            ):
                self._lazy_save = asyncio.get_running_loop().create_task(self._save_later())
            deadline = machine.next_deadline()
            timeout = None
            if deadline is not None:
                timeout = max(0.0, (deadline - self._clock()).total_seconds())
            if not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()

    def _notify(self, notice: Notice) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(notice)
            except Exception:  # a listener's bug must not stop the link
                _LOGGER.exception("station link listener failed on %s", type(notice).__name__)
