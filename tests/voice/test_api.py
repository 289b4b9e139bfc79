"""The HTTP API against a real server process-in-loop, with Asterisk away (calls just wait)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import hashlib
import os
import time
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.imaprotect.contract.enums import Formula, Language
from custom_components.imaprotect.contract.models import Contact, Site
from tests.voice.conftest import voice_config
from tests.voice.harness import CALLBACK_SECRET, alert_body, code_hash, contact, site_body
from voice_server import server as server_module
from voice_server.prompts import fixed_texts
from voice_server.server import VoiceServer
from voice_server.store import Alert, Store

if TYPE_CHECKING:
    from pathlib import Path

    from tests.voice.conftest import PortPool, RunningVoice, VoiceFactory
    from tests.voice.harness import CallbackSink, VoiceApi

ROUTES = [
    ("PUT", "/api/v1/sites/home"),
    ("GET", "/api/v1/sites/home"),
    ("DELETE", "/api/v1/sites/home"),
    ("POST", "/api/v1/sites/home/alerts"),
    ("PUT", "/api/v1/sites/home/heartbeat"),
    ("POST", "/api/v1/sites/home/notices"),
    ("GET", "/api/v1/alerts/a-1"),
    ("POST", "/api/v1/alerts/a-1/cancel"),
    ("POST", "/api/v1/alerts/a-1/photos"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/metrics"),
]


@pytest.fixture
async def running(voice: VoiceFactory) -> RunningVoice:
    return await voice()


@pytest.fixture
def api(running: RunningVoice) -> VoiceApi:
    return running.api


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef", ""])
async def test_every_endpoint_needs_the_token(
    api: VoiceApi, method: str, path: str, token: str | None
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with api.session.request(method, api.base + path, headers=headers, json={}) as resp:
        assert resp.status == 401
        assert await resp.json() == {"error": "unauthorized"}


async def test_healthz_is_public_and_degraded_without_asterisk(api: VoiceApi) -> None:
    async with api.session.get(api.base + "/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "degraded", "asterisk": False, "dead_letters": 0}


async def test_site_round_trip_hides_secrets(api: VoiceApi) -> None:
    body = site_body(
        [contact(0), {**contact(1), "phone": "06 12 34 56 11"}],
        station="sip:station@127.0.0.1:5099",
        callback_url="http://127.0.0.1:8123/api/webhook/x",
    )
    assert await api.call("PUT", "/api/v1/sites/home", body) == (
        201,
        {"site_id": "home", "contacts": 2},
    )
    assert (await api.call("PUT", "/api/v1/sites/home", body))[0] == 200
    status, site = await api.call("GET", "/api/v1/sites/home")
    assert status == 200
    assert [c["phone"] for c in site["contacts"]] == ["+33612345610", "+33612345611"]
    text = str(site)
    assert "code_hash" not in text
    assert "pbkdf2" not in text
    assert CALLBACK_SECRET not in text
    assert (await api.call("DELETE", "/api/v1/sites/home"))[0] == 204
    assert (await api.call("GET", "/api/v1/sites/home"))[0] == 404
    assert (await api.call("DELETE", "/api/v1/sites/home"))[0] == 404


@pytest.mark.parametrize(
    ("phone", "detail"),
    [
        ("+14155550123", "region US"),  # valid, but not French
        ("+33 7 12 34 56 78", "not a valid"),  # French prefix, impossible number
        ("n/a", "not a phone number"),
    ],
)
async def test_refused_phone_names_the_contact(api: VoiceApi, phone: str, detail: str) -> None:
    contacts = [contact(0), {**contact(1), "phone": phone}]
    status, error = await api.call("PUT", "/api/v1/sites/home", site_body(contacts))
    assert status == 422
    assert error["error"] == "invalid_phone"
    assert error["field"] == "contacts.1.phone"
    assert error["contact"] == "c1"
    assert "c1" in error["detail"]
    assert detail in error["detail"]
    assert phone not in str(error)


async def test_allowed_regions_are_configurable(voice: VoiceFactory) -> None:
    running = await voice(allowed_regions=("FR", "BE"))
    contacts = [contact(0), {**contact(1), "phone": "+32 470 12 34 56"}]
    status, _ = await running.api.call("PUT", "/api/v1/sites/home", site_body(contacts))
    assert status == 201


_GOOD_SITE = site_body([contact(0)])


@pytest.mark.parametrize(
    ("path", "raw", "status", "field"),
    [
        ("/api/v1/sites/home", b"{not json", 400, ""),
        ("/api/v1/sites/home", b"\xff\xfe", 400, ""),
        ("/api/v1/sites/home", b"[1, 2]", 422, ""),
        ("/api/v1/sites/home", b"", 400, ""),
        ("/api/v1/sites/home/alerts", b'{"alert_id": 5}', 422, "alert_id"),
        ("/api/v1/sites/home/alerts", b"null", 422, ""),
        ("/api/v1/alerts/a-1/cancel", b"{oops", 400, ""),
    ],
)
async def test_malformed_json_is_a_4xx(
    api: VoiceApi, path: str, raw: bytes, status: int, field: str
) -> None:
    await api.put_site("home", _GOOD_SITE)
    method = "PUT" if path == "/api/v1/sites/home" else "POST"
    got, error = await api.call(method, path, raw=raw)
    assert (got, error["field"]) == (status, field), error


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with the dotted ``path`` set to ``value``."""
    import copy

    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("name", None),
        ("name", 12),
        ("language", "de"),
        ("formula", "gold"),
        ("contacts", []),
        ("contacts", "c0"),
        ("contacts.0", "c0"),
        ("contacts.0.id", "bad id!"),
        ("contacts.0.email", "not-an-email"),
        ("contacts.0.ack_code_hash", "1234"),
        ("contacts.0.ack_code_hash", "pbkdf2_sha256$x$AAAA$AAAA"),
        ("contacts.0.phone", ["+33612345678"]),
        ("station", "sip:bad uri"),
        ("callback_url", "ftp://example.org"),
        ("callback_secret", "short"),
    ],
)
async def test_invalid_site_fields_are_named(api: VoiceApi, path: str, value: Any) -> None:
    body = _with(site_body([contact(0)], callback_url="http://127.0.0.1:1/hook"), path, value)
    status, error = await api.call("PUT", "/api/v1/sites/home", body)
    assert status == 422, error
    assert error["field"] == path or error["field"].startswith(path), error


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("alert_id", ""),
        ("alert_id", "x" * 65),
        ("kind", "burglary"),
        ("occurred_at", "yesterday"),
        ("occurred_at", "2026-03-14T14:32:00"),  # no time zone
        ("detector", "line\nbreak"),
        ("photos", "abc"),
        ("photos", ["%%%"]),
        ("photos", ["aGVsbG8="] * 6),
    ],
)
async def test_invalid_alert_fields_are_named(api: VoiceApi, path: str, value: Any) -> None:
    await api.put_site("home", _GOOD_SITE)
    status, error = await api.post_alert("home", _with(alert_body("a-1"), path, value))
    assert status == 422, error
    assert error["field"].startswith(path), error


