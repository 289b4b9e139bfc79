"""An in-memory stand-in for ``AriClient`` (the ``AriPort`` protocol), for fast call tests.

It records every request and lets a test deliver events to the subscriptions as Asterisk would,
routed by channel, bridge and playback-target id. ``on_originate`` answers a dial automatically
(busy, answered…) so a whole call tree can run without a test driving each call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import itertools

from voice_server.ari import AriEvent, Subscription

__all__ = ["FakeAri", "FakePrompts", "until"]


@dataclass
class FakeAri:
    """Records requests; ``emit`` delivers an event as the WebSocket would."""

    connected: bool = True
    originated: list[tuple[str, str]] = field(default_factory=list)  # (endpoint, channel id)
    plays: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # (id, chan, media)
    stopped: list[str] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)
    bridges: list[tuple[str, ...]] = field(default_factory=list)
    mutes: list[tuple[str, bool]] = field(default_factory=list)  # (channel id, muted)
    snoops: list[tuple[str, str]] = field(default_factory=list)  # (spied channel, snoop id)
    variables: dict[str, Mapping[str, str]] = field(default_factory=dict)  # channel id -> vars
    #: Raised by the next originate calls, in order (then they succeed).
    originate_errors: list[BaseException] = field(default_factory=list)
    #: Called after a successful originate with the channel id (to answer or refuse it).
    on_originate: Callable[[str], None] | None = None
    #: While set and not released, each originate waits for it (Asterisk slow to take calls).
    originate_hold: asyncio.Event | None = None
    #: Channel ids whose originate has been asked, in order, before any hold.
    originate_asked: list[str] = field(default_factory=list)
    _routes: dict[str, Subscription] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def subscribe(self, *object_ids: str) -> Subscription:
        """As AriClient.subscribe."""
        subscription = Subscription(frozenset(object_ids), self._unsubscribe)
        for object_id in object_ids:
            self._routes[object_id] = subscription
        return subscription

    def route(self, subscription: Subscription, *object_ids: str) -> None:
        """As AriClient.route."""
        subscription.object_ids = subscription.object_ids | frozenset(object_ids)
        for object_id in object_ids:
            self._routes[object_id] = subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        for object_id in subscription.object_ids:
            if self._routes.get(object_id) is subscription:
                del self._routes[object_id]

    def emit(self, event_type: str, channel_id: str | None = None, **fields: object) -> None:
        """Deliver one event to the subscription of ``channel_id`` (or of its playback)."""
        raw: dict[str, object] = {"type": event_type, **fields}
        if channel_id is not None:
            raw["channel"] = {"id": channel_id}
        event = AriEvent.from_message(raw)
        targets = {id(s): s for i in event.object_ids if (s := self._routes.get(i))}
        for subscription in targets.values():
            subscription.queue.put_nowait(event)

    def dtmf(self, channel_id: str, keys: str) -> None:
        """The contact presses ``keys``."""
        for key in keys:
            self.emit("ChannelDtmfReceived", channel_id, digit=key)

    def finish_playback(self, index: int = -1) -> None:
        """The playback ``plays[index]`` reached its end."""
        playback_id, channel_id, _ = self.plays[index]
        self.emit(
            "PlaybackFinished", playback={"id": playback_id, "target_uri": f"channel:{channel_id}"}
        )

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
        """Record the dial; raise the next queued error, if any."""
        assert channel_id is not None
        self.originate_asked.append(channel_id)
        if self.originate_hold is not None:
            await self.originate_hold.wait()
        if self.originate_errors:
            raise self.originate_errors.pop(0)
        self.originated.append((endpoint, channel_id))
        if variables:
            self.variables[channel_id] = dict(variables)
        if self.on_originate is not None:
            self.on_originate(channel_id)
        return channel_id

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Record the hang-up."""
        self.hung_up.append(channel_id)

    async def play(
        self,
        channel_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> str:
        """Record the playlist; return a fresh playback id."""
        playback_id = playback_id or f"play-{next(self._ids)}"
        self.plays.append((playback_id, channel_id, tuple(media)))
        return playback_id

    async def stop_playback(self, playback_id: str) -> None:
        """Record the stop."""
        self.stopped.append(playback_id)

    async def snoop(self, channel_id: str, *, snoop_id: str, spy: str = "in") -> str:
        """Record the snoop channel (its StasisStart is the test's to emit)."""
        assert spy == "in"
        self.snoops.append((channel_id, snoop_id))
        return snoop_id

    async def mute(self, channel_id: str, *, muted: bool, direction: str = "in") -> None:
        """Record the (un)muting."""
        assert direction == "in"
        self.mutes.append((channel_id, muted))

    async def create_bridge(
        self, bridge_id: str | None = None, name: str = "", *, dtmf_events: bool = False
    ) -> str:
        """Record the bridge."""
        assert bridge_id is not None
        self.bridges.append(("create", bridge_id, *(("dtmf_events",) if dtmf_events else ())))
        return bridge_id

    async def add_to_bridge(self, bridge_id: str, channel_id: str) -> None:
        """Record the channel joining."""
        self.bridges.append(("add", bridge_id, channel_id))

    async def destroy_bridge(self, bridge_id: str) -> None:
        """Record the bridge's end."""
        self.bridges.append(("destroy", bridge_id))

    def heard(self) -> list[str]:
        """Every media URI played, in order (FakePrompts makes them ``sound:<text>``)."""
        return [m for _, _, media in self.plays for m in media]


@dataclass
class FakePrompts:
    """Synthesis without espeak-ng: a sentence becomes ``sound:<text>``."""

    #: (text, urgent) of each request, in order.
    asked: list[tuple[str, bool]] = field(default_factory=list)
    #: While set and not released, the sentences not urgent wait for it (a slow synthesis).
    hold: asyncio.Event | None = None

    async def media(self, language: str, text: str, *, urgent: bool = True) -> str:
        """The sentence as a fake media URI."""
        self.asked.append((text, urgent))
        if self.hold is not None and not urgent:
            await self.hold.wait()
        return f"sound:{text}"


async def until(check: Callable[[], bool], within: float = 2.0) -> None:
    """Let the call run until ``check()`` holds; fails after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "condition never met"
        await asyncio.sleep(0.001)
