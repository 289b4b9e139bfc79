"""The outbox against real servers on 127.0.0.1: aiosmtpd for SMTP, an aiohttp callback receiver.

Backoff is made fast with a fake clock (the worker sleeps until the next due row or wake()) or with
a tiny ``max_backoff``, so nothing here waits for real retry delays.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
import functools
import json
import logging
from pathlib import Path
import sqlite3
import threading
import time
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.imaprotect.contract.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from testkit.callbacks import CallbackSink
from testkit.polling import until
from testkit.ports import LOOPBACK, PortPool
from testkit.smtp import SmtpSink
from voice_server import outbox_mail
from voice_server.migrations import migrate
from voice_server.outbox import (
    OutboxWorker,
    SmtpSettings,
    dead_counts,
    enqueue_callback,
    enqueue_email,
    pending_counts,
    purge,
    retarget_callbacks,
)

SENDER = "Imaprotect <alarme@example.com>"
MARIE, PAUL = "marie@example.org", "paul@example.net"
SECRET = "callback-secret-0123456789-abcdefgh"
OLD_SECRET = "old-secret-0123456789-abcdefghij"  # rotated out
SMTP_PASSWORD = "smtp-password-never-logged"
WEBHOOK_ID = "webhook-id-5f1c2d9e7a"  # Home Assistant webhook ids are credentials too
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
OTHER_JPEG = b"\xff\xd8\xff\xdb" + bytes(200) + b"\xff\xd9"
SERVER_LOGGERS = ("mail.log", "aiohttp.access", "aiohttp.server", "aiohttp.web")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    migrate(conn)
    return conn


def _row(conn: sqlite3.Connection, outbox_id: int) -> dict[str, Any]:
    cursor = conn.execute(
        "SELECT attempts, last_error, next_attempt, delivered_at, recipients, secret, url,"
        " refusals, dead_at FROM outbox WHERE id = ?",
        (outbox_id,),
    )
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _has_attempts(conn: sqlite3.Connection, outbox_id: int, attempts: int) -> bool:
    return bool(_row(conn, outbox_id)["attempts"] == attempts)


class FakeClock:
    """The worker's clock, moved by hand: backoff without waiting for it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _smtp_settings(sink: SmtpSink) -> SmtpSettings:
    return SmtpSettings(host=LOOPBACK, port=sink.port, sender=SENDER, timeout=5.0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "voice.sqlite3"


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    connection = _connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
async def smtp_server(port_pool: PortPool) -> AsyncIterator[SmtpSink]:
    """An SMTP server on a free port, not started: each test decides when it is up."""
    server = SmtpSink(port_pool.take())
    yield server
    await server.stop()


@pytest.fixture
async def receiver(port_pool: PortPool) -> AsyncIterator[CallbackSink]:
    """Home Assistant's side: verifies signatures (401 if bad), then answers ``answers``."""
    receiver = CallbackSink(port_pool.take(), secret=SECRET, hook=WEBHOOK_ID)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as client:
        yield client


WorkerFactory = Callable[..., OutboxWorker]


@pytest.fixture
async def start_worker(session: ClientSession) -> AsyncIterator[WorkerFactory]:
    """Start OutboxWorkers running in tasks; all are stopped at teardown."""
    running: list[tuple[OutboxWorker, asyncio.Task[None]]] = []

    def start(conn: sqlite3.Connection, **options: Any) -> OutboxWorker:
        options.setdefault("smtp", None)
        worker = OutboxWorker(conn, session=session, **options)
        running.append((worker, asyncio.create_task(worker.run())))
        return worker

    yield start
    for worker, task in running:
        await worker.stop()
        await task


def _email(conn: sqlite3.Connection, *to: str, photos: tuple[bytes, ...] = ()) -> int:
    with conn:
        return enqueue_email(
            conn,
            site_id="maison",
            alert_id="alert-1",
            to=to,
            subject="[Maison] Alerte : intrusion",
            body="Une alerte s'est déclenchée à « Maison » : intrusion.",
            photos=photos,
        )


def _callback(conn: sqlite3.Connection, url: str, status: str, secret: str = SECRET) -> int:
    payload = {"event": "alert_status", "site_id": "maison", "alert_id": "a1", "status": status}
    with conn:
        return enqueue_callback(conn, site_id="maison", url=url, secret=secret, payload=payload)


def _inline_photos(message: EmailMessage) -> list[EmailMessage]:
    """The JPEGs shown inline: in the HTML alternative's multipart/related, named by ``cid:``."""
    html = message.get_body(("html",))
    assert html is not None
    source = html.get_content()
    found = [part for part in message.walk() if part.get_content_type() == "image/jpeg"]
    for part in found:
        assert f'src="cid:{str(part["Content-ID"]).strip("<>")}"' in source
    return found  # type: ignore[return-value]


async def test_email_goes_to_each_recipient_with_photos(
    conn: sqlite3.Connection, smtp_server: SmtpSink, start_worker: WorkerFactory
) -> None:
    await smtp_server.start()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server))
    outbox_id = _email(conn, MARIE, PAUL, photos=(JPEG, OTHER_JPEG))
    worker.wake()
    await until(lambda: pending_counts(conn) == {"email": 0, "callback": 0})

    assert len(smtp_server.messages) == 2
    for address, other in ((MARIE, PAUL), (PAUL, MARIE)):
        (message,) = smtp_server.to(address)
        assert other not in message.as_string()  # one message each: nobody sees the others
        assert message["To"] == address
        assert message["From"] == SENDER
        assert message["Subject"] == "[Maison] Alerte : intrusion"
        assert message["Message-ID"] == f"<imaprotect.outbox.{outbox_id}@example.com>"
        body = message.get_body(("plain",))
        assert body is not None
        assert "« Maison » : intrusion" in body.get_content()
        photos = _inline_photos(message)
        assert [part.get_content_disposition() for part in photos] == ["inline", "inline"]
        assert [part.get_content() for part in photos] == [JPEG, OTHER_JPEG]
    row = _row(conn, outbox_id)
    assert row["attempts"] == 1
    assert row["delivered_at"] is not None
    assert conn.execute("SELECT COUNT(*) FROM outbox_photo").fetchone() == (0,)
    assert worker.delivered == {"email": 1, "callback": 0}


