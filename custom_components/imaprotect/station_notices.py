"""What the home does with its station link's notices, so that no alarm is lost on the way.

* An alarm the station did not take (``TransmissionFault``) or not in its category's time
  (``AlarmOverdue``) goes to the contacts, who must acknowledge it, and to the fallback
  notifiers, once per event; it stays queued for the station unless the receiver refused it.
  A duress report's stays silent (the notify entities only, a silent call-out).
  A non-alarm report (arming, a restore) that failed is only said to the notifiers.
* A report the receiver refused (DUH) is a repair naming its code (and the key, on an
  encrypted link: a receiver holding another key may answer DUH).
* A receiver path lost is a repair, cleared when it answers again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
import uuid

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir

from .contract.enums import Acknowledgement, AlertKind
from .contract.limits import MAX_NOTE
from .contract.models import AlertIn
from .contract.text import clean_name
from .core.reports import Report, ReportKind
from .fallback import async_notify_quietly
from .notices import async_notify_owner
from .repairs import async_home_issue
from .station import (
    ALARM_KINDS,
    AlarmOverdue,
    Delivered,
    FaultReason,
    Notice,
    PathLost,
    PathRestored,
    TransmissionFault,
    event_code,
)
from .texts import text

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .panel import HomePanel
    from .station.options import LinkOptions

_LOGGER = logging.getLogger(__name__)

ISSUE_REJECTED = "station_rejected"
ISSUE_PATH_LOST = "station_path_lost"
NOTICE_TOPIC = "station"

ALERT_KINDS = {
    ReportKind.BURGLARY: AlertKind.INTRUSION,
    ReportKind.FIRE: AlertKind.SMOKE,
    ReportKind.WATER: AlertKind.FLOOD,
    ReportKind.TAMPER: AlertKind.TAMPER,
    ReportKind.PANIC: AlertKind.SOS,
    ReportKind.DURESS: AlertKind.SOS,
    ReportKind.AGENT_REQUEST: AlertKind.AGENT_REQUEST,
}


def path_name(hass: HomeAssistant, index: int) -> str:
    """The path's name in the home's language: the primary or the back-up receiver."""
    return text(hass, "station_path_primary" if index == 0 else "station_path_backup")


class StationNotices:
    """One home's answers to its link's notices."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self._told: set[int] = set()  # events already handed to the contacts

    @callback
    def handle(self, notice: Notice, options: LinkOptions | None) -> None:
        """React to one notice (in a task where it talks to the contacts)."""
        match notice:
            case TransmissionFault(reason=FaultReason.REJECTED, code=code):
                self._rejected(code or "?", encrypted=options is not None and bool(options.key))
                self._spawn_undelivered(notice.event_id, notice.report)
            case TransmissionFault() | AlarmOverdue():
                self._spawn_undelivered(notice.event_id, notice.report)
            case Delivered(after_fault=True):
                _LOGGER.warning(
                    "%s: the station finally received a %s report",
                    self.entry.title,
                    notice.report.kind.value,
                )
                if notice.event_id in self._told and notice.report.kind in ALARM_KINDS:
                    self.entry.async_create_task(
                        self.hass, self._async_late(notice.report), "imaprotect station late"
                    )
                self._told.discard(notice.event_id)
            case PathLost(path=index):
                _LOGGER.warning(
                    "%s: station receiver %d stopped answering (%s)",
                    self.entry.title,
                    index + 1,
                    notice.reason.value,
                )
                async_home_issue(
                    self.hass,
                    ISSUE_PATH_LOST,
                    f"{self.entry.entry_id}_{index}",
                    {"home": self.entry.title, "path": path_name(self.hass, index)},
                    severity=ir.IssueSeverity.WARNING,
                )
            case PathRestored(path=index):
                _LOGGER.info("%s: station receiver %d answers again", self.entry.title, index + 1)
                async_home_issue(self.hass, ISSUE_PATH_LOST, f"{self.entry.entry_id}_{index}", None)
            case _:
                _LOGGER.debug("%s: station link notice %s", self.entry.title, type(notice).__name__)

    def _rejected(self, code: str, *, encrypted: bool) -> None:
        _LOGGER.error("%s: the station refused a report with code %s", self.entry.title, code)
        async_home_issue(
            self.hass,
            ISSUE_REJECTED,
            self.entry.entry_id,
            {
                "home": self.entry.title,
                "code": code,
                "key_hint": text(self.hass, "station_key_hint") if encrypted else "",
            },
        )

    def _spawn_undelivered(self, event_id: int, report: Report) -> None:
        if event_id in self._told:
            return
        self._told.add(event_id)
        self.entry.async_create_task(
            self.hass, self._async_undelivered(report), "imaprotect station undelivered"
        )

    async def _async_notify(self, report: Report, message: str) -> None:
        """To the notifiers: the home's station notification, or quietly for a duress."""
        if report.kind is ReportKind.DURESS:
            await async_notify_quietly(self.hass, self.entry, message)
        else:
            title = text(self.hass, "notify_title", home=self.entry.title)
            await async_notify_owner(self.hass, self.entry, NOTICE_TOPIC, title, message)

    async def _async_late(self, report: Report) -> None:
        """An alarm the contacts were called for reached the station after all."""
        code = event_code(report.kind).sia
        message = text(self.hass, "station_delivered_late", code=code, what=report.text or "")
        await self._async_notify(report, message)

    async def _async_undelivered(self, report: Report) -> None:
        """The contacts take over an alarm the station may not have; the notifiers are told."""
        silent = report.kind is ReportKind.DURESS
        alarm = report.kind in ALARM_KINDS
        message = text(
            self.hass,
            "station_undelivered_alarm" if alarm else "station_undelivered",
            code=event_code(report.kind).sia,
            what=report.text or "",
        )
        _LOGGER.warning(
            "%s: the station has not received a %s report", self.entry.title, report.kind.value
        )
        await self._async_notify(report, message)
        kind = ALERT_KINDS.get(report.kind)
        if kind is None or not alarm:
            return
        person = self.panel.station_link.reports.numbers.person_of(report.user)
        body = AlertIn(
            alert_id=uuid.uuid4().hex,
            kind=kind,
            occurred_at=report.at,
            acknowledgement=Acknowledgement.REQUIRED,
            skip_contacts=(person,) if silent and person is not None else (),
            note=clean_name(message, MAX_NOTE) or None,
        )
        await self.panel.callout.async_send_alert(body, silent=silent)
