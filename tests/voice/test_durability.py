"""Durability of the database: fsync at every commit, private files and folders, one server only."""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import sqlite3
import stat

import pytest

from voice_server.cli import main
from voice_server.private import DatabaseInUseError
from voice_server.prompts import PromptCache
from voice_server.store import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask of most services (022): files would be world-readable unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_every_commit_is_synced_to_disk(tmp_path: Path) -> None:
    store = Store(tmp_path / "v.db")
    # FULL (2): a commit answered 201 survives a power cut, not only a process crash.
    assert store.conn.execute("PRAGMA synchronous").fetchone() == (2,)
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


@pytest.mark.usefixtures("usual_umask")
def test_database_wal_and_shm_are_private_and_so_is_a_new_folder(tmp_path: Path) -> None:
    database = tmp_path / "data" / "deeper" / "voice.db"
    store = Store(database)
    with store.transaction() as conn:  # the first write creates -wal and -shm
        conn.execute("INSERT INTO wrong_codes (site_id, contact_id, at) VALUES ('s', 'c', 1)")
    files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    assert all(path.exists() for path in files)
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    assert _mode(database.parent) == 0o700
    assert _mode(database.parent.parent) == 0o700
    store.close()


@pytest.mark.usefixtures("usual_umask")
def test_an_older_releases_world_readable_wal_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "voice.db"
    conn = sqlite3.connect(database)  # as an older release left it: 0644 all round
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE sites (site_id TEXT PRIMARY KEY, body TEXT, updated_at TEXT)")
    conn.commit()
    wal = database.with_name("voice.db-wal")
    assert _mode(wal) == 0o644
    store = Store(database)
    assert _mode(database) == 0o600
    assert _mode(wal) == 0o600
    assert _mode(database.with_name("voice.db-shm")) == 0o600
    store.close()
    conn.close()


@pytest.mark.usefixtures("usual_umask")
async def test_the_prompt_folder_is_created_private(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "prompts")
    await cache.get("fr", "Bonjour.")
    assert _mode(tmp_path / "prompts") == 0o700
    await cache.close()


def test_a_second_server_cannot_open_the_same_database(tmp_path: Path) -> None:
    database = tmp_path / "voice.db"
    first = Store(database)
    with pytest.raises(DatabaseInUseError, match="another voice server"):
        Store(database)
    assert _mode(database.with_name("voice.db.lock")) == 0o600
    first.close()
    Store(database).close()  # the lock goes with the store that held it


def test_the_command_line_refuses_a_database_in_use_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "voice.db"
    config = tmp_path / "voice.toml"
    config.write_text(
        f'[asterisk]\nari_password = "{"p" * 16}"\n'
        f'[voice]\ntoken = "{"t" * 32}"\ndatabase = "{database}"\nport = 0\n'
    )
    running = Store(database)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["--config", str(config)])
    finally:
        running.close()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("imaprotect-voice: error: ")
    assert "another voice server is using this database" in err
