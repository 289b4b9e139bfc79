"""Self-diagnosis with both halves: Home Assistant's notices e-mailed by the real voice server.

Home Assistant in its test harness, the real voice server in process, aiosmtpd as the relay: a
low battery is an e-mail to the contacts (never a call), its end another, and the digest lists
what is still wrong. The relay refusing mail shows in Home Assistant as its sensor and repair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from tests.ha.conftest import WINDOW_BATTERY
from tests.voice.test_home_assistant import (
    home,
    relay as relay,  # noqa: PLC0414 (the fixture)
    until,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from tests.voice.conftest import VoiceFactory
    from tests.voice.harness import SmtpSink

MARIE = "marie@example.org"


def the_home(hass: HomeAssistant) -> ConfigEntry:
    (entry,) = hass.config_entries.async_entries("imaprotect")
    return entry


async def synced_home(hass: HomeAssistant, running: Any, relay: str) -> ConfigEntry:
    """The home set up against the running voice server, once the server has its site."""
    await home(hass, running.api.base, relay)
    entry = the_home(hass)
    await until(hass, lambda: running.server.store.get_site(entry.entry_id) is not None)
    return entry


async def test_a_low_battery_is_e_mailed_then_its_end_then_the_digest(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    voice: VoiceFactory,
    relay: str,
    smtp_sink: SmtpSink,
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    entry = await synced_home(hass, running, relay)
    hass.states.async_set(WINDOW_BATTERY, "6")
    await until(hass, lambda: len(smtp_sink.to(MARIE)) == 1)
    message = smtp_sink.to(MARIE)[0]
    assert str(message["Subject"]) == "[Maison] Trouble: low battery: Fenêtre salon"
    assert "- Low battery: Fenêtre salon (since on " in message.get_content()
    alerts = running.server.store.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()
    assert alerts == (0,)  # nobody phoned for a battery

    assert await entry.runtime_data.diagnosis.async_send_digest()
    await until(hass, lambda: len(smtp_sink.to(MARIE)) == 2)
    assert str(smtp_sink.to(MARIE)[1]["Subject"]) == "[Maison] Troubles to fix: 1"

    hass.states.async_set(WINDOW_BATTERY, "100")
    await until(hass, lambda: len(smtp_sink.to(MARIE)) == 3)
    assert (
        str(smtp_sink.to(MARIE)[2]["Subject"])
        == "[Maison] Trouble fixed: low battery: Fenêtre salon"
    )
    assert not await entry.runtime_data.diagnosis.async_send_digest()


async def test_a_relay_refusing_mail_is_a_repair_in_home_assistant(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    voice: VoiceFactory,
    relay: str,
    smtp_sink: SmtpSink,
) -> None:
    running = await voice(smtp_port=smtp_sink.port)
    smtp_sink.refuse_data.add(MARIE)
    entry = await synced_home(hass, running, relay)
    hass.states.async_set(WINDOW_BATTERY, "6")
    assert running.server.outbox is not None
    await until(hass, lambda: running.server.outbox.smtp_ok is False)  # type: ignore[union-attr]
    supervisor = entry.runtime_data.callout.supervisor
    assert supervisor is not None
    await supervisor.async_check()
    await hass.async_block_till_done()
    sensor = hass.states.get("binary_sensor.maison_voice_server_e_mail_relay")
    assert sensor is not None
    assert sensor.state == "on"
    issue_id = f"voice_smtp_failing_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue("imaprotect", issue_id) is not None
    smtp_sink.refuse_data.clear()  # the relay takes mail again; the kept e-mail goes out
    await until(hass, lambda: running.server.outbox.smtp_ok is True, within=20)  # type: ignore[union-attr]
    await supervisor.async_check()
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue("imaprotect", issue_id) is None
