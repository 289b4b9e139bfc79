"""The home's call-out: alerts go to the voice server (INFO Alertes), or to notifiers without one.

Home Assistant stays a thin client: it keeps the site's instructions in sync (contacts are the
people with a phone and a place in the call order; only their code hashes travel), starts an
alert when the panel triggers, cancels it on disarm, and follows the signed status callbacks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
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
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
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
from .voice_client import VoiceClient, VoiceServerError

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

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
SIGNATURE_HEADER = "X-Imaprotect-Signature"
TIMESTAMP_HEADER = "X-Imaprotect-Timestamp"
SIGNATURE_TOLERANCE = 300  # seconds between the voice server's clock and ours
ISSUE_UNREACHABLE = "voice_server_unreachable"


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
    """One home's alerts: to the voice server when configured, else to notifiers."""

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

    @property
    def site_id(self) -> str:
        """The home's id on the voice server."""
        return self.entry.entry_id

    async def async_start(self) -> None:
        """Restore the last alert, listen for callbacks and send the site's instructions."""
        stored = await self._store.async_load()
        if stored is not None:
            self.alert = Alert(**{k: v for k, v in stored.items() if k in Alert.__slots__})
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
        if self._client is not None:
            self.entry.async_create_task(self.hass, self.async_sync_site(), "imaprotect site sync")

    async def async_stop(self) -> None:
        """Stop listening for callbacks."""
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            webhook.async_unregister(self.hass, webhook_id)

    # ------------------------------------------------------------------ instructions

    def site(self) -> dict[str, Any]:
        """The site's instructions for the voice server (code hashes, never codes)."""
        people = [
            s
            for s in self.entry.get_subentries_of_type(SUBENTRY_PERSON)
            if s.data.get(CONF_PHONE)
            and s.data.get(CONF_CALL_POSITION)
            and s.data.get(CONF_CODE_HASH)
        ]
        people.sort(key=lambda s: int(s.data[CONF_CALL_POSITION]))
        callback_url: str | None = None
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            try:
                callback_url = webhook.async_generate_url(
                    self.hass, webhook_id, allow_external=False, prefer_external=False
                )
            except NoURLAvailableError:
                _LOGGER.warning("No internal URL: %s gets no call-out callbacks", self.entry.title)
        return {
            "name": self.entry.data.get(CONF_NAME, self.entry.title),
            "language": "fr" if self.hass.config.language.startswith("fr") else "en",
            "formula": self.entry.data.get(CONF_FORMULA),
            "contacts": [
                {
                    "id": s.subentry_id,
                    "name": s.title,
                    "phone": s.data[CONF_PHONE],
                    "email": s.data.get(CONF_EMAIL),
                    "code_hash": s.data[CONF_CODE_HASH],
                }
                for s in people
            ],
            "station": self.entry.data.get(CONF_STATION) or None,
            "callback_url": callback_url,
            "callback_secret": self.entry.data.get(CONF_CALLBACK_SECRET) if callback_url else None,
        }

    async def async_sync_site(self) -> bool:
        """Send the instructions; a failure is a repair, retried at the next alert."""
        if self._client is None:
            return False
        try:
            await self._client.async_put_site(self.site_id, self.site())
        except VoiceServerError as err:
            _LOGGER.warning("Voice server unreachable for %s: %s", self.entry.title, err)
            self._raise_unreachable()
            return False
        self._synced = True
        ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_UNREACHABLE}_{self.entry.entry_id}")
        return True

    def _raise_unreachable(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_UNREACHABLE}_{self.entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNREACHABLE,
            translation_placeholders={"home": self.entry.title},
        )

    # ------------------------------------------------------------------ alerts

    async def async_raise(
        self, kind: str, detector: str | None, zone: str | None, at: datetime
    ) -> None:
        """Start an alert, unless one is already calling (one campaign at a time)."""
        if self._client is None:
            await self._async_notify(kind, detector, zone, at)
            return
        if self.alert.status == "calling":
            return
        alert_id = uuid.uuid4().hex
        # Recorded before sending: the first callback may arrive before the answer.
        await self._async_set(Alert(alert_id, "calling", kind, None, dt_util.utcnow().isoformat()))
        try:
            if not self._synced and not await self.async_sync_site():
                raise VoiceServerError("site not synced")  # noqa: TRY301
            await self._client.async_post_alert(
                self.site_id,
                {
                    "alert_id": alert_id,
                    "kind": kind,
                    "detector": detector,
                    "zone": zone,
                    "occurred_at": at.isoformat(),
                },
            )
        except VoiceServerError as err:
            _LOGGER.error("Alert of %s not sent to the voice server: %s", self.entry.title, err)
            self._raise_unreachable()
            await self._async_set(
                Alert(alert_id, "failed", kind, None, dt_util.utcnow().isoformat())
            )
            self._fire_status()
            await self._async_notify(kind, detector, zone, at)

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

    async def async_cancel(self, by: str | None) -> None:
        """The home was disarmed: stop the calls."""
        if self.alert.status != "calling" or self.alert.alert_id is None:
            return
        if self._client is not None:
            try:
                await self._client.async_cancel_alert(self.alert.alert_id, by)
            except VoiceServerError as err:
                _LOGGER.error("Alert of %s not cancelled: %s", self.entry.title, err)
                self._raise_unreachable()
        await self._async_set(
            Alert(
                self.alert.alert_id, "cancelled", self.alert.kind, by, dt_util.utcnow().isoformat()
            )
        )

    async def _async_set(self, alert: Alert) -> None:
        self.alert = alert
        async_dispatcher_send(self.hass, signal_alert(self.entry.entry_id))
        await self._store.async_save(asdict(alert))

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
            alert_id = str(payload["alert_id"])
            status = str(payload["status"])
            contact = payload.get("contact") or {}
            at = str(payload.get("at") or dt_util.utcnow().isoformat())
        except ValueError, KeyError, TypeError, AttributeError:
            return web.json_response({"error": "malformed"}, status=400)
        if status not in CALLBACK_STATUSES:
            return web.json_response({"error": "status", "field": "status"}, status=400)
        if alert_id != self.alert.alert_id:
            return web.json_response({"ignored": "unknown alert"}, status=200)
        name = contact.get("name") if isinstance(contact, dict) else None
        await self._async_set(Alert(alert_id, status, self.alert.kind, name, at))
        self._fire_status()
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
