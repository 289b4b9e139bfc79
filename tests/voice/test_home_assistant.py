"""End to end: Home Assistant's panel → the real voice server → Asterisk → a SIPp phone, and back.

Home Assistant runs in its test harness, which serves HTTP in-process only; the voice server's
signed callbacks reach its webhook through a small relay on 127.0.0.1 that forwards the request
untouched (path, headers, body), so the signature check is the real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
import pytest

from tests.ha.conftest import MARIE_CODE, MARIE_PHONE_CODE, PANEL, home_entry, set_sources
from tests.voice.harness import TOKEN

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.voice.conftest import AsteriskInstance, PortPool, SippFactory, VoiceFactory

MARIE_PHONE = "+33612345678"
WEBHOOK_ID = "e2e0" * 16
SECRET = "end-to-end-callback-secret-0123456789"
ALERT_SENSOR = "sensor.maison_alert"


@pytest.fixture
async def relay(
    hass_client_no_auth: ClientSessionGenerator, port_pool: PortPool
) -> AsyncIterator[str]:
    """Forward webhook POSTs from a real port to Home Assistant's in-process HTTP server."""
    clients: list[Any] = []

    async def forward(request: web.Request) -> web.Response:
        if not clients:  # Home Assistant's HTTP server exists once the integration is set up
            clients.append(await hass_client_no_auth())
        client = clients[0]
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = request.headers.get("Content-Type", "application/json")
        answer = await client.post(request.path, data=await request.read(), headers=headers)
        return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.router.add_post("/api/webhook/{webhook_id}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port_pool.take()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def home(hass: HomeAssistant, voice_url: str, relay_url: str, **settings: Any) -> None:
    """The test home, its call-out pointed at the voice server, callbacks at the relay."""
    await async_process_ha_core_config(hass, {"internal_url": relay_url})
    set_sources(hass)
    entry = home_entry(
        voice_url=voice_url,
        voice_token=TOKEN,
        webhook_id=WEBHOOK_ID,
        callback_secret=SECRET,
        **settings,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def until(hass: HomeAssistant, check: Callable[[], bool], within: float = 30.0) -> None:
    """Let Home Assistant and the servers work until ``check`` holds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
        await hass.async_block_till_done()


def alert_state(hass: HomeAssistant) -> tuple[str, Any]:
    state = hass.states.get(ALERT_SENSOR)
    assert state is not None
    return state.state, state.attributes.get("contact")


async def trigger(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "alarm_control_panel", "alarm_trigger", {"entity_id": PANEL}, blocking=True
    )


async def test_alarm_calls_marie_who_acknowledges_with_her_code(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    relay: str,
) -> None:
    phone = sipp_phone("uas_dtmf", digits=f"{MARIE_PHONE_CODE}#", delay_ms=800, name="marie")
    running = await voice(asterisk=asterisk, routes={MARIE_PHONE: phone.endpoint})
    await home(hass, running.api.base, relay)
    statuses: list[str] = []
    hass.bus.async_listen("imaprotect_alert", lambda e: statuses.append(e.data["status"]))

    await trigger(hass)
    await until(hass, lambda: alert_state(hass)[0] == "acknowledged")

    assert alert_state(hass) == ("acknowledged", "Marie")
    assert statuses[-1] == "acknowledged"
    # The voice server agrees.
    alerts = running.server.store.conn.execute("SELECT alert_id FROM alerts").fetchall()
    assert len(alerts) == 1
    server_view = await running.api.alert(alerts[0][0])
    assert server_view["status"] == "acknowledged"
    assert server_view["acknowledged_by"]["name"] == "Marie"
    assert [a["outcome"] for a in server_view["attempts"]] == ["acknowledged"]


async def test_disarming_at_home_cancels_the_calls(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    relay: str,
) -> None:
    phone = sipp_phone("uas_noanswer", name="ringing")
    running = await voice(
        asterisk=asterisk, routes={MARIE_PHONE: phone.endpoint}, ring_timeout=20.0
    )
    await home(hass, running.api.base, relay)

    await trigger(hass)
    # Marie's phone rings (the server has the alert and called her): a disarm before the alert
    # reached the server would rightly drop it unsent, which is another test's case.
    await until(hass, lambda: alert_state(hass) == ("calling", "Marie"))
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await until(hass, lambda: alert_state(hass)[0] == "cancelled")

    alert_id = running.server.store.conn.execute("SELECT alert_id FROM alerts").fetchone()[0]
    server_view = await running.api.wait_alert(
        alert_id, lambda a: all(x["ended_at"] for x in a["attempts"]), within=10
    )
    assert server_view["status"] == "cancelled"
    assert len(server_view["attempts"]) == 1
