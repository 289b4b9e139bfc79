"""The home's call-out: alerts go to the voice server (INFO Alertes), or to notifiers without one.

Home Assistant stays a thin client: it keeps the site's instructions in sync (``instructions``),
starts an alert when the panel triggers, cancels it on disarm, and follows the signed status
callbacks (``alert_callbacks``). Alerts and cancels wait in a persisted queue until the server has
them (``delivery``), the server's health is watched (``supervision``), and whenever the phones may
not carry an alarm the fallback notifiers do (``fallback``): no server, a server down or degraded,
an alert ``queued``, ``exhausted`` or ``expired``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
import logging
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .alert_callbacks import CallbackReceiver
from .const import (
    CONF_CALLBACK_SECRET,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_ALERT,
    EVENT_PHONE_CODE_REJECTED,
    STORAGE_VERSION,
)
from .contract.enums import (
    TERMINAL_STATUSES,
    Acknowledgement,
    AlertKind,
    AlertStatus,
    CallbackEvent,
)
from .contract.models import AlertIn, AlertView, Callback, Site
from .contract.text import clean_name
from .delivery import PERSONAL_KINDS, DeliveryQueue, OpenAlert
from .fallback import alarm_text, async_notify, async_notify_quietly
from .instructions import contacts
from .offline_report import async_home_back
from .site_sync import SiteSync
from .supervision import Supervisor
from .texts import text
from .voice_client import (
    VoiceClient,
    VoiceServerError,
    VoiceServerRejectedError,
)

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

type CallbackListener = Callable[[Callback], None]


class LocalStatus(StrEnum):
    """The home's alert states that the voice server never reports."""

    IDLE = "idle"  # no alert yet
    FAILED = "failed"  # the voice server could not be reached: notifications went out instead


ALERT_STATUSES: tuple[str, ...] = tuple(
    str(status) for status in (LocalStatus.IDLE, *AlertStatus, LocalStatus.FAILED)
)
"""Every state of the home's *Alert* sensor."""
FALLBACK_STATUSES = frozenset({AlertStatus.QUEUED, AlertStatus.EXHAUSTED, AlertStatus.EXPIRED})
"""Statuses that the fallback notifiers repeat: nobody is being, or was, reached by phone."""
MAX_SILENT = 20
"""Silent alerts remembered (more than the delivery queue keeps open)."""


