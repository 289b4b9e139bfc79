"""Each report kind's SIA-DCS (DC-03) code and its Contact ID (DC-05, ``ADM-CID``) equivalent.

Choices, with what receivers do with them (pysiaalarm 3.2.2's tables, Home Assistant's ``sia``):

* Restores: FH, WH and PH (not the generic FR), BR after BA, TR after TA; HA's ``sia`` clears
  its entities on these.
* Duress is HA ("holdup alarm: silent alarm, user under duress", CID 121), never PA: the station
  must not call the home back.
* Arming: OP / CL carry the user number; partial arming is NL ("perimeter armed"; HA's
  ``armed_night``), whose number is the area, so the user goes in the ``id`` modifier.
* Agent request (the homeowner asks for a guard) is QA, "emergency assistance request" (CID
  101): not PA (a panic sends the police), not a test.
* A detector's fault is UT / UJ (untyped zone trouble), CID 380: our detectors are openings,
  motion, smoke and flood, and the trouble is the radio or the device, not the zone's type.
* Low battery is a *detector's* battery here, so XT / XR ("transmitter battery", zone number,
  CID 384); YT / YR mean the control panel's own battery (their number is "unused" in DC-03).
* Water is CID 154 (water leakage), not 113 (sprinkler water flow, a fire-system signal).
  pysiaalarm maps 154, 384 and 606 to its catch-all ``YN`` and still ACKs them.
* Tamper of a detector is CID 144 (sensor tamper), smoke is 111 (smoke), both mapped to TA / FA.
* Listen-in: LF / LE, CID 606 ("listen-in to follow"), its restore qualifier for the end.
* Path trouble / restore (one receiver lost while another works): YS / YK, CID 350; the number
  is the path (1 primary, 2 secondary).

Numbers (zone, user, area) are 1-999, written in decimal with three digits like DSC or Bosch
panels do (siadc09 reads DC-03 addresses as hex: ``005`` is 5 either way, ``010`` is not).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from custom_components.imaprotect.core.reports import ReportKind


class DataFormat(StrEnum):
    """The frame's id token: which event language the data block speaks."""

    SIA_DCS = "SIA-DCS"
    ADM_CID = "ADM-CID"


class NumberSource(StrEnum):
    """Which of a report's numbers goes in the event's address field."""

    ZONE = "zone"
    USER = "user"
    USER_OR_ZONE = "user_or_zone"  # who pressed SOS, else the panic button's zone
    AREA = "area"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class EventCode:
    """One report kind on the wire: SIA code, Contact ID qualifier and event, the number."""

    sia: str
    cid_qualifier: int  # 1 new event / opening, 3 restore / closing
    cid_event: int
    number: NumberSource
    alarm: bool = False  # must reach the station within the category's transmission time


_Z, _U, _UZ, _A, _N = (
    NumberSource.ZONE,
    NumberSource.USER,
    NumberSource.USER_OR_ZONE,
    NumberSource.AREA,
    NumberSource.NONE,
)

EVENT_CODES: dict[ReportKind, EventCode] = {
    ReportKind.BURGLARY: EventCode("BA", 1, 130, _Z, alarm=True),
    ReportKind.BURGLARY_RESTORE: EventCode("BR", 3, 130, _Z),
    ReportKind.FIRE: EventCode("FA", 1, 111, _Z, alarm=True),
    ReportKind.FIRE_RESTORE: EventCode("FH", 3, 111, _Z),
    ReportKind.WATER: EventCode("WA", 1, 154, _Z, alarm=True),
    ReportKind.WATER_RESTORE: EventCode("WH", 3, 154, _Z),
    ReportKind.TAMPER: EventCode("TA", 1, 144, _Z, alarm=True),
    ReportKind.TAMPER_RESTORE: EventCode("TR", 3, 144, _Z),
    ReportKind.PANIC: EventCode("PA", 1, 120, _UZ, alarm=True),
    ReportKind.PANIC_RESTORE: EventCode("PH", 3, 120, _UZ),
    ReportKind.DURESS: EventCode("HA", 1, 121, _UZ, alarm=True),
    ReportKind.DISARM: EventCode("OP", 1, 401, _U),
    ReportKind.ARM_TOTAL: EventCode("CL", 3, 401, _U),
    ReportKind.ARM_PARTIAL: EventCode("NL", 3, 441, _A),
    ReportKind.BYPASS: EventCode("UB", 1, 570, _Z),
    ReportKind.BYPASS_RESTORE: EventCode("UU", 3, 570, _Z),
    ReportKind.TROUBLE: EventCode("UT", 1, 380, _Z),
    ReportKind.TROUBLE_RESTORE: EventCode("UJ", 3, 380, _Z),
    ReportKind.LOW_BATTERY: EventCode("XT", 1, 384, _Z),
    ReportKind.LOW_BATTERY_RESTORE: EventCode("XR", 3, 384, _Z),
    ReportKind.TEST_AUTOMATIC: EventCode("RP", 1, 602, _N),
    ReportKind.LISTEN_IN_BEGIN: EventCode("LF", 1, 606, _N),
    ReportKind.LISTEN_IN_END: EventCode("LE", 3, 606, _N),
    ReportKind.AGENT_REQUEST: EventCode("QA", 1, 101, _UZ, alarm=True),
    ReportKind.PATH_TROUBLE: EventCode("YS", 1, 350, _Z),
    ReportKind.PATH_RESTORE: EventCode("YK", 3, 350, _Z),
}

ALARM_KINDS = frozenset(kind for kind, code in EVENT_CODES.items() if code.alarm)

MAX_NUMBER = 999
MAX_AREA = 99  # Contact ID's partition has two digits


def event_code(kind: ReportKind) -> EventCode:
    """The code of ``kind``; every kind has one (``tests/station/test_codes.py``)."""
    return EVENT_CODES[kind]


def wire_code(kind: ReportKind, data_format: DataFormat) -> str:
    """The code as the receiver saw it: ``BA``, or Contact ID's ``1130``."""
    code = EVENT_CODES[kind]
    if data_format is DataFormat.ADM_CID:
        return f"{code.cid_qualifier}{code.cid_event:03d}"
    return code.sia
