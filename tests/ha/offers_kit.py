"""What the offers' tests share: a station that records, and homes with a station or not.

``RecordingStation`` stands in for the station link (SIA DC-09), built elsewhere against the
``StationGateway`` protocol: it keeps every report it is given, as a gateway that the station
acknowledged at once would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.const import (
    CONF_DURESS_CODE_HASH,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    DOMAIN,
)
from custom_components.imaprotect.core import hash_code
from custom_components.imaprotect.core.reports import Report, ReportKind

from .conftest import PANEL, home_entry, set_sources
from .standin import SECRET, TOKEN, WEBHOOK_ID

if TYPE_CHECKING:
    from custom_components.imaprotect.panel import HomePanel

    from .standin import StandIn

MARIE_DURESS = "7777"
PAUL_PHONE_CODE = "135790"


class RecordingStation:
    """A station account that takes every report at once."""

    def __init__(self, *, configured: bool = True) -> None:
        self._configured = configured
        self.reports: list[Report] = []

    @property
    def configured(self) -> bool:
        """Whether the home has a station account."""
        return self._configured

    @property
    def connected(self) -> bool:
        """Always acknowledged."""
        return True

    async def async_send(self, report: Report) -> None:
        """Keep the report."""
        self.reports.append(report)

    @property
    def kinds(self) -> list[ReportKind]:
        """The kinds of the reports, in order."""
        return [report.kind for report in self.reports]


def offer_entry(**settings: Any) -> MockConfigEntry:
    """The shared test home, with Marie's duress code and Paul phoned second."""
    base = home_entry(webhook_id=WEBHOOK_ID, callback_secret=SECRET, **settings)
    extra = {
        "marie": {CONF_DURESS_CODE_HASH: hash_code(MARIE_DURESS, iterations=1000)},
        "paul": {
            CONF_PHONE: "+33698765432",
            CONF_PHONE_CODE_HASH: hash_code(PAUL_PHONE_CODE, iterations=1000),
        },
    }
    return MockConfigEntry(
        domain=DOMAIN,
        title=base.title,
        unique_id=base.unique_id,
        data=dict(base.data),
        subentries_data=[
            {
                "subentry_type": s.subentry_type,
                "subentry_id": s.subentry_id,
                "title": s.title,
                "unique_id": s.unique_id,
                "data": dict(s.data) | extra.get(s.subentry_id, {}),
            }
            for s in base.subentries.values()
        ],
    )


async def setup_offer_home(
    hass: HomeAssistant,
    stand_in: StandIn | None,
    *,
    gateway: RecordingStation | None = None,
    **settings: Any,
) -> MockConfigEntry:
    """Set the home up (with the stand-in voice server if given) and attach ``gateway``."""
    await async_process_ha_core_config(hass, {"internal_url": "http://127.0.0.1:8123"})
    set_sources(hass)
    if stand_in is not None:
        settings |= {"voice_url": stand_in.url, "voice_token": TOKEN}
    entry = offer_entry(**settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if gateway is not None:
        panel: HomePanel = entry.runtime_data
        panel.station = gateway
        panel.offers.station_changed()
    return entry


async def action(
    hass: HomeAssistant, service: str, context: Context | None = None, **data: Any
) -> None:
    """Call one of the integration's actions on the test home's panel."""
    await hass.services.async_call(
        DOMAIN, service, {"entity_id": PANEL} | data, blocking=True, context=context
    )
    await hass.async_block_till_done()
