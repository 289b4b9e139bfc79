"""Diagnostics hold what support needs and no code hash, badge, phone or email."""

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import MARIE_BADGE, PAUL_BADGE


async def test_diagnostics_are_redacted(
    hass: HomeAssistant, home: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
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
    for secret in ("pbkdf2", MARIE_BADGE, PAUL_BADGE, "+33612345678", "marie@example.org"):
        assert secret.lower() not in text.lower()
    marie = next(s for s in diagnostics["subentries"] if s["title"] == "Marie")
    assert marie["data"]["code_hash"] == "**REDACTED**"
    assert marie["data"]["phone"] == "**REDACTED**"
    assert diagnostics["panel"]["changed_by"]["person_name"] is None  # armed without a code
