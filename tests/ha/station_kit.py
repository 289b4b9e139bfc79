"""What the station-link tests share: fast timings, homes linked by their options, HA's ``sia``.

The home gets its link through its options flow; Home Assistant's own ``sia`` integration is set
up as the monitoring station's receiver.

Everything is real: the home's ``StationLink`` sends DC-09 frames over 127.0.0.1 to a second
config entry (``sia``, set up through its own config flow on a free port) or to pysiaalarm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.station import options as link_options
from testkit.sia import SiaReceiver, sia_account

from .conftest import PANEL, home_entry, set_sources

ACCOUNT = "1234"
# HA's sia reads its key as ASCII and wants it made of hex digits: 32 of them, AES-256.
SIA_KEY = "0123456789ABCDEF0123456789ABCDEF"

FAST_TIMINGS: dict[str, Any] = {
    "ack_timeout": timedelta(seconds=0.4),
    "connect_retry": timedelta(seconds=0.05),
    "retry_backoff": timedelta(seconds=0.2),
    "max_retry_backoff": timedelta(seconds=0.4),
    "down_poll_interval": timedelta(seconds=0.3),
    "poll_preempt_after": timedelta(seconds=0.05),
}


def link_form(port: int, **changes: Any) -> dict[str, Any]:
    """The options form of a link to ``127.0.0.1:port``, unencrypted, SP4."""
    form: dict[str, Any] = {
        link_options.ACCOUNT: ACCOUNT,
        link_options.HOST: "127.0.0.1",
        link_options.PORT: port,
        link_options.TRANSPORT: "tcp",
        link_options.KEY_FORMAT: "none",
        link_options.DATA_FORMAT: "SIA-DCS",
        link_options.CATEGORY: "SP4",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


async def async_link_home(hass: HomeAssistant, entry: ConfigEntry, form: dict[str, Any]) -> None:
    """Give a loaded home its station link through the options flow (the home reloads)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "station_link"
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()


async def async_setup_home(hass: HomeAssistant, **settings: Any) -> MockConfigEntry:
    """The test home (every detector closed), loaded."""
    set_sources(hass)
    entry = home_entry(**settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def async_setup_sia(hass: HomeAssistant, port: int, key: str | None) -> str:
    """HA's ``sia`` on ``port`` for our account, through its config flow; its panel's entity."""
    result = await hass.config_entries.flow.async_init("sia", context={"source": "user"})
    data: dict[str, Any] = {
        "port": port,
        "protocol": "TCP",
        "account": ACCOUNT,
        "ping_interval": 1,
        "zones": 1,
        "additional_account": False,
    }
    if key is not None:
        data["encryption_key"] = key
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    entry_id = result["result"].entry_id
    panels = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if entity.domain == "alarm_control_panel"
    ]
    assert len(panels) == 1
    return panels[0]


@asynccontextmanager
async def serve_receiver(key: str | None = None) -> AsyncIterator[SiaReceiver]:
    """Pysiaalarm's receiver for the test account on 127.0.0.1, stopped on the way out."""
    server = SiaReceiver([sia_account(ACCOUNT, key)])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def async_panel(hass: HomeAssistant, service: str, **data: Any) -> None:
    """Call an action of the test home's alarm panel and let what it starts settle."""
    await hass.services.async_call(
        "alarm_control_panel", service, {"entity_id": PANEL} | data, blocking=True
    )
    await hass.async_block_till_done()
