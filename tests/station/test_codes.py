"""Every report kind has one code in both formats; alarms are the urgent ones."""

from __future__ import annotations

from pysiaalarm.data.adm_mapping import ADM_MAPPING
from pysiaalarm.utils import SIA_CODES

from custom_components.imaprotect.core.reports import ReportKind
from custom_components.imaprotect.station import ALARM_KINDS, EVENT_CODES, event_code


def test_every_kind_has_a_code_known_to_receivers() -> None:
    assert set(EVENT_CODES) == set(ReportKind)
    for kind in ReportKind:
        code = event_code(kind)
        assert code.sia in SIA_CODES, kind  # pysiaalarm (and HA's sia) would answer DUH
        assert code.cid_qualifier in {1, 3}
        assert code.cid_event in range(100, 1000)


def test_restores_share_their_alarm_s_contact_id_event() -> None:
    pairs = [
        (ReportKind.BURGLARY, ReportKind.BURGLARY_RESTORE),
        (ReportKind.FIRE, ReportKind.FIRE_RESTORE),
        (ReportKind.WATER, ReportKind.WATER_RESTORE),
        (ReportKind.TAMPER, ReportKind.TAMPER_RESTORE),
        (ReportKind.PANIC, ReportKind.PANIC_RESTORE),
        (ReportKind.BYPASS, ReportKind.BYPASS_RESTORE),
        (ReportKind.TROUBLE, ReportKind.TROUBLE_RESTORE),
        (ReportKind.LOW_BATTERY, ReportKind.LOW_BATTERY_RESTORE),
        (ReportKind.LISTEN_IN_BEGIN, ReportKind.LISTEN_IN_END),
        (ReportKind.PATH_TROUBLE, ReportKind.PATH_RESTORE),
        (ReportKind.DISARM, ReportKind.ARM_TOTAL),
    ]
    for new, restore in pairs:
        assert (event_code(new).cid_qualifier, event_code(restore).cid_qualifier) == (1, 3)
        assert event_code(new).cid_event == event_code(restore).cid_event
        assert event_code(new).sia != event_code(restore).sia


def test_pysiaalarm_maps_our_contact_id_events_back_to_the_same_meaning() -> None:
    same = {
        ReportKind.BURGLARY: "BA",
        ReportKind.FIRE: "FA",
        ReportKind.FIRE_RESTORE: "FH",
        ReportKind.TAMPER: "TA",
        ReportKind.PANIC: "PA",
        ReportKind.DURESS: "HA",
        ReportKind.DISARM: "OP",
        ReportKind.ARM_TOTAL: "CL",
        ReportKind.AGENT_REQUEST: "QA",
        ReportKind.TEST_AUTOMATIC: "RP",
    }
    for kind, sia in same.items():
        code = event_code(kind)
        assert ADM_MAPPING[f"{code.cid_event:03d}"][str(code.cid_qualifier)] == sia


def test_the_alarms() -> None:
    assert {
        ReportKind.BURGLARY,
        ReportKind.FIRE,
        ReportKind.WATER,
        ReportKind.TAMPER,
        ReportKind.PANIC,
        ReportKind.DURESS,
        ReportKind.AGENT_REQUEST,
    } == ALARM_KINDS
