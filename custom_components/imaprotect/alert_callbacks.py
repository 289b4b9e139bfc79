"""The voice server's signed callbacks, as the home's webhook receives them.

A callback is taken only when its HMAC signature and timestamp are right (``contract.signing``),
and only once: the server delivers at least once and repeats a delivery with the same
``X-Imaprotect-Delivery`` id, and a captured callback could be replayed within the signature's
five minutes. The last ``MAX_DELIVERIES`` ids are kept in the home's store, so a repeat is ignored
across restarts too. What a callback says is applied by the call-out.
"""

from __future__ import annotations

from collections import deque
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web
from pydantic import ValidationError

from .contract.enums import CallbackEvent
from .contract.models import Callback
from .contract.signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

MAX_DELIVERIES = 200
"""Delivery ids remembered per home: far more than one alarm's callbacks."""
_ANY_ALERT = frozenset(
    {
        CallbackEvent.HOME_BACK,
        CallbackEvent.TALK_DOWN_STARTED,
        CallbackEvent.TALK_DOWN_ENDED,
        CallbackEvent.WARNING_REQUESTED,
    }
)
"""Callbacks taken even about an alert Home Assistant never raised (the server's own)."""


class CallbackTarget(Protocol):
    """What the receiver hands a genuine, new callback to."""

    def knows(self, alert_id: str) -> bool:
        """Whether the alert is one of the home's."""

    async def async_apply(self, payload: Callback) -> None:
        """Act on the callback."""

    async def async_save(self) -> None:
        """Write the home's call-out store."""


class CallbackReceiver:
    """Checks, deduplicates and parses the callbacks of one home."""

    def __init__(self, secret: str, target: CallbackTarget) -> None:
        self._secret = secret
        self._target = target
        self._seen: deque[str] = deque(maxlen=MAX_DELIVERIES)

    def load(self, stored: Mapping[str, Any]) -> None:
        """Restore the delivery ids already taken."""
        self._seen.extend(str(d) for d in stored.get("deliveries", ()))

    def stored(self) -> list[str]:
        """The delivery ids as the store keeps them."""
        return list(self._seen)

    async def async_handle(
        self, _hass: HomeAssistant, _webhook_id: str, request: web.Request
    ) -> web.Response:
        """A signed status change from the voice server."""
        body = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not self._secret or not verify(
            self._secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            signature,
            now=time.time(),
        ):
            _LOGGER.warning("Refused a call-out callback with a bad or stale signature")
            return web.json_response({"error": "bad_signature"}, status=401)
        delivery = request.headers.get(DELIVERY_HEADER, "")[:100] or None
        if delivery is not None and delivery in self._seen:
            return web.json_response({"ignored": "repeated delivery"}, status=200)
        try:
            payload = Callback.model_validate_json(body)
        except ValidationError as err:
            first = err.errors()[0]
            if first["loc"] == ("event",) and first["type"] == "enum":
                return web.json_response({"ignored": "unknown event"}, status=200)
            field = ".".join(str(part) for part in first["loc"])
            return web.json_response({"error": "malformed", "field": field}, status=400)
        # ``home_back`` names an alert the server raised itself (the home was silent): it is the
        # home's by its signature, which no alert of Home Assistant's could tell. So may a
        # talk-down (on that alert's calls): the station must hear of every listen-in.
        if payload.event not in _ANY_ALERT and not self._target.knows(payload.alert_id):
            return web.json_response({"ignored": "unknown alert"}, status=200)
        await self._target.async_apply(payload)
        if delivery is not None:
            self._seen.append(delivery)
            await self._target.async_save()
        return web.json_response({"ok": True})
