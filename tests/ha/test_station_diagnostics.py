"""The diagnostics of a home with a station link: its settings and status, and never its key."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect import station_runtime
from testkit.polling import until
from testkit.sia import SiaReceiver, sia_account

from .conftest import MARIE_CODE, PANEL
from .station_kit import FAST_TIMINGS, async_link_home, async_setup_home, link_form

KEY = "Never-Shown-Key!"  # 16 ASCII characters: AES-128
ACCOUNT = "BEEF42"


async def test_the_link_s_status_is_in_the_diagnostics_without_its_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(station_runtime, "LINK_TIMINGS", FAST_TIMINGS)
    receiver = SiaReceiver([sia_account(ACCOUNT, KEY)])
    await receiver.start()
    try:
        entry = await async_setup_home(hass, exit_delay=0)
        form = link_form(receiver.port, account=ACCOUNT, key_format="ascii", key=KEY)
        await async_link_home(hass, entry, form)
        await hass.services.async_call(
            "alarm_control_panel",
            "alarm_arm_away",
            {"entity_id": PANEL, "code": MARIE_CODE},
            blocking=True,
        )
        await until(lambda: receiver.codes == ["CL"], within=8, what="CL received")
        await until(
            lambda: entry.runtime_data.station_link.status.queue_length == 0,
            within=5,
            what="queue empty",
        )
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await receiver.stop()
    text = json.dumps(diagnostics)
    for secret in (KEY, ACCOUNT, "127.0.0.1"):
        assert secret.lower() not in text.lower()
    link = diagnostics["station_link"]
    assert link["options"]["key"] == "**REDACTED**"
    assert link["options"]["category"] == "SP4"
    (path,) = link["status"]["paths"]
    assert path["state"] == "up"
    assert path["host"] == "**REDACTED**"
    assert path["frames_sent"] >= 1
    assert link["status"]["queue_length"] == 0
    assert link["numbers"]["zones"]["Fenêtre salon"] == 2
    assert len(link["numbers"]["zones"]) == 6
    assert link["numbers"]["users"] == {"marie": 1, "paul": 2, "lea": 3}


async def test_a_home_without_a_link_says_so(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    entry = await async_setup_home(hass)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["station_link"] is None
