"""Fault drills of the call-out with every real part (issue 8, point 1).

Home Assistant's harness, the voice server as a process (``VoiceProcess``, wheel layout),
Asterisk and a SIPp phone.

The voice server is stopped when the alarm goes off. The alert must then live in Home Assistant's
store only: the home is unloaded and set up again (what a restart of Home Assistant does to it),
and the first contact's phone must still ring once the voice server starts. Disarmed before the
voice server came back, the same alarm must ring nobody: SIPp sees no INVITE.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
from homeassistant.core import HomeAssistant
import pytest

from testkit.voice_api import VoiceApi
from tests.ha.conftest import MARIE_CODE, MARIE_PHONE_CODE, PANEL
from tests.voice import test_home_assistant as e2e

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from tests.voice.conftest import AsteriskInstance, SippFactory, VoiceProcessFactory

pytestmark = pytest.mark.voice
relay = e2e.relay  # the webhook relay fixture: callbacks reach Home Assistant's in-process HTTP


def the_home(hass: HomeAssistant) -> ConfigEntry:
    (entry,) = hass.config_entries.async_entries("imaprotect")
    return entry


def invites(trace_text: str) -> int:
    return sum(line.startswith("INVITE ") for line in trace_text.splitlines())


async def test_an_alarm_raised_while_the_voice_server_is_down_survives_a_restart(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice_process: VoiceProcessFactory,
    relay: str,
) -> None:
    phone = sipp_phone("uas_dtmf", digits=f"{MARIE_PHONE_CODE}#", delay_ms=800, name="marie")
    server = voice_process(asterisk=asterisk, routes={e2e.MARIE_PHONE: phone.endpoint})
    await e2e.home(hass, server.base, relay)  # nobody listens there yet
    await e2e.trigger(hass)
    await hass.async_block_till_done()
    assert e2e.alert_state(hass)[0] == "failed"

    entry = the_home(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    server.start()
    async with aiohttp.ClientSession() as session:
        await server.wait_healthy(session)
    await e2e.until(hass, lambda: e2e.alert_state(hass)[0] == "acknowledged", within=60)
    assert e2e.alert_state(hass) == ("acknowledged", "Marie")
    phone.stop()
    assert invites(phone.trace.read_text(errors="replace")) == 1


async def test_an_alarm_disarmed_while_the_voice_server_is_down_rings_nobody(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice_process: VoiceProcessFactory,
    relay: str,
) -> None:
    phone = sipp_phone("uas_noanswer", name="ringing")
    server = voice_process(asterisk=asterisk, routes={e2e.MARIE_PHONE: phone.endpoint})
    await e2e.home(hass, server.base, relay)
    await e2e.trigger(hass)
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert e2e.alert_state(hass)[0] == "cancelled"
    callout = the_home(hass).runtime_data.callout
    alert_id = callout.alert.alert_id

    def cancel_delivered() -> bool:
        queue = getattr(callout, "queue", None)  # before issue 8: an in-memory retry only
        return queue is None or queue.undelivered == 0

    server.start()
    async with aiohttp.ClientSession() as session:
        await server.wait_healthy(session)
        # The cancel reaches the server (a 404: it never had the alert), then time for a call.
        await e2e.until(hass, cancel_delivered, within=30)
        for _ in range(100):  # 10 s: past the first retries, and the time a call needs to ring
            await asyncio.sleep(0.1)
            await hass.async_block_till_done()
        status, _ = await VoiceApi(server.base, session).call("GET", f"/api/v1/alerts/{alert_id}")
    assert status == 404
    assert e2e.alert_state(hass)[0] == "cancelled"
    phone.stop()
    trace = phone.trace
    assert not trace.exists() or invites(trace.read_text(errors="replace")) == 0
