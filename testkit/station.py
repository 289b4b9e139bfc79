"""The station link seen as the panel holds it (checked by mypy --strict with testkit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custom_components.imaprotect.station import StationLink
    from custom_components.imaprotect.station_gateway import StationGateway


def as_gateway(link: StationLink) -> StationGateway:
    """``link`` typed as the ``StationGateway`` the panel holds: mypy proves it is one."""
    return link
