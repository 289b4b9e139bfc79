"""The whole routing table, pinned: every formula, PROTECT+ state, trigger and arming state."""

from itertools import product

import pytest

from custom_components.imaprotect.core.model import Formula
from custom_components.imaprotect.core.reports import ReportKind
from custom_components.imaprotect.core.routing import (
    ContactRole,
    Handler,
    Route,
    Trigger,
    handler,
    route,
    without_station,
)

ACK, INFORM, NONE = ContactRole.ACKNOWLEDGE, ContactRole.INFORM, ContactRole.NONE

# Who handles the home, by (formula, PROTECT+ active): PROTECT+ counts under A LA CARTE only.
HANDLERS = {
    (Formula.E_VEILLE, False): Handler.CONTACTS,
    (Formula.E_VEILLE, True): Handler.CONTACTS,
    (Formula.A_LA_CARTE, False): Handler.CONTACTS,
    (Formula.A_LA_CARTE, True): Handler.STATION,
    (Formula.TOUT_INCLUS, False): Handler.STATION,
    (Formula.TOUT_INCLUS, True): Handler.STATION,
}

# The routes, by (handler, trigger, armed).
CONTACTS_TABLE = {
    (Trigger.INTRUSION, True): Route(None, ACK),
    (Trigger.INTRUSION, False): Route(None, ACK),
    (Trigger.SMOKE, True): Route(None, ACK),
    (Trigger.SMOKE, False): Route(None, ACK),
    (Trigger.FLOOD, True): Route(None, ACK),
    (Trigger.FLOOD, False): Route(None, ACK),
    (Trigger.TAMPER, True): Route(None, ACK),
    (Trigger.TAMPER, False): Route(None, NONE),  # a battery change while disarmed calls nobody
    (Trigger.FAULT, True): Route(None, NONE),
    (Trigger.FAULT, False): Route(None, NONE),
    (Trigger.SOS, True): Route(ReportKind.PANIC, ACK),
    (Trigger.SOS, False): Route(ReportKind.PANIC, ACK),
    (Trigger.DURESS, True): Route(ReportKind.DURESS, ACK),
    (Trigger.DURESS, False): Route(ReportKind.DURESS, ACK),
    (Trigger.AGENT_REQUEST, True): Route(ReportKind.AGENT_REQUEST, NONE),
    (Trigger.AGENT_REQUEST, False): Route(ReportKind.AGENT_REQUEST, NONE),
}
STATION_TABLE = {
    (Trigger.INTRUSION, True): Route(ReportKind.BURGLARY, INFORM, station_required=True),
    (Trigger.INTRUSION, False): Route(ReportKind.BURGLARY, INFORM, station_required=True),
    (Trigger.SMOKE, True): Route(ReportKind.FIRE, INFORM, station_required=True),
    (Trigger.SMOKE, False): Route(ReportKind.FIRE, INFORM, station_required=True),
    (Trigger.FLOOD, True): Route(ReportKind.WATER, INFORM, station_required=True),
    (Trigger.FLOOD, False): Route(ReportKind.WATER, INFORM, station_required=True),
    (Trigger.TAMPER, True): Route(ReportKind.TAMPER, INFORM, station_required=True),
    (Trigger.TAMPER, False): Route(ReportKind.TAMPER, NONE, station_required=True),
    (Trigger.FAULT, True): Route(ReportKind.TROUBLE, NONE, station_required=True),
    (Trigger.FAULT, False): Route(ReportKind.TROUBLE, NONE, station_required=True),
    (Trigger.SOS, True): Route(ReportKind.PANIC, ACK),
    (Trigger.SOS, False): Route(ReportKind.PANIC, ACK),
    (Trigger.DURESS, True): Route(ReportKind.DURESS, ACK),
    (Trigger.DURESS, False): Route(ReportKind.DURESS, ACK),
    (Trigger.AGENT_REQUEST, True): Route(ReportKind.AGENT_REQUEST, NONE),
    (Trigger.AGENT_REQUEST, False): Route(ReportKind.AGENT_REQUEST, NONE),
}
TABLES = {Handler.CONTACTS: CONTACTS_TABLE, Handler.STATION: STATION_TABLE}

CASES = list(product(Formula, (False, True), Trigger, (False, True)))


def test_the_tables_cover_every_trigger_and_formula() -> None:
    assert set(HANDLERS) == set(product(Formula, (False, True)))
    for table in TABLES.values():
        assert set(table) == set(product(Trigger, (True, False)))
    assert len(CASES) == 96


@pytest.mark.parametrize(("formula", "protect_plus", "trigger", "armed"), CASES)
def test_every_route(formula: Formula, protect_plus: bool, trigger: Trigger, armed: bool) -> None:
    who = HANDLERS[formula, protect_plus]
    assert handler(formula, protect_plus=protect_plus) is who
    expected = TABLES[who][trigger, armed]
    assert route(formula, trigger, protect_plus=protect_plus, armed=armed) == expected


# Without a station account: the station's alarms go to the contacts, who must acknowledge.
DEGRADED = {
    (Handler.CONTACTS, Trigger.INTRUSION, True): Route(None, ACK),
    (Handler.CONTACTS, Trigger.TAMPER, False): Route(None, NONE),
    (Handler.CONTACTS, Trigger.SOS, False): Route(None, ACK),
    (Handler.CONTACTS, Trigger.DURESS, True): Route(None, ACK),
    (Handler.CONTACTS, Trigger.AGENT_REQUEST, False): Route(None, NONE),
    (Handler.STATION, Trigger.INTRUSION, True): Route(None, ACK, station_required=True),
    (Handler.STATION, Trigger.SMOKE, False): Route(None, ACK, station_required=True),
    (Handler.STATION, Trigger.FLOOD, False): Route(None, ACK, station_required=True),
    (Handler.STATION, Trigger.TAMPER, True): Route(None, ACK, station_required=True),
    (Handler.STATION, Trigger.TAMPER, False): Route(None, ACK, station_required=True),
    (Handler.STATION, Trigger.FAULT, True): Route(None, NONE, station_required=True),
    (Handler.STATION, Trigger.SOS, True): Route(None, ACK),
    (Handler.STATION, Trigger.DURESS, False): Route(None, ACK),
    (Handler.STATION, Trigger.AGENT_REQUEST, True): Route(None, NONE),
}


@pytest.mark.parametrize(("who", "trigger", "armed"), list(DEGRADED))
def test_without_a_station_nothing_is_dropped(who: Handler, trigger: Trigger, armed: bool) -> None:
    assert without_station(TABLES[who][trigger, armed]) == DEGRADED[who, trigger, armed]


def test_every_degraded_route_has_a_station_left_out() -> None:
    for table in TABLES.values():
        for decided in table.values():
            degraded = without_station(decided)
            assert degraded.station is None
            if decided.contacts is not NONE:
                assert degraded.contacts is ACK  # informed becomes acknowledged, never dropped
            if decided.station_required and decided.station is not ReportKind.TROUBLE:
                assert degraded.contacts is ACK
