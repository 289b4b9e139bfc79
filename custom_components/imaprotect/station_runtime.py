"""The home's monitoring-station link in Home Assistant: built, started and stopped with the panel.

A home whose options hold a station link (``station/options.py``) gets a ``StationLink`` whose
queue lives in an HA ``Store`` of its own, so events queued when Home Assistant stops or the
entry reloads are sent after the restart (store and forward). The panel's ``station`` is this
object: it forwards the offers' reports to the link and lets the reporter (``station_reports``)
know what went, for the restores. Every report passes ``async_send_own``, the one place where a
trouble, low battery or tamper the station has already (or a restore of one it has not) is
dropped, whoever sends it (``core/report_conditions.py``). The link's notices go to
``station_notices``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store

from .const import CONF_STATION_LINK, DOMAIN, STATION_STORAGE_VERSION
from .station import LinkStatus, Notice, PathLost, PathRestored, StationLink
from .station.options import LinkOptions, read_options
from .station_notices import StationNotices
from .station_reports import StationReports, reports_store

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .core.reports import Report
    from .panel import HomePanel

_LOGGER = logging.getLogger(__name__)

#: Overrides of the transmitter's timings (``TransmitterSettings`` fields); the tests shorten them.
LINK_TIMINGS: dict[str, Any] = {}


def signal_station(entry_id: str) -> str:
    """Dispatcher signal: a receiver path of the home was lost or is back."""
    return f"{DOMAIN}_{entry_id}_station"


def _queue_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STATION_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.station", private=True)


async def async_remove_station(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The home is deleted: its queued reports (they hold names) and its numbers go too."""
    await _queue_store(hass, entry.entry_id).async_remove()
    await reports_store(hass, entry.entry_id).async_remove()


class HomeStation:
    """One home's station link: its ``StationGateway``, its queue's store, its notices."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, panel: HomePanel) -> None:
        self.hass = hass
        self.entry = entry
        self.panel = panel
        self.options: LinkOptions | None = None
        try:
            self.options = read_options(entry.options.get(CONF_STATION_LINK))
        except ValueError:  # edited by hand: the home runs, its alarms go to the contacts
            _LOGGER.error(
                "The station link settings of %s are unreadable: no station link until they are"
                " saved again (Configure)",
                entry.title,
            )
        self.link: StationLink | None = None
        self._on_hass_stop: CALLBACK_TYPE | None = None
        self._store = _queue_store(hass, entry.entry_id)
        self.notices = StationNotices(hass, entry, panel)
        self.reports = StationReports(hass, entry, panel, self)

    async def async_start(self) -> None:
        """Start the link (queued events resume) and become the panel's station."""
        await self.reports.async_start()
        if self.options is None:
            return
        link = StationLink(
            self.options.station_account(),
            self.options.receivers(),
            self._store,
            self.options.settings(**LINK_TIMINGS),
        )
        link.add_listener(self._on_notice)
        await link.async_start()
        self.link = link
        # Home Assistant stopping does not unload the home: the link closes (its queue saved).
        self._on_hass_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stopping
        )
        self.panel.station = self
        self.panel.offers.station_changed()
        _LOGGER.debug(
            "%s: station link started with %d receiver(s)", self.entry.title, len(link.status.paths)
        )

    async def async_stop(self) -> None:
        """Stop the link; what is still queued is saved and sent after the next start."""
        await self.reports.async_stop()
        if self._on_hass_stop is not None:
            self._on_hass_stop()
            self._on_hass_stop = None
        if self.link is not None:
            await self.link.async_stop()

    async def _async_hass_stopping(self, _event: Event) -> None:
        self._on_hass_stop = None  # fired: nothing to remove any more
        if self.link is not None:
            await self.link.async_stop()

    # ------------------------------------------------------------------ the StationGateway side

    @property
    def configured(self) -> bool:
        """Whether the home has a station account (and so a link)."""
        return self.link is not None

    @property
    def connected(self) -> bool:
        """Whether a receiver takes our frames."""
        return self.link is not None and self.link.connected

    async def async_send(self, report: Report) -> None:
        """Queue an offer's report (saved when this returns), noting it for its restore."""
        self.reports.sent(report)
        await self.async_send_own(report)

    async def async_send_own(self, report: Report) -> None:
        """Queue a report of the reporter's own; one the station has already is dropped."""
        if self.link is None:
            return
        if not self.reports.admit(report):
            _LOGGER.debug(
                "Station report %s of zone %s dropped: the station has it already",
                report.kind.value,
                report.zone,
            )
            return
        await self.link.async_send(report)

    # ------------------------------------------------------------------ entities, diagnostics

    @property
    def status(self) -> LinkStatus | None:
        """The link's status, None without a link."""
        return self.link.status if self.link is not None else None

    @callback
    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, PathLost | PathRestored):
            async_dispatcher_send(self.hass, signal_station(self.entry.entry_id))
        self.notices.handle(notice, self.options)
