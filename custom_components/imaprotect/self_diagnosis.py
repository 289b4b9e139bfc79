"""The home diagnoses its own troubles and passes them on: the thin adapter of ``core.diagnosis``.

Per detector, from its Home Assistant entities: the battery (the one set in its settings, else a
``battery`` sensor or binary sensor of the same device), the tamper switch (likewise, a ``tamper``
binary sensor of the same device; one found this way is a trouble only, it never sets the alarm
off) and the engine's fault (unavailable past the supervision window). Each trouble has its
diagnostic entity and its repair, which clears itself when the cause goes (the fault's repair is
the panel's).

Who hears: the owner gets an information e-mail through the voice server (a notice, never a
call: ``diagnosis_notices``), or the home's notifiers without one; under A LA CARTE and TOUT
INCLUS the station gets the trouble code as well, with the detector's zone number
(``core.diagnosis.station_report``: never what the offers sent already; the station link drops
what another sender told it already). It is the one sender of a low battery (XT / XR). Every
morning while something is still wrong (a detector's trouble, the voice server's trunk or relay),
the owner gets the digest.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event as HassEvent,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, STORAGE_VERSION
from .contract.enums import NoticeKind, TroubleKind
from .contract.models import TroubleItem
from .core import Event, FaultCleared, FaultRaised
from .core.diagnosis import (
    ActiveTrouble,
    Diagnosis,
    Trouble,
    TroubleChanged,
    next_digest,
    station_report,
)
from .core.reports import Report
from .core.routing import Handler
from .core.station_reporter import AREA
from .diagnosis_notices import OwnerNotices, trouble_item
from .repairs import async_home_issue

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .home_config import DetectorWiring
    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

ISSUES = {Trouble.LOW_BATTERY: "detector_low_battery", Trouble.TAMPER: "detector_tamper"}
SYNC_WAIT = 60.0  # seconds a notice waits, at most, for the start's site sync
SERVER_TROUBLES = {"trunk": TroubleKind.TRUNK, "smtp": TroubleKind.SMTP}


def signal_diagnosis(entry_id: str) -> str:
    """Dispatcher signal telling the troubles' entities that the diagnosis changed."""
    return f"{DOMAIN}_{entry_id}_diagnosis"


@dataclass(frozen=True, slots=True)
class TroubleSources:
    """The entities a detector's troubles are read from; ``tamper_wired``: the engine's too."""

    battery: str | None
    tamper: str | None
    tamper_wired: bool


def find_sources(hass: HomeAssistant, wiring: DetectorWiring) -> TroubleSources:
    """The detector's battery and tamper entities: its settings', else its device's own."""
    battery, tamper = wiring.battery, wiring.tamper
    registry = er.async_get(hass)
    source = registry.async_get(wiring.source)
    if source is not None and source.device_id is not None and (battery is None or tamper is None):
        for entity in er.async_entries_for_device(registry, source.device_id):
            if entity.entity_id == wiring.source:
                continue
            kind = entity.device_class or entity.original_device_class
            if (
                battery is None
                and kind == "battery"
                and entity.domain in {"sensor", "binary_sensor"}
            ):
                battery = entity.entity_id
            elif tamper is None and kind == "tamper" and entity.domain == "binary_sensor":
                tamper = entity.entity_id
    return TroubleSources(battery, tamper, tamper_wired=wiring.tamper is not None)


def _known(state: State | None) -> State | None:
    return None if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN) else state


def _percent(state: State | None) -> float | None:
    try:
        return float(state.state) if (state := _known(state)) is not None else None
    except ValueError:
        return None


def _flag(state: State | None) -> bool | None:
    return (state.state == STATE_ON) if (state := _known(state)) is not None else None