async def test_alert_for_unknown_site_or_alert(api: VoiceApi) -> None:
    status, error = await api.post_alert("nowhere", alert_body("a-1"))
    assert (status, error["field"]) == (404, "site_id")
    assert (await api.call("GET", "/api/v1/alerts/nope"))[0] == 404
    assert (await api.call("POST", "/api/v1/alerts/nope/cancel"))[0] == 404
    assert (await api.call("GET", "/api/v1/nothing-here"))[0] == 404
    assert (await api.call("PATCH", "/api/v1/sites/home", {}))[0] == 405


async def test_alert_waits_while_asterisk_is_away_and_is_idempotent(api: VoiceApi) -> None:
    await api.put_site("home", _GOOD_SITE)
    photo = "aGVsbG8="
    # Asterisk is away: the alert is kept, and says it is queued rather than calling (issue 8).
    assert await api.post_alert("home", alert_body("a-1", photos=[photo])) == (
        201,
        {"alert_id": "a-1", "status": "queued"},
    )
    assert await api.post_alert("home", alert_body("a-1")) == (
        200,
        {"alert_id": "a-1", "status": "queued"},
    )
    alert = await api.alert("a-1")
    assert alert["attempts"] == []
    assert alert["current_contact"] is None
    assert alert["reason"] == "asterisk_unavailable"
    status, cancelled = await api.call("POST", "/api/v1/alerts/a-1/cancel", {"by": None})
    assert (status, cancelled["status"], cancelled["attempts"]) == (200, "cancelled", [])


