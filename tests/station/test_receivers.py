"""The station link against real receivers: pysiaalarm's asyncio server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pysiaalarm.utils
import pytest

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import (
    EVENT_CODES,
    AlarmOverdue,
    ClockResynced,
    DataFormat,
    Delivered,
    FaultReason,
    JsonFileStore,
    PathLossReason,
    PathLost,
    PathRestored,
    PathState,
    StationAccount,
    StationKey,
    StationLink,
    SupervisionProfile,
    TextEncoding,
    TransmissionFault,
    Transport,
)
from testkit.polling import until
from testkit.ports import PortPool
from testkit.sia import SiaReceiver, SilentReceiver, sia_account

from .conftest import ACCOUNT, LinkFactory, ReceiverFactory, fast_settings, path_to

# What pysiaalarm makes of each Contact ID event we send (its adm_mapping; YN = "not in my
# table", still acknowledged).
PYSIA_CID_CODES = {
    ReportKind.BURGLARY: "BA",
    ReportKind.BURGLARY_RESTORE: "BH",
    ReportKind.FIRE: "FA",
    ReportKind.FIRE_RESTORE: "FH",
    ReportKind.WATER: "YN",
    ReportKind.WATER_RESTORE: "YN",
    ReportKind.TAMPER: "TA",
    ReportKind.TAMPER_RESTORE: "TR",
    ReportKind.PANIC: "PA",
    ReportKind.PANIC_RESTORE: "PH",
    ReportKind.DURESS: "HA",
    ReportKind.DISARM: "OP",
    ReportKind.ARM_TOTAL: "CL",
    ReportKind.ARM_PARTIAL: "CG",
    ReportKind.BYPASS: "BB",
    ReportKind.BYPASS_RESTORE: "BU",
    ReportKind.TROUBLE: "YX",
    ReportKind.TROUBLE_RESTORE: "YZ",
    ReportKind.LOW_BATTERY: "YN",
    ReportKind.LOW_BATTERY_RESTORE: "YN",
    ReportKind.TEST_AUTOMATIC: "RP",
    ReportKind.LISTEN_IN_BEGIN: "YN",
    ReportKind.LISTEN_IN_END: "YN",
    ReportKind.AGENT_REQUEST: "QA",
    ReportKind.PATH_TROUBLE: "YC",
    ReportKind.PATH_RESTORE: "YK",
}


def report(kind: ReportKind = ReportKind.BURGLARY, **fields: object) -> Report:
    values: dict[str, object] = {"zone": 3, "user": 2}
    values.update(fields)
    return Report(kind, datetime.now(UTC), **values)  # type: ignore[arg-type]


async def delivered(running: object, count: int, within: float = 5.0) -> None:
    await until(
        lambda: len(running.of(Delivered)) >= count,  # type: ignore[attr-defined]
        within=within,
        what=lambda: f"{len(running.of(Delivered))}/{count} delivered: {running.notices}",  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("data_format", list(DataFormat))
async def test_every_event_of_the_table_is_acknowledged_in_order(
    receiver: ReceiverFactory, link: LinkFactory, data_format: DataFormat
) -> None:
    server = await receiver()
    running = await link(
        [path_to(server.port)], account=StationAccount(ACCOUNT, data_format=data_format)
    )
    kinds = list(EVENT_CODES)
    for index, kind in enumerate(kinds, start=1):
        await running.link.async_send(report(kind, zone=index, user=index % 9 + 1, text=kind.value))
    await delivered(running, len(kinds))
    expected = (
        [EVENT_CODES[k].sia for k in kinds]
        if data_format is DataFormat.SIA_DCS
        else [PYSIA_CID_CODES[k] for k in kinds]
    )
    assert server.codes == expected
    assert server.sequences == list(range(1, len(kinds) + 1))
    assert [d.report.kind for d in running.of(Delivered)] == kinds
    burglary = server.events[0]
    assert burglary.account == ACCOUNT
    assert running.link.status.queue_length == 0
    if data_format is DataFormat.ADM_CID:  # pysiaalarm's ri is Contact ID's zone
        assert (burglary.partition, burglary.ri) == ("01", "001")
    else:
        assert (burglary.ri, burglary.message) == ("1", "001")
        texts = [x.value for x in burglary.extended_data or [] if x.identifier == "I"]
        assert texts == ["burglary"]


async def test_user_and_zone_numbers_reach_the_receiver(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver()
    running = await link([path_to(server.port)])
    await running.link.async_send(report(ReportKind.DISARM, user=7, zone=None))
    await running.link.async_send(report(ReportKind.BURGLARY, zone=999, user=None, area=4))
    await running.link.async_send(report(ReportKind.ARM_PARTIAL, user=12, area=2))
    await delivered(running, 3)
    disarm, burglary, partial = server.events
    assert (disarm.code, disarm.message) == ("OP", "007")
    assert (burglary.code, burglary.message, burglary.ri) == ("BA", "999", "4")
    assert (partial.code, partial.id, partial.ri, partial.message) == ("NL", "012", "2", "002")


async def test_a_skewed_clock_is_nakked_then_resynced_and_delivered(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver()
    skew = timedelta(seconds=100)
    running = await link([path_to(server.port)], clock=lambda: datetime.now(UTC) - skew)
    await running.link.async_send(report())
    await delivered(running, 1)
    (resync,) = running.of(ClockResynced)
    assert abs(resync.offset - skew) < timedelta(seconds=2)
    assert server.codes == ["BA"]
    assert running.of(Delivered)[0].attempts == 1  # the re-sync is not a try
    assert running.link.status.paths[0].last_nak_at is not None


async def test_an_unknown_code_gets_duh_and_leaves_the_queue_as_a_fault(
    receiver: ReceiverFactory, link: LinkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A station whose code table has no listen-in (many do not): pysiaalarm answers DUH.
    monkeypatch.delitem(pysiaalarm.utils.SIA_CODES, "LF")
    server = await receiver()
    running = await link([path_to(server.port)])
    await running.link.async_send(report(ReportKind.LISTEN_IN_BEGIN))
    await running.link.async_send(report(ReportKind.BURGLARY))
    await delivered(running, 1)
    (fault,) = running.of(TransmissionFault)
    assert fault.reason is FaultReason.REJECTED
    assert fault.dropped
    assert fault.code == "LF"
    assert fault.report.kind is ReportKind.LISTEN_IN_BEGIN
    assert server.codes == ["BA"]  # what followed was not blocked behind it
    status = running.link.status
    assert status.paths[0].last_duh_code == "LF"
    assert status.queue_length == 0


async def test_no_answer_resends_the_same_sequence_then_the_secondary_takes_it(
    silent: SilentReceiver, receiver: ReceiverFactory, link: LinkFactory
) -> None:
    backup = await receiver()
    running = await link([path_to(silent.port), path_to(backup.port)])
    await running.link.async_send(report())
    await delivered(running, 1)
    events = [f for f in silent.frames if b'"SIA-DCS"' in f]
    assert len(events) == 3  # tries
    assert len({f[f.index(b'"SIA-DCS"') + 9 : f.index(b'"SIA-DCS"') + 13] for f in events}) == 1
    assert backup.codes[0] == "BA"
    assert backup.sequences[0] == 1
    assert running.of(PathLost) == [PathLost(0, PathLossReason.NO_ANSWER)]
    assert running.of(Delivered)[0].path == 1
    # The station hears about the lost path over the other one (YS, path 1).
    await delivered(running, 2)
    assert backup.codes[:2] == ["BA", "YS"]
    assert backup.events[1].message == "001"


async def test_nobody_answering_is_a_transmission_fault_then_delivered_once_back(
    silent: SilentReceiver, link: LinkFactory
) -> None:
    port = PortPool().take()
    running = await link([path_to(silent.port), path_to(port)])
    await running.link.async_send(report())
    await until(lambda: running.of(TransmissionFault), within=5, what="transmission fault")
    (fault,) = running.of(TransmissionFault)
    assert (fault.reason, fault.dropped) == (FaultReason.NO_ANSWER, False)
    assert running.link.status.queue_length >= 1  # still queued for the station
    assert {p.path for p in running.of(PathLost)} == {0, 1}
    back = SiaReceiver([sia_account(ACCOUNT)])
    back.port = port
    await back.start()
    try:
        await delivered(running, 1, within=10)
        first = running.of(Delivered)[0]
        assert (first.report.kind, first.after_fault, first.sequence) == (
            ReportKind.BURGLARY,
            True,
            1,
        )
        await until(lambda: running.link.status.queue_length == 0, within=10, what="queue drained")
        assert back.codes.count("BA") == 1
        assert running.of(PathRestored) == [PathRestored(1)]
    finally:
        await back.stop()


@pytest.mark.parametrize("size", [16, 24, 32])
async def test_ascii_keys_of_every_size_are_taken_by_pysiaalarm(
    receiver: ReceiverFactory, link: LinkFactory, size: int
) -> None:
    text = "Kx7!pQ2#mN9@vB4$wE6%zR8^"[:size] + "A" * max(0, size - 24)
    server = await receiver(key=text)
    running = await link(
        [path_to(server.port)],
        account=StationAccount(ACCOUNT, key=StationKey.parse(f"ascii:{text}")),
    )
    await running.link.async_send(report(text="porte"))
    await delivered(running, 1)
    assert server.codes == ["BA"]
    assert server.events[0].encrypted
    await until(lambda: server.polls >= 1, what="encrypted NULL poll acknowledged")
    assert running.link.status.paths[0].state is PathState.UP


@pytest.mark.parametrize("size", [16, 24, 32])
async def test_a_hex_key_is_the_same_key_as_its_ascii_spelling(
    receiver: ReceiverFactory, link: LinkFactory, size: int
) -> None:
    text = ("imaprotect-station-key-0123456789")[:size]
    server = await receiver(key=text)
    running = await link(
        [path_to(server.port)],
        account=StationAccount(ACCOUNT, key=StationKey.parse("hex:" + text.encode().hex())),
    )
    await running.link.async_send(report())
    await delivered(running, 1)
    assert server.codes == ["BA"]


async def test_a_bad_key_is_refused_by_the_receiver(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    # pysiaalarm decrypts with its own key: garbage. It answers NAK when the garbage does not
    # parse and DUH when it does (no code found); the random pad decides. Either way the event
    # never reaches the station's handler and goes to the contacts as a fault.
    server = await receiver(key="0123456789abcdef")
    running = await link(
        [path_to(server.port)],
        account=StationAccount(ACCOUNT, key=StationKey.parse("ascii:fedcba9876543210")),
    )
    await running.link.async_send(report())
    await until(lambda: running.of(TransmissionFault), within=5, what="fault")
    (fault,) = running.of(TransmissionFault)
    assert fault.reason in {FaultReason.REFUSED, FaultReason.REJECTED}
    assert fault.dropped is (fault.reason is FaultReason.REJECTED)
    assert server.events == []
    assert running.of(Delivered) == []


async def test_a_receiver_down_during_an_alarm_gets_everything_once_in_order(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver()
    running = await link([path_to(server.port)])
    await running.link.async_send(report(ReportKind.ARM_TOTAL))
    await delivered(running, 1)
    await server.stop()
    kinds = [ReportKind.BURGLARY, ReportKind.TAMPER, ReportKind.BURGLARY_RESTORE]
    for kind in kinds:
        await running.link.async_send(report(kind))
    await until(lambda: running.of(TransmissionFault), within=5, what="fault while down")
    await server.start()
    await delivered(running, 4, within=10)
    assert server.codes == ["CL", "BA", "TA", "BR"]
    assert server.sequences == [1, 2, 3, 4]
    assert [d.report.kind for d in running.of(Delivered)] == [ReportKind.ARM_TOTAL, *kinds]


async def test_events_queued_before_a_restart_are_delivered_in_order_by_a_new_link(
    receiver: ReceiverFactory, link: LinkFactory, tmp_path: object
) -> None:
    port = PortPool().take()
    first = await link([path_to(port)], store_name="restart.json")
    kinds = [ReportKind.ARM_TOTAL, ReportKind.BURGLARY, ReportKind.FIRE, ReportKind.DISARM]
    for kind in kinds:
        await first.link.async_send(report(kind))
    await first.link.async_stop()  # Home Assistant stops; the receiver was never reachable
    saved = await first.store.async_load()
    assert saved is not None
    assert [e["sequence"] for e in saved["events"]] == [1, 2, 3, 4]
    server = SiaReceiver([sia_account(ACCOUNT)])
    server.port = port
    await server.start()
    try:
        second = StationLink(StationAccount(ACCOUNT), [path_to(port)], first.store, fast_settings())
        got: list[object] = []
        second.add_listener(got.append)
        await second.async_start()
        try:
            await until(lambda: len(server.events) >= 4, within=5, what="delivered after restart")
            assert server.codes == ["CL", "BA", "FA", "OP"]
            assert server.sequences == [1, 2, 3, 4]
            await until(lambda: second.status.queue_length == 0, what="queue empty")
        finally:
            await second.async_stop()
        assert (await first.store.async_load() or {})["events"] == []
    finally:
        await server.stop()


async def test_a_crash_after_saving_resends_with_the_same_sequence(
    receiver: ReceiverFactory, tmp_path: object
) -> None:
    # The document as a crash leaves it: saved before the first send, never acknowledged.
    port = PortPool().take()
    store = JsonFileStore(f"{tmp_path}/crash.json")
    crashed = StationLink(StationAccount(ACCOUNT), [path_to(port)], store, fast_settings())
    await crashed.async_start()
    await crashed.async_send(report(ReportKind.PANIC))
    await crashed.async_send(report(ReportKind.DURESS))
    crashed._runner.cancel()  # no clean stop: as if killed
    server = SiaReceiver([sia_account(ACCOUNT)])
    server.port = port
    await server.start()
    try:
        again = StationLink(StationAccount(ACCOUNT), [path_to(port)], store, fast_settings())
        await again.async_start()
        try:
            await until(lambda: len(server.events) >= 2, what="delivered after the crash")
            assert server.codes == ["PA", "HA"]
            assert server.sequences == [1, 2]
        finally:
            await again.async_stop()
    finally:
        await server.stop()
        await crashed.async_stop()


async def test_udp_delivers_an_event_and_polls(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver(udp=True)
    running = await link([path_to(server.port, transport=Transport.UDP)])
    await running.link.async_send(report(ReportKind.FIRE))
    await delivered(running, 1)
    assert server.codes == ["FA"]
    await until(lambda: server.polls >= 1, what="UDP poll")
    assert running.link.status.paths[0].connected


async def test_udp_with_nobody_listening_fails_over(
    link: LinkFactory, receiver: ReceiverFactory
) -> None:
    backup = await receiver()
    running = await link(
        [path_to(PortPool().take(), transport=Transport.UDP), path_to(backup.port)]
    )
    await running.link.async_send(report())
    await delivered(running, 1)
    assert running.of(Delivered)[0].path == 1
    assert backup.codes[0] == "BA"


async def test_a_utf8_text_is_dropped_by_pysiaalarm_so_ascii_is_the_default(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver()
    utf8 = await link(
        [path_to(server.port)],
        account=StationAccount(ACCOUNT, text_encoding=TextEncoding.UTF8),
        store_name="utf8.json",
    )
    await utf8.link.async_send(report(text="Entrée"))
    await until(lambda: utf8.of(TransmissionFault), within=5, what="UTF-8 frame unanswered")
    assert server.events == []
    await utf8.link.async_stop()
    ascii_link = await link([path_to(server.port)], store_name="ascii.json")
    await ascii_link.link.async_send(report(text="Entrée"))
    await delivered(ascii_link, 1)
    texts = [x.value for x in server.events[0].extended_data or [] if x.identifier == "I"]
    assert texts == ["Entree"]


async def test_supervision_loses_and_restores_a_path_and_tells_the_station(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    primary, backup = await receiver(), await receiver()
    settings = fast_settings(
        custom=SupervisionProfile(
            timedelta(seconds=0.2), timedelta(seconds=0.2), timedelta(seconds=30)
        ),
        test_interval=None,
    )
    running = await link([path_to(primary.port), path_to(backup.port)], settings=settings)
    await until(lambda: primary.polls >= 2 and backup.polls >= 1, what="polls acknowledged")
    assert running.link.connected
    await primary.stop()
    await until(lambda: running.of(PathLost), within=5, what="primary lost")
    assert running.of(PathLost) == [PathLost(0, PathLossReason.NO_ANSWER)]
    await until(lambda: "YS" in backup.codes, within=5, what="YS on the back-up")
    await primary.start()
    await until(lambda: running.of(PathRestored), within=5, what="primary restored")
    await until(lambda: "YK" in backup.codes + primary.codes, within=5, what="YK sent")
    assert running.link.status.paths[0].state is PathState.UP


async def test_an_alarm_that_cannot_reach_the_station_in_time_is_overdue(
    silent: SilentReceiver, link: LinkFactory
) -> None:
    settings = fast_settings(
        custom=SupervisionProfile(
            timedelta(seconds=60), timedelta(seconds=60), timedelta(seconds=0.4)
        ),
        ack_timeout=timedelta(seconds=5),
    )
    running = await link([path_to(silent.port)], settings=settings)
    await running.link.async_send(report(ReportKind.ARM_TOTAL))
    await running.link.async_send(report(ReportKind.BURGLARY))
    await until(lambda: running.of(AlarmOverdue), within=3, what="overdue")
    (overdue,) = running.of(AlarmOverdue)
    assert overdue.report.kind is ReportKind.BURGLARY  # arming is no alarm
    assert overdue.limit == timedelta(seconds=0.4)
    assert running.link.status.queue_length == 2
    assert running.of(TransmissionFault) == []  # still trying the station
