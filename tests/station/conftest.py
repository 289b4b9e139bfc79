"""Station link tests: pysiaalarm and siadc09 as receivers, all on 127.0.0.1.

Fixtures: ``receiver`` (factory of started pysiaalarm receivers), ``silent`` (a TCP receiver that
never answers), ``link`` (factory of started ``StationLink`` with fast timings and a JSON store in
the test's tmp dir; every link, receiver and task is stopped at teardown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.imaprotect.station import (
    Category,
    JsonFileStore,
    Notice,
    ReceiverPath,
    StationAccount,
    StationLink,
    SupervisionProfile,
    TransmitterSettings,
)
from testkit.ports import LOOPBACK
from testkit.sia import SiaReceiver, SilentReceiver, sia_account

ACCOUNT = "1234"


@pytest.fixture(autouse=True)
def _station_sockets(socket_enabled: None) -> None:
    """Station tests open loopback sockets (the harness still limits them to 127.0.0.1)."""


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Override the repository-wide fixture: these tests need no Home Assistant instance."""


def fast_settings(**changes: Any) -> TransmitterSettings:
    """Timings for tests: 0.3 s ACK timeout, 3 tries, polls far away unless asked."""
    values: dict[str, Any] = {
        "category": Category.CUSTOM,
        "custom": SupervisionProfile(
            timedelta(seconds=60), timedelta(seconds=60), timedelta(seconds=30)
        ),
        "ack_timeout": timedelta(seconds=0.3),
        "connect_retry": timedelta(seconds=0.05),
        "retry_backoff": timedelta(seconds=0.2),
        "max_retry_backoff": timedelta(seconds=0.4),
        "down_poll_interval": timedelta(seconds=0.5),
        "poll_preempt_after": timedelta(seconds=0.05),
    }
    values.update(changes)
    return TransmitterSettings(**values)


@dataclass
class RunningLink:
    """A started link and every notice it gave."""

    link: StationLink
    store: JsonFileStore
    notices: list[Notice] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        """Notices of one type."""
        return [notice for notice in self.notices if isinstance(notice, kind)]


type ReceiverFactory = Callable[..., Awaitable[SiaReceiver]]
type LinkFactory = Callable[..., Awaitable[RunningLink]]


@pytest.fixture
async def receiver() -> AsyncIterator[ReceiverFactory]:
    """Factory of started pysiaalarm receivers (``key``, ``udp``, account options)."""
    started: list[SiaReceiver] = []

    async def make(
        key: str | None = None, *, udp: bool = False, account: str = ACCOUNT, **options: Any
    ) -> SiaReceiver:
        server = SiaReceiver([sia_account(account, key, **options)], udp=udp)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


@pytest.fixture
async def silent() -> AsyncIterator[SilentReceiver]:
    """A receiver that takes frames and never answers."""
    server = SilentReceiver()
    await server.start()
    yield server
    await server.stop()


def path_to(port: int, **options: Any) -> ReceiverPath:
    """A receiver on the loopback."""
    return ReceiverPath(LOOPBACK, port, **options)


@pytest.fixture
async def link(tmp_path: Path) -> AsyncIterator[LinkFactory]:
    """Factory of started links (paths; ``account``, ``settings``, ``store_name``, options)."""
    running: list[RunningLink] = []

    async def make(
        paths: list[ReceiverPath],
        *,
        account: StationAccount | None = None,
        settings: TransmitterSettings | None = None,
        store_name: str = "queue.json",
        **options: Any,
    ) -> RunningLink:
        store = JsonFileStore(tmp_path / store_name)
        station = StationLink(
            account or StationAccount(ACCOUNT),
            paths,
            store,
            settings or fast_settings(),
            save_delay=0.05,
            **options,
        )
        result = RunningLink(station, store)
        station.add_listener(result.notices.append)
        await station.async_start()
        running.append(result)
        return result

    yield make
    for item in running:
        await item.link.async_stop()
