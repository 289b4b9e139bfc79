"""The seam between a home's panel and its monitoring-station link.

The offers and the routing decide *that* a report goes to the station; the station link
(``station/`` for the protocol, its HA adapter for the rest) decides *how*. A home without a station
account has no gateway, and whatever would have gone to the station goes to the contacts instead.
"""

from __future__ import annotations

from typing import Protocol

from .core.reports import Report


class StationGateway(Protocol):
    """A home's link to its station: store and forward, never raises, never drops."""

    @property
    def configured(self) -> bool:
        """Whether the home has a station account at all."""

    @property
    def connected(self) -> bool:
        """Whether the station acknowledged us within the supervision window."""

    async def async_send(self, report: Report) -> None:
        """Persist ``report`` before returning, then deliver it in order until acknowledged.

        A report the station cannot get in its category's transmission time is handed to the
        contacts and the fallback notifiers by the gateway itself.
        """
