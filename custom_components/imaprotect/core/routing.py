"""Who handles an alert: the formula and PROTECT+ decide between the contacts and the station.

Pure and clock-free, like the engine: the caller says what happened, under which formula, whether
PROTECT+ is active and whether the panel is armed, and gets a ``Route``: the report for the
station (if any) and what the contacts do. The table (README, "The offers"):

=========================  ===========================================  ==========================
formula                    the station gets                             the contacts
=========================  ===========================================  ==========================
e-VEILLE                   PANIC, DURESS, AGENT_REQUEST (if it exists)  called, acknowledge
A LA CARTE                 the same                                     called, acknowledge
A LA CARTE with PROTECT+   every alarm, like TOUT INCLUS                informed
TOUT INCLUS                intrusion; smoke, flood, tamper at any time  informed
=========================  ===========================================  ==========================

Decisions where the offers are silent:

* SOS and duress always call the contacts, who must acknowledge (an SOS call, whoever handles
  the home), and reach the station too whenever the home has one: a person asks for help.
* An agent request is for the station only; the contacts are not called.
* A tamper while the panel is not in alarm (a battery change while disarmed) calls nobody where
  the contacts handle the home, as before; where the station does, it gets the report and the
  contacts are not bothered.
* A detector fault is a repair and a logbook line in every formula; the station also gets a
  trouble report where it handles the home. The contacts are never called for one.
* Without a station account, what the station should have handled goes to the contacts, who must
  then acknowledge (``without_station``): nothing is dropped. ``station_required`` says the formula
  relied on it, so the home must be told its formula needs a station account.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from .model import Formula
from .reports import ReportKind

__all__ = [
    "ContactRole",
    "Handler",
    "Route",
    "Trigger",
    "handler",
    "route",
    "without_station",
]


class Trigger(StrEnum):
    """What happened, as the routing sees it."""

    INTRUSION = "intrusion"
    SMOKE = "smoke"
    FLOOD = "flood"
    TAMPER = "tamper"
    FAULT = "fault"
    SOS = "sos"
    DURESS = "duress"
    AGENT_REQUEST = "agent_request"


class ContactRole(StrEnum):
    """What the contacts do with an alert."""

    ACKNOWLEDGE = "acknowledge"  # called in order until one types their phone code
    INFORM = "inform"  # e-mailed and called with the message, no code asked
    NONE = "none"  # nobody is called


class Handler(StrEnum):
    """Who handles the home's alarms."""

    CONTACTS = "contacts"
    STATION = "station"


@dataclass(frozen=True, slots=True)
class Route:
    """Where one alert goes: ``station`` is the report to send (None: none), then the contacts.

    ``station_required``: the formula relies on the station for this alert, so a home without a
    station account must hear that its formula needs one.
    """

    station: ReportKind | None
    contacts: ContactRole
    station_required: bool = False


_ALARM_REPORTS = {
    Trigger.INTRUSION: ReportKind.BURGLARY,
    Trigger.SMOKE: ReportKind.FIRE,
    Trigger.FLOOD: ReportKind.WATER,
    Trigger.TAMPER: ReportKind.TAMPER,
}
_PERSONAL_REPORTS = {
    Trigger.SOS: ReportKind.PANIC,
    Trigger.DURESS: ReportKind.DURESS,
}


def handler(formula: Formula, *, protect_plus: bool) -> Handler:
    """Who handles the home's alarms: the station under TOUT INCLUS and PROTECT+."""
    if formula is Formula.TOUT_INCLUS or (formula is Formula.A_LA_CARTE and protect_plus):
        return Handler.STATION
    return Handler.CONTACTS


def route(formula: Formula, trigger: Trigger, *, protect_plus: bool, armed: bool) -> Route:
    """Where an alert goes, with a station account; see the module's table.

    ``protect_plus`` counts only under A LA CARTE. ``armed``: whether the panel is armed or in
    alarm (it decides only a tamper's route: a tamper sets the alarm off only while armed).
    """
    if trigger in _PERSONAL_REPORTS:
        return Route(_PERSONAL_REPORTS[trigger], ContactRole.ACKNOWLEDGE)
    if trigger is Trigger.AGENT_REQUEST:
        return Route(ReportKind.AGENT_REQUEST, ContactRole.NONE)
    station = handler(formula, protect_plus=protect_plus) is Handler.STATION
    if trigger is Trigger.FAULT:
        if station:
            return Route(ReportKind.TROUBLE, ContactRole.NONE, station_required=True)
        return Route(None, ContactRole.NONE)
    quiet_tamper = trigger is Trigger.TAMPER and not armed
    if not station:
        return Route(None, ContactRole.NONE if quiet_tamper else ContactRole.ACKNOWLEDGE)
    contacts = ContactRole.NONE if quiet_tamper else ContactRole.INFORM
    return Route(_ALARM_REPORTS[trigger], contacts, station_required=True)


def without_station(decided: Route) -> Route:
    """The route when the home has no station account: the station's alerts go to the contacts.

    What the formula left to the station is called to the contacts, who must acknowledge it; a
    fault stays a repair. An optional report (SOS, duress, agent request) is just not sent.
    """
    if decided.station is None:
        return decided
    if decided.station_required and decided.station is not ReportKind.TROUBLE:
        return replace(decided, station=None, contacts=ContactRole.ACKNOWLEDGE)
    return replace(decided, station=None)
