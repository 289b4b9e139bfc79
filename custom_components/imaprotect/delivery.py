"""Alerts and cancels kept in the home's store until the voice server has them.

An alarm must not be lost because the voice server was down, restarting, or had lost the site.
Each alert is written to the home's private store before it is sent, and sent again with a backoff
capped at a minute until the server has it: across reloads, reauths and Home Assistant restarts,
since the queue is drained on start, and the timers are ``async_call_later`` ones that an unload
cancels. A 404 for the site (the server lost it, or its database was restored) re-sends the site,
then the alert.

After a start, each alert the server already had is asked for (``GET /alerts/{id}``): callbacks
that arrive while the entry is unloaded are answered 200 by Home Assistant's webhook component
and lost, the server's view is not; a 404 means the server lost the alert, which is sent again.

A disarm turns every open alert into a cancel, kept and retried the same way. An alert that was
not yet delivered leaves the queue in the same step: a disarmed alarm never rings anybody, however
late the voice server comes back. The cancel is still sent (a 404 is fine): a POST whose answer
was lost may have reached the server. A person's alerts (an SOS, a duress code's, an agent
request) are not the alarm's: a disarm, which may be forced, leaves them to their callees.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from pydantic import ValidationError

from .contract.enums import AlertKind
from .contract.limits import MAX_PHOTOS
from .contract.models import AlertIn, AlertView, PhotosIn
from .voice_client import VoiceClient, VoiceServerError, VoiceServerRejectedError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (5, 15, 30, 60)
"""Seconds before each new try; the last one repeats until the voice server has everything."""
MAX_OPEN = 10
"""Delivered alerts remembered for cancelling and for their callbacks (undelivered ones all are)."""
PERSONAL_KINDS = frozenset({AlertKind.SOS, AlertKind.AGENT_REQUEST})
"""Alerts a person asked for: a disarm does not cancel them."""


@dataclass(slots=True)
class OpenAlert:
    """An alert the voice server may still be calling for, or has not heard of yet."""

    body: AlertIn | None  # None: stored by a version that kept the id only
    delivered: bool = False
    notified: bool = False  # the fallback notifiers have told it
    checked: bool = False  # delivered, or its status read, since this start (never stored)

    def stored(self) -> dict[str, Any]:
        """The item as the store keeps it."""
        return {
            "body": self.body.model_dump(mode="json") if self.body is not None else None,
            "delivered": self.delivered,
            "notified": self.notified,
        }


def _read_all(files: list[str]) -> list[bytes]:
    """The photo files' bytes; a file purged meanwhile gives nothing."""
    found: list[bytes] = []
    for name in files:
        try:
            found.append(Path(name).read_bytes())
        except FileNotFoundError:
            continue
    return found


class DeliveryHooks(Protocol):
    """What the queue needs from the call-out it works for."""

    async def async_ensure_site(self, *, again: bool) -> bool:
        """The site is on the server (sent again first when ``again``); False if it is not."""

    def report(self, err: VoiceServerError) -> None:
        """Tell the homeowner (log, repair, reauth)."""

    def clear_reports(self) -> None:
        """The server took a request: its repairs are over."""

    async def async_delivered(self, alert_id: str) -> None:
        """The server has the alert."""

    async def async_undelivered(self, item: OpenAlert, err: VoiceServerError) -> None:
        """The alert could not be sent (now, or ever when refused): the fallback must say it."""

    async def async_seen(self, view: AlertView) -> None:
        """The server's view of an alert, read on start."""

    async def async_save(self) -> None:
        """Write the home's call-out store."""


