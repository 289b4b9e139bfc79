"""The home's call-out: alerts go to the voice server (INFO Alertes), or to notifiers without one.

Home Assistant stays a thin client: it keeps the site's instructions in sync (contacts are the
people with a phone and a place in the call order; only their code hashes travel), starts an
alert when the panel triggers, cancels it on disarm, and follows the signed status callbacks.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import partial
import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web
from homeassistant.components import persistent_notification, webhook
from homeassistant.const import CONF_NAME
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CALL_POSITION,
    CONF_CALLBACK_SECRET,
    CONF_CODE_HASH,
    CONF_EMAIL,
    CONF_FORMULA,
    CONF_NOTIFY_ENTITIES,
    CONF_PHONE,
    CONF_STATION,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_ALERT,
    STORAGE_VERSION,
    SUBENTRY_PERSON,
)
from .texts import text
from .voice_client import (
    VoiceClient,
    VoiceServerAuthError,
    VoiceServerError,
    VoiceServerRejectedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry

_LOGGER = logging.getLogger(__name__)

ALERT_STATUSES = (
    "idle",
    "calling",
    "acknowledged",
    "escalated",
    "exhausted",
    "cancelled",
    "failed",  # the voice server could not be reached: notifications went out instead
)
CALLBACK_STATUSES = ALERT_STATUSES[1:6]
TERMINAL_STATUSES = frozenset({"acknowledged", "escalated", "exhausted", "cancelled"})
SIGNATURE_HEADER = "X-Imaprotect-Signature"
TIMESTAMP_HEADER = "X-Imaprotect-Timestamp"
SIGNATURE_TOLERANCE = 300  # seconds between the voice server's clock and ours
ISSUE_UNREACHABLE = "voice_server_unreachable"
ISSUE_REJECTED = "voice_server_rejected"
RETRY_DELAYS = (5, 15, 30, 60, 120, 300)  # seconds between tries of an alert or a cancel
MAX_OPEN = 10  # alerts remembered for cancelling and for their callbacks
MAX_NAME = 100


def signal_alert(entry_id: str) -> str:
    """Dispatcher signal telling the alert sensor that the alert changed."""
    return f"{DOMAIN}_{entry_id}_alert"


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """Check a callback's HMAC-SHA256 over ``timestamp.body``, refusing stale timestamps."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(f"sha256={expected.hexdigest()}", signature)


@dataclass(slots=True)
class Alert:
    """The home's latest alert as the voice server reported it."""

    alert_id: str | None = None
    status: str = "idle"
    kind: str | None = None
    contact: str | None = None  # who is being called, who acknowledged or escalated
    changed_at: str | None = None