async def test_emails_are_built_once_each_in_a_worker_thread(
    conn: sqlite3.Connection,
    smtp_server: SmtpSink,
    start_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building and flattening leave the event loop free for the calls (issue 8, scenario C)."""
    threads: list[int] = []
    real_letters = outbox_mail.letters

    def letters(*args: Any, **kwargs: Any) -> dict[str, outbox_mail.Letter | Exception]:
        threads.append(threading.get_ident())
        return real_letters(*args, **kwargs)

    monkeypatch.setattr(outbox_mail, "letters", letters)
    await smtp_server.start()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server))
    _email(conn, MARIE, PAUL, photos=(JPEG,))
    _email(conn, PAUL)
    worker.wake()
    await until(lambda: pending_counts(conn) == {"email": 0, "callback": 0})

    assert len(smtp_server.messages) == 3
    assert len(threads) == 2  # one build per e-mail, whatever its recipients
    assert threading.get_ident() not in threads


async def test_delivery_marks_skip_the_fsync_and_leave_the_store_synced(
    db_path: Path, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    """Avalanche (issue 8): one fsync per delivered row blocked the loop that answers alerts.

    A lost mark only sends its row again (at-least-once); the store's own commits (an alert
    answered 201) stay ``synchronous=FULL``.
    """
    conn = _connect(db_path)
    conn.execute("PRAGMA synchronous=FULL")  # as the store opens it
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    worker = start_worker(conn)
    outbox_id = _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: pending_counts(conn) == {"email": 0, "callback": 0})
    conn.set_trace_callback(None)
    mark = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE outbox SET deliv"))
    setting = [sql for sql in statements[:mark] if sql.startswith("PRAGMA synchronous=")][-1]
    assert setting == "PRAGMA synchronous=NORMAL"
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL again
    assert _row(conn, outbox_id)["delivered_at"] is not None
    conn.close()


async def test_smtp_down_then_back(
    conn: sqlite3.Connection, smtp_server: SmtpSink, start_worker: WorkerFactory
) -> None:
    clock = FakeClock()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server), clock=clock, max_backoff=3.0)
    looks = 0
    dispatch = worker._dispatch

    def counted_dispatch() -> float:
        nonlocal looks
        looks += 1
        return dispatch()

    worker._dispatch = counted_dispatch  # type: ignore[method-assign]
    outbox_id = _email(conn, MARIE)
    worker.wake()
    for attempts, backoff in ((1, 1.0), (2, 2.0), (3, 3.0)):  # 4 s is capped at max_backoff
        await until(functools.partial(_has_attempts, conn, outbox_id, attempts))
        row = _row(conn, outbox_id)
        assert row["last_error"] == "SMTPConnectError"
        assert backoff <= row["next_attempt"] - clock.now <= min(backoff * 1.1, 3.0)
        looks_before = looks
        worker.wake()  # waking early neither retries before due nor spins
        await asyncio.sleep(0.2)
        assert _row(conn, outbox_id)["attempts"] == attempts
        assert looks - looks_before == 1
        clock.now = row["next_attempt"]
        if attempts < 3:
            worker.wake()
    await smtp_server.start()
    worker.wake()
    await until(lambda: _row(conn, outbox_id)["delivered_at"] is not None)
    assert _row(conn, outbox_id)["attempts"] == 4
    assert len(smtp_server.to(MARIE)) == 1
    assert (worker.failures, worker.delivered) == (
        {"email": 3, "callback": 0},
        {"email": 1, "callback": 0},
    )


async def test_callback_retried_until_2xx_and_kept_in_order(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    receiver.answers = [500]
    worker = start_worker(conn, max_backoff=0.05)
    calling = _callback(conn, receiver.url, "calling")
    acknowledged = _callback(conn, receiver.url, "acknowledged")
    worker.wake()  # the retry after the 500 needs no wake(): the worker sleeps until it is due
    await until(lambda: pending_counts(conn)["callback"] == 0)

    assert receiver.deliveries() == [calling, calling, acknowledged]
    assert all(received.signed for received in receiver.requests)
    statuses = [json.loads(received.body)["status"] for received in receiver.requests]
    assert statuses == ["calling", "calling", "acknowledged"]
    first = _row(conn, calling)
    assert (first["attempts"], first["last_error"], first["secret"]) == (2, "http_500", None)
    assert _row(conn, acknowledged)["attempts"] == 1
    assert (worker.failures, worker.delivered) == (
        {"email": 0, "callback": 1},
        {"email": 0, "callback": 2},
    )


async def test_bad_or_stale_signature_is_refused(
    conn: sqlite3.Connection,
    receiver: CallbackSink,
    session: ClientSession,
    start_worker: WorkerFactory,
) -> None:
    body = b'{"event":"alert_status"}'
    stale = int(time.time()) - 301
    for timestamp, signature, expected in (
        (stale, sign(SECRET, stale, body), 401),
        (int(time.time()), sign("not-the-secret-0123456789abcdefgh", int(time.time()), body), 401),
        (int(time.time()), sign(SECRET, int(time.time()), body), 200),
    ):
        headers = {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}
        async with session.post(receiver.url, data=body, headers=headers) as response:
            assert response.status == expected

    # A callback signed with a rotated-out secret is refused and retried (up to the dead-letter
    # limit), never "delivered"; retargeting the site's pending callbacks to the current secret
    # forgets the refusals and lets it through.
    worker = start_worker(conn, max_backoff=0.05)
    outbox_id = _callback(conn, receiver.url, "calling", secret=OLD_SECRET)
    worker.wake()
    await until(lambda: _row(conn, outbox_id)["attempts"] >= 2)
    assert _row(conn, outbox_id)["last_error"] == "http_401"
    assert _row(conn, outbox_id)["delivered_at"] is None
    assert _row(conn, outbox_id)["refusals"] >= 2
    with conn:
        changed = retarget_callbacks(conn, site_id="maison", url=receiver.url, secret=SECRET)
    assert changed == 1
    assert _row(conn, outbox_id)["refusals"] == 0
    worker.wake()
    await until(lambda: _row(conn, outbox_id)["delivered_at"] is not None)
    assert receiver.requests[-1].signed


async def test_new_worker_on_the_same_database_delivers_what_was_pending(
    db_path: Path,
    smtp_server: SmtpSink,
    receiver: CallbackSink,
    session: ClientSession,
) -> None:
    receiver.answers = [503] * 1000  # Home Assistant is away too
    first = _connect(db_path)
    email_id = _email(first, MARIE, photos=(JPEG,))
    callback_id = _callback(first, receiver.url, "calling")
    worker = OutboxWorker(
        first, smtp=_smtp_settings(smtp_server), session=session, max_backoff=0.05
    )
    task = asyncio.create_task(worker.run())
    await until(lambda: _row(first, callback_id)["attempts"] >= 1)
    await until(lambda: _row(first, email_id)["attempts"] >= 1)
    await worker.stop()
    await task
    receiver.answers.clear()
    # Enqueued but never committed when the process dies: must never be sent.
    enqueue_callback(first, site_id="maison", url=receiver.url, secret=SECRET, payload={})
    first.close()

    await smtp_server.start()
    second = _connect(db_path)
    try:
        restarted = OutboxWorker(second, smtp=_smtp_settings(smtp_server), session=session)
        task = asyncio.create_task(restarted.run())  # no wake(): it looks at the table on start
        await until(lambda: pending_counts(second) == {"email": 0, "callback": 0})
        await restarted.stop()
        await task
        assert second.execute("SELECT COUNT(*) FROM outbox").fetchone() == (2,)
        assert _row(second, email_id)["attempts"] >= 2
        assert set(receiver.deliveries()) == {callback_id}  # always the same idempotency key
        assert len(receiver.deliveries()) == _row(second, callback_id)["attempts"] >= 2
        (message,) = smtp_server.to(MARIE)
        assert message["Message-ID"] == f"<imaprotect.outbox.{email_id}@example.com>"
        assert [part.get_content() for part in _inline_photos(message)] == [JPEG]
    finally:
        second.close()


async def test_logs_and_table_never_hold_an_address_a_url_or_a_secret(
    conn: sqlite3.Connection,
    smtp_server: SmtpSink,
    receiver: CallbackSink,
    start_worker: WorkerFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp_server.refuse = {PAUL}
    await smtp_server.start()
    receiver.answers = [500]
    settings = SmtpSettings(host=LOOPBACK, port=smtp_server.port, sender=SENDER)
    worker = start_worker(conn, smtp=settings, max_backoff=0.05)
    email_id = _email(conn, MARIE, PAUL)
    callback_id = _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: _row(conn, email_id)["attempts"] >= 3)
    await until(lambda: _row(conn, callback_id)["delivered_at"] is not None)

    # Marie's copy went once; only Paul's refused address is retried.
    assert len(smtp_server.to(MARIE)) == 1
    email = _row(conn, email_id)
    assert (email["last_error"], json.loads(email["recipients"])) == (
        "SMTPRecipientsRefused 550",
        [PAUL],
    )
    ours = [record for record in caplog.records if not record.name.startswith(SERVER_LOGGERS)]
    logged = "\n".join(logging.Formatter().format(record) for record in ours)
    assert f"Outbox email #{email_id} failed (SMTPRecipientsRefused 550)" in logged
    assert f"Outbox callback #{callback_id} failed (http_500)" in logged
    errors = " ".join(str(error) for (error,) in conn.execute("SELECT last_error FROM outbox"))
    for secret in (MARIE, PAUL, "example.org", SECRET, WEBHOOK_ID, SMTP_PASSWORD):
        assert secret not in logged
        assert secret not in errors
    password_settings = SmtpSettings(LOOPBACK, 25, SENDER, "user", SMTP_PASSWORD)
    assert SMTP_PASSWORD not in repr(password_settings)


async def test_emails_wait_without_smtp_settings(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    worker = start_worker(conn, smtp=None)
    email_id = _email(conn, MARIE)
    _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: pending_counts(conn) == {"email": 1, "callback": 0})
    await asyncio.sleep(0.1)
    assert _row(conn, email_id)["attempts"] == 0


def test_enqueue_joins_the_caller_transaction(conn: sqlite3.Connection) -> None:
    enqueue_email(conn, site_id="s", alert_id="a", to=[MARIE], subject="s", body="b")
    enqueue_callback(conn, site_id="s", url="https://ha.example/x", secret=SECRET, payload={})
    assert pending_counts(conn) == {"email": 1, "callback": 1}
    conn.rollback()
    assert pending_counts(conn) == {"email": 0, "callback": 0}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"to": []}, "without recipient"),
        ({"to": [MARIE, "paul@example.net\r\nBcc: x@example.com"]}, "position 1"),
        ({"to": ["Marie <marie@example.org>"]}, "position 0"),
        ({"subject": "two\nlines"}, "one line"),
    ],
)
def test_enqueue_email_refuses_bad_input(
    conn: sqlite3.Connection, changes: dict[str, Any], error: str
) -> None:
    values: dict[str, Any] = {"site_id": "s", "alert_id": "a", "to": [MARIE], "subject": "s"}
    values.update(changes)
    with pytest.raises(ValueError, match=error) as raised:
        enqueue_email(conn, body="b", **values)
    assert "example" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "secret", "payload"),
    [
        ("ftp://ha.example/x", SECRET, {}),
        ("/api/webhook/x", SECRET, {}),
        ("https://ha.example/x", "", {}),
        ("https://ha.example/x", SECRET, {"at": float("nan")}),
    ],
)
def test_enqueue_callback_refuses_bad_input(
    conn: sqlite3.Connection, url: str, secret: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"URL|secret|JSON|Out of range"):
        enqueue_callback(conn, site_id="s", url=url, secret=secret, payload=payload)


async def test_a_hanging_receiver_holds_back_nothing_else_and_stop_is_prompt(
    conn: sqlite3.Connection,
    smtp_server: SmtpSink,
    receiver: CallbackSink,
    session: ClientSession,
) -> None:
    receiver.open.clear()
    await smtp_server.start()
    worker = OutboxWorker(conn, smtp=_smtp_settings(smtp_server), session=session)
    task = asyncio.create_task(worker.run())
    callback_id = _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: bool(worker._in_flight))
    email_id = _email(conn, MARIE)
    worker.wake()
    await until(lambda: _row(conn, email_id)["delivered_at"] is not None)
    started = time.monotonic()
    await worker.stop()
    await task
    assert time.monotonic() - started < 1.0
    # Cut off mid-delivery: still pending, untouched, sent again by the next worker.
    assert _row(conn, callback_id)["attempts"] == 0
    assert pending_counts(conn) == {"email": 0, "callback": 1}


# --- dead letters and retention ---------------------------------------------------------------


def _secrets_in_row(conn: sqlite3.Connection, outbox_id: int) -> str:
    """Every column of a row as text, to look for what must not be kept."""
    values = conn.execute("SELECT * FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    return " ".join(str(value) for value in values)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
async def test_refused_callback_is_dead_lettered_and_the_next_ones_go_out(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory, status: int
) -> None:
    receiver.answers = [status] * 5  # then 200: the old code would send "calling" a 6th time
    worker = start_worker(conn, max_backoff=0.05)
    calling = _callback(conn, receiver.url, "calling")
    acknowledged = _callback(conn, receiver.url, "acknowledged")
    worker.wake()
    await until(lambda: _row(conn, acknowledged)["delivered_at"] is not None)

    assert receiver.deliveries() == [calling] * 5 + [acknowledged]
    dead = _row(conn, calling)
    assert (dead["attempts"], dead["refusals"], dead["last_error"]) == (5, 5, f"http_{status}")
    assert (dead["delivered_at"], dead["secret"], dead["url"]) == (None, None, None)
    assert SECRET not in _secrets_in_row(conn, calling)
    assert WEBHOOK_ID not in _secrets_in_row(conn, calling)
    assert pending_counts(conn) == {"email": 0, "callback": 0}
    assert dead_counts(conn) == {"email": 0, "callback": 1}
    assert worker.dead == {"email": 0, "callback": 1}
    # A later retarget (new secret) does not revive it: it would arrive after newer statuses.
    with conn:
        assert retarget_callbacks(conn, site_id="maison", url=receiver.url, secret=SECRET) == 0
    assert _row(conn, calling)["dead_at"] is not None


@pytest.mark.parametrize("status", [408, 429, 500, 503])
async def test_transient_answers_are_retried_past_the_refusal_limit(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory, status: int
) -> None:
    receiver.answers = [status] * 7
    worker = start_worker(conn, max_backoff=0.05)
    outbox_id = _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: _row(conn, outbox_id)["delivered_at"] is not None)
    row = _row(conn, outbox_id)
    assert (row["attempts"], row["refusals"], row["dead_at"]) == (8, 0, None)
    assert worker.dead == {"email": 0, "callback": 0}


async def test_only_refusals_count_towards_the_limit(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    # HA away for a while, then a proxy answering 404 while it boots: not dead yet.
    receiver.answers = [503] * 6 + [404] * 4
    worker = start_worker(conn, max_backoff=0.05)
    outbox_id = _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: _row(conn, outbox_id)["delivered_at"] is not None)
    row = _row(conn, outbox_id)
    assert (row["attempts"], row["refusals"], row["dead_at"]) == (11, 4, None)


async def test_a_refusal_for_a_retargeted_callback_is_not_counted(
    conn: sqlite3.Connection, receiver: CallbackSink, session: ClientSession
) -> None:
    # The first attempt, signed with the old secret, hangs until the site has a new secret, then
    # gets its 401: that refusal was for the old settings, the new ones get their own attempts.
    receiver.open.clear()
    worker = OutboxWorker(conn, smtp=None, session=session, max_refusals=1)
    task = asyncio.create_task(worker.run())
    try:
        outbox_id = _callback(conn, receiver.url, "calling", secret=OLD_SECRET)
        worker.wake()
        await until(lambda: bool(worker._in_flight))
        with conn:
            retarget_callbacks(conn, site_id="maison", url=receiver.url, secret=SECRET)
        receiver.open.set()
        await until(lambda: _row(conn, outbox_id)["delivered_at"] is not None)
        assert [received.signed for received in receiver.requests] == [False, True]
        assert (_row(conn, outbox_id)["refusals"], _row(conn, outbox_id)["dead_at"]) == (0, None)
        assert worker.dead == {"email": 0, "callback": 0}
    finally:
        await worker.stop()
        await task


async def test_email_refused_for_good_is_dead_lettered(
    conn: sqlite3.Connection, smtp_server: SmtpSink, start_worker: WorkerFactory
) -> None:
    smtp_server.refuse = {PAUL}
    await smtp_server.start()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server), max_backoff=0.05)
    email_id = _email(conn, MARIE, PAUL, photos=(JPEG,))
    worker.wake()
    await until(lambda: _row(conn, email_id)["dead_at"] is not None)
    row = _row(conn, email_id)
    assert (row["attempts"], row["refusals"], row["last_error"]) == (
        5,
        5,
        "SMTPRecipientsRefused 550",
    )
    assert json.loads(row["recipients"]) == [PAUL]  # who never got it
    assert len(smtp_server.to(MARIE)) == 1
    assert conn.execute("SELECT COUNT(*) FROM outbox_photo").fetchone() == (0,)
    assert dead_counts(conn) == {"email": 1, "callback": 0}
    assert pending_counts(conn) == {"email": 0, "callback": 0}


async def test_email_refused_at_data_is_dead_lettered(
    conn: sqlite3.Connection, smtp_server: SmtpSink, start_worker: WorkerFactory
) -> None:
    smtp_server.refuse_data = {MARIE}
    await smtp_server.start()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server), max_backoff=0.05)
    email_id = _email(conn, MARIE)
    worker.wake()
    await until(lambda: _row(conn, email_id)["dead_at"] is not None)
    row = _row(conn, email_id)
    assert (row["attempts"], row["last_error"]) == (5, "SMTPDataError 554")
    assert worker.dead == {"email": 1, "callback": 0}


async def test_email_refused_for_now_is_retried_past_the_limit(
    conn: sqlite3.Connection, smtp_server: SmtpSink, start_worker: WorkerFactory
) -> None:
    smtp_server.refuse = {PAUL}
    smtp_server.refuse_reply = "450 4.2.1 Mailbox busy"
    await smtp_server.start()
    worker = start_worker(conn, smtp=_smtp_settings(smtp_server), max_backoff=0.05)
    email_id = _email(conn, PAUL)
    worker.wake()
    await until(lambda: _row(conn, email_id)["attempts"] >= 7)
    row = _row(conn, email_id)
    assert (row["refusals"], row["dead_at"], row["last_error"]) == (
        0,
        None,
        "SMTPRecipientsRefused 450",
    )
    smtp_server.refuse.clear()
    await until(lambda: _row(conn, email_id)["delivered_at"] is not None)
    assert len(smtp_server.to(PAUL)) == 1


_OLD_OUTBOX = """CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'callback')),
    site_id TEXT NOT NULL, alert_id TEXT, recipients TEXT, subject TEXT, url TEXT, secret TEXT,
    body BLOB NOT NULL, created_at REAL NOT NULL, next_attempt REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at REAL
)"""


async def test_database_of_the_previous_version_is_upgraded(
    db_path: Path, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    old = sqlite3.connect(db_path)
    with old:
        old.execute(_OLD_OUTBOX)
        old.execute(
            "INSERT INTO outbox (kind, site_id, url, secret, body, created_at, next_attempt)"
            " VALUES ('callback', 'maison', ?, ?, ?, 0, 0)",
            (receiver.url, SECRET, b"{}"),
        )
    old.close()
    conn = _connect(db_path)
    worker: OutboxWorker | None = None
    try:
        assert _row(conn, 1)["refusals"] == 0
        worker = start_worker(conn, max_backoff=0.05)
        await until(lambda: _row(conn, 1)["delivered_at"] is not None)
        _connect(db_path).close()  # a second upgrade changes nothing
    finally:
        # The worker must be done with the connection before it closes: a wake-up already queued
        # would otherwise run one more look at a closed database (seen under load).
        if worker is not None:
            await worker.stop()
        conn.close()


def test_purge_keeps_pending_rows_and_a_week_of_finished_ones(conn: sqlite3.Connection) -> None:
    now = time.time()
    day = 24 * 3600.0
    ids = {
        name: _email(conn, MARIE, photos=(JPEG,))
        for name in ("pending", "delivered_old", "delivered_new", "dead_old", "dead_new")
    }
    with conn:
        conn.execute("UPDATE outbox SET created_at = ?", (now - 30 * day,))
        for name, column, age in (
            ("delivered_old", "delivered_at", 8),
            ("delivered_new", "delivered_at", 6),
            ("dead_old", "dead_at", 8),
            ("dead_new", "dead_at", 6),
        ):
            conn.execute(
                f"UPDATE outbox SET {column} = ? WHERE id = ?",  # noqa: S608 - test constants
                (now - age * day, ids[name]),
            )
        assert purge(conn, now=now) == 2
    left = {outbox_id for (outbox_id,) in conn.execute("SELECT id FROM outbox")}
    assert left == {ids["pending"], ids["delivered_new"], ids["dead_new"]}
    photos = {outbox_id for (outbox_id,) in conn.execute("SELECT outbox_id FROM outbox_photo")}
    assert photos == left
    # Ids are never reused after a purge: they are the receivers' idempotency keys.
    assert _email(conn, MARIE) > max(ids.values())


async def test_the_worker_finds_due_rows_without_sorting_every_pending_one(
    conn: sqlite3.Connection, receiver: CallbackSink, start_worker: WorkerFactory
) -> None:
    """Avalanche (issue 8): each look checked the ordering rule of every pending row.

    Then it sorted them: 8 ms with 5 000 rows pending, once per finished delivery.
    """
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    worker = start_worker(conn)
    _callback(conn, receiver.url, "calling")
    worker.wake()
    await until(lambda: pending_counts(conn) == {"email": 0, "callback": 0})
    conn.set_trace_callback(None)
    look = next(sql for sql in statements if sql.lstrip().startswith("SELECT id, kind"))
    plan = " / ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + look))
    assert "USING INTEGER PRIMARY KEY" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
