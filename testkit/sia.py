"""SIA DC-09 receivers on 127.0.0.1 for the station link's tests and benchmark.

``SiaReceiver`` is pysiaalarm's asyncio server (TCP or UDP) on an ephemeral port, recording every
event it acknowledged; it can be stopped and started again on the same port (a station going
down during an alarm). ``SilentReceiver`` accepts TCP connections and reads, but never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from pysiaalarm.account import SIAAccount
from pysiaalarm.aio.client import SIAClient
from pysiaalarm.utils.enums import CommunicationsProtocol, MessageTypes

from testkit.ports import LOOPBACK

if TYPE_CHECKING:
    from collections.abc import Sequence


def sia_account(account: str, key: str | None = None, **options: Any) -> SIAAccount:
    """A pysiaalarm account (``key`` as ASCII, the way pysiaalarm reads it)."""
    return SIAAccount(account, key, **options)


class SiaReceiver:
    """A pysiaalarm receiver; ``events`` holds what it acknowledged, in order."""

    def __init__(self, accounts: Sequence[SIAAccount], *, udp: bool = False) -> None:
        self._accounts = list(accounts)
        self._udp = udp
        self._client: Any = None
        self.port = 0
        self.events: list[Any] = []  # what it acknowledged, NULL polls apart
        self.polls = 0

    async def _record(self, event: Any) -> None:
        if event.message_type == MessageTypes.NULL:
            self.polls += 1
        else:
            self.events.append(event)

    @property
    def codes(self) -> list[str]:
        """The SIA codes acknowledged, in order (ADM-CID ones mapped by pysiaalarm)."""
        return [event.code for event in self.events]

    @property
    def sequences(self) -> list[int]:
        """The sequence numbers acknowledged, in order."""
        return [int(event.sequence) for event in self.events]

    async def start(self) -> int:
        """Listen (on the same port as before after a ``stop``); returns the port."""
        protocol = CommunicationsProtocol.UDP if self._udp else CommunicationsProtocol.TCP
        # SIAClient picks its TCP or UDP subclass itself, from ``protocol``.
        self._client = SIAClient(  # type: ignore[abstract]
            LOOPBACK, self.port, self._accounts, self._record, protocol=protocol
        )
        await self._client.async_start()
        if self._udp:
            self.port = self._client.transport.get_extra_info("sockname")[1]
        else:
            self.port = self._client.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and drop the open connections."""
        client, self._client = self._client, None
        if client is None:
            return
        if not self._udp and client.server is not None:
            client.server.close_clients()
        await client.async_stop()


class SilentReceiver:
    """Takes TCP connections and every byte sent, answers nothing."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self.port = 0
        self.received = b""
        self._writers: list[asyncio.StreamWriter] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        with contextlib.suppress(OSError):
            while data := await reader.read(4096):
                self.received += data

    async def start(self) -> int:
        """Listen on an ephemeral port; returns it."""
        self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def frames(self) -> list[bytes]:
        """The frames received, in order."""
        return [b"\n" + part for part in self.received.split(b"\n") if part]

    async def stop(self) -> None:
        """Close the server and its connections."""
        if self._server is not None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()
            self._server = None
