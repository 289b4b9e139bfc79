"""The DC-09 transmitter: a pure, clock-injected state machine, no I/O.

Every call gets ``now`` (timezone-aware); the machine never reads a clock nor sleeps. The link
asks ``next_deadline()``, waits, calls ``tick()``, and performs the ``Transmit`` outputs of
``drain()``; answers come back through ``receive()`` and broken connections through
``transport_failed()``. Choices (an installer's view, DC-09 and EN 50136 in mind):

* One ordered queue: only its head is ever in flight, on one path at a time, so the station gets
  events in the order they happened. One frame in flight per path: a NULL poll waits for the
  event on its path; an event waits up to ``poll_preempt_after`` for a poll's answer and then
  takes the path (the poll's ACK, if late, matches nothing and is ignored).
* A retransmission keeps the event's sequence number (given when queued, saved with it).
  Polls use ``0000``, so a receiver that drops repeated numbers never mistakes an event for a poll.
* ACK (or RSP) with the frame's sequence and account removes the head; any other answer is
  ignored. With a key, only an encrypted ACK counts.
* NAK: the receiver's clock (its timestamp) gives the path's offset, and the frame is sent again at
  once with the corrected time, once per try; a second NAK ends the try (REFUSED: a bad key or
  format, or the clock again).
* DUH: the receiver will never take that event (unknown code). It leaves the queue, so what follows
  is not blocked behind it, and goes out as a ``TransmissionFault`` (REJECTED, ``dropped``) naming
  its code: the adapter sends it to the contacts and raises a repair.
* No answer within ``ack_timeout``: the same frame again, ``tries`` times in all (a refused
  connection shortens the wait to ``connect_retry``); then the path is lost and the event goes to
  the next path (the back-up receiver). When every path has failed, a ``TransmissionFault``
  (once per event) and the event stays at the head: a new round starts after ``retry_backoff``,
  doubling up to ``max_retry_backoff``, or at once when a poll finds a path back.
* Supervision: each path is polled after ``primary_poll`` (the path carrying events: the first one
  not lost) or ``secondary_poll`` (the others) without acknowledged traffic; a lost path every
  ``down_poll_interval`` at most. A lost path with another one left queues PATH_TROUBLE for the
  station (YS, the path's number), and PATH_RESTORE (YK) when it is back.
* Test report: one RP every ``test_interval`` (persisted, so a restart neither skips nor repeats
  it); an RP overdue after downtime goes at once.
* An alarm (``codes.ALARM_KINDS``) still queued ``max_transmission`` after it was queued is an
  ``AlarmOverdue``, once; it stays queued for the station.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta
import os
from typing import TYPE_CHECKING, Any

from custom_components.imaprotect.core.reports import Report, ReportKind

from .answers import AnswerError, AnswerKind, parse_answer
from .codes import ALARM_KINDS, wire_code
from .encode import check_report, event_frame
from .frames import NULL_SEQUENCE, FrameBuilder, FrameId
from .outputs import (
    AlarmOverdue,
    ClockResynced,
    Delivered,
    FaultReason,
    Output,
    PathLossReason,
    PathLost,
    PathRestored,
    ReceiverData,
    TransmissionFault,
    Transmit,
)
from .pathstate import Flight, FlightKind, PathRuntime, PathState
from .queue import EventQueue, QueuedEvent

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from .answers import Answer
    from .settings import ReceiverPath, StationAccount, TransmitterSettings

_RESYNC_STEP = timedelta(seconds=1)  # NAK timestamps have whole seconds


class Transmitter:
    """Store-and-forward DC-09 sender for one account over one or more paths."""

    def __init__(
        self,
        account: StationAccount,
        paths: Sequence[ReceiverPath],
        settings: TransmitterSettings,
        now: datetime,
        *,
        state: Mapping[str, Any] | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if not paths:
            raise ValueError("a station link needs at least one receiver")
        self._account = account
        self._settings = settings
        self._builders = [
            FrameBuilder(account.on_path(path), account.key, random_bytes) for path in paths
        ]
        self._paths = [PathRuntime(next_poll_at=now) for _ in paths]
        self._queue = EventQueue.from_dict(state) if state is not None else EventQueue()
        if self._queue.next_test_at is None and settings.test_interval is not None:
            self._queue.next_test_at = now + settings.test_interval
        self._alarms: deque[QueuedEvent] = deque(
            e for e in self._queue if e.report.kind in ALARM_KINDS and not e.overdue_reported
        )
        self._outputs: list[Output] = []
        self._active = 0  # the path carrying the head event
        self._tried = 0  # paths given up on in this round
        self._rounds = 0
        self._retry_at: datetime | None = None
        self.revision = 0  # every change of the saved state
        self.added_revision = 0  # the last change that added an event
        self._advance(now)

    # -- inputs ------------------------------------------------------------------------------

    def submit(self, report: Report, now: datetime) -> QueuedEvent:
        """Queue ``report``; the link saves ``snapshot()`` before sending it."""
        check_report(report)
        event = self._enqueue(report, now)
        self._advance(now)
        return event

    def receive(self, path: int, raw: bytes, now: datetime) -> None:
        """One frame received on ``path``."""
        self._receive(path, raw, now)
        self._advance(now)

    def transport_failed(self, path: int, now: datetime) -> None:
        """Path ``path`` could not send or lost its connection: its try ends soon."""
        flight = self._paths[path].flight
        if flight is not None:
            flight.deadline = min(flight.deadline, now + self._settings.connect_retry)
        self._advance(now)

    def tick(self, now: datetime) -> None:
        """Process what is due at ``now``."""
        self._advance(now)

    # -- outputs and views ---------------------------------------------------------------------

    def drain(self) -> list[Output]:
        """Frames to send and notices, in order; empties the list."""
        outputs, self._outputs = self._outputs, []
        return outputs

    def next_deadline(self) -> datetime | None:
        """The next instant ``tick`` has something to do."""
        times: list[datetime] = []
        waiting = self._queue.head is not None and not self._event_in_flight()
        for index, path in enumerate(self._paths):
            flight = path.flight
            if flight is None:
                times.append(path.next_poll_at)
                continue
            times.append(flight.deadline)
            if waiting and index == self._active and flight.kind is FlightKind.POLL:
                times.append(flight.sent_at + self._settings.poll_preempt_after)
        if waiting and self._retry_at is not None:
            times.append(self._retry_at)
        if self._queue.next_test_at is not None:
            times.append(self._queue.next_test_at)
        if self._alarms:
            times.append(self._alarms[0].queued_at + self._settings.supervision.max_transmission)
        return min(times) if times else None

    def snapshot(self) -> dict[str, Any]:
        """The queue's serialisable state (for ``QueueStore.async_save``)."""
        return self._queue.to_dict()

    @property
    def queue(self) -> EventQueue:
        """The queued events, oldest first (read-only use)."""
        return self._queue

    @property
    def paths(self) -> Sequence[PathRuntime]:
        """Per-path state (read-only use)."""
        return self._paths

    # -- internals -----------------------------------------------------------------------------

    def _enqueue(self, report: Report, now: datetime) -> QueuedEvent:
        event = self._queue.append(report, now)
        if report.kind in ALARM_KINDS:
            self._alarms.append(event)
        self.revision += 1
        self.added_revision = self.revision
        return event

    def _event_in_flight(self) -> bool:
        return any(p.flight is not None and p.flight.kind is FlightKind.EVENT for p in self._paths)

    def _preferred(self) -> int:
        return next((i for i, p in enumerate(self._paths) if p.state is not PathState.DOWN), 0)

    def _poll_interval(self, index: int) -> timedelta:
        supervision = self._settings.supervision
        interval = (
            supervision.primary_poll if index == self._preferred() else supervision.secondary_poll
        )
        if self._paths[index].state is PathState.DOWN:
            return min(interval, self._settings.down_poll_interval)
        return interval

    def _advance(self, now: datetime) -> None:
        for index, path in enumerate(self._paths):
            if path.flight is not None and path.flight.deadline <= now:
                self._flight_failed(index, now, refused=False)
        self._test_report(now)
        self._overdue(now)
        self._dispatch_head(now)
        for index, path in enumerate(self._paths):
            if path.flight is None and path.next_poll_at <= now:
                self._send(index, FlightKind.POLL, None, 1, now)

    def _test_report(self, now: datetime) -> None:
        due, interval = self._queue.next_test_at, self._settings.test_interval
        if due is None or interval is None or due > now:
            return
        self._enqueue(Report(kind=ReportKind.TEST_AUTOMATIC, at=now), now)
        following = due + interval
        self._queue.next_test_at = following if following > now else now + interval

    def _overdue(self, now: datetime) -> None:
        limit = self._settings.supervision.max_transmission
        while self._alarms and self._alarms[0].queued_at + limit <= now:
            event = self._alarms.popleft()
            event.overdue_reported = True
            self.revision += 1
            self._outputs.append(AlarmOverdue(event.id, event.report, event.queued_at, limit))

    def _dispatch_head(self, now: datetime) -> None:
        head = self._queue.head
        if head is None or self._event_in_flight():
            return
        if self._retry_at is not None:
            if now < self._retry_at:
                return
            self._retry_at = None
        if self._tried == 0:  # a fresh round starts on the first path not lost
            self._active = self._preferred()
        path = self._paths[self._active]
        if path.flight is not None:  # a poll: wait for its answer a moment, then take the path
            if now < path.flight.sent_at + self._settings.poll_preempt_after:
                return
            path.flight = None
        self._send(self._active, FlightKind.EVENT, head, 1, now)

    def _send(
        self,
        index: int,
        kind: FlightKind,
        event: QueuedEvent | None,
        attempt: int,
        now: datetime,
        *,
        nak_resent: bool = False,
    ) -> None:
        path = self._paths[index]
        builder = self._builders[index]
        at = now + path.offset
        if event is None:
            sequence = NULL_SEQUENCE
            frame = builder.frame(FrameId.NULL, sequence, b"", (), at)
        else:
            sequence = event.sequence
            frame = event_frame(
                builder,
                event.report,
                data_format=self._account.data_format,
                account=self._account.ident.account,
                sequence=sequence,
                at=at,
                encoding=self._account.text_encoding,
            )
        deadline = now + self._settings.ack_timeout
        event_id = event.id if event is not None else None
        path.flight = Flight(kind, event_id, sequence, attempt, now, deadline, nak_resent)
        path.frames_sent += 1
        self._outputs.append(Transmit(index, frame, sequence, event_id))

    def _flight_failed(self, index: int, now: datetime, *, refused: bool) -> None:
        path = self._paths[index]
        flight = path.flight
        assert flight is not None
        path.flight = None
        event = self._queue.head if flight.kind is FlightKind.EVENT else None
        assert flight.kind is FlightKind.POLL or (event is not None and event.id == flight.event_id)
        if flight.attempt < self._settings.tries:
            self._send(index, flight.kind, event, flight.attempt + 1, now)
            return
        self._path_lost(index, PathLossReason.REFUSED if refused else PathLossReason.NO_ANSWER, now)
        path.next_poll_at = now + self._poll_interval(index)
        if event is None:
            return
        self._tried += 1
        if self._tried < len(self._paths):
            self._active = (index + 1) % len(self._paths)
            return
        if not event.fault_reported:
            event.fault_reported = True
            self.revision += 1
            reason = FaultReason.REFUSED if refused else FaultReason.NO_ANSWER
            self._outputs.append(TransmissionFault(event.id, event.report, reason, dropped=False))
        backoff = self._settings.retry_backoff * (2 ** min(self._rounds, 16))
        self._retry_at = now + min(backoff, self._settings.max_retry_backoff)
        self._rounds += 1
        self._new_round()

    def _new_round(self) -> None:
        self._tried = 0
        self._active = self._preferred()

    def _path_lost(self, index: int, reason: PathLossReason, now: datetime) -> None:
        path = self._paths[index]
        if path.state is PathState.DOWN:
            return
        path.state = PathState.DOWN
        self._outputs.append(PathLost(index, reason))
        if self._settings.report_path_faults and len(self._paths) > 1:
            path.trouble_queued = True
            self._enqueue(Report(kind=ReportKind.PATH_TROUBLE, at=now, zone=index + 1), now)

    def _path_up(self, index: int, now: datetime) -> None:
        path = self._paths[index]
        path.last_ack_at = now
        if path.state is PathState.DOWN:
            path.state = PathState.UP
            self._outputs.append(PathRestored(index))
            if path.trouble_queued:
                path.trouble_queued = False
                self._enqueue(Report(kind=ReportKind.PATH_RESTORE, at=now, zone=index + 1), now)
            if self._retry_at is not None:  # an event waits for a path: this one is back
                self._retry_at = None
                self._new_round()
        path.state = PathState.UP
        path.next_poll_at = now + self._poll_interval(index)

    def _receive(self, index: int, raw: bytes, now: datetime) -> None:
        path = self._paths[index]
        try:
            answer = parse_answer(raw, self._account.key)
        except AnswerError:
            path.ignored_answers += 1
            return
        flight = path.flight
        if flight is None:
            path.ignored_answers += 1
            return
        if answer.kind is AnswerKind.NAK:
            self._nak(index, flight, answer, now)
            return
        encrypted = self._account.key is not None
        if not answer.answers(flight.sequence, self._account.ident.account, encrypted=encrypted):
            path.ignored_answers += 1
            return
        path.flight = None
        self._path_up(index, now)
        if answer.kind is AnswerKind.RSP and answer.xdata:
            self._outputs.append(ReceiverData(index, answer.xdata))
        if flight.kind is FlightKind.POLL:
            if answer.kind is AnswerKind.DUH:
                path.last_duh_at, path.last_duh_code = now, FrameId.NULL.value
            return
        event = self._queue.pop_head()
        self.revision += 1
        if self._alarms and self._alarms[0] is event:
            self._alarms.popleft()
        self._rounds = 0
        self._new_round()
        if answer.kind is AnswerKind.DUH:
            code = wire_code(event.report.kind, self._account.data_format)
            path.last_duh_at, path.last_duh_code = now, code
            fault = TransmissionFault(
                event.id, event.report, FaultReason.REJECTED, dropped=True, code=code
            )
            self._outputs.append(fault)
            return
        self._outputs.append(
            Delivered(
                event.id, event.report, index, event.sequence, flight.attempt, event.fault_reported
            )
        )

    def _nak(self, index: int, flight: Flight, answer: Answer, now: datetime) -> None:
        path = self._paths[index]
        path.last_nak_at = now
        if answer.timestamp is not None:
            offset = answer.timestamp - now
            if abs(offset - path.offset) >= _RESYNC_STEP:
                path.offset = offset
                self._outputs.append(ClockResynced(index, offset))
        if flight.nak_resent:
            self._flight_failed(index, now, refused=True)
            return
        event = self._queue.head if flight.kind is FlightKind.EVENT else None
        self._send(index, flight.kind, event, flight.attempt, now, nak_resent=True)