class DeliveryQueue:
    """The home's alerts and cancels until the voice server has them."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: VoiceClient, hooks: DeliveryHooks
    ) -> None:
        self.hass = hass
        self.entry = entry
        self._client = client
        self._hooks = hooks
        self.open: dict[str, OpenAlert] = {}  # in the order raised
        self.cancels: dict[str, str | None] = {}  # alert id → who disarmed
        self.photos: dict[
            str, list[str]
        ] = {}  # alert id → its photo files, until the server has them
        self._lock = asyncio.Lock()
        self._failures = 0
        self._timer: CALLBACK_TYPE | None = None
        self._stopped = False

    # ------------------------------------------------------------------ store

    def load(self, stored: Mapping[str, Any]) -> None:
        """Restore the queue; an unreadable item is dropped with a warning, never raised."""
        raw_open = stored.get("open", ())
        if isinstance(raw_open, list):  # 0.2 kept the open alerts' ids only
            self.open = {i: OpenAlert(None, delivered=True) for i in raw_open if isinstance(i, str)}
        else:
            for alert_id, item in dict(raw_open).items():
                try:
                    body = AlertIn.model_validate(item["body"]) if item.get("body") else None
                except ValidationError, KeyError, TypeError, AttributeError:
                    _LOGGER.warning("%s: a stored alert was unreadable", self.entry.title)
                    continue
                self.open[alert_id] = OpenAlert(
                    body, bool(item.get("delivered")), bool(item.get("notified"))
                )
        self.cancels = {str(k): v for k, v in dict(stored.get("cancels", {})).items()}
        self.photos = {
            str(k): [str(path) for path in v] for k, v in dict(stored.get("photos", {})).items()
        }

    def stored(self) -> dict[str, Any]:
        """The queue as the store keeps it."""
        return {
            "open": {alert_id: item.stored() for alert_id, item in self.open.items()},
            "cancels": self.cancels,
            "photos": self.photos,
        }

    # ------------------------------------------------------------------ the queue

    def knows(self, alert_id: str) -> bool:
        """Whether callbacks about this alert concern the home."""
        return alert_id in self.open or alert_id in self.cancels

    def finished(self, alert_id: str) -> None:
        """The server said the alert is over: nothing more to send or cancel for it."""
        self.open.pop(alert_id, None)

    @property
    def undelivered(self) -> int:
        """How many alerts and cancels the voice server does not have yet."""
        return len(self.cancels) + sum(not item.delivered for item in self.open.values())

    def _busy(self) -> bool:
        """Whether anything is left to send or to ask."""
        return (
            bool(self.cancels)
            or bool(self.photos)
            or any(not item.delivered or not item.checked for item in self.open.values())
        )

    async def async_add(self, body: AlertIn, *, notified: bool = False) -> None:
        """Keep the alert (on disk before any try), then send it."""
        self.open[body.alert_id] = OpenAlert(body, notified=notified)
        delivered = [alert_id for alert_id, item in self.open.items() if item.delivered]
        for alert_id in delivered[: max(0, len(self.open) - MAX_OPEN)]:
            del self.open[alert_id]
        await self._hooks.async_save()
        await self.async_drain()

    async def async_add_photos(self, alert_id: str, files: list[str]) -> None:
        """Keep an alert's photos (their files) and send them once the server has the alert."""
        self.photos[alert_id] = files[:MAX_PHOTOS]
        await self._hooks.async_save()
        await self.async_drain()

    async def async_cancel(self, by: str | None) -> None:
        """Disarmed: each open alarm alert becomes a cancel; an undelivered one leaves the queue."""
        async with self._lock:
            for alert_id, item in list(self.open.items()):
                if item.body is not None and item.body.kind in PERSONAL_KINDS:
                    continue
                del self.open[alert_id]
                self.cancels[alert_id] = by
            await self._hooks.async_save()
        await self.async_drain()

    async def async_drain(self) -> None:
        """Send what the server lacks, in order; on a failure, try again later."""
        if self._stopped:
            return
        async with self._lock:
            self._cancel_timer()
            try:
                sent = await self._drain()
            except VoiceServerError as err:
                self._failures += 1
                self._hooks.report(err)
                for item in list(self.open.values()):
                    if not item.delivered:
                        await self._hooks.async_undelivered(item, err)
                self._retry_later()
            else:
                self._failures = 0
                if sent:
                    self._hooks.clear_reports()
            await self._hooks.async_save()

    async def _drain(self) -> bool:
        """One pass over the queue; raises on the first request that failed. True if any sent."""
        sent = False
        for alert_id, by in list(self.cancels.items()):
            try:
                await self._client.async_cancel_alert(alert_id, by)
            except VoiceServerRejectedError as err:
                if not err.not_found:  # 404: it never reached the server, nothing to stop
                    _LOGGER.warning("%s: the voice server refused a cancel", self.entry.title)
            del self.cancels[alert_id]
            sent = True
        for alert_id, item in list(self.open.items()):
            if item.delivered and not item.checked:
                try:
                    view = await self._client.async_get_alert(alert_id)
                except VoiceServerRejectedError as err:
                    if not err.not_found:
                        raise
                    _LOGGER.warning("%s: the voice server lost an alert, resent", self.entry.title)
                    item.delivered = False
                else:
                    item.checked = True
                    await self._hooks.async_seen(view)
                    continue
            if not item.delivered:
                if item.body is None:  # lost by the server, and too old to be sent again
                    del self.open[alert_id]
                    continue
                await self._post(alert_id, item, item.body)
                sent = True
        for alert_id in list(self.photos):
            waiting = self.open.get(alert_id)
            if waiting is not None and not waiting.delivered:
                continue  # after its alert
            sent = await self._post_photos(alert_id) or sent
        return sent

    async def _post_photos(self, alert_id: str) -> bool:
        """Send an alert's photos; refused ones (4xx) and files gone are dropped, with a warning."""
        files = self.photos[alert_id]
        photos = [p for p in await self.hass.async_add_executor_job(_read_all, files) if p]
        if not photos:
            del self.photos[alert_id]
            return False
        try:
            await self._client.async_post_photos(alert_id, PhotosIn.of(photos))
        except VoiceServerRejectedError as err:
            _LOGGER.warning("%s: the voice server refused the photos: %s", self.entry.title, err)
        del self.photos[alert_id]
        return True

    async def _post(self, alert_id: str, item: OpenAlert, body: AlertIn) -> None:
        """POST the alert (idempotent on its id); a 404 for the site sends the site again first."""
        if not await self._hooks.async_ensure_site(again=False):
            raise VoiceServerError("site not synced")
        try:
            await self._client.async_post_alert(self.entry.entry_id, body)
        except VoiceServerRejectedError as err:
            if not (err.not_found and err.detail == "site_id"):
                # Refused for itself: sending it again will not help; the fallback tells it.
                del self.open[alert_id]
                self._hooks.report(err)
                await self._hooks.async_undelivered(item, err)
                return
            _LOGGER.warning("%s: the voice server lost the site, sent again", self.entry.title)
            if not await self._hooks.async_ensure_site(again=True):
                raise VoiceServerError("site not synced") from err
            await self._client.async_post_alert(self.entry.entry_id, body)
        item.delivered = item.checked = True
        await self._hooks.async_delivered(alert_id)

    # ------------------------------------------------------------------ timers

    def _retry_later(self) -> None:
        if not self._busy():
            return
        delay = RETRY_DELAYS[min(self._failures, len(RETRY_DELAYS)) - 1]

        @callback
        def run(_now: datetime) -> None:
            self._timer = None
            self.entry.async_create_task(self.hass, self.async_drain(), "imaprotect call-out retry")

        self._timer = async_call_later(self.hass, delay, run)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def async_retry_now(self) -> None:
        """The server is back (supervision said so): do not wait for the next try."""
        if self._timer is not None and not self._stopped:
            self._cancel_timer()
            self.entry.async_create_task(self.hass, self.async_drain(), "imaprotect call-out retry")

    def stop(self) -> None:
        """The entry unloads: no more tries in this run (the store keeps the queue)."""
        self._stopped = True
        self._cancel_timer()
