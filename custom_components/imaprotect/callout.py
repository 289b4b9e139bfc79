"""The home's call-out: alerts go to the voice server (INFO Alertes), or to notifiers without one.

Home Assistant stays a thin client: it keeps the site's instructions in sync (contacts are the
people with a phone and a place in the call order; only their code hashes travel), starts an
alert when the panel triggers, cancels it on disarm, and follows the signed status callbacks.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from enum import StrEnum
from functools import partial
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
from pydantic import ValidationError

from .const import (
    CONF_CALL_POSITION,
    CONF_CALLBACK_SECRET,
    CONF_EMAIL,
    CONF_FORMULA,
    CONF_NOTIFY_ENTITIES,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    CONF_STATION,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_ALERT,
    STORAGE_VERSION,
    SUBENTRY_PERSON,
)
from .contract.emails import EmailError, normalise_email
from .contract.enums import AlertKind, AlertStatus, CallbackEvent, Formula, Language
from .contract.models import AlertIn, Callback, Contact, Site
from .contract.phones import DEFAULT_REGIONS
from .contract.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from .contract.text import clean_name
from .texts import text
from .voice_client import (
    VoiceClient,
    VoiceServerAuthError,
    VoiceServerError,
    VoiceServerRejectedError,
    VoiceServerSchemaError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry

_LOGGER = logging.getLogger(__name__)


class LocalStatus(StrEnum):
    """The home's alert states that the voice server never reports."""

    IDLE = "idle"  # no alert yet
    FAILED = "failed"  # the voice server could not be reached: notifications went out instead


ALERT_STATUSES: tuple[str, ...] = tuple(
    str(status) for status in (LocalStatus.IDLE, *AlertStatus, LocalStatus.FAILED)
)
"""Every state of the home's *Alert* sensor."""
ISSUE_UNREACHABLE = "voice_server_unreachable"
ISSUE_REJECTED = "voice_server_rejected"
ISSUE_SCHEMA = "voice_server_schema"
ISSUE_PHONE_CODE = "phone_code_missing"
RETRY_DELAYS = (5, 15, 30, 60, 120, 300)  # seconds between tries of an alert or a cancel
MAX_OPEN = 10  # alerts remembered for cancelling and for their callbacks


def signal_alert(entry_id: str) -> str:
    """Dispatcher signal telling the alert sensor that the alert changed."""
    return f"{DOMAIN}_{entry_id}_alert"


@dataclass(slots=True)
class Alert:
    """The home's latest alert as the voice server reported it."""

    alert_id: str | None = None
    status: str = LocalStatus.IDLE
    kind: str | None = None
    contact: str | None = None  # who is being called, who acknowledged or escalated
    changed_at: str | None = None


