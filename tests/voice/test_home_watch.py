"""Home offline on the real voice server (Asterisk away: the alert is kept, queued).

Heartbeats over HTTP, the watcher on its real clock with a grace of a second or so, the SMTP and
webhook sinks, restarts on one database. The phone ringing is test_home_offline_e2e.py's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.imaprotect.contract.enums import AlertStatus
from testkit.polling import until
from testkit.voice_api import VoiceApi
from tests.voice.conftest import LOOPBACK, voice_config
from tests.voice.harness import contact, heartbeat_body, site_body
from voice_server import heartbeats, home_watch
from voice_server.mail_words import MONTHS
from voice_server.server import VoiceServer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.voice.conftest import PortPool, RunningVoice, VoiceFactory
    from tests.voice.harness import CallbackSink, SmtpSink

GRACE = 1.0
INTERVAL = 0.5


def offline_alerts(server: VoiceServer) -> list[str]:
    rows = server.store.conn.execute(
        "SELECT alert_id FROM alerts WHERE kind = 'home_offline' ORDER BY created_at"
    ).fetchall()
    return [row[0] for row in rows]


async def silent_for(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def armed(api: VoiceApi, site: str = "home", **changes: Any) -> dict[str, Any]:
    status, answer = await api.heartbeat(
        site, heartbeat_body(interval=INTERVAL, grace=GRACE, **changes)
    )
    assert status == 200, answer
    assert isinstance(answer, dict)
    return answer


@pytest.fixture
async def running(voice: VoiceFactory, smtp_sink: SmtpSink) -> RunningVoice:
    return await voice(smtp_port=smtp_sink.port)


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"grace": 0.9}, "invalid_value", "grace"),  # less than twice the interval
        ({"interval": 0.1, "grace": 1.0}, "invalid_value", "interval"),
        ({"interval": 3601.0, "grace": 8000.0}, "invalid_value", "interval"),
        ({"grace": 86401.0}, "invalid_value", "grace"),
        ({"at": "2026-03-14T14:32:00"}, "invalid_value", "at"),  # no offset: no home time zone
        ({"at": None}, "invalid_type", "at"),
        ({"armed": "maybe"}, "invalid_value", "armed"),
        ({"interval": "often"}, "invalid_value", "interval"),
    ],
)
async def test_a_heartbeat_is_refused_with_the_field_named(
    running: RunningVoice, change: dict[str, Any], error: str, field: str
) -> None:
    api = running.api
    await api.put_site("home", site_body([contact(0)]))
    status, answer = await api.heartbeat("home", heartbeat_body(**change))
    assert (status, answer["error"], answer["field"]) == (422, error, field), answer


async def test_a_heartbeat_without_its_time_is_refused(running: RunningVoice) -> None:
    await running.api.put_site("home", site_body([contact(0)]))
    body = heartbeat_body()
    del body["at"]
    status, answer = await running.api.heartbeat("home", body)
    assert (status, answer["error"], answer["field"]) == (422, "missing_field", "at")


async def test_a_heartbeat_for_an_unknown_site_is_a_404_naming_the_site(
    running: RunningVoice,
) -> None:
    status, answer = await running.api.heartbeat("nowhere", heartbeat_body())
    assert (status, answer["error"], answer["field"]) == (404, "not_found", "site_id")
    status, answer = await running.api.heartbeat("bad id!", heartbeat_body())
    assert (status, answer["field"]) == (422, "site_id")


async def test_the_answer_says_when_the_home_would_count_as_offline(
    running: RunningVoice,
) -> None:
    api = running.api
    await api.put_site("home", site_body([contact(0)]))
    before = time.time()
    answer = await armed(api)
    assert answer["site_id"] == "home"
    assert answer["armed"] is True
    assert answer["ended_silence"] is None
    offline_at = datetime.fromisoformat(answer["offline_at"]).timestamp()
    assert before + GRACE - 0.01 <= offline_at <= time.time() + GRACE + 0.01
    answer = await armed(api, armed=False)
    assert (answer["armed"], answer["offline_at"]) == (False, None)


async def test_an_armed_home_that_falls_silent_is_reported_once(
    running: RunningVoice, smtp_sink: SmtpSink, callback_sink: CallbackSink
) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0), contact(1)], callback_url=callback_sink.url))
    await armed(api)
    await until(lambda: offline_alerts(server), within=GRACE + 3, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    alert = await api.alert(alert_id)
    assert (alert["kind"], alert["site_id"]) == ("home_offline", "home")
    assert (alert["status"], alert["reason"]) == ("queued", "asterisk_unavailable")

    # The contacts are told by e-mail at once, in the home's language.
    await until(lambda: len(smtp_sink.messages) == 2, within=5, what="information e-mails")
    assert smtp_sink.subjects("c0@example.org") == ["[Maison] L'alarme ne répond plus"]
    body = smtp_sink.to("c1@example.org")[0].get_content()
    assert "L'alarme de « Maison » ne répond plus" in body
    # The last heartbeat on the server's clock, told in the home's zone (+01:00 here).
    watch = heartbeats.get(server.store.conn, "home")
    assert watch is not None
    local = datetime.fromtimestamp(watch.last_seen, timezone(timedelta(hours=1)))
    month = MONTHS["fr"][local.month - 1]
    expected = f"le {local.day} {month} {local.year} à {local.hour:02d}:{local.minute:02d}"
    assert f"Dernier signal reçu : {expected}" in body
    await until(lambda: callback_sink.statuses(alert_id) == ["queued"], within=5)

    # One alert per silence, not one per grace.
    await silent_for(3 * GRACE)
    assert offline_alerts(server) == [alert_id]
    _, text = await api.call("GET", "/metrics")
    assert "imaprotect_voice_homes_offline 1.0" in text
    assert "imaprotect_voice_homes_watched 0.0" in text


async def test_a_disarm_before_the_grace_reports_nothing(running: RunningVoice) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    await armed(api)
    _, text = await api.call("GET", "/metrics")
    assert "imaprotect_voice_homes_watched 1.0" in text
    await asyncio.sleep(GRACE / 2)
    await armed(api, armed=False)
    await silent_for(3 * GRACE)
    assert offline_alerts(server) == []
    _, text = await api.call("GET", "/metrics")
    assert "imaprotect_voice_homes_watched 0.0" in text
    assert "imaprotect_voice_homes_offline 0.0" in text


async def test_heartbeats_keep_an_armed_home_from_being_reported(running: RunningVoice) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    for _ in range(8):  # 2 s: twice the grace, a heartbeat every interval
        await armed(api)
        await asyncio.sleep(INTERVAL / 2)
    assert offline_alerts(server) == []


async def test_heartbeats_coming_back_stop_the_calls_and_say_so(
    running: RunningVoice, smtp_sink: SmtpSink, callback_sink: CallbackSink
) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)], callback_url=callback_sink.url))
    await armed(api)
    await until(lambda: offline_alerts(server), within=GRACE + 3, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    await until(lambda: len(smtp_sink.messages) == 1, within=5)

    answer = await armed(api)
    assert answer["ended_silence"] == alert_id
    alert = await api.alert(alert_id)
    assert (alert["status"], alert["reason"], alert["cancelled_by"]) == (
        "cancelled",
        "home_back",
        None,
    )
    await until(lambda: len(callback_sink.by_alert.get(alert_id, [])) == 3, within=5)
    cancelled, back = callback_sink.by_alert[alert_id][1:]
    assert cancelled.payload is not None
    assert back.payload is not None
    assert (cancelled.payload["event"], cancelled.payload["status"]) == (
        "alert_status",
        "cancelled",
    )
    assert cancelled.payload["reason"] == "home_back"
    assert "since" not in cancelled.payload
    assert (back.payload["event"], back.payload["status"], back.payload["reason"]) == (
        "home_back",
        "cancelled",
        "home_back",
    )
    since = datetime.fromisoformat(back.payload["since"])
    assert since.utcoffset() is not None
    assert since.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert back.payload["contact"] is None
    assert "wrong_codes" not in back.payload
    await until(lambda: len(smtp_sink.messages) == 2, within=5, what="the 'back' e-mail")
    message = smtp_sink.messages[-1]  # the information e-mail was delivered before
    assert str(message["Subject"]) == "[Maison] L'alarme répond de nouveau"
    assert "Les appels sont arrêtés." in message.get_content()
    assert "elle est armée" in message.get_content()

    # The home is watched again: a new silence is a new alert.
    await until(lambda: len(offline_alerts(server)) == 2, within=GRACE + 3, what="second alert")
    assert offline_alerts(server)[0] == alert_id


async def test_a_silence_taken_by_a_contact_is_not_stopped_when_it_ends(
    running: RunningVoice, smtp_sink: SmtpSink, callback_sink: CallbackSink
) -> None:
    api, server = running.api, running.server
    await api.put_site(
        "home", site_body([contact(0)], callback_url=callback_sink.url, language="en")
    )
    await armed(api)
    await until(lambda: offline_alerts(server), within=GRACE + 3, what="home offline alert")
    (alert_id,) = offline_alerts(server)
    alert = server.store.get_alert(alert_id)
    assert alert is not None
    contact_0 = alert.plan.contacts[0]
    assert server.campaigns is not None
    server.campaigns._ledger.finish(alert, AlertStatus.ACKNOWLEDGED, contact_0)
    answer = await armed(api, armed=False)
    assert answer["ended_silence"] == alert_id
    assert (await api.alert(alert_id))["status"] == "acknowledged"
    await until(lambda: any(p["event"] == "home_back" for p in callback_sink.payloads), within=5)
    (back,) = [p for p in callback_sink.payloads if p["event"] == "home_back"]
    assert (back["status"], back["contact"]) == ("acknowledged", {"id": "c0", "name": "Contact 0"})
    assert "reason" not in back
    await until(lambda: len(smtp_sink.messages) == 3, within=5)
    subjects = smtp_sink.subjects("c0@example.org")
    assert sorted(subjects) == sorted([
        "[Maison] The alarm no longer answers",
        "[Maison] Alert acknowledged by Contact 0",
        "[Maison] The alarm answers again",
    ])  # fmt: skip
    (message,) = [m for m in smtp_sink.messages if "answers again" in str(m["Subject"])]
    assert "it is disarmed" in message.get_content()
    assert "The calls are stopped." not in message.get_content()


async def test_a_deleted_site_is_watched_no_more(running: RunningVoice) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    await armed(api)
    assert (await api.call("DELETE", "/api/v1/sites/home"))[0] == 204
    assert heartbeats.get(server.store.conn, "home") is None
    await silent_for(3 * GRACE)
    assert offline_alerts(server) == []


async def test_a_watch_whose_site_vanished_is_dropped(running: RunningVoice) -> None:
    api, server = running.api, running.server
    await api.put_site("home", site_body([contact(0)]))
    await armed(api)
    with server.store.transaction() as conn:  # a site gone behind the watcher's back
        conn.execute("DELETE FROM sites WHERE site_id = 'home'")
    await until(
        lambda: heartbeats.get(server.store.conn, "home") is None, within=GRACE + 3, what="drop"
    )
    assert offline_alerts(server) == []


async def test_a_failing_report_is_tried_again(
    running: RunningVoice, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api, server = running.api, running.server
    monkeypatch.setattr(home_watch, "_RETRY", 0.3)
    assert server.campaigns is not None
    create = server.campaigns.create
    calls: list[str] = []

    def flaky(site_id: str, request: Any) -> Any:
        calls.append(site_id)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return create(site_id, request)

    monkeypatch.setattr(server.campaigns, "create", flaky)
    await api.put_site("home", site_body([contact(0)]))
    with caplog.at_level(logging.ERROR, logger="voice_server.home_watch"):
        await armed(api)
        await until(lambda: offline_alerts(server), within=GRACE + 3, what="alert after retry")
    assert len(calls) == 2
    assert "site home: the home offline alert failed" in caplog.text


# --- restarts on one database ----------------------------------------------------------------


async def _server(tmp_path: Path, prompt_dir: Path, port_pool: PortPool) -> VoiceServer:
    config = voice_config(
        tmp_path / "voice.db", prompt_dir, asterisk=None, ari_port=port_pool.take()
    )
    server = VoiceServer(config)
    await server.start()
    return server


def _api(server: VoiceServer, session: aiohttp.ClientSession) -> VoiceApi:
    return VoiceApi(f"http://{LOOPBACK}:{server.port}", session)


async def test_a_restart_neither_forgets_a_silent_home_nor_reports_it_twice(
    tmp_path: Path, prompt_dir: Path, port_pool: PortPool
) -> None:
    async with aiohttp.ClientSession() as session:
        first = await _server(tmp_path, prompt_dir, port_pool)
        try:
            api = _api(first, session)
            await api.put_site("home", site_body([contact(0)]))
            await armed(api)
        finally:
            await first.stop()  # before the grace: nothing reported yet
        await asyncio.sleep(GRACE)  # the server is down longer than the grace

        second = await _server(tmp_path, prompt_dir, port_pool)
        try:
            assert second.homes is not None
            started = second.homes.since
            await until(lambda: offline_alerts(second), within=GRACE + 3, what="alert")
            # Its own downtime is not the home's silence: a full grace after the start.
            (alert_id,) = offline_alerts(second)
            alert = second.store.get_alert(alert_id)
            assert alert is not None
            created = datetime.fromisoformat(alert.created_at).timestamp()
            assert created >= started + GRACE - 0.05
        finally:
            await second.stop()

        third = await _server(tmp_path, prompt_dir, port_pool)
        try:
            await silent_for(3 * GRACE)
            assert offline_alerts(third) == [alert_id]
            assert (await _api(third, session).alert(alert_id))["status"] == "queued"
        finally:
            await third.stop()


async def test_a_report_cut_short_by_a_crash_is_not_raised_twice(
    tmp_path: Path, prompt_dir: Path, port_pool: PortPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with aiohttp.ClientSession() as session:
        first = await _server(tmp_path, prompt_dir, port_pool)
        try:
            api = _api(first, session)
            await api.put_site("home", site_body([contact(0)]))
            # The crash: the alert is written, the watch's "reported" mark never is.
            with monkeypatch.context() as patch:
                patch.setattr(heartbeats, "mark_reported", lambda *_: False)
                await armed(api)
                await until(lambda: offline_alerts(first), within=GRACE + 3, what="alert")
                (alert_id,) = offline_alerts(first)
                assert heartbeats.get(first.store.conn, "home").alert_id is None  # type: ignore[union-attr]
        finally:
            await first.stop()
        second = await _server(tmp_path, prompt_dir, port_pool)
        try:
            await until(
                lambda: (
                    (w := heartbeats.get(second.store.conn, "home")) is not None
                    and w.alert_id == alert_id
                ),
                within=GRACE + 3,
                what="the same alert marked",
            )
            assert offline_alerts(second) == [alert_id]
        finally:
            await second.stop()
