"""Group commit (issue 8, avalanche): the writes of one loop turn share one synced transaction.

Against a real SQLite file in WAL with ``synchronous=FULL``, as the store opens it; a second
connection tells what is on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
import sqlite3

import pytest

from voice_server.group_commit import GroupCommit


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("CREATE TABLE IF NOT EXISTS item (name TEXT PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS link (name TEXT REFERENCES item (name)"
        " DEFERRABLE INITIALLY DEFERRED)"
    )
    conn.commit()
    return conn


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "group.db"


def _on_disk(db: Path) -> list[str]:
    other = sqlite3.connect(db)
    try:
        return [name for (name,) in other.execute("SELECT name FROM item ORDER BY name")]
    finally:
        other.close()


def _insert(name: str) -> Callable[[sqlite3.Connection], str]:
    def write(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO item (name) VALUES (?)", (name,))
        return name

    return write


async def test_the_writes_of_one_turn_share_one_commit_and_return_once_on_disk(db: Path) -> None:
    conn = _open(db)
    group = GroupCommit(conn)
    commits: list[str] = []
    conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    seen: list[list[str]] = []

    async def write(name: str) -> str:
        result = await group.run(_insert(name))
        seen.append(_on_disk(db))  # what a power cut would leave when the caller resumes
        return result

    assert await asyncio.gather(*(write(f"a{i}") for i in range(5))) == [f"a{i}" for i in range(5)]
    assert commits == ["COMMIT"]
    assert group.commits == 1
    assert all(names == [f"a{i}" for i in range(5)] for names in seen)
    conn.close()


async def test_a_write_that_raises_is_undone_alone(db: Path) -> None:
    conn = _open(db)
    group = GroupCommit(conn)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO item (name) VALUES ('half')")
        raise ValueError("refused")

    results = await asyncio.gather(
        group.run(_insert("kept")),
        group.run(broken),
        group.run(_insert("also kept")),
        return_exceptions=True,
    )
    assert results[0] == "kept"
    assert isinstance(results[1], ValueError)
    assert results[2] == "also kept"
    assert _on_disk(db) == ["also kept", "kept"]
    conn.close()


async def test_a_failed_commit_keeps_nothing_and_tells_every_caller(db: Path) -> None:
    conn = _open(db)
    group = GroupCommit(conn)
    followed: list[object] = []

    def dangling(conn: sqlite3.Connection) -> None:  # its check is deferred to the commit
        conn.execute("INSERT INTO link (name) VALUES ('nobody')")

    results = await asyncio.gather(
        group.run(_insert("lost"), followed.append),
        group.run(dangling),
        return_exceptions=True,
    )
    assert all(isinstance(result, sqlite3.IntegrityError) for result in results)
    assert _on_disk(db) == []
    assert followed == []  # nothing follows a write that is not on disk
    assert not conn.in_transaction
    conn.close()


async def test_what_follows_a_write_runs_even_if_its_caller_is_gone(db: Path) -> None:
    conn = _open(db)
    group = GroupCommit(conn)
    followed: list[object] = []
    caller = asyncio.create_task(group.run(_insert("alert"), followed.append))
    await asyncio.sleep(0)
    caller.cancel()  # the client hung up before the commit
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0)
    assert followed == ["alert"]
    assert _on_disk(db) == ["alert"]
    conn.close()


async def test_it_never_commits_a_transaction_someone_else_left_open(db: Path) -> None:
    conn = _open(db)
    group = GroupCommit(conn)
    conn.execute("INSERT INTO item (name) VALUES ('theirs')")  # not committed yet
    mine = asyncio.create_task(group.run(_insert("mine")))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not mine.done()
    assert _on_disk(db) == []
    conn.commit()
    assert await mine == "mine"
    assert _on_disk(db) == ["mine", "theirs"]
    conn.close()


async def test_a_follow_up_that_raises_costs_the_others_nothing(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = _open(db)
    group = GroupCommit(conn)
    followed: list[str] = []

    def broken(_name: str) -> None:
        raise RuntimeError("bug")

    results = await asyncio.gather(
        group.run(_insert("first"), broken), group.run(_insert("second"), followed.append)
    )
    assert results == ["first", "second"]
    assert followed == ["second"]
    assert "a grouped write's follow-up failed" in caplog.text
    conn.close()
