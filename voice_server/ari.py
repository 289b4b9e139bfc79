"""A small typed Asterisk REST Interface (ARI) client over one aiohttp session.

Only what the call-out needs: originate with an imposed channel id, hang up, play, mixing
bridges, and the events WebSocket. Events are routed by channel, bridge and playback-target id
into per-subscription asyncio queues, so each call's coroutine reads only its own events.
Subscribe *before* originating: Asterisk may emit the first events before the REST call returns.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import json
import logging
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote
import uuid

import aiohttp

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "CHANNEL_GONE",
    "CONNECTION_LOST",
    "AriClient",
    "AriError",
    "AriEvent",
    "Subscription",
]

_LOGGER = logging.getLogger(__name__)

#: Event types that end a channel's life; a reader that sees one can stop waiting on that channel.
CHANNEL_GONE = frozenset({"ChannelDestroyed", "StasisEnd"})
#: Synthetic event put in every subscription when the events WebSocket drops: Asterisk may have
#: restarted, so the channels and bridges it routed may be gone without a ChannelDestroyed.
CONNECTION_LOST = "ImaprotectConnectionLost"


MAX_CONNECTIONS = 200
"""Concurrent REST requests to ARI; Asterisk allows 1000 sessions (asterisk/http.conf.in)."""
MAX_ORIGINATES = MAX_CONNECTIONS // 2
"""Contacts' calls asked of Asterisk at once: the rest of the pool serves the calls in progress
(the prompts of a contact who answered, hang-ups), which must not queue behind an avalanche."""


class AriError(Exception):
    """An ARI REST call answered with an HTTP error status."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class AriEvent:
    """One WebSocket event, with the fields the call logic branches on pulled out and typed.

    ``raw`` keeps the whole decoded message for anything rarer.
    """

    type: str
    channel_id: str | None = None
    channel_state: str | None = None
    peer_id: str | None = None
    bridge_id: str | None = None
    playback_id: str | None = None
    playback_target: str | None = None
    digit: str | None = None
    cause: int | None = None
    cause_txt: str | None = None
    dialstatus: str | None = None
    args: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> AriEvent:
        """Build from a decoded ARI event; missing or odd fields become None."""
        channel = _obj(message, "channel")
        playback = _obj(message, "playback")
        cause = message.get("cause")
        return cls(
            type=str(message.get("type", "")),
            channel_id=_str(channel, "id"),
            channel_state=_str(channel, "state"),
            peer_id=_str(_obj(message, "peer"), "id"),
            bridge_id=_str(_obj(message, "bridge"), "id"),
            playback_id=_str(playback, "id"),
            playback_target=_str(playback, "target_uri"),
            digit=_str(message, "digit"),
            cause=cause if isinstance(cause, int) else None,
            cause_txt=_str(message, "cause_txt"),
            dialstatus=_str(message, "dialstatus"),
            args=tuple(str(a) for a in message.get("args", ()) if isinstance(a, str)),
            raw=message,
        )

    @property
    def object_ids(self) -> frozenset[str]:
        """Every channel/bridge id this event concerns (used for routing)."""
        ids = {self.channel_id, self.peer_id, self.bridge_id}
        if self.playback_target:
            # "channel:<id>" or "bridge:<id>": playback events carry no channel object.
            ids.add(self.playback_target.partition(":")[2])
        return frozenset(i for i in ids if i)