def _now() -> str:
    return dt_util.utcnow().isoformat()


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
    A person's alerts (SOS, duress, agent request) are each their own, and a disarm never stops
    them (it may be forced). A silent alert (duress) never shows: not on the *Alert* sensor, not
    in the logbook, not as a persistent notification; the notify entities alone are its fallback.
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
        self.instructions = SiteSync(hass, entry, self._client)
        self._episode: set[str] = set()  # alert kinds already raised in this alarm
        self._episode_alerts: dict[str, str] = {}  # kind → its alert id, for the alarm's photos
        self._silent: list[str] = []  # ids of the silent alerts (duress), newest last
        self.queue: DeliveryQueue | None = None
        self.supervisor: Supervisor | None = None
        if self._client is not None:
            self.queue = DeliveryQueue(hass, entry, self._client, self)
            self.supervisor = Supervisor(hass, entry, self._client, self.queue.async_retry_now)
        self._receiver = CallbackReceiver(entry.data.get(CONF_CALLBACK_SECRET, ""), self)
        self._listeners: list[CallbackListener] = []
        #: Set once the start's site sync is over (done or failed): the heartbeat waits for it.
        self.synced_once = asyncio.Event()

    @property
    def site_id(self) -> str:
        """The home's id on the voice server."""
        return self.entry.entry_id

    async def async_start(self) -> None:
        """Restore the last alert and the queue, and listen for callbacks (before any alarm)."""
        stored = await self._store.async_load()
        if stored is not None:
            known = {f.name for f in fields(Alert)}
            self.alert = Alert(**{k: v for k, v in stored.get("alert", {}).items() if k in known})
            self._episode = set(stored.get("episode", ()))
            self._silent = [str(i) for i in stored.get("silent", ())]
            if self.queue is not None:
                self.queue.load(stored)
            self._receiver.load(stored)
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            webhook.async_register(
                self.hass,
                DOMAIN,
                f"imaprotect {self.entry.title}",
                webhook_id,
                self._receiver.async_handle,
                local_only=True,
                allowed_methods=["POST"],
            )
        self.instructions.report_settings()

    @callback
    def async_sync_later(self) -> None:
        """Send the instructions, then what the queue holds, without holding up the start."""
        if self._client is not None:
            self.entry.async_create_task(self.hass, self._async_resume(), "imaprotect site sync")

    async def _async_resume(self) -> None:
        try:
            await self.async_sync_site()
        finally:
            self.synced_once.set()
        if self.supervisor is not None:
            self.supervisor.async_start()
        if self.queue is not None:
            await self.queue.async_drain()  # also reads what the server did while we were away

    async def async_stop(self) -> None:
        """Stop listening for callbacks, retrying and watching; the queue stays in the store."""
        if (webhook_id := self.entry.data.get(CONF_WEBHOOK_ID)) is not None:
            webhook.async_unregister(self.hass, webhook_id)
        if self.queue is not None:
            self.queue.stop()
        if self.supervisor is not None:
            self.supervisor.async_stop()
        await self.async_save()

    # ------------------------------------------------------------------ instructions

    @property
    def allowed_regions(self) -> tuple[str, ...]:
        """Where the voice server dials, as it said on connect (France until then)."""
        return self.instructions.allowed_regions

    def site(self) -> Site:
        """The site's instructions for the voice server (code hashes, never codes)."""
        return self.instructions.site()

    async def async_sync_site(self) -> bool:
        """Check the server's schema, send the instructions; False when nobody can be called."""
        return await self.instructions.async_sync()

    async def async_ensure_site(self, *, again: bool) -> bool:
        """The site is on the server, sent (again) first if needed."""
        return await self.instructions.async_ensure(again=again)

    def report(self, err: VoiceServerError) -> None:
        """Tell the homeowner: a new token to give, or a repair (unreachable, refused)."""
        self.instructions.report(err)

    def clear_reports(self) -> None:
        """The server took a request: its repairs are over."""
        self.instructions.clear_reports()

    # ------------------------------------------------------------------ alerts

    @callback
    def async_end_episode(self) -> None:
        """The alarm is over (or disarmed): the next alarm starts new alerts."""
        self._episode_alerts.clear()
        if self._episode:
            self._episode.clear()
            self.entry.async_create_task(self.hass, self.async_save(), "imaprotect save alert")

    async def async_raise(
        self,
        kind: str,
        detector: str | None,
        zone: str | None,
        at: datetime,
        *,
        acknowledgement: Acknowledgement = Acknowledgement.REQUIRED,
    ) -> None:
        """Start an alert for this kind, unless this alarm already has one.

        ``acknowledgement`` none: the station handles it, the contacts are only informed.
        """
        if kind in self._episode:
            return
        self._episode.add(kind)
        alert_id = self._episode_alerts[kind] = uuid.uuid4().hex
        await self.async_send_alert(
            AlertIn(
                alert_id=alert_id,
                kind=AlertKind(kind),
                detector=clean_name(detector) or None if detector else None,
                zone=clean_name(zone) or None if zone else None,
                occurred_at=at,
                acknowledgement=acknowledgement,
            )
        )

    async def async_send_alert(self, body: AlertIn, *, silent: bool = False) -> None:
        """Send one alert as it is (no episode): to the voice server, else to the notifiers."""
        message = self._alarm_text(body)
        notify = async_notify_quietly if silent else async_notify
        if self.queue is None or self.supervisor is None or not contacts(self.entry):
            await self.async_save()
            await notify(self.hass, self.entry, message)
            return
        if silent:
            self._silent = [*self._silent, body.alert_id][-MAX_SILENT:]
            await self.async_save()
        else:  # recorded before sending: the first callback may arrive before the answer
            await self._async_set(
                Alert(body.alert_id, AlertStatus.CALLING, body.kind, None, _now())
            )
        if not self.supervisor.can_call:  # down or degraded: the phones may not ring
            await notify(self.hass, self.entry, message)
        await self.queue.async_add(body, notified=not self.supervisor.can_call)

    async def async_photos_taken(self, kind: str | None, files: list[str]) -> None:
        """An alarm's photos: to the voice server with this alarm's alert of their kind.

        Without a voice server, or an alert (the station's alone, or an alarm over already),
        they stay in Home Assistant only.
        """
        alert_id = self._episode_alerts.get(kind or "")
        if self.queue is None or alert_id is None or not files:
            return
        await self.queue.async_add_photos(alert_id, files)

    async def async_cancel(self, by: str | None) -> None:
        """The home was disarmed: stop every call; kept and retried until the server has it."""
        self.async_end_episode()
        if self.queue is None:
            return
        current = self.queue.open.get(self.alert.alert_id or "")
        if current is not None and (
            current.body is None or current.body.kind not in PERSONAL_KINDS
        ):
            await self._async_status(self.alert.alert_id or "", AlertStatus.CANCELLED, by)
        await self.queue.async_cancel(clean_name(by or "") or None)

    # ------------------------------------------------------------------ the queue's hooks

    async def async_delivered(self, alert_id: str) -> None:
        """The server has the alert: a failed status is over."""
        if self.alert.alert_id == alert_id and self.alert.status == LocalStatus.FAILED:
            await self._async_status(alert_id, AlertStatus.CALLING, None)

    async def async_undelivered(self, item: OpenAlert, err: VoiceServerError) -> None:
        """The alert could not be sent: the sensor says so, the notifiers say it once."""
        if item.body is None:
            return
        silent = item.body.alert_id in self._silent
        await self._async_status(item.body.alert_id, LocalStatus.FAILED, None)
        if not item.notified:
            item.notified = True
            notify = async_notify_quietly if silent else async_notify
            await notify(self.hass, self.entry, self._alarm_text(item.body))

    async def async_seen(self, view: AlertView) -> None:
        """What the server did while Home Assistant was away (the callbacks were lost)."""
        who = view.cancelled_by if view.status is AlertStatus.CANCELLED else None
        person = view.acknowledged_by or view.current_contact
        if who is None and person is not None:
            who = person.name
        if who is None and (self.alert.alert_id, self.alert.status) == (view.alert_id, view.status):
            return  # nothing new: keep whom the callbacks named
        await self._async_report(view.alert_id, view.status, who)

    def _alarm_text(self, body: AlertIn) -> str:
        return alarm_text(self.hass, body.kind, body.detector, body.zone, body.occurred_at)

    def silent(self, alert_id: str) -> bool:
        """Whether an alert must never show (a duress code's)."""
        return alert_id in self._silent

    # ------------------------------------------------------------------ callbacks

    def knows(self, alert_id: str) -> bool:
        """Whether callbacks about this alert concern the home."""
        return alert_id == self.alert.alert_id or (
            self.queue is not None and self.queue.knows(alert_id)
        )

    @callback
    def async_add_listener(self, listener: CallbackListener) -> CALLBACK_TYPE:
        """Hand every genuine, new callback to ``listener`` (the journal keeps each call's end)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_apply(self, payload: Callback) -> None:
        """A genuine, new callback from the voice server."""
        for listener in list(self._listeners):
            try:
                listener(payload)
            except Exception:  # a follower's bug must not lose the alert's status
                _LOGGER.exception("An imaprotect callback listener failed")
        alert_id, status = payload.alert_id, payload.status
        name = payload.contact.name if payload.contact is not None else None
        match payload.event:
            case CallbackEvent.ATTEMPT_STARTED if status is AlertStatus.CALLING:
                await self._async_report(alert_id, AlertStatus.CALLING, name)
            case CallbackEvent.ALERT_STATUS:
                who = payload.cancelled_by if status is AlertStatus.CANCELLED else name
                if status is AlertStatus.CANCELLED and self.alert.status == AlertStatus.CANCELLED:
                    who = self.alert.contact  # keep who disarmed at home
                await self._async_report(alert_id, status, who)
            case CallbackEvent.HOME_BACK:
                await async_home_back(self.hass, self.entry, payload)
            case CallbackEvent.CODE_REJECTED if not self.silent(alert_id):
                self._fire(
                    EVENT_PHONE_CODE_REJECTED,
                    {"alert_id": alert_id, "contact": name, "at": payload.at},
                )
            case _:
                if status.terminal and self.queue is not None:
                    self.queue.finished(alert_id)
        await self.async_save()

    async def _async_report(self, alert_id: str, status: AlertStatus, who: str | None) -> None:
        """A status the server reported: on the sensor, and to the notifiers when nobody answers."""
        item = self.queue.open.get(alert_id) if self.queue is not None else None
        body = item.body if item is not None else None
        message = self._alarm_text(body) + " — " if body is not None else ""
        message += text(self.hass, f"alert_{status}")
        if self.silent(alert_id):
            if status in FALLBACK_STATUSES and (item is None or not item.notified):
                if item is not None:
                    item.notified = True
                await async_notify_quietly(self.hass, self.entry, message)
        elif await self._async_status(alert_id, status, who) and status in FALLBACK_STATUSES:
            await async_notify(self.hass, self.entry, message)
        if status.terminal and self.queue is not None:
            self.queue.finished(alert_id)

    async def _async_status(self, alert_id: str, status: str, contact: str | None) -> bool:
        """Record a status change of the current alert and say it on the bus; True if it changed.

        A final status stays final: an old or reordered callback never puts it back to calling.
        """
        if self.alert.alert_id != alert_id:
            return False
        if (self.alert.status, self.alert.contact) == (status, contact):
            return False
        if self.alert.status in TERMINAL_STATUSES and status not in TERMINAL_STATUSES:
            return False
        await self._async_set(
            Alert(alert_id, status, self.alert.kind, contact, dt_util.utcnow().isoformat())
        )
        self._fire(
            EVENT_ALERT,
            {
                "alert_id": alert_id,
                "status": status,
                "contact": contact,
                "at": self.alert.changed_at,
            },
        )
        return True

    async def _async_set(self, alert: Alert) -> None:
        self.alert = alert
        async_dispatcher_send(self.hass, signal_alert(self.entry.entry_id))
        await self.async_save()

    async def async_save(self) -> None:
        """Write the last alert, the episode, the queue and the deliveries taken."""
        data: dict[str, Any] = {
            "alert": asdict(self.alert),
            "episode": sorted(self._episode),
            "silent": self._silent,
            "deliveries": self._receiver.stored(),
        }
        if self.queue is not None:
            data |= self.queue.stored()
        await self._store.async_save(data)

    def _fire(self, event_type: str, data: dict[str, Any]) -> None:
        """Record what happened on the bus (and so in the logbook)."""
        self.hass.bus.async_fire(
            event_type, {"entry_id": self.entry.entry_id, "home": self.entry.title} | data
        )
