"""Hostile bodies on every endpoint: lone surrogates, JSON nested deep — a 4xx, never a 5xx.

Nothing of such a body reaches SQLite or an error log line either.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from tests.voice.harness import alert_body, contact, heartbeat_body, site_body

if TYPE_CHECKING:
    from tests.voice.conftest import RunningVoice, VoiceFactory

SURROGATE = "\ud800"
_SITE = site_body([contact(0), contact(1)], station="+33123456789")
_SITE_CALLBACK = site_body([contact(0)], callback_url="https://ha.example/api/webhook/x")
_ALERT = alert_body("h-1", photos=[])

# Every text field of every body, as a path into the body.
_SITE_FIELDS = [
    "name", "language", "formula", "station", "contacts.0.id", "contacts.0.name",
    "contacts.0.phone", "contacts.0.email", "contacts.1.ack_code_hash",
]  # fmt: skip
_CALLBACK_FIELDS = ["callback_url", "callback_secret"]
_ALERT_FIELDS = ["alert_id", "kind", "detector", "zone", "occurred_at", "photos.0"]
_HEARTBEAT = heartbeat_body()
_HEARTBEAT_FIELDS = ["armed", "interval", "grace", "at"]
_NOTICE = {
    "notice_id": "n-1",
    "kind": "trouble",
    "occurred_at": "2026-03-03T14:30:00+01:00",
    "troubles": [{"kind": "tamper", "detector": "Hall", "since": "2026-03-03T14:30:00+01:00"}],
}
_NOTICE_FIELDS = [
    "notice_id", "kind", "occurred_at",
    "troubles.0.kind", "troubles.0.detector", "troubles.0.since",
]  # fmt: skip


def _with(base: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    body = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if last.isdigit():
        target.append(value)  # photos: the list is empty
    else:
        target[last] = value
    return body


def _cases() -> list[tuple[str, str, dict[str, Any], str]]:
    return [
        *(("PUT", "/api/v1/sites/home", _SITE, field) for field in _SITE_FIELDS),
        *(("PUT", "/api/v1/sites/home", _SITE_CALLBACK, field) for field in _CALLBACK_FIELDS),
        *(("POST", "/api/v1/sites/home/alerts", _ALERT, field) for field in _ALERT_FIELDS),
        ("POST", "/api/v1/alerts/h-0/cancel", {"by": "Marie"}, "by"),
        *(
            ("PUT", "/api/v1/sites/home/heartbeat", _HEARTBEAT, field)
            for field in _HEARTBEAT_FIELDS
        ),
        *(("POST", "/api/v1/sites/home/notices", _NOTICE, field) for field in _NOTICE_FIELDS),
    ]


@pytest.fixture
async def running(voice: VoiceFactory) -> RunningVoice:
    server = await voice()
    await server.api.put_site("home", site_body([contact(0)]))
    status, _ = await server.api.post_alert("home", alert_body("h-0"))
    assert status == 201
    return server


@pytest.mark.parametrize("where", ["alone", "inside"])
@pytest.mark.parametrize(("method", "path", "base", "field"), _cases())
async def test_a_lone_surrogate_in_any_text_field_is_a_4xx(
    running: RunningVoice,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    base: dict[str, Any],
    field: str,
    where: str,
) -> None:
    value = SURROGATE if where == "alone" else f"Mar{SURROGATE}ie"
    raw = json.dumps(_with(base, field, value)).encode()  # ``\ud800`` escaped, valid JSON text
    with caplog.at_level(logging.DEBUG):
        status, answer = await running.api.call(method, path, raw=raw)
    assert 400 <= status < 500, (status, answer)
    assert isinstance(answer, dict)
    assert answer["error"]
    assert "\\ud800" not in json.dumps(answer)  # the input is not echoed back
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    rows = running.server.store.conn.execute(
        "SELECT group_concat(body) FROM sites UNION ALL SELECT group_concat(plan) FROM alerts"
    ).fetchall()
    assert all(SURROGATE not in (row[0] or "") for row in rows)


@pytest.mark.parametrize(("method", "path", "base", "field"), _cases()[::4])
@pytest.mark.parametrize("depth", [1000, 100_000])
async def test_json_nested_deep_is_a_4xx(
    running: RunningVoice, method: str, path: str, base: dict[str, Any], field: str, depth: int
) -> None:
    marker = "NESTED"
    text = json.dumps(_with(base, field, marker)).replace(f'"{marker}"', "[" * depth + "]" * depth)
    status, answer = await running.api.call(method, path, raw=text.encode())
    assert 400 <= status < 500, (status, answer)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/api/v1/sites/home"), ("POST", "/api/v1/sites/home/alerts"),
     ("POST", "/api/v1/alerts/h-0/cancel")],
)  # fmt: skip
@pytest.mark.parametrize("raw", [b'"\\ud800"', b'{"\\ud800": 1}', b"\xed\xa0\x80", b"[" * 200_000])
async def test_a_hostile_whole_body_is_a_4xx(
    running: RunningVoice, method: str, path: str, raw: bytes
) -> None:
    status, answer = await running.api.call(method, path, raw=raw)
    assert 400 <= status < 500, (status, answer)
