"""A home created through the config flow with its station link, or without one (issue 9).

A LA CARTE and TOUT INCLUS homes are asked for the link right after the home's form (the
options flow's form, its checks and errors); e-VEILLE is not. A link given there starts with the
home: frames reach pysiaalarm's receiver on 127.0.0.1, AES-encrypted with the hex key typed.
Left empty, the home has no link and the missing-account repair behaves as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.imaprotect.const import CONF_STATION_LINK, DOMAIN
from testkit.polling import until
from testkit.sia import SiaReceiver, sia_account

from .conftest import MARIE_CODE, PANEL, PAUL_CODE
from .offers_kit import action
from .station_kit import ACCOUNT, SIA_KEY, link_form

# pysiaalarm reads its key as ASCII: the same 32 bytes, typed as the station's 64 hex digits.
HEX_KEY = SIA_KEY.encode().hex().upper()


pytestmark = pytest.mark.usefixtures("fast_station_link")


@pytest.fixture
async def receiver() -> AsyncIterator[SiaReceiver]:
    server = SiaReceiver([sia_account(ACCOUNT, SIA_KEY)])
    await server.start()
    yield server
    await server.stop()


def _home_form(formula: str) -> dict[str, Any]:
    return {"name": "Maison", "formula": formula, "exit_delay": 0}


async def _start(hass: HomeAssistant, formula: str) -> FlowResult[Any, Any]:
    """Open "Add a home" and fill the home's form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(result["flow_id"], _home_form(formula))


async def _created(hass: HomeAssistant, result: FlowResult[Any, Any]) -> ConfigEntry:
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _add_person(hass: HomeAssistant, entry: ConfigEntry, name: str, code: str) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "person"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": name, "code": code, "may_arm": True, "may_disarm": True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()


async def _panel(hass: HomeAssistant, service: str, code: str) -> None:
    await hass.services.async_call(
        "alarm_control_panel", service, {"entity_id": PANEL, "code": code}, blocking=True
    )
    await hass.async_block_till_done()


def _suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    return {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and "suggested_value" in marker.description
    }


def _missing_station(hass: HomeAssistant, entry: ConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"station_account_missing_{entry.entry_id}")


async def test_a_tout_inclus_home_created_with_its_link_reports_to_the_station(
    hass: HomeAssistant, receiver: SiaReceiver
) -> None:
    result = await _start(hass, "tout_inclus")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "station_link"
    assert result["description_placeholders"] == {"name": "Maison"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], link_form(receiver.port, key_format="hex", key=HEX_KEY.lower())
    )
    entry = await _created(hass, result)
    assert entry.options[CONF_STATION_LINK]["account"] == ACCOUNT
    assert entry.options[CONF_STATION_LINK]["key"] == f"hex:{HEX_KEY}"
    assert entry.runtime_data.station is entry.runtime_data.station_link
    assert _missing_station(hass, entry) is None
    # Marie is user 1, Paul user 2 (added through the person flow; each addition reloads).
    await _add_person(hass, entry, "Marie", MARIE_CODE)
    await _add_person(hass, entry, "Paul", PAUL_CODE)
    await _panel(hass, "alarm_arm_away", PAUL_CODE)
    await _panel(hass, "alarm_disarm", MARIE_CODE)
    await until(
        lambda: len(receiver.events) >= 2,
        within=8,
        what=lambda: f"{len(receiver.events)}/2 received: {receiver.codes}",
    )
    assert [(event.code, event.message or event.id) for event in receiver.events] == [
        ("CL", "002"),
        ("OP", "001"),
    ]
    assert all(event.encrypted for event in receiver.events)


async def test_an_a_la_carte_home_left_without_a_link_has_none_and_the_repair_as_before(
    hass: HomeAssistant,
) -> None:
    result = await _start(hass, "a_la_carte")
    assert result["step_id"] == "station_link"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"account": ""})
    entry = await _created(hass, result)
    assert CONF_STATION_LINK not in entry.options
    assert entry.runtime_data.station is None
    # A LA CARTE: the contacts handle the home, nothing is missing until PROTECT+ starts.
    assert _missing_station(hass, entry) is None
    await action(hass, "start_protect_plus", slices=1)
    issue = _missing_station(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "formula": "A LA CARTE"}
    await action(hass, "stop_protect_plus")
    assert _missing_station(hass, entry) is None


async def test_an_e_veille_home_is_not_asked_for_a_link(hass: HomeAssistant) -> None:
    entry = await _created(hass, await _start(hass, "e_veille"))
    assert entry.options == {}
    assert entry.runtime_data.station is None
    assert _missing_station(hass, entry) is None


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"account": "12G4"}, "account", "station_invalid_account"),
        ({"key_format": "hex", "key": "Z" * 64}, "key", "station_key_not_hex"),
        ({"key_format": "hex", "key": "ABC"}, "key", "station_key_bad_length"),
    ],
)
async def test_a_wrong_account_or_key_is_said_and_the_form_recovers(
    hass: HomeAssistant,
    receiver: SiaReceiver,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    result = await _start(hass, "tout_inclus")
    wrong = link_form(receiver.port, key_format="hex", key=HEX_KEY) | changes
    result = await hass.config_entries.flow.async_configure(result["flow_id"], wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "station_link"
    assert result["errors"] == {field: error}
    for language in ("en", "fr"):
        strings = await async_get_translations(hass, language, "config", integrations=[DOMAIN])
        assert strings[f"component.{DOMAIN}.config.error.{error}"].strip()
    shown = _suggested(result)
    assert "key" not in shown  # never sent back to the browser
    assert {k: shown[k] for k in ("account", "host", "port", "key_format")} == {
        k: wrong[k] for k in ("account", "host", "port", "key_format")
    }
    assert not hass.config_entries.async_entries(DOMAIN)  # nothing created yet
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], link_form(receiver.port, key_format="hex", key=HEX_KEY)
    )
    entry = await _created(hass, result)
    assert entry.options[CONF_STATION_LINK]["key"] == f"hex:{HEX_KEY}"