class HomeDiagnosis:
    """One home's self-diagnosis: inputs, entities' state, repairs, notices and the digest."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        ids = [wiring.detector_id for wiring in panel.layout.wiring]
        self.diagnosis = Diagnosis(ids)
        self.sources: dict[str, TroubleSources] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.diagnosis", private=True
        )
        self._notices = OwnerNotices(hass, entry)
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._digest: CALLBACK_TYPE | None = None
        self._on_hass_stop: CALLBACK_TYPE | None = None
        self._started = False
        self._telling = asyncio.Lock()
        panel.async_add_listener(self._on_event)

    # ------------------------------------------------------------------ life

    async def async_start(self) -> None:
        """Restore what was known, read every source now, watch them and plan the digest."""
        stored = await self._store.async_load()
        ids = [wiring.detector_id for wiring in self.panel.layout.wiring]
        if stored is not None:
            try:
                self.diagnosis = Diagnosis.restore(ids, stored)
            except KeyError, TypeError, ValueError:
                _LOGGER.warning("Saved self-diagnosis of %s was unreadable", self.entry.title)
            self._forget_removed(stored, set(ids))
        self.sources = {w.detector_id: find_sources(self.hass, w) for w in self.panel.layout.wiring}
        now = dt_util.utcnow()
        for detector_id in ids:
            self.diagnosis.fault(detector_id, now, faulty=detector_id in self.panel.engine.faults)
            self._read(detector_id, now)
        watched = [
            entity
            for sources in self.sources.values()
            for entity in (sources.battery, sources.tamper)
            if entity is not None
        ]
        if watched:
            self._unsubscribe.append(
                async_track_state_change_event(self.hass, watched, self._async_source_changed)
            )
        self._started = True
        await self._async_commit()
        self._plan_digest()
        # Home Assistant stopping does not unload the home: the day-long timer goes with it.
        self._on_hass_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stopping
        )

    @callback
    def _async_hass_stopping(self, _event: HassEvent[Any]) -> None:
        self._on_hass_stop = None  # fired: nothing to remove any more
        if self._digest is not None:
            self._digest()
            self._digest = None

    def _forget_removed(self, stored: dict[str, Any], ids: set[str]) -> None:
        """Clear the repairs of detectors removed from the home (their troubles went with them)."""
        troubles = stored.get("troubles")
        for item in troubles if isinstance(troubles, list) else ():
            if isinstance(item, list) and item and item[0] not in ids:
                for issue in ISSUES.values():
                    async_home_issue(self.hass, issue, str(item[0]), None)

    async def async_stop(self) -> None:
        """Stop watching and save."""
        self._started = False
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._on_hass_stop is not None:
            self._on_hass_stop()
            self._on_hass_stop = None
        if self._digest is not None:
            self._digest()
            self._digest = None
        await self._store.async_save(self.diagnosis.snapshot())

    # ------------------------------------------------------------------ inputs

    def _read(self, detector_id: str, now: datetime) -> None:
        sources = self.sources[detector_id]
        if sources.battery is not None:
            state = self.hass.states.get(sources.battery)
            if sources.battery.startswith("binary_sensor."):
                self.diagnosis.battery_flag(detector_id, now, low=_flag(state))
            else:
                self.diagnosis.battery_level(detector_id, now, percent=_percent(state))
        if sources.tamper is not None:
            tampered = _flag(self.hass.states.get(sources.tamper))
            self.diagnosis.tamper(detector_id, now, tampered=tampered)

    @callback
    def _async_source_changed(self, event: HassEvent[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        now = dt_util.utcnow()
        for detector_id, sources in self.sources.items():
            if entity_id in (sources.battery, sources.tamper):
                self._read(detector_id, now)
        self._spawn_commit()

    @callback
    def _on_event(self, event: Event, _context: Context | None) -> None:
        """The engine's faults are troubles too."""
        match event:
            case FaultRaised(detector_id=detector_id, at=at):
                self.diagnosis.fault(detector_id, at, faulty=True)
            case FaultCleared(detector_id=detector_id, at=at):
                self.diagnosis.fault(detector_id, at, faulty=False)
            case _:
                return
        self._spawn_commit()

    def _spawn_commit(self) -> None:
        if self._started:
            self.entry.async_create_task(
                self.hass, self._async_commit(), "imaprotect self-diagnosis"
            )

    # ------------------------------------------------------------------ outputs

    def _name(self, detector_id: str) -> str:
        return self.panel.layout.config.detector(detector_id).name

    async def _async_commit(self) -> None:
        """Repairs, entities, the station and the owner for each change; then save."""
        events = self.diagnosis.drain_events()
        for change in events:
            name = self._name(change.detector_id)
            if (issue := ISSUES.get(change.trouble)) is not None:
                placeholders = {"detector": name, "home": self.entry.title}
                async_home_issue(
                    self.hass,
                    issue,
                    change.detector_id,
                    placeholders if change.active else None,
                    severity=ir.IssueSeverity.WARNING,  # the alarm works; one part needs care
                )
        async_dispatcher_send(self.hass, signal_diagnosis(self.entry.entry_id))
        if events:
            await self._store.async_save(self.diagnosis.snapshot())
            # Told in the background: a slow voice server must not hold up the home's start.
            self.entry.async_create_task(
                self.hass, self._async_tell(events), "imaprotect tell troubles"
            )

    async def _async_ready(self) -> None:
        """Wait (a while at most) for the start's site sync: the server must know the site."""
        if self._notices.client is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SYNC_WAIT):
                    await self.panel.callout.synced_once.wait()

    async def _async_tell(self, events: list[TroubleChanged]) -> None:
        """The station and the owner for each change, in order (one telling at a time)."""
        async with self._telling:
            await self._async_ready()
            for change in events:
                kind = NoticeKind.TROUBLE if change.active else NoticeKind.TROUBLE_CLEARED
                trouble = ActiveTrouble(change.detector_id, change.trouble, change.at)
                # One failing way (a bug, a notifier gone) must not keep the other from hearing.
                try:
                    await self._async_tell_station(
                        change.detector_id, change.trouble, change.active, change.at
                    )
                except Exception:
                    _LOGGER.exception(
                        "Telling the station a trouble of %s failed", self.entry.title
                    )
                try:
                    await self._notices.async_send(kind, change.at, self._items([trouble], []))
                except Exception:
                    _LOGGER.exception("Telling the owner a trouble of %s failed", self.entry.title)

    async def _async_tell_station(
        self, detector_id: str, trouble: Trouble, active: bool, at: datetime
    ) -> None:
        """The trouble code for the station, unless the offers sent it already.

        They send a fault, and a tamper the engine saw, where the station handles the home.
        """
        station = self.panel.offers.station()
        if station is None:  # no account: a repair says so already where the formula needs one
            return
        offered = trouble is Trouble.FAULT or (
            trouble is Trouble.TAMPER and self.sources[detector_id].tamper_wired
        )
        sent = offered and self.panel.offers.handler(at) is Handler.STATION
        report = station_report(
            self.panel.offers.formula, trouble, active=active, sent_by_offers=sent
        )
        if report is not None:
            zone = self.panel.station_link.reports.numbers.zone(detector_id)
            await station.async_send(
                Report(report, at, area=AREA, zone=zone, text=self._name(detector_id))
            )

    # ------------------------------------------------------------------ the owner

    def server_troubles(self) -> list[tuple[TroubleKind, datetime]]:
        """The voice server's own troubles (trunk, relay) and since when."""
        supervisor = self.panel.callout.supervisor
        if supervisor is None:
            return []
        return [
            (SERVER_TROUBLES[key], since)
            for key, since in sorted(supervisor.trouble_since.items(), key=lambda i: i[1])
        ]

    def _items(
        self, troubles: list[ActiveTrouble], server: list[tuple[TroubleKind, datetime]]
    ) -> list[TroubleItem]:
        return [
            trouble_item(TroubleKind(t.trouble.value), t.since, self._name(t.detector_id))
            for t in troubles
        ] + [trouble_item(kind, since) for kind, since in server]

    # ------------------------------------------------------------------ the digest

    def _plan_digest(self) -> None:
        at = next_digest(dt_util.utcnow(), dt_util.get_default_time_zone())
        self._digest = async_track_point_in_utc_time(self.hass, self._async_digest_due, at)

    @callback
    def _async_digest_due(self, _now: datetime) -> None:
        self._digest = None
        self.entry.async_create_task(self.hass, self.async_send_digest(), "imaprotect digest")
        self._plan_digest()

    async def async_send_digest(self) -> bool:
        """Send the digest of what is still wrong; False (nothing sent) when all is well."""
        troubles = list(self.diagnosis.active())
        server = self.server_troubles()
        if not troubles and not server:
            return False
        async with self._telling:
            await self._async_ready()
            items = self._items(troubles, server)
            await self._notices.async_send(NoticeKind.DIGEST, dt_util.utcnow(), items)
        return True
