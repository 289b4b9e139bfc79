"""The versioned schema: new databases, release 0.1.0's databases, reopening, newer databases.

``fixtures/db_release_0_1_0.sql`` is a database made by release 0.1.0's own code (see
``fixtures/make_db_release_0_1_0.py``), the last release without a schema version.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import logging
from pathlib import Path
import re
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.voice.conftest import voice_config
from tests.voice.harness import CALLBACK_SECRET, VoiceApi
from voice_server import migrations, outbox
from voice_server.cli import main
from voice_server.migrations import DB_SCHEMA_VERSION, SchemaError, migrate, schema_version
from voice_server.server import VoiceServer
from voice_server.store import Store

if TYPE_CHECKING:
    from tests.voice.conftest import PortPool
    from tests.voice.harness import CallbackSink

RELEASE_0_1_0 = Path(__file__).with_name("fixtures") / "db_release_0_1_0.sql"
TABLES = ("sites", "alerts", "attempts", "outbox", "outbox_photo", "sqlite_sequence")


def _load(dump: Path, database: Path) -> None:
    conn = sqlite3.connect(database)
    try:
        conn.executescript(dump.read_text(encoding="utf-8"))
    finally:
        conn.close()


def _rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(database)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table in TABLES
        }
    finally:
        conn.close()


def _without_json(
    rows: dict[str, list[tuple[Any, ...]]], columns: dict[str, int]
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows with the given JSON column of each table left out."""
    return {
        table: [
            tuple(v for i, v in enumerate(row) if i != columns.get(table, -1)) for row in values
        ]
        for table, values in rows.items()
    }


def _shape(database: Path) -> dict[str, Any]:
    """Columns (name, type, not null, default, key) and indexes (columns, unique, partial)."""
    conn = sqlite3.connect(database)
    try:
        shape: dict[str, Any] = {}
        for table in TABLES[:-1]:
            shape[table] = [row[1:] for row in conn.execute(f"PRAGMA table_info({table})")]
            for _seq, name, unique, _origin, partial in conn.execute(f"PRAGMA index_list({table})"):
                columns = [row[2] for row in conn.execute(f"PRAGMA index_info({name})")]
                shape[f"{table}.{name}"] = (columns, unique, partial)
        shape["version"] = schema_version(conn)
        return shape
    finally:
        conn.close()


@pytest.fixture
def release_db(tmp_path: Path) -> Path:
    """A copy of the database release 0.1.0 left, as a file."""
    database = tmp_path / "voice.db"
    _load(RELEASE_0_1_0, database)
    return database


def test_there_is_one_step_per_version() -> None:
    assert len(migrations._STEPS) == DB_SCHEMA_VERSION


def test_a_new_database_gets_the_current_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.db")
    assert schema_version(store.conn) == DB_SCHEMA_VERSION
    store.close()
    assert set(_rows(tmp_path / "new.db")) == set(TABLES)
    assert all(rows == [] for rows in _rows(tmp_path / "new.db").values())