async def test_alerts_arriving_together_share_their_fsync(running: RunningVoice) -> None:
    """Avalanche (issue 8): one synced commit per alert held up every other alert's answer."""
    api = running.api
    await api.put_site("home", _GOOD_SITE)
    commits: list[str] = []
    running.server.store.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    answers = await asyncio.gather(
        *(api.post_alert("home", alert_body(f"g-{i}")) for i in range(40))
    )
    running.server.store.conn.set_trace_callback(None)
    assert [status for status, _ in answers] == [201] * 40
    assert len(commits) < 20  # one per alert before
    for i in range(40):
        assert running.server.store.get_alert(f"g-{i}") is not None


async def test_the_same_alert_sent_twice_at_once_is_recorded_once(running: RunningVoice) -> None:
    api = running.api
    await api.put_site("home", _GOOD_SITE)
    answers = await asyncio.gather(*(api.post_alert("home", alert_body("twice")) for _ in range(2)))
    assert sorted(status for status, _ in answers) == [200, 201]
    assert running.server.store.active_alert_ids() == ["twice"]


async def test_openapi_lists_every_route(running: RunningVoice) -> None:
    status, document = await running.api.call("GET", "/api/v1/openapi.json")
    assert status == 200
    assert document["openapi"].startswith("3.1")
    app = running.server._runner.app  # type: ignore[union-attr]
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        assert path in document["paths"], path


async def test_metrics_text(api: VoiceApi) -> None:
    status, text = await api.call("GET", "/metrics")
    assert status == 200
    assert "imaprotect_voice_alert_to_first_call_seconds_bucket" in text
    assert "imaprotect_voice_outbox_pending_email 0" in text
    assert "imaprotect_voice_asterisk_up 0" in text
    assert "imaprotect_voice_calls_waiting_for_asterisk 0" in text


async def test_metrics_content_type_is_negotiated_by_the_library(api: VoiceApi) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    async with api.session.get(api.base + "/metrics", headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await resp.text()
    assert "# TYPE imaprotect_voice_calls_total counter" in text
    assert not text.endswith("# EOF\n")
    # A scraper asking for OpenMetrics (as Prometheus does) gets it.
    headers["Accept"] = "application/openmetrics-text; version=1.0.0"
    async with api.session.get(api.base + "/metrics", headers=headers) as resp:
        assert resp.status == 200
        content_type = resp.headers["Content-Type"]
        assert content_type.startswith("application/openmetrics-text; version=1.0.0")
        assert (await resp.text()).endswith("# EOF\n")


async def test_cancel_callback_says_who_and_plans_keep_no_callback_secret(
    running: RunningVoice, callback_sink: CallbackSink
) -> None:
    api = running.api
    await api.put_site("home", site_body([contact(0)], callback_url=callback_sink.url))
    assert (await api.post_alert("home", alert_body("a-1")))[0] == 201
    status, cancelled = await api.call("POST", "/api/v1/alerts/a-1/cancel", {"by": "Marie"})
    assert (status, cancelled["cancelled_by"]) == (200, "Marie")
    # Cancelling again changes nothing and sends nothing.
    assert (await api.call("POST", "/api/v1/alerts/a-1/cancel", {"by": "Paul"}))[0] == 200
    deadline = time.monotonic() + 5
    while len(callback_sink.payloads) < 2:
        assert time.monotonic() < deadline, callback_sink.payloads
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)

    assert callback_sink.events("a-1") == [
        ("alert_status", "queued", None, None),  # Asterisk is away (issue 8)
        ("alert_status", "cancelled", None, None),
    ]
    calling, cancel = callback_sink.payloads
    assert "cancelled_by" not in calling
    assert cancel["cancelled_by"] == "Marie"
    assert callback_sink.refused == 0  # signed with the site's secret, read when enqueued
    (plan,) = running.server.store.conn.execute("SELECT plan FROM alerts").fetchone()
    assert CALLBACK_SECRET not in plan
    assert callback_sink.url not in plan


