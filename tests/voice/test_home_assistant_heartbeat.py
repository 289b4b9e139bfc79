"""Home offline with both halves: Home Assistant's heartbeat module against the real voice server.

No Asterisk (the alert is kept, queued): what is proved here is the contract between the two, on
a real clock with a grace of about a second. Home Assistant "goes away" by unloading the home, as a
crash or a power cut leaves it: nothing is said to the server. The phone ringing, with Asterisk
and SIPp, is test_home_offline_e2e.py's.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.imaprotect import heartbeat
from tests.ha.conftest import MARIE_CODE, PANEL
from tests.voice.test_home_assistant import (
    home,
    relay as relay,  # noqa: PLC0414 (the fixture)
    until,
)
from voice_server import heartbeats

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from tests.voice.conftest import VoiceFactory
    from voice_server.server import VoiceServer

INTERVAL = 0.5
GRACE = 1.5  # the default 5 "minutes" of 0.3 s


@pytest.fixture(autouse=True)
def _short_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_INTERVAL", INTERVAL)
    monkeypatch.setattr(heartbeat, "MINUTE", GRACE / 5)


def the_home(hass: HomeAssistant) -> ConfigEntry:
    (entry,) = hass.config_entries.async_entries("imaprotect")
    return entry


def offline_alerts(server: VoiceServer) -> list[tuple[str, str, str | None]]:
    return server.store.conn.execute(
        "SELECT alert_id, status, reason FROM alerts WHERE kind = 'home_offline'"
        " ORDER BY created_at"
    ).fetchall()


async def arm(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )


async def test_home_assistant_gone_while_armed_is_reported_and_its_return_told_back(
    hass: HomeAssistant, enable_custom_integrations: None, voice: VoiceFactory, relay: str
) -> None:
    running = await voice()
    server = running.server
    await home(hass, running.api.base, relay)
    entry = the_home(hass)
    await arm(hass)
    await until(
        hass,
        lambda: (w := heartbeats.get(server.store.conn, entry.entry_id)) is not None and w.armed,
    )
    watch = heartbeats.get(server.store.conn, entry.entry_id)
    assert watch is not None
    assert (watch.interval, watch.grace) == (INTERVAL, GRACE)
    for _ in range(int(2 * GRACE / 0.1)):  # heartbeats keep it watched past the grace
        await asyncio.sleep(0.1)
        await hass.async_block_till_done()
    assert offline_alerts(server) == []

    # Home Assistant goes away, armed: a crash says nothing.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await until(hass, lambda: bool(offline_alerts(server)), within=GRACE + 5)
    ((alert_id, status, reason),) = offline_alerts(server)
    assert (status, reason) == ("queued", "asterisk_unavailable")

    # Back: a heartbeat at once, the calls stop, and Home Assistant is told what happened.
    events = async_capture_events(hass, "imaprotect_home_offline")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await until(hass, lambda: bool(events), within=10)
    assert offline_alerts(server) == [(alert_id, "cancelled", "home_back")]
    (event,) = events
    assert (event.data["alert_id"], event.data["status"]) == (alert_id, "cancelled")
    assert event.data["since"] is not None
    assert the_home(hass).runtime_data.callout.alert.alert_id is None  # not one of its alerts


async def test_a_disarm_at_home_stops_the_server_watching(
    hass: HomeAssistant, enable_custom_integrations: None, voice: VoiceFactory, relay: str
) -> None:
    running = await voice()
    server = running.server
    await home(hass, running.api.base, relay)
    entry = the_home(hass)
    await arm(hass)
    await until(
        hass,
        lambda: (w := heartbeats.get(server.store.conn, entry.entry_id)) is not None and w.armed,
    )
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await until(
        hass,
        lambda: (
            (w := heartbeats.get(server.store.conn, entry.entry_id)) is not None and not w.armed
        ),
    )
    assert await hass.config_entries.async_unload(entry.entry_id)  # then Home Assistant goes
    await hass.async_block_till_done()
    await asyncio.sleep(2 * GRACE)
    assert offline_alerts(server) == []
