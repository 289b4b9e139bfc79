"""Diagnostics hold what support needs and no code hash, badge, phone or email."""

import json

from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import MARIE_BADGE, PAUL_BADGE, home_entry, set_sources
from .offers_kit import action, setup_offer_home

TOKEN = "voice-token-must-not-leak-0123"
SECRET = "callback-secret-must-not-leak-0123456789"
WEBHOOK = "f00d" * 16


async def test_diagnostics_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, socket_enabled: None
) -> None:
    set_sources(hass)
    home = home_entry(
        voice_url="http://127.0.0.1:9",
        voice_token=TOKEN,
        station="sip:station-desk@127.0.0.1",
        webhook_id=WEBHOOK,
        callback_secret=SECRET,
    )
    home.add_to_hass(hass)
    assert await hass.config_entries.async_setup(home.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_arm_away",
        {"entity_id": "alarm_control_panel.maison"},
        blocking=True,
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, home)
    text = json.dumps(diagnostics)
    assert diagnostics["now"]["state"] == "arming"
    assert diagnostics["entry"]["data"]["formula"] == "a_la_carte"
    assert len(diagnostics["subentries"]) == 11
    for secret in (
        "pbkdf2",
        MARIE_BADGE,
        PAUL_BADGE,
        "+33612345678",
        "marie@example.org",
        TOKEN,
        SECRET,
        WEBHOOK,
        "127.0.0.1:9",
        "station-desk",
    ):
        assert secret.lower() not in text.lower()
    marie = next(s for s in diagnostics["subentries"] if s["title"] == "Marie")
    assert marie["data"]["code_hash"] == "**REDACTED**"
    assert marie["data"]["phone"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["voice_token"] == "**REDACTED**"


async def test_diagnostics_redact_the_duress_code_and_protect_plus_names(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    socket_enabled: None,
) -> None:
    await setup_offer_home(hass, None)
    await action(hass, "start_protect_plus", Context(user_id=hass_admin_user.id), slices=2)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, hass.config_entries.async_entries("imaprotect")[0]
    )
    marie = next(s for s in diagnostics["subentries"] if s["title"] == "Marie")
    assert marie["data"]["duress_code_hash"] == "**REDACTED**"
    offer = diagnostics["offer"]
    assert (offer["handler"], offer["station_account"]) == ("station", False)
    assert offer["protect_plus"]["history"][0]["by"] == "**REDACTED**"
    assert offer["protect_plus"]["history"][0]["slices"] == 2
    text = json.dumps(diagnostics)
    assert "pbkdf2" not in text
    assert "Mock User" not in text
