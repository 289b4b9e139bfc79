"""Calls that need no code, over real Asterisk and SIPp phones: the offers' voice side.

TOUT INCLUS and PROTECT+ leave the alarm to the station: the contacts are *informed* (the call
says the message and hangs up, no code asked, and each contact is called until they heard it).
An agent request is said to the station's own number. A duress alert skips the person who gave
the code: neither called nor e-mailed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import pytest

from testkit.polling import until
from testkit.sipp import received_requests
from tests.voice.harness import NUMBERS, alert_body, contact, finished, outcomes, site_body

if TYPE_CHECKING:
    from tests.voice.conftest import AsteriskInstance, SippFactory, SippPhone, VoiceFactory
    from tests.voice.harness import CallbackSink, SmtpSink

pytestmark = pytest.mark.voice
_LOGGER = logging.getLogger(__name__)


def _received(phone: SippPhone, method: str) -> int:
    """How many ``method`` requests the phone received (a BYE: the server hung up)."""
    if not phone.trace.exists():
        return 0
    return sum(1 for _, name, _, _ in received_requests(phone.trace) if name == method)


async def test_an_informed_contact_hears_the_message_and_the_call_ends_without_a_code(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
    callback_sink: CallbackSink,
) -> None:
    # The phone answers and would stay 60 s: only the server can end the call.
    listener = sipp_phone("uas_station", name="informed")
    busy = sipp_phone("uas_busy", name="busy")
    routes = {NUMBERS[0]: listener.endpoint, NUMBERS[1]: busy.endpoint}
    running = await voice(
        asterisk=asterisk, routes=routes, smtp_port=smtp_sink.port, rounds=2, call_watchdog=60.0
    )
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1)], callback_url=callback_sink.url))
    started = time.monotonic()
    body = alert_body("inf-1", detector=None, zone=None, acknowledgement="none")
    status, _ = await api.post_alert("home", body)
    assert status == 201
    alert = await api.wait_alert("inf-1", finished, within=60)
    took = time.monotonic() - started

    assert alert["status"] == "informed"
    assert alert["acknowledgement"] == "none"
    assert alert["acknowledged_by"] is None
    # Round 1: c0 informed, c1 busy; round 2 calls c1 only (c0 heard it).
    assert outcomes(alert) == [("c0", "informed"), ("c1", "busy"), ("c1", "busy")]
    informed = alert["attempts"][0]
    assert informed["answered_at"]
    assert informed["ended_at"] > informed["answered_at"]
    assert took < 50, took  # before the phone's own hang-up
    _LOGGER.info("informed alert (3 calls, 1 answered) done in %.1f s", took)
    assert _received(listener, "INVITE") == 1  # called once: not again in round 2
    assert _received(listener, "BYE") == 1  # the server hung up; the phone typed nothing
    assert listener.errors() == 0
    # The contacts learn by e-mail that the station handles it, and get no "not acknowledged".
    await until(lambda: len(smtp_sink.messages) == 2, within=15)
    for index in range(2):
        (subject,) = smtp_sink.subjects(f"c{index}@example.org")
        assert subject == "[Maison] Alerte : intrusion"
    text = smtp_sink.messages[0].get_content()
    assert "La télésurveillance prend en charge l'alerte" in text
    await until(
        lambda: ("alert_status", "informed", None, None) in callback_sink.events("inf-1"),
        within=15,
    )
    assert callback_sink.refused == 0


async def test_an_agent_request_is_said_to_the_station_and_calls_no_contact(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    station = sipp_phone("uas_station", name="station")
    phone = sipp_phone("uas_station", name="contact")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: phone.endpoint},
        smtp_port=smtp_sink.port,
        call_watchdog=60.0,
    )
    api = running.api
    await api.put_site("home", site_body([contact(0)], station=station.uri))
    body = alert_body("agent-1", kind="agent_request", detector=None, zone=None)
    await api.post_alert("home", body | {"note": "Bruit suspect dans le jardin"})
    alert = await api.wait_alert("agent-1", finished, within=60)

    assert alert["status"] == "informed"
    assert alert["acknowledgement"] == "none"  # whatever the request said: a station has no code
    assert outcomes(alert) == [("station", "informed")]
    assert alert["attempts"][0]["contact_name"] == "Télésurveillance"
    assert (_received(station, "INVITE"), _received(station, "BYE")) == (1, 1)
    assert _received(phone, "INVITE") == 0
    assert smtp_sink.messages == []  # the station has no e-mail, the contacts are not told


async def test_a_duress_alert_skips_the_person_under_duress(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory, smtp_sink: SmtpSink
) -> None:
    forced = sipp_phone("uas_station", name="forced")
    helper = sipp_phone("uas_dtmf", digits="4321#", delay_ms=800, name="helper")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: forced.endpoint, NUMBERS[1]: helper.endpoint},
        smtp_port=smtp_sink.port,
    )
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1)]))
    body = alert_body("duress-1", kind="sos", detector=None, zone=None)
    await api.post_alert(
        "home", body | {"skip_contacts": ["c0"], "note": "Contact 0 est en danger"}
    )
    alert = await api.wait_alert("duress-1", finished, within=40)

    assert alert["status"] == "acknowledged"  # an SOS call: the others must acknowledge
    assert alert["acknowledged_by"] == {"id": "c1", "name": "Contact 1"}
    assert outcomes(alert) == [("c1", "acknowledged")]
    assert _received(forced, "INVITE") == 0
    await until(lambda: len(smtp_sink.messages) == 2, within=15)  # information + acknowledged
    assert smtp_sink.subjects("c0@example.org") == []