def _obj(message: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = message.get(key)
    return value if isinstance(value, Mapping) else {}


def _str(message: Mapping[str, Any], key: str) -> str | None:
    value = message.get(key)
    return value if isinstance(value, str) else None


class Subscription:
    """The events of one or more ARI objects (a call leg, its bridge), in arrival order."""

    def __init__(
        self, object_ids: frozenset[str], on_close: Callable[[Subscription], None]
    ) -> None:
        self._on_close = on_close
        self.object_ids = object_ids
        self.queue: asyncio.Queue[AriEvent] = asyncio.Queue()

    async def get(self, within: float) -> AriEvent:
        """Next event; raises TimeoutError after ``within`` seconds."""
        async with asyncio.timeout(within):
            return await self.queue.get()

    async def wait_for(self, *types: str, within: float) -> AriEvent:
        """Next event of one of ``types``, dropping the others; TimeoutError after ``within`` s."""
        async with asyncio.timeout(within):
            while True:
                event = await self.queue.get()
                if event.type in types:
                    return event

    def close(self) -> None:
        """Stop routing events here (idempotent)."""
        self._on_close(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AriClient:
    """ARI REST + events for one Stasis application.

    Use as ``async with AriClient(...) as ari: await ari.wait_connected(5)``. The events WebSocket
    reconnects with exponential backoff; while it is down the application is unregistered in
    Asterisk and originating into it fails.
    """

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        request_timeout: float = 10.0,
        reconnect_delays: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self._base = base_url.rstrip("/") + "/ari"
        # aiohttp 3.14 deprecates auth=/BasicAuth; a plain header works with every version.
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}"}
        self.app = app
        # No total: under an avalanche a request may wait for one of the pooled connections, and
        # that wait must not count (it made originates time out in the queue, sent again, and a
        # contact skipped or called twice). Connecting and each read still have their limit.
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=request_timeout, sock_read=request_timeout
        )
        self._delays = reconnect_delays
        self._session: aiohttp.ClientSession | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._disconnected = asyncio.Event()
        self._disconnected.set()
        self._routes: dict[str, Subscription] = {}

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Open the HTTP session and start the events reader (which connects in the background)."""
        if self._session is not None:
            raise RuntimeError("AriClient already started")
        # Well under Asterisk's HTTP session limit (http.conf), so other ARI users still get in.
        self._session = aiohttp.ClientSession(
            headers=self._headers, connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
        )
        self._reader = asyncio.create_task(self._read_events(self._session), name="ari-events")

    async def close(self) -> None:
        """Stop the events reader and close the session; queued events stay readable."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._connected.clear()

    @property
    def connected(self) -> bool:
        """Whether the events WebSocket is up (the application is registered)."""
        return self._connected.is_set()

    async def wait_connected(self, within: float) -> None:
        """Wait until the application is registered; TimeoutError after ``within`` seconds."""
        async with asyncio.timeout(within):
            await self._connected.wait()

    async def wait_disconnected(self) -> None:
        """Wait until the events WebSocket is down (at once if it is)."""
        await self._disconnected.wait()

    # --- events -----------------------------------------------------------------------------

    def subscribe(self, *object_ids: str) -> Subscription:
        """Route the events of these channel/bridge ids to a new queue."""
        if not object_ids:
            raise ValueError("subscribe needs at least one id")
        taken = [i for i in object_ids if i in self._routes]
        if taken:
            raise ValueError(f"already subscribed: {', '.join(taken)}")
        subscription = Subscription(frozenset(object_ids), self._unsubscribe)
        for object_id in object_ids:
            self._routes[object_id] = subscription
        return subscription

    def route(self, subscription: Subscription, *object_ids: str) -> None:
        """Also route these ids (a bridge, a second leg) to an existing subscription."""
        taken = [i for i in object_ids if self._routes.get(i, subscription) is not subscription]
        if taken:
            raise ValueError(f"already subscribed: {', '.join(taken)}")
        subscription.object_ids = subscription.object_ids | frozenset(object_ids)
        for object_id in object_ids:
            self._routes[object_id] = subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        for object_id in subscription.object_ids:
            if self._routes.get(object_id) is subscription:
                del self._routes[object_id]

    def _dispatch(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            _LOGGER.warning("ARI sent a non-JSON event; dropped")
            return
        if not isinstance(message, dict):
            _LOGGER.warning("ARI sent a non-object event; dropped")
            return
        event = AriEvent.from_message(message)
        targets = {id(s): s for i in event.object_ids if (s := self._routes.get(i))}
        for subscription in targets.values():
            subscription.queue.put_nowait(event)
        if not targets:
            _LOGGER.debug("unrouted ARI event %s", event.type)

    def _lost(self) -> None:
        event = AriEvent(type=CONNECTION_LOST)
        for subscription in {id(s): s for s in self._routes.values()}.values():
            subscription.queue.put_nowait(event)

    async def _read_events(self, session: aiohttp.ClientSession) -> None:
        delay = self._delays[0]
        params = {"app": self.app, "subscribeAll": "false"}
        while True:
            try:
                async with session.ws_connect(
                    f"{self._base}/events", params=params, heartbeat=20
                ) as ws:
                    self._connected.set()
                    self._disconnected.clear()
                    delay = self._delays[0]
                    _LOGGER.info("ARI events connected (app %s)", self.app)
                    async for msg in ws:
                        if msg.type is aiohttp.WSMsgType.TEXT:
                            self._dispatch(msg.data)
                _LOGGER.warning("ARI events connection closed by Asterisk")
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                # Credentials travel in a header, so the error text (status, URL) holds no secret.
                _LOGGER.warning("ARI events connection failed: %r", err)
            finally:
                if self._connected.is_set():
                    self._lost()
                self._connected.clear()
                self._disconnected.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._delays[1])

    # --- REST -------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Call ARI; None for empty answers and (with missing_ok) for 404."""
        if self._session is None:
            raise RuntimeError("AriClient not started")
        async with self._session.request(
            method, self._base + path, params=params, json=body, timeout=self._timeout
        ) as resp:
            if resp.status == 404 and missing_ok:
                return None
            if resp.status >= 400:
                text = await resp.text()
                try:
                    message = str(json.loads(text).get("message", text))
                except ValueError, AttributeError:
                    message = text
                raise AriError(method, path, resp.status, message[:200])
            if resp.status == 204:
                return None
            return await resp.json()

    async def asterisk_info(self) -> dict[str, Any]:
        """GET /asterisk/info: build, system and status (also a cheap liveness probe)."""
        info: dict[str, Any] = await self._request("GET", "/asterisk/info")
        return info

    async def endpoint_state(self, technology: str, resource: str) -> str | None:
        """An endpoint's state ("online", "offline", "unknown"); None when it does not exist.

        For the trunk it follows the qualify requests to the provider (``qualify_frequency``).
        """
        path = f"/endpoints/{quote(technology, safe='')}/{quote(resource, safe='')}"
        info = await self._request("GET", path, missing_ok=True)
        state = info.get("state") if isinstance(info, dict) else None
        return state if isinstance(state, str) else None

    async def module_running(self, module: str) -> bool:
        """Whether a module is loaded and running (used to tell that Asterisk has booted)."""
        info = await self._request(
            "GET", f"/asterisk/modules/{quote(module, safe='')}", missing_ok=True
        )
        return isinstance(info, dict) and info.get("status") == "Running"

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        app_args: Sequence[str] = (),
        caller_id: str | None = None,
        dial_timeout: int = 30,
        variables: Mapping[str, str] | None = None,
    ) -> str:
        """Dial ``endpoint`` into this application; return the (imposed) channel id.

        Success only means Asterisk started dialling: an answer arrives as StasisStart, a failure
        as ChannelDestroyed whose ``cause`` is the Q.850 code (17 busy, 21 rejected, 19 no answer).
        """
        channel_id = channel_id or f"call-{uuid.uuid4()}"
        params = {
            "endpoint": endpoint,
            "app": self.app,
            "channelId": channel_id,
            "timeout": str(dial_timeout),
        }
        if app_args:
            params["appArgs"] = ",".join(app_args)
        if caller_id:
            params["callerId"] = caller_id
        body = {"variables": dict(variables)} if variables else None
        await self._request("POST", "/channels", params=params, body=body)
        return channel_id

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Hang up a channel; no error if it is already gone (ChannelDestroyed follows)."""
        path = f"/channels/{quote(channel_id, safe='')}"
        await self._request("DELETE", path, params={"reason": reason}, missing_ok=True)

    async def play(
        self,
        channel_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> str:
        """Start a playlist (``sound:x``, ``tone:y``…) on a channel; return the playback id.

        ARI keeps only the last of repeated ``media=`` parameters, so the playlist is sent as
        one comma-separated value. Completion arrives as PlaybackFinished on the channel's queue.
        """
        if not media:
            raise ValueError("play needs at least one media URI")
        playback_id = playback_id or f"play-{uuid.uuid4()}"
        params = {"media": ",".join(media), "playbackId": playback_id}
        if lang:
            params["lang"] = lang
        await self._request("POST", f"/channels/{quote(channel_id, safe='')}/play", params=params)
        return playback_id

    async def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (e.g. on the first DTMF digit); no error if it already ended."""
        await self._request("DELETE", f"/playbacks/{quote(playback_id, safe='')}", missing_ok=True)

    async def snoop(self, channel_id: str, *, snoop_id: str, spy: str = "in") -> str:
        """A channel that hears ``channel_id`` (``spy=in``: what it sends), into this application.

        It arrives as StasisStart; put it in a bridge to let others listen without being heard.
        """
        path = f"/channels/{quote(channel_id, safe='')}/snoop"
        params = {"spy": spy, "whisper": "none", "app": self.app, "snoopId": snoop_id}
        await self._request("POST", path, params=params)
        return snoop_id

    async def mute(self, channel_id: str, *, muted: bool, direction: str = "in") -> None:
        """Mute (or unmute) a channel's audio; ``in``: what it sends, so others stop hearing it.

        Only voice is suppressed: its DTMF keys still arrive as ChannelDtmfReceived.
        """
        path = f"/channels/{quote(channel_id, safe='')}/mute"
        await self._request("POST" if muted else "DELETE", path, params={"direction": direction})

    async def create_bridge(
        self, bridge_id: str | None = None, name: str = "", *, dtmf_events: bool = False
    ) -> str:
        """Create a mixing bridge; return its id.

        ``dtmf_events``: the keys a member presses reach the application only, not the others.
        """
        bridge_id = bridge_id or f"bridge-{uuid.uuid4()}"
        kind = "mixing,dtmf_events" if dtmf_events else "mixing"
        params = {"type": kind, "bridgeId": bridge_id}
        if name:
            params["name"] = name
        await self._request("POST", "/bridges", params=params)
        return bridge_id

    async def add_to_bridge(self, bridge_id: str, channel_id: str) -> None:
        """Put a channel into a bridge (ChannelEnteredBridge follows)."""
        path = f"/bridges/{quote(bridge_id, safe='')}/addChannel"
        await self._request("POST", path, params={"channel": channel_id})

    async def destroy_bridge(self, bridge_id: str) -> None:
        """Delete a bridge; no error if it is already gone."""
        await self._request("DELETE", f"/bridges/{quote(bridge_id, safe='')}", missing_ok=True)