async def test_cancel_without_by_says_null(
    running: RunningVoice, callback_sink: CallbackSink
) -> None:
    api = running.api
    await api.put_site("home", site_body([contact(0)], callback_url=callback_sink.url))
    await api.post_alert("home", alert_body("a-1"))
    await api.call("POST", "/api/v1/alerts/a-1/cancel")
    deadline = time.monotonic() + 5
    while len(callback_sink.payloads) < 2:
        assert time.monotonic() < deadline, callback_sink.payloads
        await asyncio.sleep(0.02)
    assert callback_sink.payloads[1]["event"] == "alert_status"
    assert callback_sink.payloads[1]["cancelled_by"] is None


async def test_dead_letters_in_healthz_and_metrics(running: RunningVoice) -> None:
    api = running.api
    with running.server.store.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox (kind, site_id, body, created_at, next_attempt, attempts,"
            " refusals, last_error, dead_at) VALUES ('callback', 'home', x'7b7d', ?, 0, 5, 5,"
            " 'http_401', ?)",
            (time.time(), time.time()),
        )
    assert await api.call("GET", "/healthz") == (
        200,
        {"status": "degraded", "asterisk": False, "dead_letters": 1},  # degraded: no Asterisk
    )
    status, text = await api.call("GET", "/metrics")
    assert status == 200
    assert "imaprotect_voice_outbox_dead_callback 1" in text
    assert "imaprotect_voice_outbox_dead_email 0" in text
    assert "imaprotect_voice_outbox_pending_callback 0" in text


def _finished_alert(store: Store, alert_id: str, days_ago: float) -> None:
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="milliseconds")
    site = Site(
        name="Maison",
        language=Language.FR,
        formula=Formula.A_LA_CARTE,
        contacts=(
            Contact(id="c0", name="C", phone="+33612345610", ack_code_hash=code_hash("4321")),
        ),
    )
    alert = Alert(
        alert_id, "home", "intrusion", None, None, at, site, "acknowledged", at, 1, 1,
        None, None, None, None, at,
    )  # fmt: skip
    with store.transaction() as conn:
        Store.insert_alert(conn, alert)
        Store.insert_attempt(conn, alert, site.contacts[0], f"chan-{alert_id}", at)


def _cached_prompt(folder: Path, language: str, text: str, days_ago: float) -> Path:
    path = folder / f"{hashlib.sha256(f'{language}\n{text}'.encode()).hexdigest()[:32]}.wav"
    path.write_bytes(b"RIFF")  # not audio: nothing here plays it
    when = time.time() - days_ago * 86400
    os.utime(path, (when, when))
    return path


def test_retention_at_start_and_every_hour(
    tmp_path: Path, port_pool: PortPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "_RETENTION_EVERY", 0.1)  # "every hour", made quick
    database, prompts = tmp_path / "voice.db", tmp_path / "prompts"
    prompts.mkdir()
    fixed = [_cached_prompt(prompts, lang, text, 30) for lang, text in fixed_texts()]
    stale = _cached_prompt(prompts, "fr", "Alerte à Maison : intrusion.", 8)
    store = Store(database)
    _finished_alert(store, "old", 31)
    _finished_alert(store, "recent", 29)
    store.close()
    config = voice_config(
        database, prompts, asterisk=None, ari_port=port_pool.take(), retention_days=30
    )

    async def scenario() -> None:
        server = VoiceServer(config)
        await server.start()
        try:
            assert server.store.get_alert("old") is None  # at start
            assert server.store.attempts("old") == []
            assert server.store.get_alert("recent") is not None
            assert not stale.exists()
            assert all(path.exists() for path in fixed)
            _finished_alert(server.store, "later", 31)
            deadline = time.monotonic() + 5
            while server.store.get_alert("later") is not None:  # the periodic run
                assert time.monotonic() < deadline, "retention did not run again"
                await asyncio.sleep(0.05)
            assert server.store.get_alert("recent") is not None
        finally:
            await server.stop()

    asyncio.run(scenario())