class CallOut:
    """One home's alerts: to the voice server when configured, else to notifiers.

    One alert per kind and alarm episode (an episode ends when the panel leaves the alarm or is
    disarmed): a burglar tripping five detectors makes one call campaign, a fire during it a second.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.alert = Alert()
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.alert", private=True
        )
        url, token = entry.data.get(CONF_VOICE_URL), entry.data.get(CONF_VOICE_TOKEN)
        self._client = (
            VoiceClient(async_get_clientsession(hass), url, token) if url and token else None
        )
        self._synced = False
        self._lock = asyncio.Lock()
        self._episode: set[str] = set()  # alert kinds already raised in this alarm
        self._open: list[str] = []  # alerts the voice server may still be calling for
        self._timers: list[CALLBACK_TYPE] = []

    @property
    def site_id(self) -> str:
        """The home's id on the voice server."""
        return self.entry.entry_id

    async def async_start(self) -> None:
        """Restore the last alert and listen for callbacks (before any alarm is published)."""
        stored = await self._store.async_load()
        if stored is not None:
            known = {f.name for f in fields(Alert)}
            self.alert = Alert(**{k: v for k, v in stored.get("alert", {}).items() if k in known})
            self._episode = set(stored.get("episode", ()))
            self._open = list(stored.get("open", ()))
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            webhook.async_register(
                self.hass,
                DOMAIN,
                f"imaprotect {self.entry.title}",
                webhook_id,
                self._async_handle_callback,
                local_only=True,
                allowed_methods=["POST"],
            )

    @callback
    def async_sync_later(self) -> None:
        """Send the site's instructions without holding up the home's start."""
        if self._client is not None:
            self.entry.async_create_task(self.hass, self.async_sync_site(), "imaprotect site sync")

    async def async_stop(self) -> None:
        """Stop listening for callbacks and retrying."""
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            webhook.async_unregister(self.hass, webhook_id)
        for cancel in self._timers:
            cancel()
        self._timers.clear()
        await self._async_save()

    # ------------------------------------------------------------------ instructions

    def _contacts(self) -> list[ConfigSubentry]:
        """People with a phone, a code and a place in the call order, in that order."""
        people = [
            s
            for s in self.entry.get_subentries_of_type(SUBENTRY_PERSON)
            if s.data.get(CONF_PHONE)
            and s.data.get(CONF_CALL_POSITION)
            and s.data.get(CONF_CODE_HASH)
        ]
        return sorted(people, key=lambda s: int(s.data[CONF_CALL_POSITION]))

    def site(self) -> dict[str, Any]:
        """The site's instructions for the voice server (code hashes, never codes)."""
        callback_url: str | None = None
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            try:
                callback_url = webhook.async_generate_url(
                    self.hass, webhook_id, allow_external=False, prefer_external=False
                )
            except NoURLAvailableError:
                _LOGGER.warning("No internal URL: %s gets no call-out callbacks", self.entry.title)
        return {
            "name": _short(self.entry.data.get(CONF_NAME, self.entry.title)),
            "language": "fr" if self.hass.config.language.startswith("fr") else "en",
            "formula": self.entry.data.get(CONF_FORMULA),
            "contacts": [
                {
                    "id": s.subentry_id,
                    "name": _short(s.title),
                    "phone": s.data[CONF_PHONE],
                    "email": s.data.get(CONF_EMAIL),
                    "code_hash": s.data[CONF_CODE_HASH],
                }
                for s in self._contacts()
            ],
            "station": self.entry.data.get(CONF_STATION) or None,
            "callback_url": callback_url,
            "callback_secret": self.entry.data.get(CONF_CALLBACK_SECRET) if callback_url else None,
        }

    async def async_sync_site(self) -> bool:
        """Send the instructions; False when there is nobody to call or the server said no."""
        if self._client is None or not self._contacts():
            return False
        try:
            await self._client.async_put_site(self.site_id, self.site())
        except VoiceServerError as err:
            self._report(err)
            return False
        self._synced = True
        self._clear_reports()
        return True

    def _report(self, err: VoiceServerError) -> None:
        """Tell the homeowner: a new token to give, or a repair (unreachable, refused)."""
        _LOGGER.warning("Voice server problem for %s: %s", self.entry.title, err)
        if isinstance(err, VoiceServerAuthError):
            self.entry.async_start_reauth(self.hass)
            return
        key = ISSUE_UNREACHABLE
        placeholders = {"home": self.entry.title}
        if isinstance(err, VoiceServerRejectedError):
            key = ISSUE_REJECTED
            placeholders["detail"] = err.detail
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{key}_{self.entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _clear_reports(self) -> None:
        for key in (ISSUE_UNREACHABLE, ISSUE_REJECTED):
            ir.async_delete_issue(self.hass, DOMAIN, f"{key}_{self.entry.entry_id}")

    # ------------------------------------------------------------------ alerts

    @callback
    def async_end_episode(self) -> None:
        """The alarm is over (or disarmed): the next alarm starts new alerts."""
        if self._episode:
            self._episode.clear()
            self.entry.async_create_task(self.hass, self._async_save(), "imaprotect save alert")

    async def async_raise(
        self, kind: str, detector: str | None, zone: str | None, at: datetime
    ) -> None:
        """Start an alert for this kind, unless this alarm already has one."""
        if kind in self._episode:
            return
        self._episode.add(kind)
        if self._client is None or not self._contacts():
            await self._async_save()
            await self._async_notify(kind, detector, zone, at)
            return
        alert_id = uuid.uuid4().hex
        self._open = [*self._open[-(MAX_OPEN - 1) :], alert_id]
        # Recorded before sending: the first callback may arrive before the answer.
        await self._async_set(Alert(alert_id, "calling", kind, None, dt_util.utcnow().isoformat()))
        body = {
            "alert_id": alert_id,
            "kind": kind,
            "detector": detector,
            "zone": zone,
            "occurred_at": at.isoformat(),
        }
        await self._async_send(body, 0)

    async def _async_send(self, body: dict[str, Any], attempt: int) -> None:
        """POST the alert (idempotent on its id); on failure notify at once and retry later."""
        assert self._client is not None
        alert_id = body["alert_id"]
        async with self._lock:
            if alert_id not in self._open:  # cancelled meanwhile
                return
            try:
                if not self._synced and not await self.async_sync_site():
                    raise VoiceServerError("site not synced")  # noqa: TRY301
                await self._client.async_post_alert(self.site_id, body)
            except VoiceServerError as err:
                self._report(err)
                if attempt == 0:
                    await self._async_status(alert_id, "failed", None)
                    await self._async_notify(
                        body["kind"], body["detector"], body["zone"], dt_util.utcnow()
                    )
                if attempt < len(RETRY_DELAYS) and not isinstance(err, VoiceServerRejectedError):
                    self._later(RETRY_DELAYS[attempt], partial(self._async_send, body, attempt + 1))
                return
        self._clear_reports()
        if self.alert.alert_id == alert_id and self.alert.status == "failed":
            await self._async_status(alert_id, "calling", None)

    def _later(self, delay: float, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``job()`` in ``delay`` seconds, unless the home stops first."""

        @callback
        def run(_now: datetime) -> None:
            self._timers.remove(cancel)
            self.entry.async_create_task(self.hass, job(), "imaprotect call-out retry")

        cancel = async_call_later(self.hass, delay, run)
        self._timers.append(cancel)

    async def _async_notify(
        self, kind: str, detector: str | None, zone: str | None, at: datetime
    ) -> None:
        """Without a (reachable) voice server: a persistent notification and the notifiers."""
        title = text(self.hass, "notify_title", home=self.entry.title)
        message = text(
            self.hass,
            f"alarm_{kind}" if detector else "alarm_manual",
            detector=detector,
            zone=zone,
        ) + text(self.hass, "notify_time", time=dt_util.as_local(at).strftime("%H:%M"))
        persistent_notification.async_create(
            self.hass, message, title=title, notification_id=f"{DOMAIN}_{self.entry.entry_id}"
        )
        if targets := self.entry.data.get(CONF_NOTIFY_ENTITIES):
            await self.hass.services.async_call(
                "notify",
                "send_message",
                {"entity_id": targets, "title": title, "message": message},
                blocking=False,
            )

    async def async_cancel(self, by: str | None, attempt: int = 0) -> None:
        """The home was disarmed: stop every call; retried until the server has heard it."""
        self.async_end_episode()
        if self._client is None:
            return
        async with self._lock:
            if attempt == 0 and self.alert.alert_id in self._open:
                await self._async_status(self.alert.alert_id, "cancelled", by)
            for alert_id in list(self._open):
                try:
                    await self._client.async_cancel_alert(alert_id, by)
                except VoiceServerRejectedError:
                    pass  # never reached the server (404): nothing to stop
                except VoiceServerError as err:
                    self._report(err)
                    if attempt < len(RETRY_DELAYS):
                        self._later(
                            RETRY_DELAYS[attempt], partial(self.async_cancel, by, attempt + 1)
                        )
                    await self._async_save()
                    return
                self._open.remove(alert_id)
            await self._async_save()

    async def _async_status(self, alert_id: str, status: str, contact: str | None) -> None:
        """Record a status change of the current alert, and say it on the bus (logbook)."""
        if self.alert.alert_id != alert_id:
            return
        if (self.alert.status, self.alert.contact) == (status, contact):
            return
        await self._async_set(
            Alert(alert_id, status, self.alert.kind, contact, dt_util.utcnow().isoformat())
        )
        self._fire_status()

    async def _async_set(self, alert: Alert) -> None:
        self.alert = alert
        async_dispatcher_send(self.hass, signal_alert(self.entry.entry_id))
        await self._async_save()

    async def _async_save(self) -> None:
        await self._store.async_save(
            {"alert": asdict(self.alert), "episode": sorted(self._episode), "open": self._open}
        )

    # ------------------------------------------------------------------ callbacks

    async def _async_handle_callback(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """A signed status change from the voice server."""
        body = await request.read()
        secret = self.entry.data.get(CONF_CALLBACK_SECRET, "")
        if not secret or not signature_valid(
            secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            time.time(),
        ):
            _LOGGER.warning("Refused a call-out callback with a bad or stale signature")
            return web.json_response({"error": "bad_signature"}, status=401)
        try:
            payload = json.loads(body)
            event = str(payload.get("event") or "alert_status")
            alert_id = str(payload["alert_id"])
            status = str(payload["status"])
            contact = payload.get("contact") or {}
            name = contact.get("name") if isinstance(contact, dict) else None
            cancelled_by = payload.get("cancelled_by")
        except ValueError, KeyError, TypeError, AttributeError:
            return web.json_response({"error": "malformed"}, status=400)
        if status not in CALLBACK_STATUSES:
            return web.json_response({"error": "status", "field": "status"}, status=400)
        if alert_id not in self._open and alert_id != self.alert.alert_id:
            return web.json_response({"ignored": "unknown alert"}, status=200)
        async with self._lock:
            if status in TERMINAL_STATUSES and alert_id in self._open:
                self._open.remove(alert_id)
            if event == "attempt_started" and status == "calling":
                await self._async_status(alert_id, "calling", name)
            elif event == "alert_status":
                who = cancelled_by if status == "cancelled" else name
                if status == "cancelled" and self.alert.status == "cancelled":
                    who = self.alert.contact  # keep who disarmed at home
                await self._async_status(alert_id, status, who)
            await self._async_save()
        return web.json_response({"ok": True})

    def _fire_status(self) -> None:
        """Record the alert's new status on the bus (and so in the logbook)."""
        self.hass.bus.async_fire(
            EVENT_ALERT,
            {
                "entry_id": self.entry.entry_id,
                "home": self.entry.title,
                "alert_id": self.alert.alert_id,
                "status": self.alert.status,
                "contact": self.alert.contact,
                "at": self.alert.changed_at,
            },
        )


def _short(name: str) -> str:
    """Names as the voice server takes them (at most 100 characters)."""
    return name[:MAX_NAME]
