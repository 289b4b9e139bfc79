"""The asyncio link's own duties: life cycle, saving before sending, status, listeners."""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from typing import Any

import pytest

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import (
    Delivered,
    JsonFileStore,
    PathState,
    StationAccount,
    StationLink,
    Transport,
)
from testkit.polling import until
from testkit.station import as_gateway

from .conftest import ACCOUNT, LinkFactory, ReceiverFactory, fast_settings, path_to


class RecordingStore:
    """A QueueStore that records each saved document, and what the receiver had meanwhile."""

    def __init__(self, witness: Any = None) -> None:
        self.saved: list[dict[str, Any]] = []
        self.witness = witness
        self.seen_at_save: list[int] = []

    async def async_load(self) -> dict[str, Any] | None:
        return self.saved[-1] if self.saved else None

    async def async_save(self, data: dict[str, Any]) -> None:
        if self.witness is not None:
            self.seen_at_save.append(len(self.witness.events))
        self.saved.append(data)


async def test_an_event_is_on_disk_before_its_first_transmission(
    receiver: ReceiverFactory,
) -> None:
    server = await receiver()
    store = RecordingStore(server)
    link = StationLink(StationAccount(ACCOUNT), [path_to(server.port)], store, fast_settings())
    await link.async_start()
    try:
        await link.async_send(Report(ReportKind.BURGLARY, datetime.now(UTC), zone=1))
        # async_send returned: the event is saved, and the receiver had nothing yet then.
        saved_with_event = next(i for i, d in enumerate(store.saved) if d["events"])
        assert store.seen_at_save[saved_with_event] == 0
        await until(lambda: server.events, what="delivered")
        await until(lambda: store.saved[-1]["events"] == [], what="removal saved lazily")
    finally:
        await link.async_stop()


async def test_many_sends_at_once_are_saved_in_few_writes(receiver: ReceiverFactory) -> None:
    import asyncio

    server = await receiver()
    store = RecordingStore()
    link = StationLink(StationAccount(ACCOUNT), [path_to(server.port)], store, fast_settings())
    await link.async_start()
    try:
        now = datetime.now(UTC)
        await asyncio.gather(
            *(link.async_send(Report(ReportKind.BYPASS, now, zone=i + 1)) for i in range(200))
        )
        assert len(store.saved) <= 3
        assert len(store.saved[-1]["events"]) == 200
        await until(lambda: len(server.events) == 200, within=10, what="all delivered")
        assert server.sequences == list(range(1, 201))
    finally:
        await link.async_stop()


async def test_the_link_is_a_station_gateway_with_a_status(
    receiver: ReceiverFactory, link: LinkFactory
) -> None:
    server = await receiver()
    running = await link([path_to(server.port), path_to(server.port, transport=Transport.UDP)])
    gateway = as_gateway(running.link)
    assert gateway.configured
    await until(lambda: gateway.connected, what="connected")
    await gateway.async_send(Report(ReportKind.FIRE, datetime.now(UTC), zone=2))
    await until(lambda: running.of(Delivered), what="delivered")
    status = running.link.status
    first = status.paths[0]
    assert (first.index, first.host, first.port, first.transport) == (
        0,
        "127.0.0.1",
        server.port,
        Transport.TCP,
    )
    assert first.connected
    assert first.state is PathState.UP
    assert first.last_ack_at is not None
    assert first.frames_sent >= 2
    assert status.queue_length == 0
    assert status.oldest_queued_at is None
    assert status.next_test_at is not None
    assert status.connected
    await until(  # nobody on UDP at that port
        lambda: running.link.status.paths[1].state is PathState.DOWN, what="UDP path lost"
    )


async def test_life_cycle_errors(tmp_path: Any) -> None:
    store = JsonFileStore(tmp_path / "q.json")
    with pytest.raises(ValueError, match="at least one receiver"):
        StationLink(StationAccount(ACCOUNT), [], store)
    link = StationLink(StationAccount(ACCOUNT), [path_to(1)], store)
    with pytest.raises(RuntimeError, match="not started"):
        await link.async_send(Report(ReportKind.FIRE, datetime.now(UTC)))
    with pytest.raises(RuntimeError, match="not started"):
        _ = link.status
    await link.async_stop()  # stopping what never started is harmless
    await link.async_start()
    try:
        event = await link.async_queue(Report(ReportKind.FIRE, datetime.now(UTC), zone=1))
        assert (event.id, event.sequence) == (1, 1)
        with pytest.raises(RuntimeError, match="already started"):
            await link.async_start()
        with pytest.raises(ValueError, match="zone"):
            await link.async_send(Report(ReportKind.FIRE, datetime.now(UTC), zone=1000))
    finally:
        await link.async_stop()
    assert await store.async_load() is not None  # stop saved the (empty) queue


async def test_a_failing_listener_never_stops_the_link(
    receiver: ReceiverFactory, link: LinkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = await receiver()
    running = await link([path_to(server.port)])

    def broken(notice: object) -> None:
        raise RuntimeError("listener bug")

    remove = running.link.add_listener(broken)
    with caplog.at_level(logging.ERROR):
        await running.link.async_send(Report(ReportKind.FIRE, datetime.now(UTC), zone=1))
        await until(lambda: running.of(Delivered), what="delivered despite the listener")
    assert "listener failed on Delivered" in caplog.text
    remove()
    await running.link.async_send(Report(ReportKind.FIRE_RESTORE, datetime.now(UTC), zone=1))
    await until(lambda: len(running.of(Delivered)) == 2, what="second delivered")