async def async_forget_site(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the home's site on its voice server; a failure is logged, never raised."""
    url, token = entry.data.get(CONF_VOICE_URL), entry.data.get(CONF_VOICE_TOKEN)
    if not url or not token:
        return
    client = VoiceClient(async_get_clientsession(hass), url, token)
    try:
        await client.async_delete_site(entry.entry_id)
    except VoiceServerRejectedError:
        pass  # never synced (404): nothing to forget
    except VoiceServerError as err:
        _LOGGER.warning("The voice server could not forget %s: %s", entry.title, err)


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
        self._regions: tuple[str, ...] = DEFAULT_REGIONS  # the server's, once it has said
        self._lock = asyncio.Lock()
        self._episode: set[str] = set()  # alert kinds already raised in this alarm
        self._open: list[str] = []  # alerts the voice server may still be calling for
        self._timers: list[CALLBACK_TYPE] = []

    @property
    def allowed_regions(self) -> tuple[str, ...]:
        """Where the voice server dials, as it said on connect (France until then)."""
        return self._regions

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
            and s.data.get(CONF_PHONE_CODE_HASH)
        ]
        return sorted(people, key=lambda s: int(s.data[CONF_CALL_POSITION]))

    def _contact(self, person: ConfigSubentry) -> Contact | None:
        """A person as the contract's contact; None (and a warning) if the rules refuse them.

        Names are sanitised, never refused. An e-mail address the rules refuse (saved by an older
        version) is left out rather than losing the calls; a phone the server's regions refuse
        leaves the person out, and the repair names them.
        """
        email: str | None = person.data.get(CONF_EMAIL)
        if email is not None:
            try:
                email = normalise_email(email)
            except EmailError:
                _LOGGER.warning("%s: e-mail address refused, no e-mails to them", person.title)
                email = None
        try:
            return Contact.model_validate(
                {
                    "id": person.subentry_id,
                    "name": clean_name(person.title) or person.subentry_id,
                    "phone": person.data[CONF_PHONE],
                    "email": email,
                    "ack_code_hash": person.data[CONF_PHONE_CODE_HASH],
                },
                context={"allowed_regions": self._regions},
            )
        except ValidationError as err:
            fields_refused = ", ".join(str(e["loc"][0]) for e in err.errors())
            _LOGGER.warning("%s cannot be called: %s refused", person.title, fields_refused)
            return None

    def site(self) -> Site:
        """The site's instructions for the voice server (code hashes, never codes)."""
        callback_url: str | None = None
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            try:
                callback_url = webhook.async_generate_url(
                    self.hass, webhook_id, allow_external=False, prefer_external=False
                )
            except NoURLAvailableError:
                _LOGGER.warning("No internal URL: %s gets no call-out callbacks", self.entry.title)
        contacts = [c for s in self._contacts() if (c := self._contact(s)) is not None]
        return Site(
            name=clean_name(self.entry.data.get(CONF_NAME, self.entry.title)) or self.site_id,
            language=Language.FR if self.hass.config.language.startswith("fr") else Language.EN,
            formula=Formula(self.entry.data[CONF_FORMULA]),
            contacts=tuple(contacts),
            station=self.entry.data.get(CONF_STATION) or None,
            callback_url=callback_url,
            callback_secret=self.entry.data.get(CONF_CALLBACK_SECRET) if callback_url else None,
        )

    @callback
    def _report_missing_phone_codes(self) -> None:
        """People in the call order without a phone code (set before 0.2) are not phoned: say so."""
        names = [
            s.title
            for s in self.entry.get_subentries_of_type(SUBENTRY_PERSON)
            if s.data.get(CONF_CALL_POSITION) and not s.data.get(CONF_PHONE_CODE_HASH)
        ]
        issue_id = f"{ISSUE_PHONE_CODE}_{self.entry.entry_id}"
        if not names or self._client is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_PHONE_CODE,
            translation_placeholders={"home": self.entry.title, "people": ", ".join(names)},
        )

    async def async_sync_site(self) -> bool:
        """Check the server's schema, send the instructions; False when nobody can be called."""
        self._report_missing_phone_codes()
        if self._client is None or not self._contacts():
            return False
        try:
            info = await self._client.async_check()
            self._regions = info.allowed_regions
            site = self.site()
            await self._client.async_put_site(self.site_id, site)
        except VoiceServerError as err:
            self._report(err)
            return False
        except ValidationError as err:  # nobody left to call, or a station the rules refuse
            detail = ".".join(str(part) for part in err.errors()[0]["loc"])
            self._report(VoiceServerRejectedError("site refused here", detail))
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
        elif isinstance(err, VoiceServerSchemaError):
            key = ISSUE_SCHEMA
            placeholders |= {"server": err.server, "ours": str(err.ours)}
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
        for key in (ISSUE_UNREACHABLE, ISSUE_REJECTED, ISSUE_SCHEMA):
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
        await self._async_set(
            Alert(alert_id, AlertStatus.CALLING, kind, None, dt_util.utcnow().isoformat())
        )
        body = AlertIn(
            alert_id=alert_id,
            kind=AlertKind(kind),
            detector=clean_name(detector) or None if detector else None,
            zone=clean_name(zone) or None if zone else None,
            occurred_at=at,
        )
        await self._async_send(body, 0)

    async def _async_send(self, body: AlertIn, attempt: int) -> None:
        """POST the alert (idempotent on its id); on failure notify at once and retry later."""
        assert self._client is not None
        alert_id = body.alert_id
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
                    await self._async_status(alert_id, LocalStatus.FAILED, None)
                    await self._async_notify(body.kind, body.detector, body.zone, dt_util.utcnow())
                if attempt < len(RETRY_DELAYS) and not isinstance(err, VoiceServerRejectedError):
                    self._later(RETRY_DELAYS[attempt], partial(self._async_send, body, attempt + 1))
                return
        self._clear_reports()
        if self.alert.alert_id == alert_id and self.alert.status == LocalStatus.FAILED:
            await self._async_status(alert_id, AlertStatus.CALLING, None)

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
                await self._async_status(self.alert.alert_id, AlertStatus.CANCELLED, by)
            for alert_id in list(self._open):
                try:
                    await self._client.async_cancel_alert(alert_id, clean_name(by or "") or None)
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
        if not secret or not verify(
            secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        ):
            _LOGGER.warning("Refused a call-out callback with a bad or stale signature")
            return web.json_response({"error": "bad_signature"}, status=401)
        try:
            payload = Callback.model_validate_json(body)
        except ValidationError as err:
            first = err.errors()[0]
            if first["loc"] == ("event",) and first["type"] == "enum":
                return web.json_response({"ignored": "unknown event"}, status=200)
            field = ".".join(str(part) for part in first["loc"])
            return web.json_response({"error": "malformed", "field": field}, status=400)
        alert_id, status = payload.alert_id, payload.status
        name = payload.contact.name if payload.contact is not None else None
        if alert_id not in self._open and alert_id != self.alert.alert_id:
            return web.json_response({"ignored": "unknown alert"}, status=200)
        async with self._lock:
            if status.terminal and alert_id in self._open:
                self._open.remove(alert_id)
            if payload.event is CallbackEvent.ATTEMPT_STARTED and status is AlertStatus.CALLING:
                await self._async_status(alert_id, AlertStatus.CALLING, name)
            elif payload.event is CallbackEvent.ALERT_STATUS:
                who = payload.cancelled_by if status is AlertStatus.CANCELLED else name
                if status is AlertStatus.CANCELLED and self.alert.status == AlertStatus.CANCELLED:
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
