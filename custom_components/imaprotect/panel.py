"""HomePanel: the thin Home Assistant adapter around one home's alarm engine.

It feeds the engine the mirrored detector states and the clock, persists its snapshot, schedules
its deadlines, and turns what it reports into bus events, repairs and entity updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event as HassEvent,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .badges import StoredBadge
from .callout import CallOut
from .const import (
    BADGE_ARM_PARTIAL,
    BADGE_ARM_TOTAL,
    BADGE_DISARM,
    BADGE_TOGGLE,
    CONF_READER_DEVICES,
    DOMAIN,
    EVENT_ALARM,
    EVENT_ARM_REFUSED,
    EVENT_ARMED,
    EVENT_BADGE_DISABLED,
    EVENT_BADGE_ENABLED,
    EVENT_BADGE_REJECTED,
    EVENT_BYPASSED,
    EVENT_CODE_REJECTED,
    EVENT_DISARMED,
    EVENT_FAULT,
    EVENT_LOCKED_OUT,
    STORAGE_VERSION,
)
from .core import (
    Actor,
    AlarmCleared,
    AlarmEngine,
    AlarmError,
    AlarmRaised,
    ArmMode,
    ArmRefused,
    BadgeRejected,
    BadgeRejectedError,
    Bypassed,
    CodeRejected,
    Event,
    FaultCleared,
    FaultRaised,
    LockedOut,
    LockedOutError,
    Method,
    PanelState,
    Person,
    Reading,
    StateChanged,
    identify_code,
)
from .errors import HomeReloadingError, translate_refusal
from .home_config import HomeLayout, home_layout
from .journal import HomeJournal
from .notices import async_notify_owner
from .offers import HomeOffers
from .origin import async_origin, async_track_runs, async_user_name
from .photos import HomePhotos, PhotoSet
from .self_diagnosis import HomeDiagnosis
from .station_gateway import StationGateway
from .station_runtime import HomeStation
from .texts import text

_LOGGER = logging.getLogger(__name__)

type ImaProtectConfigEntry = ConfigEntry[HomePanel]
type EventListener = Callable[[Event, Context | None], None]

READINGS_SAVE_DELAY = 10  # seconds
ARMED_STATES = frozenset({PanelState.ARMED_TOTAL, PanelState.ARMED_PARTIAL})


def signal_update(entry_id: str) -> str:
    """Dispatcher signal telling a home's entities that the panel changed."""
    return f"{DOMAIN}_{entry_id}_update"


def signal_badge(entry_id: str) -> str:
    """Dispatcher signal carrying a badge's presentation outcome to its event entity."""
    return f"{DOMAIN}_{entry_id}_badge"


def signal_alarm(entry_id: str) -> str:
    """Dispatcher signal carrying an alarm event to the home's event entity."""
    return f"{DOMAIN}_{entry_id}_alarm"


