"""What a call needs from ARI, as a ``typing.Protocol``: ``AriClient`` is the real one.

The call session and the SOS bridge are written against this, so unit tests drive them with a
small in-memory fake while the end-to-end tests keep the real Asterisk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from voice_server.ari import Subscription

__all__ = ["AriPort", "PromptSource"]


class AriPort(Protocol):
    """The subset of ``voice_server.ari.AriClient`` the call tree uses."""

    @property
    def connected(self) -> bool:
        """Whether the events WebSocket is up."""
        ...

    def subscribe(self, *object_ids: str) -> Subscription:
        """Route the events of these ids to a new queue."""
        ...

    def route(self, subscription: Subscription, *object_ids: str) -> None:
        """Also route these ids to an existing subscription."""
        ...

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
        """Dial ``endpoint`` into the application; return the channel id."""
        ...

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Hang up a channel (no error if it is gone)."""
        ...

    async def play(
        self,
        channel_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> str:
        """Start a playlist on a channel; return the playback id."""
        ...

    async def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (no error if it ended)."""
        ...

    async def snoop(self, channel_id: str, *, snoop_id: str, spy: str = "in") -> str:
        """A channel hearing ``channel_id``, into the application; returns its id."""
        ...

    async def mute(self, channel_id: str, *, muted: bool, direction: str = "in") -> None:
        """Mute or unmute a channel's audio (``in``: what it sends)."""
        ...

    async def create_bridge(
        self, bridge_id: str | None = None, name: str = "", *, dtmf_events: bool = False
    ) -> str:
        """Create a mixing bridge; return its id."""
        ...

    async def add_to_bridge(self, bridge_id: str, channel_id: str) -> None:
        """Put a channel into a bridge."""
        ...

    async def destroy_bridge(self, bridge_id: str) -> None:
        """Delete a bridge (no error if it is gone)."""
        ...


class PromptSource(Protocol):
    """Turns a sentence into a media URI (``voice_server.prompts.PromptCache``)."""

    async def media(self, language: str, text: str, *, urgent: bool = True) -> str:
        """``sound:…`` URI of ``text`` spoken in ``language``; ``urgent`` if someone listens."""
        ...
