"""The contract, both halves at once, no Asterisk needed (alerts are accepted and wait for it).

Home Assistant's own client and webhook run against the real voice server application.

Every endpoint Home Assistant uses goes through ``VoiceClient``; every callback the server sends
reaches Home Assistant's real webhook handler through the relay (signature checked for real);
every callback the contract can express is taken by that handler; and a client of another schema
version is refused by the server and told apart by the client.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.imaprotect import voice_client
from custom_components.imaprotect.contract import SCHEMA_VERSION
from custom_components.imaprotect.contract.enums import AlertStatus, CallbackEvent, Outcome
from custom_components.imaprotect.contract.models import (
    AttemptView,
    Callback,
    PersonRef,
)
from custom_components.imaprotect.contract.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from custom_components.imaprotect.voice_client import VoiceClient, VoiceServerSchemaError
from tests.ha.conftest import MARIE_CODE, PANEL
from tests.voice.harness import TOKEN
from tests.voice.test_home_assistant import (
    ALERT_SENSOR,
    SECRET,
    WEBHOOK_ID,
    alert_state,
    home,
    relay as relay,  # noqa: PLC0414 (the fixture)
    trigger,
    until,
)
from voice_server import outbox

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.voice.conftest import VoiceFactory


def _entry_id(hass: HomeAssistant) -> str:
    (entry,) = hass.config_entries.async_entries("imaprotect")
    return entry.entry_id


async def _delivered(hass: HomeAssistant, conn: object) -> None:
    """Wait until the server has no callback left to send (every answer was a 2xx).

    E-mails stay queued: this server has no SMTP settings.
    """
    import sqlite3

    assert isinstance(conn, sqlite3.Connection)
    await until(hass, lambda: outbox.pending_counts(conn)["callback"] == 0)
    assert outbox.dead_counts(conn)["callback"] == 0


async def test_every_endpoint_and_callback_between_the_two_halves(
    hass: HomeAssistant, enable_custom_integrations: None, voice: VoiceFactory, relay: str
) -> None:
    running = await voice()  # no Asterisk: the server accepts and keeps alerts
    await home(hass, running.api.base, relay)
    entry_id = _entry_id(hass)
    client = VoiceClient(async_get_clientsession(hass), running.api.base, TOKEN)

    info = await client.async_check()
    assert (info.schema_version, info.min_schema_version) == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert info.allowed_regions == ("FR",)
    health = await client.async_health()
    assert (health.status, health.asterisk) == ("degraded", False)

    # The site Home Assistant synced is what the server keeps, model for model.
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    stored = running.server.store.get_site(entry_id)
    assert stored == entry.runtime_data.callout.site()
    assert [c.name for c in stored.contacts] == ["Marie"]

    await trigger(hass)
    await hass.async_block_till_done()
    alert_id = entry.runtime_data.callout.alert.alert_id
    assert alert_id is not None
    view = await client.async_get_alert(alert_id)
    # Asterisk is away here: the alert is kept, queued (issue 8), not "calling".
    assert (view.site_id, view.kind, view.status, view.attempts) == (
        entry_id,
        "intrusion",
        AlertStatus.QUEUED,
        (),
    )
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await until(hass, lambda: alert_state(hass) == ("cancelled", "Marie"))
    view = await client.async_get_alert(alert_id)
    assert (view.status, view.cancelled_by) == (AlertStatus.CANCELLED, "Marie")

    # Every callback the server queued is a contract Callback and Home Assistant took it (2xx).
    conn = running.server.store.conn
    await _delivered(hass, conn)
    rows = conn.execute("SELECT body FROM outbox WHERE kind = 'callback' ORDER BY id")
    bodies = [json.loads(row[0]) for row in rows]
    callbacks = [Callback.model_validate(body) for body in bodies]
    assert [(c.event, c.status) for c in callbacks] == [
        (CallbackEvent.ALERT_STATUS, AlertStatus.QUEUED),  # Asterisk away (issue 8)
        (CallbackEvent.ALERT_STATUS, AlertStatus.CANCELLED),
    ]

    # Removing the home makes the server forget its site and the contacts' numbers.
    assert await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    assert running.server.store.get_site(entry_id) is None


async def test_home_assistant_takes_every_callback_the_contract_defines(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    voice: VoiceFactory,
    relay: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    running = await voice()
    await home(hass, running.api.base, relay)
    await trigger(hass)
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(_entry_id(hass))
    assert entry is not None
    alert_id = entry.runtime_data.callout.alert.alert_id
    assert alert_id is not None
    web = await hass_client_no_auth()
    paul = PersonRef(id="paul", name="Paul")
    attempt = AttemptView(
        contact_id="paul", contact_name="Paul", round=1, started_at="2026-12-02T10:00:00+00:00"
    )
    answered = []
    for event in CallbackEvent:
        for status in AlertStatus:
            callback = Callback(
                event=event,
                site_id=entry.entry_id,
                alert_id=alert_id,
                status=status,
                contact=paul,
                at="2026-12-02T10:00:01+00:00",
                attempt=attempt.model_copy(update={"outcome": Outcome.BUSY}),
                cancelled_by="Marie" if status is AlertStatus.CANCELLED else None,
            )
            body = callback.model_dump_json().encode()
            now = int(time.time())
            headers = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(SECRET, now, body)}
            response = await web.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=headers)
            answered.append(response.status)
    assert answered == [200] * len(CallbackEvent) * len(AlertStatus)
    # A later version's event is answered 2xx too (never dead-lettered), and changes nothing.
    state = hass.states.get(ALERT_SENSOR)
    future = json.dumps(
        {"event": "listen_in_started", "site_id": "x", "alert_id": alert_id, "status": "calling"}
    ).encode()
    now = int(time.time())
    headers = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(SECRET, now, future)}
    response = await web.post(f"/api/webhook/{WEBHOOK_ID}", data=future, headers=headers)
    assert response.status == 200
    assert hass.states.get(ALERT_SENSOR) == state


async def test_another_schema_version_is_refused_and_becomes_a_repair(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    voice: VoiceFactory,
    relay: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = await voice()
    monkeypatch.setattr(voice_client, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    client = VoiceClient(async_get_clientsession(hass), running.api.base, TOKEN)
    with pytest.raises(VoiceServerSchemaError) as info:
        await client.async_check()
    assert info.value.server == f"{SCHEMA_VERSION}-{SCHEMA_VERSION}"
    assert info.value.ours == SCHEMA_VERSION + 1
    # The server refuses the request itself, whatever the client believes.
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Imaprotect-Schema": str(SCHEMA_VERSION + 1)}
    url = f"{running.api.base}/api/v1/alerts/a-1"
    async with running.api.session.get(url, headers=headers) as response:
        assert response.status == 400
        error = await response.json()
    assert (error["error"], error["field"]) == ("schema_mismatch", "X-Imaprotect-Schema")
    # A schema 1 client sent no header at all: refused the same way.
    async with running.api.session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as old:
        assert old.status == 400
        assert (await old.json())["error"] == "schema_mismatch"
    with pytest.raises(VoiceServerSchemaError):
        await client.async_get_alert("a-1")

    sent = async_mock_service(hass, "notify", "send_message")
    await home(hass, running.api.base, relay, notify_entities=["notify.phone"])
    entry_id = _entry_id(hass)
    issue = ir.async_get(hass).async_get_issue("imaprotect", f"voice_server_schema_{entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "home": "Maison",
        "server": f"{SCHEMA_VERSION}-{SCHEMA_VERSION}",
        "ours": str(SCHEMA_VERSION + 1),
    }
    assert running.server.store.get_site(entry_id) is None  # nothing half-synced
    # An alarm meanwhile is not lost: it goes to the notifiers.
    await trigger(hass)
    await until(hass, lambda: len(sent) == 1)
    assert "Maison" in sent[0].data["title"]
