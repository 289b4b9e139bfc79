"""The call tree end to end: voice server + real Asterisk + SIPp phones, SMTP and HA sinks."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from typing import TYPE_CHECKING

import pytest

from testkit.polling import until
from tests.voice.harness import (
    NUMBERS,
    alert_body,
    contact,
    finished,
    first_answered,
    outcomes,
    site_body,
)

if TYPE_CHECKING:
    from tests.voice.conftest import AsteriskInstance, PortPool, SippFactory, VoiceFactory
    from tests.voice.harness import CallbackSink, SmtpSink

pytestmark = pytest.mark.voice
_LOGGER = logging.getLogger(__name__)


async def test_busy_no_answer_wrong_codes_then_acknowledged(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
    callback_sink: CallbackSink,
) -> None:
    phones = [
        sipp_phone("uas_busy", name="busy"),
        sipp_phone("uas_noanswer", name="noanswer"),
        sipp_phone("uas_dtmf", digits="1111#2222#3333#", delay_ms=800, name="wrong"),
        sipp_phone("uas_dtmf", digits="4321#", delay_ms=800, name="right"),
    ]
    routes = {NUMBERS[i]: phone.endpoint for i, phone in enumerate(phones)}
    running = await voice(asterisk=asterisk, routes=routes, smtp_port=smtp_sink.port)
    api = running.api
    await api.put_site(
        "home", site_body([contact(i) for i in range(4)], callback_url=callback_sink.url)
    )

    status, answer = await api.post_alert("home", alert_body("a-1"))
    assert (status, answer) == (201, {"alert_id": "a-1", "status": "calling"})
    alert = await api.wait_alert("a-1", finished, within=40)

    assert alert["status"] == "acknowledged"
    assert alert["acknowledged_by"] == {"id": "c3", "name": "Contact 3"}
    assert alert["acknowledged_at"]
    assert outcomes(alert) == [
        ("c0", "busy"),
        ("c1", "no_answer"),
        ("c2", "wrong_code"),
        ("c3", "acknowledged"),
    ]
    assert [a["cause"] for a in alert["attempts"][:2]] == [17, 19]
    assert alert["attempts"][2]["answered_at"]
    assert alert["attempts"][3]["answered_at"]
    assert alert["current_contact"] is None

    # Information email at once and the acknowledgement, to every contact; signed callbacks.
    await until(lambda: len(smtp_sink.messages) == 8, within=15)
    for index in range(4):
        subjects = smtp_sink.subjects(f"c{index}@example.org")
        assert len(subjects) == 2, subjects
    # One "alert_status" per change of status, and the start and end of each attempt.
    # Issue 8: each wrong code on the phone is told too (code_rejected, with the day's count).
    await until(lambda: len(callback_sink.events("a-1")) == 13, within=15)
    assert callback_sink.events("a-1") == [
        ("alert_status", "calling", None, None),
        ("attempt_started", "calling", "c0", None),
        ("attempt_ended", "calling", "c0", "busy"),
        ("attempt_started", "calling", "c1", None),
        ("attempt_ended", "calling", "c1", "no_answer"),
        ("attempt_started", "calling", "c2", None),
        *[("code_rejected", "calling", "c2", None)] * 3,
        ("attempt_ended", "calling", "c2", "wrong_code"),
        ("attempt_started", "calling", "c3", None),
        ("alert_status", "acknowledged", "c3", "acknowledged"),
        ("attempt_ended", "acknowledged", "c3", "acknowledged"),
    ]
    assert callback_sink.refused == 0
    for payload in callback_sink.payloads:
        extra = ["wrong_codes"] if payload["event"] == "code_rejected" else []
        assert sorted(payload) == sorted([
            "alert_id", "at", "attempt", "contact", "event", "site_id", "status", *extra
        ])  # fmt: skip
    rejected = [p["wrong_codes"] for p in callback_sink.payloads if p["event"] == "code_rejected"]
    assert rejected == [1, 2, 3]
    attempts = [p["attempt"] for p in callback_sink.payloads if p["event"] != "alert_status"]
    assert [a["round"] for a in attempts] == [1] * 11
    assert attempts[1]["cause"] == 17  # busy, as GET /alerts shows it


async def test_sos_bridges_station(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    phone = sipp_phone("uas_dtmf", digits="9", delay_ms=800, name="sos")
    station = sipp_phone("uas_station", name="station")
    later = sipp_phone("uas_busy", name="later")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: phone.endpoint, NUMBERS[1]: later.endpoint},
        sos_max_duration=2.0,
    )
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1)], station=station.uri))
    await api.post_alert("home", alert_body("sos-1"))

    alert = await api.wait_alert("sos-1", lambda a: a["status"] != "calling", within=20)
    assert alert["status"] == "escalated"
    assert alert["acknowledged_by"] == {"id": "c0", "name": "Contact 0"}
    assert outcomes(alert) == [("c0", "sos")]
    # The bridge really carries the two legs until the SOS time limit hangs both up.
    bridged = asterisk.cli("bridge show all").stdout
    assert "1 bridges" in bridged or "sos" in bridged, bridged
    alert = await api.wait_alert("sos-1", finished, within=10)
    assert outcomes(alert) == [("c0", "sos")]  # nobody else is called after an escalation
    assert "INVITE" in (station.log_dir / "messages.log").read_text()


async def test_cancel_during_call(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    # The phone answers and waits 8 s before typing: the cancellation comes first.
    phone = sipp_phone("uas_dtmf", digits="4321#", delay_ms=8000, name="slow")
    other = sipp_phone("uas_dtmf", digits="4321#", name="other")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: phone.endpoint, NUMBERS[1]: other.endpoint},
        digit_timeout=10.0,
    )
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1)]))
    await api.post_alert("home", alert_body("cancel-1"))
    await api.wait_alert("cancel-1", first_answered)
    await asyncio.sleep(0.5)

    status, alert = await api.call("POST", "/api/v1/alerts/cancel-1/cancel", {"by": "Marie"})
    assert status == 200
    assert alert["status"] == "cancelled"
    assert alert["cancelled_by"] == "Marie"
    alert = await api.wait_alert("cancel-1", finished, within=15)
    assert outcomes(alert) == [("c0", "cancelled")]
    # The call heard who stopped the alert before the hang-up (the sentence lasts > 1 s).
    attempt = alert["attempts"][0]
    assert attempt["ended_at"] > alert["finished_at"]
    await asyncio.sleep(0.5)
    assert outcomes(await api.alert("cancel-1")) == [("c0", "cancelled")]
    assert (
        not (other.log_dir / "messages.log").exists()
        or "INVITE" not in (other.log_dir / "messages.log").read_text()
    )

    # Cancelling again, or a finished alert, changes nothing.
    status, again = await api.call("POST", "/api/v1/alerts/cancel-1/cancel")
    assert (status, again["status"], again["cancelled_by"]) == (200, "cancelled", "Marie")


async def test_repeated_alert_post_calls_once(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    phone = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
    running = await voice(asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint})
    api = running.api
    await api.put_site("home", site_body([contact(0)]))
    await api.put_site("other", site_body([contact(0)]))
    first = await api.post_alert("home", alert_body("rep-1"))
    second = await api.post_alert("home", alert_body("rep-1"))
    conflict = await api.post_alert("other", alert_body("rep-1"))
    assert first == (201, {"alert_id": "rep-1", "status": "calling"})
    assert second == (200, {"alert_id": "rep-1", "status": "calling"})
    assert conflict[0] == 409
    assert conflict[1]["field"] == "alert_id"
    alert = await api.wait_alert("rep-1", finished, within=20)
    assert outcomes(alert) == [("c0", "acknowledged")]
    again = await api.post_alert("home", alert_body("rep-1"))
    assert again == (200, {"alert_id": "rep-1", "status": "acknowledged"})
    await asyncio.sleep(0.3)
    assert len((await api.alert("rep-1"))["attempts"]) == 1


async def test_alert_to_first_invite_latency(
    asterisk: AsteriskInstance, voice: VoiceFactory, port_pool: PortPool
) -> None:
    """POST -> INVITE on the wire, seen by a bare UDP socket standing in for the phone."""
    loop = asyncio.get_running_loop()
    arrivals: list[float] = []
    invited = asyncio.Event()

    class Phone(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if data.startswith(b"INVITE "):
                arrivals.append(time.perf_counter())
                invited.set()

    port = port_pool.take()
    transport, _ = await loop.create_datagram_endpoint(Phone, local_addr=("127.0.0.1", port))
    try:
        endpoint = f"PJSIP/direct/sip:latency@127.0.0.1:{port}"
        running = await voice(asterisk=asterisk, routes={NUMBERS[0]: endpoint}, ring_timeout=5)
        api = running.api
        await api.put_site("home", site_body([contact(0)]))
        delays = []
        for index in range(5):
            arrivals.clear()
            invited.clear()
            sent = time.perf_counter()
            status, _ = await api.post_alert("home", alert_body(f"lat-{index}"))
            assert status == 201
            await asyncio.wait_for(invited.wait(), 2)
            delays.append(arrivals[0] - sent)
            await api.call("POST", f"/api/v1/alerts/lat-{index}/cancel")
            await api.wait_alert(f"lat-{index}", finished, within=10)
    finally:
        transport.close()
    _LOGGER.warning(
        "POST -> first INVITE: median %.1f ms, max %.1f ms",
        statistics.median(delays) * 1000,
        max(delays) * 1000,
    )
    assert statistics.median(delays) < 0.150, delays


async def test_rounds_then_exhausted(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    smtp_sink: SmtpSink,
) -> None:
    reject = sipp_phone("uas_reject", name="reject")
    hangup = sipp_phone("uas_answer_hangup", delay_ms=300, name="hangup")
    running = await voice(
        asterisk=asterisk,
        routes={NUMBERS[0]: reject.endpoint, NUMBERS[1]: hangup.endpoint},
        rounds=2,
        smtp_port=smtp_sink.port,
    )
    api = running.api
    await api.put_site("home", site_body([contact(0), contact(1, email=False)]))
    await api.post_alert("home", alert_body("ex-1"))
    alert = await api.wait_alert("ex-1", finished, within=20)
    assert alert["status"] == "exhausted"
    assert outcomes(alert) == [("c0", "rejected"), ("c1", "hung_up")] * 2
    assert [a["round"] for a in alert["attempts"]] == [1, 1, 2, 2]
    assert alert["attempts"][0]["cause"] == 21
    # Information, then "nobody acknowledged", to the only contact with an email.
    await until(lambda: len(smtp_sink.messages) == 2, within=15)
    assert {m["X-Rcpt"] for m in smtp_sink.messages} == {"c0@example.org"}


async def test_silence_means_next_contact(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    silent = sipp_phone("uas_dtmf", digits="1", delay_ms=30000, name="voicemail")
    running = await voice(
        asterisk=asterisk, routes={NUMBERS[0]: silent.endpoint}, digit_timeout=1.5
    )
    api = running.api
    await api.put_site("home", site_body([contact(0)]))
    body = alert_body("si-1", kind="fault", detector=None, zone=None)
    await api.post_alert("home", body)
    alert = await api.wait_alert("si-1", finished, within=30)
    assert alert["status"] == "exhausted"
    assert outcomes(alert) == [("c0", "answered")]


async def test_station_unreachable_then_code_still_accepted(
    asterisk: AsteriskInstance, sipp_phone: SippFactory, voice: VoiceFactory
) -> None:
    phone = sipp_phone("uas_dtmf", digits="9,,,4321#", delay_ms=500, name="sos-then-code")
    station = sipp_phone("uas_busy", name="busy-station")
    running = await voice(asterisk=asterisk, routes={NUMBERS[0]: phone.endpoint})
    api = running.api
    await api.put_site("home", site_body([contact(0)], station=station.uri))
    await api.post_alert("home", alert_body("su-1"))
    alert = await api.wait_alert("su-1", finished, within=30)
    assert (alert["status"], outcomes(alert)) == ("acknowledged", [("c0", "acknowledged")])
    assert "486 Busy" in (station.log_dir / "messages.log").read_text()
