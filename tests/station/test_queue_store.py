"""The queue's saved document, the JSON file store, and the settings' validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path

import pytest

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import (
    PRESETS,
    Category,
    JsonFileStore,
    ReceiverPath,
    StationAccount,
    StoreFormatError,
    SupervisionProfile,
    TransmitterSettings,
)
from custom_components.imaprotect.station.queue import EventQueue

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _queue() -> EventQueue:
    queue = EventQueue()
    queue.next_test_at = T0 + timedelta(hours=24)
    queue.append(
        Report(
            ReportKind.BURGLARY,
            T0,
            area=2,
            zone=3,
            user=4,
            text="Entrée",
            detected_at=T0 - timedelta(seconds=2),
            verification_url="https://v.example/a",
        ),
        T0,
    )
    queue.append(Report(ReportKind.DISARM, T0, user=1), T0 + timedelta(seconds=1))
    return queue


def test_the_queue_round_trips_through_json() -> None:
    queue = _queue()
    next(iter(queue)).overdue_reported = True
    document = json.loads(json.dumps(queue.to_dict()))
    back = EventQueue.from_dict(document)
    assert [(e.id, e.sequence, e.report, e.queued_at) for e in back] == [
        (e.id, e.sequence, e.report, e.queued_at) for e in queue
    ]
    assert [e.overdue_reported for e in back] == [True, False]
    assert (back.next_id, back.next_sequence, back.next_test_at) == (3, 3, queue.next_test_at)
    assert back.pop_head().id == 1
    assert back.head is not None
    assert back.head.id == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version=2),
        lambda d: d.pop("next_id"),
        lambda d: d["events"][0]["report"].update(kind="meteor"),
        lambda d: d["events"][0].update(queued_at="2026-12-02T12:00:00"),  # naive
        lambda d: d["events"][0]["report"].update(at=None),
        lambda d: d.update(next_sequence=0),
        lambda d: d.update(events="nope"),
    ],
)
def test_an_unreadable_document_is_refused_whole(change: object) -> None:
    document = _queue().to_dict()
    change(document)  # type: ignore[operator]
    with pytest.raises(StoreFormatError):
        EventQueue.from_dict(document)


async def test_the_json_file_store(tmp_path: Path) -> None:
    store = JsonFileStore(tmp_path / "q.json")
    assert store.path == tmp_path / "q.json"
    assert await store.async_load() is None
    await store.async_save({"a": 1})
    await store.async_save({"a": 2})
    assert await store.async_load() == {"a": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.json"]  # noqa: ASYNC240 - no temporary left
    (tmp_path / "q.json").write_text("[1, 2]")
    with pytest.raises(StoreFormatError):
        await store.async_load()


def test_presets_and_custom_profiles() -> None:
    assert PRESETS[Category.SP6].primary_poll == timedelta(seconds=20)
    assert PRESETS[Category.DP4].primary_poll == timedelta(seconds=90)
    assert PRESETS[Category.DP4].secondary_poll == timedelta(seconds=180)
    assert PRESETS[Category.SP2].primary_poll == timedelta(hours=25)
    assert set(PRESETS) == set(Category) - {Category.CUSTOM}
    assert TransmitterSettings().supervision == PRESETS[Category.SP4]
    custom = SupervisionProfile(timedelta(seconds=5), timedelta(seconds=50), timedelta(seconds=9))
    assert TransmitterSettings(category=Category.CUSTOM, custom=custom).supervision == custom


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TransmitterSettings(category=Category.CUSTOM), "custom"),
        (
            lambda: TransmitterSettings(custom=SupervisionProfile(*(timedelta(seconds=1),) * 3)),
            "custom",
        ),
        (lambda: TransmitterSettings(tries=0), "tries"),
        (lambda: TransmitterSettings(ack_timeout=timedelta(0)), "ack_timeout"),
        (lambda: TransmitterSettings(test_interval=timedelta(0)), "test_interval"),
        (
            lambda: SupervisionProfile(timedelta(0), timedelta(1), timedelta(1)),
            "primary_poll",
        ),
        (lambda: ReceiverPath("", 1), "host"),
        (lambda: ReceiverPath("h", 0), "port"),
        (lambda: ReceiverPath("h", 65536), "port"),
    ],
)
def test_settings_are_validated(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_the_account_is_normalised_and_takes_each_path_s_receiver_number() -> None:
    account = StationAccount(" 12ab ")
    assert account.account == "12AB"
    ident = account.on_path(ReceiverPath("h", 1, receiver="7f"))
    assert (ident.account, ident.line_prefix, ident.receiver) == ("12AB", "0", "7F")
