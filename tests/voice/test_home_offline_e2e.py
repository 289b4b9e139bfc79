"""Home offline end to end, with a real Asterisk, SIPp phones and the aiosmtpd sink.

Heartbeats stop: the first contact's phone rings and the e-mails arrive; a disarm before the grace
rings nobody; heartbeats coming back stop a call that is ringing. Last, the whole chain from Home
Assistant's panel.

Timings are short (a grace of 1.5 s); the logic under them is test_watchdog.py's.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.imaprotect import heartbeat
from testkit.polling import until
from tests.ha.conftest import MARIE_PHONE_CODE, PANEL
from tests.voice import test_home_assistant as e2e
from tests.voice.harness import NUMBERS, contact, finished, heartbeat_body, outcomes, site_body

if TYPE_CHECKING:
    from tests.voice.conftest import AsteriskInstance, SippFactory, VoiceFactory
    from tests.voice.harness import CallbackSink, SmtpSink
    from voice_server.server import VoiceServer

pytestmark = pytest.mark.voice
relay = e2e.relay  # the webhook relay fixture, for the Home Assistant test

GRACE = 1.5


def offline_alerts(server: VoiceServer) -> list[str]:
    rows = server.store.conn.execute(
        "SELECT alert_id FROM alerts WHERE kind = 'home_offline'"
    ).fetchall()
    return [row[0] for row in rows]


def invites(trace_text: str) -> int:
    return sum(line.startswith("INVITE ") for line in trace_text.splitlines())


async def test_heartbeats_stop_and_the_first_contact_is_phoned_and_acknowledges(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
    callback_sink: CallbackSink,
) -> None:
    phone = sipp_phone("uas_dtmf", digits="4321#", delay_ms=800, name="first")
    second = sipp_phone("uas_busy", name="second")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: phone.endpoint, NUMBERS[1]: second.endpoint},
        smtp_port=smtp_sink.port,
    )
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0), contact(1)], callback_url=callback_sink.url))
    for _ in range(3):  # a home that beats is left alone
        status, _ = await api.heartbeat("home", heartbeat_body(grace=GRACE))
        assert status == 200
        await asyncio.sleep(0.5)
    assert offline_alerts(server) == []

    # The heartbeats stop: after the grace the first contact's phone rings.
    await until(lambda: offline_alerts(server), within=GRACE + 3, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    alert = await api.wait_alert(alert_id, finished, within=30)
    assert (alert["kind"], alert["status"]) == ("home_offline", "acknowledged")
    assert outcomes(alert) == [("c0", "acknowledged")]
    assert alert["acknowledged_by"] == {"id": "c0", "name": "Contact 0"}

    await until(lambda: len(smtp_sink.messages) == 4, within=15, what="e-mails")
    assert sorted(smtp_sink.subjects("c0@example.org")) == [
        "[Maison] Alerte acquittée par Contact 0",
        "[Maison] L'alarme ne répond plus",
    ]
    await until(lambda: "acknowledged" in callback_sink.statuses(alert_id), within=10)
    phone.stop()
    assert invites(phone.trace.read_text(errors="replace")) == 1
    second.stop()
    assert not second.trace.exists() or invites(second.trace.read_text(errors="replace")) == 0


async def test_a_disarm_before_the_grace_rings_nobody(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    phone = sipp_phone("uas_noanswer", name="ringing")
    running = await voice(asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint})
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    assert (await api.heartbeat("home", heartbeat_body(grace=GRACE)))[0] == 200
    await asyncio.sleep(GRACE / 2)
    assert (await api.heartbeat("home", heartbeat_body(armed=False, grace=GRACE)))[0] == 200
    await asyncio.sleep(3 * GRACE)
    assert offline_alerts(server) == []
    phone.stop()
    assert not phone.trace.exists() or invites(phone.trace.read_text(errors="replace")) == 0


async def test_heartbeats_coming_back_stop_a_ringing_call(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
) -> None:
    phone = sipp_phone("uas_noanswer", name="ringing")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: phone.endpoint},
        ring_timeout=20.0,
        smtp_port=smtp_sink.port,
    )
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    assert (await api.heartbeat("home", heartbeat_body(grace=GRACE)))[0] == 200
    await until(lambda: offline_alerts(server), within=GRACE + 3, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    await api.wait_alert(alert_id, lambda a: bool(a["attempts"]), within=10)

    status, answer = await api.heartbeat("home", heartbeat_body(grace=GRACE))
    assert (status, answer["ended_silence"]) == (200, alert_id)
    alert = await api.wait_alert(alert_id, finished, within=10)
    assert (alert["status"], alert["reason"]) == ("cancelled", "home_back")
    assert outcomes(alert) == [("c0", "cancelled")]
    await until(lambda: len(smtp_sink.messages) == 2, within=10, what="e-mails")
    assert sorted(smtp_sink.subjects("c0@example.org")) == [
        "[Maison] L'alarme ne répond plus",
        "[Maison] L'alarme répond de nouveau",
    ]


async def test_home_assistant_gone_while_armed_rings_marie_who_acknowledges(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    relay: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heartbeat, "HEARTBEAT_INTERVAL", 0.5)
    monkeypatch.setattr(heartbeat, "MINUTE", GRACE / 5)  # the default 5 "minutes"
    phone = sipp_phone("uas_dtmf", digits=f"{MARIE_PHONE_CODE}#", delay_ms=800, name="marie")
    running = await voice(asterisk=asterisk, routes={e2e.MARIE_PHONE: phone.endpoint})
    server = running.server
    await e2e.home(hass, running.api.base, relay)
    (entry,) = hass.config_entries.async_entries("imaprotect")
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await e2e.until(hass, lambda: server.store.conn.execute(
        "SELECT armed FROM heartbeats WHERE site_id = ?", (entry.entry_id,)
    ).fetchone() == (1,))  # fmt: skip

    assert await hass.config_entries.async_unload(entry.entry_id)  # Home Assistant goes away
    await hass.async_block_till_done()
    await until(lambda: offline_alerts(server), within=GRACE + 5, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    alert = await running.api.wait_alert(alert_id, finished, within=30)
    assert (alert["status"], alert["acknowledged_by"]["name"]) == ("acknowledged", "Marie")

    events = async_capture_events(hass, "imaprotect_home_offline")
    assert await hass.config_entries.async_setup(entry.entry_id)  # and comes back
    await hass.async_block_till_done()
    await e2e.until(hass, lambda: bool(events), within=15)
    (event,) = events
    assert (event.data["status"], event.data["contact"]) == ("acknowledged", "Marie")
    phone.stop()
    assert invites(phone.trace.read_text(errors="replace")) == 1
