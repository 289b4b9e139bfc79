"""The home's options flow for its station link: checked fields, a key never shown back.

A wrong field gets its translated error and the form recovers; the key is kept while its format
stays, removed with the format "none"; emptying the account removes the link.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.imaprotect.const import CONF_STATION_LINK, DOMAIN

from .conftest import home_entry, set_sources
from .station_kit import async_link_home, async_setup_home, link_form

HEX_KEY = "00112233445566778899AABBCCDDEEFF"
PORT = 9  # nothing listens: the link's polls are refused, which these tests do not mind


@pytest.fixture(autouse=True)
def _link_sockets(socket_enabled: None) -> None:
    """A linked home's link polls its receiver (on the loopback)."""


def _suggested(result: Any) -> dict[str, Any]:
    return {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"account": "12"}, "account", "station_invalid_account"),
        ({"account": "12G4"}, "account", "station_invalid_account"),
        ({"host": None}, "host", "station_host_required"),
        ({"line_prefix": "XYZ"}, "line_prefix", "station_invalid_line_prefix"),
        ({"key_format": "hex"}, "key", "station_key_required"),
        ({"key_format": "hex", "key": "ABC"}, "key", "station_key_bad_length"),
        ({"key_format": "hex", "key": "Z" * 32}, "key", "station_key_not_hex"),
        ({"key_format": "ascii", "key": "é" * 16}, "key", "station_key_not_ascii"),
        ({"key_format": "ascii", "key": "short"}, "key", "station_key_bad_length"),
        ({"category": "DP3"}, "backup_host", "station_backup_required"),
        ({"category": "custom"}, "poll_interval", "station_invalid_poll"),
    ],
)
async def test_a_wrong_field_is_said_and_the_form_recovers(
    hass: HomeAssistant, changes: dict[str, Any], field: str, error: str
) -> None:
    entry = await async_setup_home(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], link_form(PORT, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert "key" not in _suggested(result)  # a typed key is never shown back either
    result = await hass.config_entries.options.async_configure(result["flow_id"], link_form(PORT))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the home reloads with its link before the test ends
    assert entry.options[CONF_STATION_LINK]["account"] == "1234"


async def test_the_key_is_kept_never_shown_and_removed_with_its_format(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await async_setup_home(hass)
    form = link_form(PORT, key_format="hex", key=HEX_KEY.lower(), category="custom")
    await async_link_home(hass, entry, form | {"poll_interval": 60})
    saved = entry.options[CONF_STATION_LINK]
    assert saved["key"] == f"hex:{HEX_KEY}"
    assert saved["poll_interval"] == 60
    assert entry.runtime_data.station_link.options.settings().supervision.primary_poll.seconds == 60

    result = await hass.config_entries.options.async_init(entry.entry_id)
    shown = _suggested(result)
    assert "key" not in shown
    assert shown["key_format"] == "hex"
    assert HEX_KEY not in str(shown).upper()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], link_form(PORT, key_format="hex", category="SP6")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_STATION_LINK]["key"] == f"hex:{HEX_KEY}"  # kept
    assert entry.options[CONF_STATION_LINK]["category"] == "SP6"

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], link_form(PORT, key_format="ascii")
    )
    assert result["errors"] == {"key": "station_key_required"}  # another format: type it
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], link_form(PORT, key_format="none")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_STATION_LINK]["key"] is None
    assert HEX_KEY not in caplog.text.upper()


async def test_emptying_the_account_removes_the_link(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    entry = await async_setup_home(hass, formula="tout_inclus")
    missing = f"station_account_missing_{entry.entry_id}"
    await async_link_home(hass, entry, link_form(PORT))
    assert entry.runtime_data.station is entry.runtime_data.station_link
    assert issue_registry.async_get_issue(DOMAIN, missing) is None
    await async_link_home(hass, entry, {"account": "", "host": ""})
    assert CONF_STATION_LINK not in entry.options
    assert entry.runtime_data.station is None
    assert issue_registry.async_get_issue(DOMAIN, missing) is not None


async def test_unreadable_saved_settings_leave_the_home_running_without_a_link(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    set_sources(hass)
    entry = home_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={CONF_STATION_LINK: {"account": "12", "host": "arc1.example"}}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.station is None
    assert "station link settings of Maison are unreadable" in caplog.text