def test_release_0_1_0_database_is_migrated_without_loss(release_db: Path, tmp_path: Path) -> None:
    before = _rows(release_db)
    assert [len(before[table]) for table in TABLES] == [1, 2, 4, 4, 1, 1]
    conn = sqlite3.connect(release_db)
    assert schema_version(conn) == 0
    conn.close()

    store = Store(release_db)
    assert schema_version(store.conn) == DB_SCHEMA_VERSION
    after = _rows(release_db)
    # Step 3 adds the alerts' ``reason`` (NULL for old rows) and the wrong_codes table (empty).
    assert [row[16] for row in after["alerts"]] == [None] * len(before["alerts"])
    after["alerts"] = [row[:16] for row in after["alerts"]]
    conn = sqlite3.connect(release_db)
    assert conn.execute("SELECT COUNT(*) FROM wrong_codes").fetchone() == (0,)
    conn.close()
    # Every row and column unchanged, but for the contacts inside the site and the plans: step 2
    # drops the keypad code hashes, and a finished alert's phones and e-mails.
    sites_json = 1
    plan_json = 6
    assert _without_json(after, {"sites": sites_json, "alerts": plan_json}) == _without_json(
        before, {"sites": sites_json, "alerts": plan_json}
    )
    for table, column in (("sites", sites_json), ("alerts", plan_json)):
        for old_row, new_row in zip(before[table], after[table], strict=True):
            old, new = json.loads(old_row[column]), json.loads(new_row[column])
            finished = table == "alerts" and new_row[15] is not None
            assert "code_hash" not in new_row[column].replace("ack_code_hash", "")
            assert [c["ack_code_hash"] for c in new["contacts"]] == [""] * len(old["contacts"])
            assert [c["id"] for c in new["contacts"]] == [c["id"] for c in old["contacts"]]
            assert [c["phone"] for c in new["contacts"]] == [
                "" if finished else c["phone"] for c in old["contacts"]
            ]
            strip = ("contacts",)
            assert {k: v for k, v in new.items() if k not in strip} == {
                k: v for k, v in old.items() if k not in strip
            }
    Store(tmp_path / "fresh.db").close()
    assert _shape(release_db) == _shape(tmp_path / "fresh.db")

    # The server's own reads work on it.
    site = store.get_site("maison")
    assert site is not None
    assert [c.id for c in site.contacts] == ["marie", "paul"]
    assert site.callback_secret == "release-0.1.0-fixture-secret-0123456789"
    done = store.get_alert("a-done")
    assert done is not None
    assert (done.status, done.acknowledged_by_id, done.finished_at) == (
        "acknowledged",
        "paul",
        "2026-11-30T21:04:58.000+00:00",
    )
    assert done.plan.callback_secret is None
    assert [(a.contact_id, a.outcome, a.cause) for a in store.attempts("a-done")] == [
        ("marie", "no_answer", 19),
        ("paul", "acknowledged", 16),
    ]
    assert store.active_alert_ids() == ["a-live"]
    live = store.get_alert("a-live")
    assert live is not None
    assert (live.next_round, live.next_position) == (1, 1)
    assert [a.channel_id for a in store.open_attempts()] == ["chan-live-2"]
    assert outbox.pending_counts(store.conn) == {"email": 1, "callback": 1}
    assert outbox.dead_counts(store.conn) == {"email": 0, "callback": 1}

    # And its writes: new ids follow the old ones (outbox ids are idempotency keys).
    with store.transaction() as conn:
        Store.end_attempt(conn, 4, at="2026-12-01T03:16:00.000+00:00", outcome="hung_up", cause=16)
        Store.finish_alert(conn, "a-live", "exhausted", at="2026-12-01T03:16:00.000+00:00")
        callback = outbox.enqueue_callback(
            conn, site_id="maison", url="https://ha.example/api/webhook/h", secret="s" * 32,
            payload={"event": "alert_status"},
        )  # fmt: skip
    assert callback == 5
    assert store.active_alert_ids() == []
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert store.purge(retention_days=1, now=later) == (2, 2)  # both alerts; delivered and dead
    store.close()


def test_reopening_changes_nothing(release_db: Path, caplog: pytest.LogCaptureFixture) -> None:
    Store(release_db).close()
    before = _rows(release_db)
    conn = sqlite3.connect(release_db)
    cookie = conn.execute("PRAGMA schema_version").fetchone()  # SQLite's own schema counter
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="voice_server.migrations"):
        assert migrate(conn) == DB_SCHEMA_VERSION
    assert conn.total_changes == 0
    assert conn.execute("PRAGMA schema_version").fetchone() == cookie
    assert not conn.in_transaction
    conn.close()
    assert caplog.messages == []
    Store(release_db).close()
    assert _rows(release_db) == before


def test_a_newer_database_is_refused_never_downgraded(release_db: Path) -> None:
    Store(release_db).close()
    conn = sqlite3.connect(release_db)
    conn.execute(f"PRAGMA user_version = {DB_SCHEMA_VERSION + 1}")
    conn.close()
    before = _rows(release_db)

    with pytest.raises(SchemaError, match=rf"schema version {DB_SCHEMA_VERSION + 1}, newer"):
        Store(release_db)

    conn = sqlite3.connect(release_db)
    assert schema_version(conn) == DB_SCHEMA_VERSION + 1
    conn.close()
    assert _rows(release_db) == before


