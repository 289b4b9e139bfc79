"""The sockets under a path: TCP (one connection, kept open) or UDP (one datagram per frame).

A connection is opened when the first frame is sent and again after it is lost; each failure (no
connection, reset, ICMP refusal) is reported through ``on_failure``, and the transmitter's retry
schedule paces the next attempt (``connect_retry`` between tries, ``retry_backoff`` doubling
between rounds, ``down_poll_interval`` for a lost path). Received bytes are cut into ``LF…CR``
frames and handed to ``on_frame``. Nothing here logs frame contents (accounts, texts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, override

from .answers import split_frames

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)
_READ_SIZE = 4096


class PathConnection:
    """Base of the TCP and UDP connections of one path."""

    def __init__(
        self,
        host: str,
        port: int,
        on_frame: Callable[[bytes], None],
        on_failure: Callable[[], None],
        connect_timeout: float,
    ) -> None:
        self._host = host
        self._port = port
        self._on_frame = on_frame
        self._on_failure = on_failure
        self._connect_timeout = connect_timeout
        self._pending: bytes | None = None
        self._opening: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        """Whether a socket is open now."""
        raise NotImplementedError

    def send(self, frame: bytes) -> None:
        """Send ``frame`` now, or as soon as the connection is open."""
        if self._closed:
            return
        if self.connected:
            self._write(frame)
            return
        self._pending = frame  # a newer frame replaces one that never went out
        if self._opening is None or self._opening.done():
            self._opening = asyncio.get_running_loop().create_task(self._open_and_flush())

    async def _open_and_flush(self) -> None:
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._open()
        except (OSError, TimeoutError) as err:
            _LOGGER.debug("receiver %s:%s unreachable: %s", self._host, self._port, err)
            self._pending = None
            self._on_failure()
            return
        frame, self._pending = self._pending, None
        if frame is not None:
            self._write(frame)

    def _received(self, data: bytes, buffer: bytes) -> bytes:
        frames, rest = split_frames(buffer + data)
        for frame in frames:
            self._on_frame(frame)
        return rest

    async def _open(self) -> None:
        raise NotImplementedError

    def _write(self, frame: bytes) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Close the socket; nothing is sent afterwards."""
        self._closed = True
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._opening


class TcpConnection(PathConnection):
    """One TCP connection to the receiver, read by its own task."""

    def __init__(
        self,
        host: str,
        port: int,
        on_frame: Callable[[bytes], None],
        on_failure: Callable[[], None],
        connect_timeout: float,
    ) -> None:
        super().__init__(host, port, on_frame, on_failure, connect_timeout)
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    @property
    @override
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    @override
    async def _open(self) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        self._writer = writer
        self._reader_task = asyncio.get_running_loop().create_task(self._read(reader, writer))

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        try:
            while data := await reader.read(_READ_SIZE):
                buffer = self._received(data, buffer)
        except OSError as err:
            _LOGGER.debug("receiver %s:%s connection lost: %s", self._host, self._port, err)
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()
        if not self._closed:
            self._on_failure()

    @override
    def _write(self, frame: bytes) -> None:
        assert self._writer is not None
        try:
            self._writer.write(frame)
        except OSError:  # pragma: no cover - asyncio reports most failures through the reader
            self._writer = None
            self._on_failure()

    @override
    async def close(self) -> None:
        await super().close()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpConnection) -> None:
        self._owner = owner

    @override
    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._owner.datagram(data)

    @override
    def error_received(self, exc: Exception) -> None:
        self._owner.refused(exc)


class UdpConnection(PathConnection):
    """A connected UDP socket: each frame one datagram, answers from the receiver only."""

    def __init__(
        self,
        host: str,
        port: int,
        on_frame: Callable[[bytes], None],
        on_failure: Callable[[], None],
        connect_timeout: float,
    ) -> None:
        super().__init__(host, port, on_frame, on_failure, connect_timeout)
        self._transport: asyncio.DatagramTransport | None = None

    @property
    @override
    def connected(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    @override
    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), remote_addr=(self._host, self._port)
        )
        self._transport = transport

    def datagram(self, data: bytes) -> None:
        """One datagram from the receiver."""
        self._received(data, b"")

    def refused(self, exc: Exception) -> None:
        """ICMP said nobody listens (or another socket error)."""
        _LOGGER.debug("receiver %s:%s refused a datagram: %s", self._host, self._port, exc)
        self._on_failure()

    @override
    def _write(self, frame: bytes) -> None:
        assert self._transport is not None
        self._transport.sendto(frame)

    @override
    async def close(self) -> None:
        await super().close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
