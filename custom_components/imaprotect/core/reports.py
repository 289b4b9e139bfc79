"""What the panel reports to a monitoring station, before any wire format.

The station link (SIA DC-09 in ``station/``) turns a ``Report`` into a frame; the panel side only
says what happened. Kept HA-free so the routing, the offers and the transmitter share one list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ReportKind(StrEnum):
    """One kind of station report; each maps to one SIA event code (README's table)."""

    BURGLARY = "burglary"
    BURGLARY_RESTORE = "burglary_restore"
    FIRE = "fire"
    FIRE_RESTORE = "fire_restore"
    WATER = "water"
    WATER_RESTORE = "water_restore"
    TAMPER = "tamper"
    TAMPER_RESTORE = "tamper_restore"
    PANIC = "panic"  # SOS
    PANIC_RESTORE = "panic_restore"
    DURESS = "duress"
    DISARM = "disarm"
    ARM_TOTAL = "arm_total"
    ARM_PARTIAL = "arm_partial"
    BYPASS = "bypass"
    BYPASS_RESTORE = "bypass_restore"
    TROUBLE = "trouble"  # a detector fault
    TROUBLE_RESTORE = "trouble_restore"
    LOW_BATTERY = "low_battery"
    LOW_BATTERY_RESTORE = "low_battery_restore"
    TEST_AUTOMATIC = "test_automatic"  # the 24 h test report
    LISTEN_IN_BEGIN = "listen_in_begin"
    LISTEN_IN_END = "listen_in_end"
    AGENT_REQUEST = "agent_request"  # a security agent asked for by the homeowner
    # Added by the station link: one transmission path (receiver) lost or back, reported to the
    # station over the other path (EN 50136 dual path); ``zone`` is the path number (1, 2).
    PATH_TROUBLE = "path_trouble"
    PATH_RESTORE = "path_restore"


@dataclass(frozen=True, slots=True)
class Report:
    """One event for the station: what, when, where and who.

    ``zone`` is the detector's number (1-999) and ``user`` the person's number (1-999), as a
    station knows them; ``text`` is the alarm text (detector and zone names, in the home's
    language); ``detected_at`` the time of detection when it differs from ``at``;
    ``verification_url`` a link to the alarm's photos (DC-09 ``[V…]``), never an HA proxy URL.
    """

    kind: ReportKind
    at: datetime
    area: int = 1
    zone: int | None = None
    user: int | None = None
    text: str | None = None
    detected_at: datetime | None = None
    verification_url: str | None = field(default=None, repr=False)  # holds a secret token