def test_the_command_line_says_why_it_refuses_a_newer_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "voice.db"
    Store(database).close()
    conn = sqlite3.connect(database)
    conn.execute(f"PRAGMA user_version = {DB_SCHEMA_VERSION + 1}")
    conn.close()
    config = tmp_path / "voice.toml"
    config.write_text(
        f'[asterisk]\nari_password = "{"p" * 16}"\n'
        f'[voice]\ntoken = "{"t" * 32}"\ndatabase = "{database}"\n'
    )
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config)])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert f"imaprotect-voice: error: {database}: the database has schema version" in error
    assert "Traceback" not in error


def test_an_unversioned_database_of_another_program_is_left_alone(tmp_path: Path) -> None:
    database = tmp_path / "other.db"
    conn = sqlite3.connect(database)
    conn.execute("CREATE TABLE sites (site_id TEXT)")
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="invoices"):
        Store(database)
    conn = sqlite3.connect(database)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert (tables, schema_version(conn)) == ({"sites", "invoices"}, 0)
    conn.close()


def test_a_failing_step_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("step failed")

    database = tmp_path / "v.db"
    Store(database).close()
    monkeypatch.setattr(migrations, "DB_SCHEMA_VERSION", DB_SCHEMA_VERSION + 1)
    monkeypatch.setattr(migrations, "_STEPS", (*migrations._STEPS, broken))
    with pytest.raises(RuntimeError, match="step failed"):
        Store(database)
    conn = sqlite3.connect(database)
    assert schema_version(conn) == DB_SCHEMA_VERSION
    assert (
        conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    )
    conn.close()


async def test_the_server_carries_on_with_a_release_0_1_0_database(
    release_db: Path, tmp_path: Path, port_pool: PortPool, callback_sink: CallbackSink
) -> None:
    store = Store(release_db)
    site = store.get_site("maison")
    assert site is not None
    # HA's next PUT of the site: the pending callback of 0.1.0 follows the new URL and secret.
    update = {"callback_url": callback_sink.url, "callback_secret": CALLBACK_SECRET}
    store.put_site("maison", site.model_copy(update=update))
    store.close()
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    config = voice_config(
        release_db, prompts, asterisk=None, ari_port=port_pool.take(), retention_days=36500
    )
    server = VoiceServer(config)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = VoiceApi(f"http://127.0.0.1:{server.port}", session)
            status, alert = await api.call("GET", "/api/v1/alerts/a-done")
            assert status == 200, alert
            assert alert["status"] == "acknowledged"
            assert [a["outcome"] for a in alert["attempts"]] == ["no_answer", "acknowledged"]
            status, text = await api.call("GET", "/metrics")
            assert status == 200
            assert re.search(r"^imaprotect_voice_outbox_dead_callback 1(\.0)?$", text, re.M)
        deadline = time.monotonic() + 5
        old = {"event": "attempt_started", "alert_id": "a-live", "contact_id": "paul"}
        while old not in callback_sink.payloads:
            assert time.monotonic() < deadline, callback_sink.payloads
            await asyncio.sleep(0.02)
        assert callback_sink.refused == 0
    finally:
        await server.stop()


def test_steps_6_and_7_add_the_photos_and_the_talk_downs_to_a_version_5_database(
    tmp_path: Path,
) -> None:
    """Issue 10: a database at version 5 gains the (empty) photos and talkdowns tables only."""
    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    for step in migrations._STEPS[:5]:
        step(conn)
    conn.execute("PRAGMA user_version = 5")
    before = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"alert_photos", "talkdowns"} & before
    assert migrations.migrate(conn) == 5
    assert schema_version(conn) == 7
    after = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert after - before == {"alert_photos", "talkdowns"}
    photo_columns = [row[1] for row in conn.execute("PRAGMA table_info(alert_photos)")]
    assert photo_columns == ["alert_id", "position", "file", "size", "sha256", "received_at"]
    columns = [row[1] for row in conn.execute("PRAGMA table_info(talkdowns)")]
    assert columns == [
        "id", "alert_id", "attempt_id", "mode", "by_station", "started_at", "spoke_at",
        "ended_at", "end_reason",
    ]  # fmt: skip
    migrations._STEPS[5](conn)  # idempotent, like every step
    migrations._STEPS[6](conn)
    assert conn.execute("SELECT count(*) FROM alert_photos").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM talkdowns").fetchone() == (0,)
    conn.close()
