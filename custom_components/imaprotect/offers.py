"""The home's offer at work: who handles each alert, PROTECT+, SOS, duress and the agent.

It follows the panel as a listener: each alarm, SOS, duress code and fault is routed by the pure
``core.routing`` (formula, PROTECT+, the panel's state) to the station link (``panel.station``,
a ``StationGateway``) and to the call-out. Without a station account, what the station should
have handled goes to the contacts, who must acknowledge it, and a repair says the formula needs
one: an alarm is never dropped.

An alarm that is open when PROTECT+ ends keeps its handler until it is over (the panel leaves the
alarm, or is disarmed): the station has it, and the contacts are not asked to take it over half
way; the next alarm goes to the contacts. A duress code leaves no trace in Home Assistant: no bus
event, no logbook line, no entity change; only the station report and a silent call-out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .const import CONF_FORMULA, CONF_STATION, DOMAIN, EVENT_AGENT_REQUESTED
from .contract.enums import Acknowledgement, AlertKind
from .contract.limits import MAX_NOTE
from .contract.models import AlertIn
from .contract.text import clean_name
from .core import (
    Actor,
    AlarmRaised,
    DuressUsed,
    Event,
    FaultRaised,
    Method,
    PanelState,
    StateChanged,
)
from .core.model import Formula
from .core.reports import Report, ReportKind
from .core.routing import ContactRole, Handler, Route, Trigger, handler, route, without_station
from .instructions import contacts
from .origin import async_origin, async_user_name
from .protect_plus import ProtectPlusRuntime
from .repairs import async_home_issue
from .texts import text

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .core.station_reporter import StationNumbers
    from .panel import HomePanel
    from .station_gateway import StationGateway

_LOGGER = logging.getLogger(__name__)

ISSUE_STATION_MISSING = "station_account_missing"
FORMULA_NAMES = {
    Formula.E_VEILLE: "e-VEILLE",
    Formula.A_LA_CARTE: "A LA CARTE",
    Formula.TOUT_INCLUS: "TOUT INCLUS",
}
_ACKNOWLEDGEMENT = {
    ContactRole.ACKNOWLEDGE: Acknowledgement.REQUIRED,
    ContactRole.INFORM: Acknowledgement.NONE,
}

type ToContacts = Callable[[Acknowledgement], Awaitable[None]]


async def async_actor(hass: HomeAssistant, context: Context | None) -> Actor:
    """Who pressed a button or called an action: a logged-in user (app), else an automation.

    Without a code nobody is proven: the user's name is shown and recorded, it gives no right.
    """
    user = await async_user_name(hass, context)
    method = Method.APP if context is not None and context.user_id else Method.AUTOMATION
    return Actor(method=method, operator=user)


class HomeOffers:
    """One home's offer: the routing of its alerts and the features the offers sell."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self.protect_plus = ProtectPlusRuntime(hass, entry, self._check_station)
        self._episode: bool | None = None  # PROTECT+ as the open alarm found it
        self._missing_told = False
        panel.async_add_listener(self._on_event)

    @property
    def formula(self) -> Formula:
        """The home's formula."""
        return Formula(self.entry.data[CONF_FORMULA])

    def handler(self, at: datetime | None = None) -> Handler:
        """Who handles the home's alarms now."""
        return handler(self.formula, protect_plus=self.protect_plus.active(at))

    def paid(self, at: datetime | None = None) -> bool:
        """Whether an agent sent now is billed apart (outside TOUT INCLUS and PROTECT+)."""
        return self.handler(at) is Handler.CONTACTS

    def _numbers(self) -> StationNumbers:
        """The station's zone and user numbers (kept by the station reports)."""
        return self.panel.station_link.reports.numbers

    def station(self) -> StationGateway | None:
        """The home's station link, when it has a station account."""
        station = self.panel.station
        return station if station is not None and station.configured else None

    async def async_start(self) -> None:
        """Restore PROTECT+; once Home Assistant runs, tell a formula that lacks its station."""
        await self.protect_plus.async_start()
        self.entry.async_on_unload(async_at_started(self.hass, self._async_started))

    async def _async_started(self, _hass: HomeAssistant) -> None:
        self._check_station()

    async def async_stop(self) -> None:
        """Save PROTECT+ and stop its timer."""
        await self.protect_plus.async_stop()

    # ------------------------------------------------------------------ the panel's events

    @callback
    def _on_event(self, event: Event, context: Context | None) -> None:
        """Route what needs routing; decided here, on the event, sent in a task."""
        match event:
            case StateChanged(old=PanelState.TRIGGERED) | StateChanged(new=PanelState.DISARMED):
                self._episode = None  # the alarm is over: the next one takes the handler of then
            case AlarmRaised(kind=AlertKind.SOS):
                self._spawn(self._async_sos(event))
            case AlarmRaised():
                in_alarm = self.panel.engine.state is PanelState.TRIGGERED
                protect = self.protect_plus.active(event.at)
                if in_alarm:  # an open alarm keeps the handler it started with
                    self._episode = protect if self._episode is None else self._episode
                    protect = self._episode
                decided = route(
                    self.formula, Trigger(event.kind), protect_plus=protect, armed=in_alarm
                )
                link = self.panel.photos.verification_url(event) if decided.station else None
                self._spawn(self._async_alarm(event, decided, link))
            case DuressUsed():
                decided = route(self.formula, Trigger.DURESS, protect_plus=False, armed=False)
                self._spawn(self._async_duress(event, decided))
            case FaultRaised(detector_id=detector_id, at=at):
                protect = self.protect_plus.active(at)
                decided = route(self.formula, Trigger.FAULT, protect_plus=protect, armed=False)
                name = self.panel.layout.config.detector(detector_id).name
                zone = self._numbers().zone(detector_id)
                trouble = Report(ReportKind.TROUBLE, at, zone=zone, text=name)
                self._spawn(self._async_route(decided, trouble))
            case _:
                pass

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self.entry.async_create_task(self.hass, coro, "imaprotect route alert")

    async def _async_alarm(
        self, event: AlarmRaised, decided: Route, link: str | None = None
    ) -> None:
        config = self.panel.layout.config
        detector = config.detector(event.detector_id).name if event.detector_id else None
        zone = config.zone(event.zone_id).name if event.zone_id else None

        async def to_contacts(acknowledgement: Acknowledgement) -> None:
            await self.panel.callout.async_raise(
                event.kind.value, detector, zone, event.at, acknowledgement=acknowledgement
            )

        names = ", ".join(name for name in (detector, zone) if name) or None
        try:
            await self._async_route(
                decided,
                Report(
                    ReportKind.BURGLARY,
                    event.at,
                    zone=self._numbers().zone(event.detector_id),
                    text=names,
                    verification_url=link,
                ),
                to_contacts,
            )
        except Exception:  # a bug here must not lose the alarm: the contacts still get it
            _LOGGER.exception("Routing an alarm of %s failed; the contacts get it", self.title)
            await to_contacts(Acknowledgement.REQUIRED)

    async def _async_sos(self, event: AlarmRaised) -> None:
        who = event.actor.label if event.actor is not None else text(self.hass, "someone")
        decided = route(self.formula, Trigger.SOS, protect_plus=False, armed=False)
        await self._async_personal(
            decided,
            Report(
                ReportKind.PANIC,
                event.at,
                user=self._numbers().user(event.actor.person_id if event.actor else None),
                text=who,
            ),
            AlertKind.SOS,
            event.at,
            note=text(self.hass, "sos_note", person=who),
        )

    async def _async_duress(self, event: DuressUsed, decided: Route) -> None:
        person = self.panel.layout.config.person(event.person_id)
        await self._async_personal(
            decided,
            Report(
                ReportKind.DURESS, event.at, user=self._numbers().user(person.id), text=person.name
            ),
            AlertKind.SOS,
            event.at,
            note=text(self.hass, "duress_note", person=person.name),
            skip=(person.id,),
            silent=True,
        )

    async def _async_personal(
        self,
        decided: Route,
        report: Report,
        kind: AlertKind,
        at: datetime,
        *,
        note: str,
        skip: tuple[str, ...] = (),
        silent: bool = False,
    ) -> None:
        """A person's alert (SOS, duress): to the station if any, and as its own call-out."""

        async def to_contacts(acknowledgement: Acknowledgement) -> None:
            body = AlertIn(
                alert_id=uuid.uuid4().hex,
                kind=kind,
                occurred_at=at,
                acknowledgement=acknowledgement,
                skip_contacts=skip,
                note=clean_name(note, MAX_NOTE) or None,
            )
            await self.panel.callout.async_send_alert(body, silent=silent)

        try:
            await self._async_route(decided, report, to_contacts)
        except Exception:
            _LOGGER.exception("Routing a call for help of %s failed", self.title)
            await to_contacts(Acknowledgement.REQUIRED)

    async def _async_route(
        self, decided: Route, report: Report, to_contacts: ToContacts | None = None
    ) -> None:
        """Send the station its report (when routed there), then tell the contacts."""
        if decided.station is not None:
            station = self.station()
            if station is not None:
                await station.async_send(replace(report, kind=decided.station))
                if self._missing_told:  # the account came after the repair said it lacked
                    self.station_changed()
            else:
                if decided.station_required:
                    self._report_missing_station()
                decided = without_station(decided)
        if to_contacts is not None and decided.contacts is not ContactRole.NONE:
            await to_contacts(_ACKNOWLEDGEMENT[decided.contacts])

    # ------------------------------------------------------------------ the station account

    @callback
    def station_changed(self) -> None:
        """The station link was set, or its account changed: re-check what the formula needs.

        The station link calls this after setting ``panel.station``.
        """
        self._check_station()

    @callback
    def _check_station(self) -> None:
        """Say, or stop saying, that the formula needs a station account the home lacks."""
        if self.handler() is Handler.STATION and self.station() is None:
            self._report_missing_station()
        else:
            async_home_issue(self.hass, ISSUE_STATION_MISSING, self.entry.entry_id, None)

    def _report_missing_station(self) -> None:
        if not self._missing_told:
            self._missing_told = True
            _LOGGER.warning(
                "%s relies on a monitoring station (%s) but has no station account: its alarms"
                " go to the contacts, who must acknowledge them",
                self.title,
                FORMULA_NAMES[self.formula],
            )
        async_home_issue(
            self.hass,
            ISSUE_STATION_MISSING,
            self.entry.entry_id,
            {"home": self.title, "formula": FORMULA_NAMES[self.formula]},
        )

    @property
    def title(self) -> str:
        """The home's name."""
        return self.entry.title

    # ------------------------------------------------------------------ the actions

    async def async_sos(self, actor: Actor, *, siren: bool, context: Context | None) -> None:
        """``imaprotect.sos`` and the SOS button: recorded with who, routed like any SOS."""
        await self.panel.async_sos(actor, siren=siren, context=context)

    async def async_request_agent(
        self, actor: Actor, message: str | None, context: Context | None
    ) -> None:
        """Ask the station for a security agent: a report, else a call to its number.

        Refused (translated) when the home has neither a station account nor a station number
        its voice server can call.
        """
        at = dt_util.utcnow()
        words = clean_name(message or "", MAX_NOTE) or None
        station = self.station()
        callout = self.panel.callout
        by_phone = (
            station is None
            and bool(self.entry.data.get(CONF_STATION))
            and callout.queue is not None
            and bool(contacts(self.entry))
        )
        if station is None and not by_phone:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="agent_no_station",
                translation_placeholders={"home": self.title},
            )
        if station is not None:
            text_sent = words or text(self.hass, "agent_note", person=actor.label)
            user = self._numbers().user(actor.person_id)
            await station.async_send(
                Report(ReportKind.AGENT_REQUEST, at, user=user, text=text_sent)
            )
        else:
            body = AlertIn(
                alert_id=uuid.uuid4().hex,
                kind=AlertKind.AGENT_REQUEST,
                occurred_at=at,
                acknowledgement=Acknowledgement.NONE,
                note=words,
            )
            await callout.async_send_alert(body)
        data = {
            "entry_id": self.entry.entry_id,
            "home": self.title,
            "method": actor.method.value,
            "person": actor.person_name,
            "user": actor.operator,
            "message": words,
            "via": "station" if station is not None else "phone",
            "paid": self.paid(at),
            "origin": await async_origin(self.hass, context),
        }
        self.hass.bus.async_fire(EVENT_AGENT_REQUESTED, data, context=context)
