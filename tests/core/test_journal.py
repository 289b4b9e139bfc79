"""The journal's data and policy: redaction, retention, queries, storage round trip."""

from datetime import datetime, timedelta
from types import MappingProxyType

import pytest

from custom_components.imaprotect.core.journal import (
    KEEP_ENTRIES,
    KEEP_FOR,
    MAX_ENTRIES,
    MAX_TEXT,
    REDACTED,
    Entry,
    EntryKind,
    Journal,
    Who,
    scrub,
)
from tests.core.builders import T0, at


class Clock:
    """A settable clock for the retention."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def journal(now: datetime = T0) -> Journal:
    return Journal(Clock(now))


# ---------------------------------------------------------------------- kinds


def test_a_kind_of_a_newer_release_is_kept_but_not_known() -> None:
    newer = EntryKind("sos_pressed")
    assert newer == "sos_pressed"
    assert newer.value == "sos_pressed"
    assert not newer.known
    assert EntryKind.DISARMED.known
    assert EntryKind("disarmed") is EntryKind.DISARMED
    assert "sos_pressed" not in {k.value for k in EntryKind}


@pytest.mark.parametrize("value", ["", 3, None])
def test_a_kind_must_be_a_word(value: object) -> None:
    with pytest.raises(ValueError, match="is not a valid EntryKind"):
        EntryKind(value)


# ---------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "text",
    [
        "1234",
        " 12345678 ",
        "+33 6 12 34 56 78",
        "+33612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "marie@example.org",
        "Marie <marie.dupont@example.org>",
    ],
)
def test_codes_phones_and_emails_are_redacted(text: str) -> None:
    scrubbed = scrub(text)
    assert REDACTED in scrubbed
    assert not any(ch.isdigit() for ch in scrubbed.replace(REDACTED, ""))
    assert "@" not in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "Fenêtre 2",
        "Porte d'entrée",
        "2026-05-01T10:00:00+00:00",
        "3f2a9c1234567890abcdef1234567890",  # an alert id: digits among letters
        "FCFF",
        "123",  # too short for a code
        "Chambre 123456789",  # neither a code nor a phone in form
    ],
)
def test_ordinary_texts_are_kept(text: str) -> None:
    assert scrub(text) == text


def test_a_long_text_is_cut() -> None:
    assert scrub("x" * (MAX_TEXT + 50)) == "x" * MAX_TEXT


def test_record_redacts_secrets_in_details_and_names() -> None:
    entry = journal().record(
        EntryKind.DISARMED,
        T0,
        who=Who(person="0612345678", user="anna@example.org", method="keypad"),
        details={
            "code": "1234",
            "Phone": "+33612345678",
            "badge_id": "3DD5FCFF",
            "email": None,  # nothing to hide
            "contact": "Call 06 12 34 56 78",
            "detectors": ("Porte", None, "marie@example.org"),
            "failures": 3,
            "forced": True,
            "badge": "FCFF",
        },
    )
    assert entry.who == Who(person=REDACTED, user=REDACTED, method="keypad")
    assert dict(entry.details) == {
        "code": REDACTED,
        "Phone": REDACTED,
        "badge_id": REDACTED,
        "email": None,
        "contact": f"Call {REDACTED}",
        "detectors": ("Porte", None, REDACTED),
        "failures": 3,
        "forced": True,
        "badge": "FCFF",
    }
    assert isinstance(entry.details, MappingProxyType)


def test_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        journal().record(EntryKind.ARMED, datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        journal().query(start=datetime(2026, 1, 1))  # noqa: DTZ001


# ---------------------------------------------------------------------- recording and queries


def test_entries_are_numbered_in_order_and_start_after_the_restored_ones() -> None:
    first = journal()
    a = first.record(EntryKind.ARMED, at(0))
    b = first.record(EntryKind.DISARMED, at(1))
    assert (a.seq, b.seq) == (1, 2)
    assert first.entries == (a, b)
    assert len(first) == 2
    again = Journal.restore(first.snapshot(), Clock())
    assert again.record(EntryKind.ARMED, at(2)).seq == 3


def test_query_filters_by_time_and_kind_newest_first() -> None:
    log = journal()
    armed = log.record(EntryKind.ARMED, at(10))
    refused = log.record(EntryKind.ARM_REFUSED, at(20))
    disarmed = log.record(EntryKind.DISARMED, at(30))
    same_time = log.record(EntryKind.ARMED, at(30))
    assert log.query() == [same_time, disarmed, refused, armed]
    assert log.query(start=at(20), end=at(30)) == [same_time, disarmed, refused]  # both included
    assert log.query(start=at(21)) == [same_time, disarmed]
    assert log.query(end=at(19)) == [armed]
    assert log.query(kinds=[EntryKind.ARMED]) == [same_time, armed]
    assert log.query(kinds=[]) == []
    assert log.query(limit=2) == [same_time, disarmed]
    assert log.query(kinds=[EntryKind.ARMED], limit=1) == [same_time]
    assert log.query(limit=0) == []


def test_query_orders_by_time_even_when_recorded_late() -> None:
    log = journal()
    later = log.record(EntryKind.ALERT, at(50))
    earlier = log.record(EntryKind.CALL_ENDED, at(40))  # a callback that came late
    assert log.query() == [later, earlier]


# ---------------------------------------------------------------------- retention


def test_the_newest_entries_are_kept_whatever_their_age() -> None:
    old = T0 - 3 * KEEP_FOR
    log = journal()
    for n in range(KEEP_ENTRIES + 5):
        log.record(EntryKind.ARMED, old + timedelta(seconds=n))
    assert len(log) == KEEP_ENTRIES
    assert log.entries[0].seq == 6  # the five oldest went
    assert log.entries[-1].seq == KEEP_ENTRIES + 5


def test_a_year_is_kept_beyond_the_newest_entries() -> None:
    log = journal()
    young = T0 - KEEP_FOR + timedelta(days=1)
    for n in range(KEEP_ENTRIES + 5):
        log.record(EntryKind.ARMED, young + timedelta(seconds=n))
    assert len(log) == KEEP_ENTRIES + 5


def test_older_than_a_year_goes_only_beyond_the_newest_entries() -> None:
    clock = Clock()
    log = Journal(clock)
    for n in range(KEEP_ENTRIES + 5):
        log.record(EntryKind.ARMED, T0 + timedelta(seconds=n))
    clock.now = T0 + KEEP_FOR + timedelta(seconds=3)  # the first three are now too old
    assert log.prune() == 3
    assert len(log) == KEEP_ENTRIES + 2
    assert log.prune() == 0


def test_the_journal_never_grows_beyond_its_cap() -> None:
    log = journal()
    for n in range(MAX_ENTRIES + 3):
        log.record(EntryKind.FAULT_RAISED, T0 + timedelta(seconds=n))
    assert len(log) == MAX_ENTRIES
    assert log.entries[0].seq == 4


def test_a_small_journal_keeps_everything_however_old() -> None:
    old = T0 - 2 * KEEP_FOR
    log = journal()
    for n in range(600):
        log.record(EntryKind.DISARMED, old + timedelta(hours=n))
    assert len(log) == 600
    assert log.entries[499].at == old + timedelta(hours=499)  # the 500th oldest


# ---------------------------------------------------------------------- storage


def test_round_trip_keeps_every_part() -> None:
    log = journal()
    entry = log.record(
        EntryKind.ARM_REFUSED,
        at(5),
        who=Who(person="Marie", user="admin", method="app", origin="user", origin_name="admin"),
        details={"mode": "total", "detectors": ("Porte", None)},
    )
    stored = log.snapshot()
    assert stored["entries"][0] == {
        "seq": 1,
        "at": at(5).isoformat(),
        "kind": "arm_refused",
        "who": {
            "person": "Marie",
            "user": "admin",
            "method": "app",
            "origin": "user",
            "origin_name": "admin",
        },
        "details": {"mode": "total", "detectors": ["Porte", None]},
    }
    assert Journal.restore(stored, Clock()).entries == (entry,)


def test_restore_leaves_out_what_it_cannot_read_and_keeps_newer_kinds() -> None:
    good = {"seq": 2, "at": at(1).isoformat(), "kind": "sos_pressed", "who": {"future": "x"}}
    stored = {
        "entries": [
            {"seq": 1, "at": "2026-01-01T00:00:00", "kind": "armed"},  # naive
            {"at": at(0).isoformat(), "kind": "armed"},  # no seq
            {"seq": 3, "at": "yesterday", "kind": "armed"},
            {"seq": 4, "at": at(0).isoformat(), "kind": ""},
            {"seq": 5, "at": at(0).isoformat(), "kind": "armed", "who": "Marie"},
            good,
        ]
    }
    log = Journal.restore(stored, Clock())
    assert log.skipped == 5
    [entry] = log.entries
    assert entry == Entry(seq=2, at=at(1), kind=EntryKind("sos_pressed"))
    assert not entry.kind.known
    assert Journal.restore({}, Clock()).entries == ()
