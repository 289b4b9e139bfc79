"""The pure transmitter, branch by branch, with an injected clock and hand-written answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import (
    AlarmOverdue,
    Category,
    ClockResynced,
    DataFormat,
    Delivered,
    FaultReason,
    PathLossReason,
    PathLost,
    PathRestored,
    PathState,
    ReceiverData,
    ReceiverPath,
    StationAccount,
    StationKey,
    TransmissionFault,
    Transmit,
    Transmitter,
    TransmitterSettings,
)
from custom_components.imaprotect.station.outputs import Output

from .frames_helpers import answer_frame

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEY = StationKey.parse("ascii:0123456789abcdef")


class Rig:
    """A transmitter, its clock, and what it said."""

    def __init__(
        self,
        paths: int = 1,
        *,
        key: StationKey | None = None,
        data_format: DataFormat = DataFormat.SIA_DCS,
        state: dict[str, Any] | None = None,
        start: datetime = T0,
        **settings: Any,
    ) -> None:
        settings.setdefault("test_interval", None)
        self.now = start
        self.account = StationAccount("1234", key=key, data_format=data_format)
        self.settings = TransmitterSettings(**settings)
        self.tx = Transmitter(
            self.account,
            [ReceiverPath("127.0.0.1", 10000 + i) for i in range(paths)],
            self.settings,
            self.now,
            state=state,
            random_bytes=lambda n: b"P" * n,
        )
        self.log: list[Output] = []
        self.collect()

    def collect(self) -> list[Output]:
        out = self.tx.drain()
        self.log.extend(out)
        return out

    def at(self, seconds: float) -> list[Output]:
        self.now = T0 + timedelta(seconds=seconds)
        self.tx.tick(self.now)
        return self.collect()

    def send(self, kind: ReportKind = ReportKind.BURGLARY, **fields: Any) -> list[Output]:
        fields.setdefault("zone", 1)
        self.tx.submit(Report(kind, self.now, **fields), self.now)
        return self.collect()

    def answer(self, path: int, kind: str, sequence: int, **options: Any) -> list[Output]:
        self.tx.receive(path, answer_frame(kind, sequence, **options), self.now)
        return self.collect()

    def ack_polls(self) -> None:
        for index, path in enumerate(self.tx.paths):
            if path.flight is not None and path.flight.sequence == 0:
                self.answer(index, "ACK", 0, key=self.account.key, at=self.now)

    def of(self, kind: type[Any]) -> list[Any]:
        return [o for o in self.log if isinstance(o, kind)]


def transmits(outputs: list[Output]) -> list[Transmit]:
    return [o for o in outputs if isinstance(o, Transmit)]


def test_every_path_is_polled_at_start_with_sequence_0000() -> None:
    rig = Rig(2)
    polls = rig.of(Transmit)
    assert [(t.path, t.sequence, t.event_id) for t in polls] == [(0, 0, None), (1, 0, None)]
    assert all(b'"NULL"0000' in t.frame for t in polls)
    assert [p.state for p in rig.tx.paths] == [PathState.UNKNOWN] * 2
    rig.ack_polls()
    assert [p.state for p in rig.tx.paths] == [PathState.UP] * 2
    assert rig.of(PathRestored) == []  # unknown -> up is no restore
    assert rig.tx.paths[0].last_ack_at == T0


def test_polls_follow_the_category_active_path_fast_the_other_slow() -> None:
    rig = Rig(2, category=Category.DP3)
    rig.ack_polls()
    assert rig.tx.paths[0].next_poll_at == T0 + timedelta(seconds=180)
    assert rig.tx.paths[1].next_poll_at == T0 + timedelta(hours=25)
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=180)
    assert transmits(rig.at(179)) == []
    assert [t.path for t in transmits(rig.at(180))] == [0]


def test_an_event_is_sent_acked_and_removed() -> None:
    rig = Rig()
    rig.ack_polls()
    revision = rig.tx.revision
    (frame,) = transmits(rig.send())
    assert (frame.sequence, frame.event_id) == (1, 1)
    assert b'"SIA-DCS"0001L0#1234[#1234|Nri1/BA001]_12:00:00,12-02-2026' in frame.frame
    assert rig.tx.added_revision == rig.tx.revision > revision
    out = rig.answer(0, "ACK", 1)
    (done,) = [o for o in out if isinstance(o, Delivered)]
    assert (done.event_id, done.path, done.sequence, done.attempts, done.after_fault) == (
        1,
        0,
        1,
        1,
        False,
    )
    assert len(rig.tx.queue) == 0
    assert rig.tx.revision > rig.tx.added_revision  # a removal, saved lazily by the link


def test_an_event_waits_for_a_poll_s_answer_then_takes_the_path() -> None:
    rig = Rig()
    assert transmits(rig.send()) == []  # the start poll is in flight
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=1)
    (frame,) = transmits(rig.at(1))
    assert frame.sequence == 1
    assert rig.answer(0, "ACK", 0) == []  # the late poll ACK matches nothing
    assert rig.tx.paths[0].ignored_answers == 1


def test_an_event_goes_right_after_the_poll_s_answer() -> None:
    rig = Rig()
    rig.send()
    (frame,) = transmits(rig.answer(0, "ACK", 0))
    assert frame.sequence == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"kind": "ACK", "sequence": 2},
        {"kind": "ACK", "sequence": 1, "account": "9999"},
        {"kind": "ACK", "sequence": 1, "account": None},
    ],
)
def test_an_ack_must_match_sequence_and_account(answer: dict[str, Any]) -> None:
    rig = Rig()
    rig.ack_polls()
    rig.send()
    options = {k: v for k, v in answer.items() if k not in {"kind", "sequence"}}
    assert rig.answer(0, answer["kind"], answer["sequence"], **options) == []
    assert len(rig.tx.queue) == 1
    assert rig.tx.paths[0].ignored_answers == 1


def test_garbage_and_answers_with_nothing_in_flight_are_ignored() -> None:
    rig = Rig()
    rig.ack_polls()
    rig.tx.receive(0, b"\n\r", rig.now)
    rig.answer(0, "ACK", 0)
    assert rig.tx.paths[0].ignored_answers == 2
    assert rig.collect() == []


def test_no_answer_resends_the_same_sequence_then_a_fault_once_and_backoff() -> None:
    rig = Rig()
    rig.ack_polls()
    first = transmits(rig.send())[0]
    second = transmits(rig.at(10))[0]
    third = transmits(rig.at(20))[0]
    assert [first.sequence, second.sequence, third.sequence] == [1, 1, 1]
    assert rig.tx.paths[0].flight.attempt == 3  # type: ignore[union-attr]
    out = rig.at(30)
    assert PathLost(0, PathLossReason.NO_ANSWER) in out
    (fault,) = [o for o in out if isinstance(o, TransmissionFault)]
    assert (fault.reason, fault.dropped, fault.event_id) == (FaultReason.NO_ANSWER, False, 1)
    assert transmits(out) == []
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=35)  # retry_backoff 5 s
    (again,) = transmits(rig.at(35))
    assert (again.sequence, rig.tx.paths[0].flight.attempt) == (1, 1)  # type: ignore[union-attr]
    rig.at(45)
    rig.at(55)
    rig.at(65)  # second round over: backoff 10 s, no second fault notice
    assert len(rig.of(TransmissionFault)) == 1
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=75)
    rig.at(75)
    rig.at(85)
    rig.at(95)
    rig.at(105)  # third round: backoff 20 s
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=125)
    rig.at(125)
    out = rig.answer(0, "ACK", 1)
    (done,) = [o for o in out if isinstance(o, Delivered)]
    assert done.after_fault
    assert PathRestored(0) in out


def test_backoff_is_capped() -> None:
    rig = Rig(ack_timeout=timedelta(seconds=1), tries=1, max_retry_backoff=timedelta(seconds=8))
    rig.ack_polls()
    rig.send()
    seconds = 0.0
    gaps = []
    for _ in range(5):
        seconds += 1
        rig.at(seconds)  # the try fails
        deadline = rig.tx.next_deadline()
        assert deadline is not None
        gap = (deadline - rig.now).total_seconds()
        gaps.append(gap)
        seconds += gap
        rig.at(seconds)
    assert gaps == [5, 8, 8, 8, 8]


def test_the_back_up_path_takes_over_and_the_station_hears_of_the_loss() -> None:
    rig = Rig(2)
    rig.ack_polls()
    rig.send()
    rig.at(10)
    rig.at(20)
    out = rig.at(30)
    assert PathLost(0, PathLossReason.NO_ANSWER) in out
    (frame,) = transmits(out)
    assert (frame.path, frame.sequence) == (1, 1)  # same number on the other receiver
    assert rig.of(TransmissionFault) == []
    out = rig.answer(1, "ACK", 1)
    assert [o.path for o in out if isinstance(o, Delivered)] == [1]
    (trouble,) = transmits(out)  # YS for path 1, now on the back-up
    assert trouble.path == 1
    assert b"/YS001]" in trouble.frame
    rig.answer(1, "ACK", trouble.sequence)
    # The lost path is polled every down_poll_interval; back, it is the events' path again.
    assert rig.tx.paths[0].next_poll_at == T0 + timedelta(seconds=90)
    (poll,) = transmits(rig.at(90))
    assert (poll.path, poll.sequence) == (0, 0)
    out = rig.answer(0, "ACK", 0)
    assert PathRestored(0) in out
    (restore,) = transmits(out)
    assert (restore.path, b"/YK001]" in restore.frame) == (0, True)


def test_no_path_trouble_report_with_one_path_or_when_switched_off() -> None:
    for rig in (Rig(1), Rig(2, report_path_faults=False)):
        rig.ack_polls()
        rig.at(180)  # polls
        for second in (190, 200, 210):
            rig.at(second)
        assert rig.of(PathLost)
        assert all(t.event_id is None for t in rig.of(Transmit))


def test_a_poll_without_answer_loses_the_path() -> None:
    rig = Rig()
    rig.at(10)
    rig.at(20)
    out = rig.at(30)
    assert out == [PathLost(0, PathLossReason.NO_ANSWER)]
    assert len(rig.of(Transmit)) == 3
    assert all(t.sequence == 0 for t in rig.of(Transmit))
    assert rig.tx.paths[0].next_poll_at == T0 + timedelta(seconds=90)


def test_a_transport_failure_shortens_the_wait() -> None:
    rig = Rig()
    rig.tx.transport_failed(0, rig.now)
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=1)
    (retry,) = transmits(rig.at(1))
    assert retry.sequence == 0
    rig.ack_polls()
    rig.tx.transport_failed(0, rig.now)  # nothing in flight: nothing to do
    assert rig.collect() == []


def test_nak_resyncs_the_clock_and_resends_at_once_with_the_right_time() -> None:
    rig = Rig()
    rig.ack_polls()
    rig.send()
    receiver_time = rig.now + timedelta(seconds=100)
    out = rig.answer(0, "NAK", 0, account=None, at=receiver_time)
    assert out[0] == ClockResynced(0, timedelta(seconds=100))
    (resent,) = transmits(out)
    assert resent.sequence == 1
    assert b"_12:01:40,12-02-2026" in resent.frame
    assert rig.tx.paths[0].flight.attempt == 1  # type: ignore[union-attr]
    # Same offset again (within a second): no new notice; the second NAK ends the try.
    out = rig.answer(0, "NAK", 0, account=None, at=receiver_time)
    assert not [o for o in out if isinstance(o, ClockResynced)]
    assert rig.tx.paths[0].flight.attempt == 2  # type: ignore[union-attr]
    assert rig.tx.paths[0].last_nak_at == rig.now
    for _ in range(4):  # tries 2 and 3: each a NAK, a resend, a NAK
        rig.answer(0, "NAK", 0, account=None)
    assert PathLost(0, PathLossReason.REFUSED) in rig.log
    (fault,) = rig.of(TransmissionFault)
    assert fault.reason is FaultReason.REFUSED


def test_nak_then_ack_delivers_with_one_attempt_and_the_offset_stays() -> None:
    rig = Rig()
    rig.send()  # waits for the poll
    rig.answer(0, "NAK", 0, account=None, at=rig.now - timedelta(seconds=50))
    (poll,) = [t for t in rig.of(Transmit) if t.sequence == 0][1:]
    assert b"_11:59:10," in poll.frame
    (event,) = transmits(rig.answer(0, "ACK", 0))
    assert b"_11:59:10," in event.frame
    rig.answer(0, "ACK", 1)
    assert rig.of(Delivered)[0].attempts == 1
    assert rig.tx.paths[0].offset == timedelta(seconds=-50)


@pytest.mark.parametrize(
    ("data_format", "code"), [(DataFormat.SIA_DCS, "LF"), (DataFormat.ADM_CID, "1606")]
)
def test_duh_drops_the_event_names_its_code_and_lets_the_next_go(
    data_format: DataFormat, code: str
) -> None:
    rig = Rig(data_format=data_format)
    rig.ack_polls()
    rig.send(ReportKind.LISTEN_IN_BEGIN)
    rig.send(ReportKind.BURGLARY)
    out = rig.answer(0, "DUH", 1)
    (fault,) = [o for o in out if isinstance(o, TransmissionFault)]
    assert (fault.reason, fault.dropped, fault.code) == (FaultReason.REJECTED, True, code)
    assert [t.sequence for t in transmits(out)] == [2]
    assert rig.tx.paths[0].last_duh_code == code
    assert rig.tx.paths[0].state is PathState.UP
    assert [e.report.kind for e in rig.tx.queue] == [ReportKind.BURGLARY]


def test_duh_to_a_poll_is_recorded_and_the_path_answers() -> None:
    rig = Rig()
    rig.answer(0, "DUH", 0)
    assert rig.tx.paths[0].last_duh_code == "NULL"
    assert rig.tx.paths[0].state is PathState.UP


def test_rsp_delivers_and_hands_its_blocks_over() -> None:
    rig = Rig()
    rig.ack_polls()
    rig.send()
    out = rig.answer(0, "RSP", 1, xdata="[Kabcd]")
    assert ReceiverData(0, ("Kabcd",)) in out
    assert [o.event_id for o in out if isinstance(o, Delivered)] == [1]
    rig.send()
    out = rig.answer(0, "RSP", 2)
    assert not [o for o in out if isinstance(o, ReceiverData)]


def test_with_a_key_only_an_encrypted_ack_counts_and_duh_is_plain() -> None:
    rig = Rig(key=KEY)
    (poll,) = rig.of(Transmit)
    assert poll.frame[9:16] == b'"*NULL"'
    rig.answer(0, "ACK", 0)  # plain: ignored
    assert rig.tx.paths[0].state is PathState.UNKNOWN
    rig.answer(0, "ACK", 0, key=KEY, at=rig.now)
    assert rig.tx.paths[0].state is PathState.UP
    rig.send()
    rig.send()
    rig.answer(0, "ACK", 1, key=KEY, at=rig.now)
    rig.answer(0, "DUH", 2)
    assert [type(o).__name__ for o in rig.log if isinstance(o, Delivered | TransmissionFault)] == [
        "Delivered",
        "TransmissionFault",
    ]


def test_one_test_report_per_interval_persisted_across_restarts() -> None:
    rig = Rig(test_interval=timedelta(hours=24))
    rig.ack_polls()
    assert rig.tx.queue.next_test_at == T0 + timedelta(hours=24)
    for hour in range(1, 24):  # polls keep the path up meanwhile
        rig.at(hour * 3600)
        rig.ack_polls()
    out = rig.at(24 * 3600)
    rig.ack_polls()
    out += rig.collect()
    assert [e.report.kind for e in rig.tx.queue] == [ReportKind.TEST_AUTOMATIC]
    assert rig.tx.queue.next_test_at == T0 + timedelta(hours=48)
    # Down for three days: one report at once, the next one a full interval later.
    state = rig.tx.snapshot()
    later = T0 + timedelta(days=5)
    again = Rig(test_interval=timedelta(hours=24), state=state, start=later)
    kinds = [e.report.kind for e in again.tx.queue]
    assert kinds == [ReportKind.TEST_AUTOMATIC, ReportKind.TEST_AUTOMATIC]
    assert again.tx.queue.next_test_at == later + timedelta(hours=24)


def test_an_alarm_not_acked_in_the_transmission_time_is_overdue_once() -> None:
    rig = Rig(ack_timeout=timedelta(seconds=100))  # SP4: 60 s
    rig.ack_polls()
    rig.send(ReportKind.ARM_TOTAL, user=1)
    rig.send(ReportKind.BURGLARY)
    rig.send(ReportKind.FIRE)
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=60)
    out = rig.at(60)
    assert [(o.report.kind, o.limit) for o in out if isinstance(o, AlarmOverdue)] == [
        (ReportKind.BURGLARY, timedelta(seconds=60)),
        (ReportKind.FIRE, timedelta(seconds=60)),
    ]
    assert len(rig.tx.queue) == 3  # still queued for the station
    restored = Rig(state=rig.tx.snapshot(), start=rig.now, ack_timeout=timedelta(seconds=100))
    restored.at(120)
    assert restored.of(AlarmOverdue) == []  # already told


def test_an_alarm_delivered_in_time_is_not_overdue() -> None:
    rig = Rig()
    rig.ack_polls()
    rig.send(ReportKind.BURGLARY)
    rig.send(ReportKind.TAMPER)
    rig.answer(0, "ACK", 1)
    rig.answer(0, "ACK", 2)
    rig.at(500)
    assert rig.of(AlarmOverdue) == []


def test_a_restart_resends_the_head_with_its_sequence() -> None:
    rig = Rig()
    rig.ack_polls()
    rig.send()
    rig.send(ReportKind.FIRE)
    state = rig.tx.snapshot()
    again = Rig(state=state)
    again.ack_polls()
    (frame,) = [t for t in again.of(Transmit) if t.event_id]
    assert (frame.sequence, frame.event_id) == (1, 1)
    again.answer(0, "ACK", 1)
    assert [t.sequence for t in again.of(Transmit) if t.event_id] == [1, 2]


def test_sequences_wrap_after_9999() -> None:
    rig = Rig()
    rig.ack_polls()
    state = rig.tx.snapshot()
    state["next_sequence"] = 9999
    rig = Rig(state=state)
    rig.ack_polls()
    rig.send()
    rig.send()
    assert [e.sequence for e in rig.tx.queue] == [9999, 1]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one receiver"):
        Transmitter(StationAccount("1234"), [], TransmitterSettings(), T0)
    rig = Rig()
    with pytest.raises(ValueError, match="zone"):
        rig.send(zone=0)
    assert len(rig.tx.queue) == 0


def test_next_deadline_without_anything_to_do_is_the_poll() -> None:
    rig = Rig()
    rig.ack_polls()
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=180)


def test_a_poll_finding_the_path_back_ends_the_retry_wait_at_once() -> None:
    rig = Rig(retry_backoff=timedelta(seconds=50), down_poll_interval=timedelta(seconds=2))
    rig.ack_polls()
    rig.send()
    rig.at(10)
    rig.at(20)
    rig.at(30)
    assert rig.of(TransmissionFault)
    assert rig.tx.next_deadline() == T0 + timedelta(seconds=32)  # the poll, not the retry
    (poll,) = transmits(rig.at(32))
    assert poll.sequence == 0
    out = rig.answer(0, "ACK", 0)
    assert PathRestored(0) in out
    (event,) = transmits(out)
    assert event.sequence == 1