def reading_of(state: State | None) -> Reading:
    """Map a mirrored binary_sensor state to a reading; unknown counts as unavailable."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return Reading.UNAVAILABLE
    return Reading.ON if state.state == STATE_ON else Reading.OFF


class HomePanel:
    """One home: its engine, its persistence, its timers and its subscriptions."""

    def __init__(self, hass: HomeAssistant, entry: ImaProtectConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.layout: HomeLayout = home_layout(entry)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}", private=True
        )
        self.engine = AlarmEngine(self.layout.config)
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._timer: CALLBACK_TYPE | None = None
        self._code_lock = asyncio.Lock()
        self._context: Context | None = None
        self._origin: dict[str, Any] = {}
        self.home_device_id: str | None = None
        self.callout = CallOut(hass, entry)
        self._listeners: list[EventListener] = []
        self.station: StationGateway | None = None  # set by the station link when configured
        self.journal = HomeJournal(hass, entry)  # other features record here too
        self._stopping = False  # commands are refused from here on (a reload or a shutdown)
        self._stopped = False  # the listeners are stopped: nothing is published any more
        self._commits = 0  # commits under way: the stop waits for them
        self._no_commit = asyncio.Event()
        self._no_commit.set()
        self.photos = HomePhotos(hass, entry, self)  # before the offers: they link its photos
        self.photos.listeners.append(self._async_photos_taken)
        self.offers = HomeOffers(hass, entry, self)  # routes the alarms: listens from here on
        self.diagnosis = HomeDiagnosis(hass, entry, self)  # its own troubles, told on
        self.station_link = HomeStation(hass, entry, self)  # sets ``station`` when configured

    @property
    def title(self) -> str:
        """The home's name."""
        return self.entry.title

    async def _async_photos_taken(self, photo_set: PhotoSet) -> None:
        """An alarm's burst is over: its photos follow its alert to the voice server."""
        folder = self.photos.folder
        files = [str(folder / name) for name in photo_set.files]
        await self.callout.async_photos_taken(photo_set.kind, files)

    async def async_start(self) -> None:
        """Restore the saved state, catch up with the detectors and start watching them.

        The call-out starts first: an alarm caught up on here (an entry delay that ran out while
        Home Assistant was down) must reach it.
        """
        async_track_runs(self.hass)
        await self.journal.async_start(self)  # first: an alarm caught up on below is journalled
        await self.callout.async_start()
        await self.photos.async_start()
        await self.offers.async_start()  # PROTECT+ decides where a caught-up alarm goes
        await self.station_link.async_start()  # before the catch-up: its alarm reaches it
        stored = await self._store.async_load()
        now = dt_util.utcnow()
        if stored is not None:
            try:
                self.engine = AlarmEngine.restore(
                    self.layout.config,
                    stored["engine"],
                    now,
                    disabled_badges=self._disabled_digests(stored),
                )
            except KeyError, ValueError:
                _LOGGER.warning(
                    "Saved alarm state of %s was unreadable; starting disarmed", self.title
                )
        for wiring in self.layout.wiring:
            self.engine.detector_changed(
                wiring.detector_id, reading_of(self.hass.states.get(wiring.source)), now
            )
            if wiring.tamper is not None:
                tamper = self.hass.states.get(wiring.tamper)
                self.engine.tamper_changed(
                    wiring.detector_id, tamper is not None and tamper.state == STATE_ON, now
                )
        watched = [w.source for w in self.layout.wiring] + [
            w.tamper for w in self.layout.wiring if w.tamper is not None
        ]
        if watched:
            self._unsubscribe.append(
                async_track_state_change_event(self.hass, watched, self._async_source_changed)
            )
        await self._async_commit()
        await self.diagnosis.async_start()  # after the catch-up: it starts from the engine's faults
        self._report_detectors_without_zone()
        self.callout.async_sync_later()

    def _disabled_digests(self, stored: dict[str, Any]) -> frozenset[str]:
        """The disabled badges saved; an older release saved their clear ids, hashed here."""
        legacy = stored.get("disabled_badges", ())
        return frozenset(stored.get("disabled_badge_digests", ())) | {
            self.engine.badge_digest(badge_id) for badge_id in legacy
        }

    def _report_detectors_without_zone(self) -> None:
        issue_id = f"detector_without_zone_{self.entry.entry_id}"
        if not self.layout.without_zone:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        _LOGGER.error(
            "Detectors of %s lost their zone and watch in total mode only: %s",
            self.title,
            ", ".join(self.layout.without_zone),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="detector_without_zone",
            translation_placeholders={
                "home": self.title,
                "detectors": ", ".join(self.layout.without_zone),
            },
        )

    async def async_stop(self) -> None:
        """Stop watching and save; the next start resumes from here.

        Commands are refused first (``HomeReloadingError``), then the commits under way end and
        whatever the engine still holds is published while the call-out, the offers and the
        journal still listen: an alarm raised just before a reload is never dropped.
        """
        self._stopping = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._timer is not None:
            self._timer()
            self._timer = None
        await self._no_commit.wait()
        await self._async_commit(urgent=False)
        self._stopped = True
        await self.callout.async_stop()
        await self.offers.async_stop()
        await self.diagnosis.async_stop()
        await self.photos.async_stop()
        await self._store.async_save(self._stored())
        await self.journal.async_stop()
        await self.station_link.async_stop()  # last: what is still queued is saved

    # ------------------------------------------------------------------ inputs

    def _check_running(self) -> None:
        """Refuse a command once the home is stopping: it would reach an engine nobody saves."""
        if self._stopping:
            raise HomeReloadingError(self.title)

    @callback
    def _async_source_changed(self, event: HassEvent[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        wiring = self.layout.wiring_for_entity(entity_id)
        if wiring is None:  # pragma: no cover - only subscribed entities arrive here
            return
        now = dt_util.utcnow()
        new_state = event.data["new_state"]
        if entity_id == wiring.source:
            self.engine.detector_changed(wiring.detector_id, reading_of(new_state), now)
        else:
            tampered = new_state is not None and new_state.state == STATE_ON
            self.engine.tamper_changed(wiring.detector_id, tampered, now)
        self.entry.async_create_task(
            self.hass, self._async_commit(urgent=False), "imaprotect commit"
        )

    @callback
    def _async_deadline(self, now: datetime) -> None:
        self._timer = None
        self.engine.tick(dt_util.utcnow())
        self.entry.async_create_task(self.hass, self._async_commit(), "imaprotect commit")

    async def async_authenticate_code(
        self, code: str, method: Method, context: Context | None = None
    ) -> Person:
        """Identify the person behind a code; the slow hashes run off the event loop.

        One check at a time, so the lockout counts every attempt in order; the engine itself is
        only touched on the event loop. A duress code gives its person like their own code does
        (the engine reports it, and the offers call for help without a sign here). ``context``
        is the call's: a wrong code is recorded with its real origin (the logged-in user).
        """
        async with self._code_lock:
            self._check_running()
            try:
                self.engine.check_code_lock(self.now())
                found = await self.hass.async_add_executor_job(
                    identify_code, self.layout.config.people, code
                )
                self._check_running()  # the home may have stopped during the check
                return self.engine.record_code_attempt(
                    found.person if found else None,
                    self.now(),
                    method,
                    duress=found is not None and found.duress,
                )
            finally:
                self._context = context
                await self._async_commit()

    async def async_authenticate_badge(self, badge_id: str) -> Person:
        """Identify a badge's holder; rejected badges are recorded."""
        self._check_running()
        try:
            return self.engine.authenticate_badge(badge_id, dt_util.utcnow())
        finally:
            await self._async_commit()

    async def async_arm(
        self, mode: ArmMode, actor: Actor, *, force: bool, context: Context | None = None
    ) -> None:
        """Arm (raises the core's refusals; the caller translates them)."""
        self._check_running()
        self._context = context
        try:
            self.engine.arm(mode, actor, dt_util.utcnow(), force=force)
        finally:
            await self._async_commit()

    async def async_disarm(self, actor: Actor, context: Context | None = None) -> None:
        """Disarm, stopping any alarm."""
        self._check_running()
        self._context = context
        try:
            self.engine.disarm(actor, dt_util.utcnow())
        finally:
            await self._async_commit()

    async def async_trigger(self, actor: Actor, context: Context | None = None) -> None:
        """Raise the alarm at once (panic)."""
        self._check_running()
        self._context = context
        try:
            self.engine.trigger(actor, dt_util.utcnow())
        finally:
            await self._async_commit()

    async def async_sos(
        self, actor: Actor, *, siren: bool = False, context: Context | None = None
    ) -> None:
        """Someone asks for help (at any time); with ``siren`` the panel triggers too."""
        self._check_running()
        self._context = context
        try:
            self.engine.sos(actor, dt_util.utcnow(), siren=siren)
        finally:
            await self._async_commit()

    async def async_present_badge(
        self, badge_id: str, action: str = BADGE_TOGGLE, context: Context | None = None
    ) -> None:
        """A badge was presented: arm or disarm as its holder, or record the rejection.

        ``toggle`` disarms anything not disarmed and arms total otherwise.
        """
        entry_id = self.entry.entry_id
        badge = self.engine.badge_digest(badge_id)  # the badge entities know only this
        try:
            person = await self.async_authenticate_badge(badge_id)
        except (BadgeRejectedError, LockedOutError) as err:
            async_dispatcher_send(self.hass, signal_badge(entry_id), badge, "rejected", None)
            raise translate_refusal(err, self.layout) from None
        actor = Actor(method=Method.BADGE, person_id=person.id, person_name=person.name)
        if action == BADGE_TOGGLE:
            action = (
                BADGE_DISARM if self.engine.state is not PanelState.DISARMED else BADGE_ARM_TOTAL
            )
        try:
            if action == BADGE_DISARM:
                await self.async_disarm(actor, context)
            else:
                mode = ArmMode.PARTIAL if action == BADGE_ARM_PARTIAL else ArmMode.TOTAL
                await self.async_arm(mode, actor, force=False, context=context)
        except AlarmError as err:
            async_dispatcher_send(self.hass, signal_badge(entry_id), badge, "rejected", person)
            raise translate_refusal(err, self.layout) from None
        outcome = "disarmed" if action == BADGE_DISARM else "armed"
        async_dispatcher_send(self.hass, signal_badge(entry_id), badge, outcome, person)

    def owns_badge(self, badge_id: str) -> bool:
        """Whether a badge id is registered to someone of this home (constant time)."""
        return self.engine.knows_badge(badge_id)

    def hears_reader(self, device_id: object) -> bool:
        """Whether tags scanned by this device count here: every device, unless readers are set.

        Listing the readers keeps phones and stray NFC stickers from counting as wrong badges
        (and so from locking code entry).
        """
        readers = self.entry.data.get(CONF_READER_DEVICES) or ()
        return not readers or device_id in readers

    def now(self) -> datetime:
        """The current time, as the engine wants it."""
        return dt_util.utcnow()

    async def async_set_badge_disabled(
        self, badge: StoredBadge, *, disabled: bool, context: Context | None = None
    ) -> None:
        """Disable a lost badge, or enable it again.

        Enabling a badge gives back a way in, so it is recorded with who did it (the user
        behind ``context``) as an ``imaprotect_badge_enabled`` event for the logbook; disabling
        it is recorded the same way (``imaprotect_badge_disabled``), for the journal.
        """
        self._check_running()
        was_disabled = self.badge_disabled(badge.digest)
        self.engine.set_badge_disabled(badge.digest, disabled)
        await self._async_commit()
        if was_disabled != disabled:
            holder = next(
                (p.name for p in self.layout.config.people if badge.digest in p.badges), None
            )
            data = self._base() | {
                "badge": badge.hint,
                "person": holder,
                "user": await async_user_name(self.hass, context),
                "origin": await async_origin(self.hass, context),
            }
            event_type = EVENT_BADGE_DISABLED if disabled else EVENT_BADGE_ENABLED
            self.hass.bus.async_fire(event_type, data, context=context)

    def badge_disabled(self, digest: str) -> bool:
        """Whether a badge (by its digest) is disabled."""
        return digest in self.engine.disabled_badges

    # ------------------------------------------------------------------ outputs

    def _stored(self) -> dict[str, Any]:
        return {
            "engine": self.engine.snapshot(),
            "disabled_badge_digests": sorted(self.engine.disabled_badges),
        }

    async def _async_commit(self, *, urgent: bool = True) -> None:
        """Publish what the engine reported, reschedule its deadline and save its state.

        A mere detector reading is saved a little later (motion sensors change often, SD cards
        wear); anything the engine reports, and every command, is saved at once.
        """
        if self._stopped:
            return
        self._commits += 1
        self._no_commit.clear()
        try:
            context, self._context = self._context, None
            events = self.engine.drain_events()
            self._origin = await async_origin(self.hass, context) if events else {}
            for event in events:
                self._publish(event, context)
            if not self._stopping:  # a stopping home's deadlines are the next start's
                self._reschedule()
            async_dispatcher_send(self.hass, signal_update(self.entry.entry_id))
            if events or urgent:
                await self._store.async_save(self._stored())
            else:
                self._store.async_delay_save(self._stored, READINGS_SAVE_DELAY)
        finally:
            self._commits -= 1
            if not self._commits:
                self._no_commit.set()

    def _reschedule(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        deadline = self.engine.next_deadline()
        if deadline is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._async_deadline, deadline)

    def _name(self, detector_id: str | None) -> str | None:
        if detector_id is None:
            return None
        return self.layout.config.detector(detector_id).name

    def _zone_name(self, zone_id: str | None) -> str | None:
        if zone_id is None:
            return None
        return self.layout.config.zone(zone_id).name

    def _base(self, actor: Actor | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"entry_id": self.entry.entry_id, "home": self.title}
        if actor is not None:
            data["method"] = actor.method.value  # the claimed source
            data["person"] = actor.person_name
            data["user"] = actor.operator
        return data

    def _fire(self, event_type: str, data: dict[str, Any], context: Context | None) -> None:
        self.hass.bus.async_fire(
            event_type, data | {"origin": self._origin} if self._origin else data, context=context
        )

    def _notify_lockout(self, until: datetime, locks: int) -> None:
        title = text(self.hass, "lockout_notify_title", home=self.title)
        message = text(
            self.hass,
            "lockout_notify",
            locks=locks,
            until=dt_util.as_local(until).strftime("%H:%M"),
        )
        self.entry.async_create_task(
            self.hass,
            async_notify_owner(self.hass, self.entry, "lockout", title, message),
            "imaprotect lockout notice",
        )

    @callback
    def async_add_listener(self, listener: EventListener) -> CALLBACK_TYPE:
        """Hand every engine event, after the panel's own handling, to ``listener``.

        Features that follow the panel (the journal, the station link, the offers) subscribe
        here instead of growing ``_publish``; the returned callback unsubscribes.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _publish(self, event: Event, context: Context | None) -> None:
        self._publish_own(event, context)
        for listener in list(self._listeners):
            try:
                listener(event, context)
            except Exception:  # one feature's bug must not stop the others hearing the alarm
                _LOGGER.exception("An imaprotect event listener failed on %s", type(event).__name__)

    def _publish_own(self, event: Event, context: Context | None) -> None:
        """Turn one engine event into the audit trail: bus event (logbook), entities, repairs.

        Events caused by a call carry its real ``origin`` (user, automation, script or system)
        next to the ``method`` its caller claimed (``_origin``, set by the commit).
        """
        entry_id = self.entry.entry_id
        match event:
            case StateChanged(new=new, actor=actor) if actor is not None and new in (
                PanelState.ARMING,
                *ARMED_STATES,
            ):
                mode = self.engine.mode
                self._fire(
                    EVENT_ARMED,
                    self._base(actor) | {"mode": mode.value if mode else None},
                    context,
                )
            case StateChanged(new=PanelState.DISARMED, actor=actor) if actor is not None:
                self._fire(EVENT_DISARMED, self._base(actor), context)
                self.entry.async_create_task(
                    self.hass, self.callout.async_cancel(actor.label), "imaprotect cancel alert"
                )
            case StateChanged(old=PanelState.TRIGGERED):
                self.callout.async_end_episode()
            case StateChanged():
                pass
            case ArmRefused(actor=actor, mode=mode, detector_ids=ids, reason=reason):
                self._fire(
                    EVENT_ARM_REFUSED,
                    self._base(actor)
                    | {
                        "mode": mode.value,
                        "reason": reason,
                        "detectors": [self._name(i) for i in ids],
                    },
                    context,
                )
            case Bypassed(actor=actor, detector_ids=ids):
                self._fire(
                    EVENT_BYPASSED,
                    self._base(actor) | {"detectors": [self._name(i) for i in ids]},
                    context,
                )
            case CodeRejected(method=method, failures=failures):
                self._fire(
                    EVENT_CODE_REJECTED,
                    self._base() | {"method": method.value, "failures": failures},
                    context,
                )
            case LockedOut(until=until, locks=locks):
                self._fire(
                    EVENT_LOCKED_OUT,
                    self._base() | {"until": until.isoformat(), "locks": locks},
                    context,
                )
                if locks >= 2:  # a fumble locks once; twice in a row, someone keeps trying
                    self._notify_lockout(until, locks)
            case BadgeRejected(badge_id_hint=hint, reason=reason):
                self._fire(
                    EVENT_BADGE_REJECTED,
                    self._base() | {"badge": hint, "reason": reason},
                    context,
                )
            case AlarmRaised(kind=kind, detector_id=detector_id, zone_id=zone_id, actor=actor):
                data = self._base(actor) | {
                    "kind": kind.value,
                    "detector": self._name(detector_id),
                    "zone": self._zone_name(zone_id),
                }
                self._fire(EVENT_ALARM, data, context)
                async_dispatcher_send(self.hass, signal_alarm(entry_id), kind.value, data)
                # Who is called, and whether the station is told, is the offers' (a listener).
            case AlarmCleared():
                pass
            case FaultRaised(detector_id=detector_id):
                name = self.layout.config.detector(detector_id).name
                self._fire(EVENT_FAULT, self._base() | {"detector": name, "fault": True}, context)
                async_dispatcher_send(
                    self.hass,
                    signal_alarm(entry_id),
                    "fault",
                    self._base() | {"kind": "fault", "detector": name, "zone": None},
                )
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    f"detector_fault_{detector_id}",
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="detector_fault",
                    translation_placeholders={"detector": name, "home": self.title},
                )
            case FaultCleared(detector_id=detector_id):
                name = self.layout.config.detector(detector_id).name
                self._fire(EVENT_FAULT, self._base() | {"detector": name, "fault": False}, context)
                ir.async_delete_issue(self.hass, DOMAIN, f"detector_fault_{detector_id}")
