"""The home's journal: who armed, disarmed, acknowledged… how and when, kept for a year or more.

Home Assistant's recorder forgets after 10 days; EN 50131-1 grade 2 asks for a non-volatile log of
at least 500 events. The journal is that log, one per home, in its own store (see the
integration's ``journal`` module, which feeds it the panel's events and the call-out's callbacks).

**Recording an entry** (what other features call; ``panel.journal`` is the home's)::

    panel.journal.record(EntryKind.SOS, at, who=Who(person="Marie", method="phone"),
                         details={"contact": "Marie"})

``at`` is timezone-aware; ``who`` says who and how (all optional: ``person`` proven by a code, a
badge or a contact's phone, ``user`` the logged-in Home Assistant user named without a code,
``method`` the claimed way in: keypad, badge, app, automation, phone…, ``origin`` and
``origin_name`` what Home Assistant vouches for: user, automation, script or system, and which);
``details`` maps short keys to JSON scalars or tuples of strings. A new kind of entry is one new
``EntryKind`` member, with its label in the translations' ``selector.journal_kind`` (the action's
``kinds`` field lists them); add it to ``PROMPT_KINDS`` when it must reach the disk at once, like
an alarm. Entries of a kind this release does not know (written by a newer one) are kept and
shown, but cannot be filtered on.

**Never a secret.** ``record`` redacts, whatever the caller passes: a detail named like a secret
(``SECRET_KEYS``: code, badge id, phone, e-mail…), and in every text an e-mail address, a phone
number (international, or French national) or a bare 4-8 digit code. A badge is named by its hint
only (its last characters).

**Duress is not journalled.** A disarm under duress is recorded exactly as a normal disarm, and
nothing else is: duress is a silent alarm, and the person under duress may be forced to show the
journal. The duress feature must not record an entry of its own here.

**Retention.** The newest ``KEEP_ENTRIES`` (10 000) entries are always kept, whatever their age;
beyond them, entries younger than ``KEEP_FOR`` (a year and a day) are kept too, up to
``MAX_ENTRIES`` (20 000) in all. So the journal holds at least a year of history or at least
10 000 entries, always at least the newest 500 events of EN 50131-1, and never grows without
bound (a detector flapping all year cannot fill the disk). Dropping starts from the oldest
recorded entry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import re
from types import MappingProxyType
from typing import Any, override

KEEP_ENTRIES = 10_000
KEEP_FOR = timedelta(days=366)
MAX_ENTRIES = 20_000
MAX_TEXT = 200  # characters of one text: names and reasons are far shorter

REDACTED = "**REDACTED**"
SECRET_KEYS = frozenset(
    {
        "code",
        "phone_code",
        "code_hash",
        "badge_id",
        "badge_ids",
        "phone",
        "email",
        "e_mail",
        "token",
        "secret",
        "password",
    }
)
"""Detail keys whose value is never recorded (a badge is ``badge``, its hint)."""

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d(?:[\s.\-()]*\d){6,14}|0\d(?:[\s.\-]?\d{2}){4})(?!\w)")
_CODE = re.compile(r"\d{4,8}")

type Detail = str | int | float | bool | tuple[str | None, ...] | None


class EntryKind(StrEnum):
    """What an entry records; the values are what the store, the action and the CSV say."""

    ARMED = "armed"
    DISARMED = "disarmed"
    ARM_REFUSED = "arm_refused"
    BYPASSED = "bypassed"
    CODE_REJECTED = "code_rejected"
    BADGE_REJECTED = "badge_rejected"
    LOCKED_OUT = "locked_out"
    ALARM_RAISED = "alarm_raised"
    ALARM_CLEARED = "alarm_cleared"
    FAULT_RAISED = "fault_raised"
    FAULT_CLEARED = "fault_cleared"
    ALERT = "alert"  # the call-out's status: calling, acknowledged by, cancelled…
    CALL_ENDED = "call_ended"  # one call to one contact, and how it ended
    PHONE_CODE_REJECTED = "phone_code_rejected"
    BADGE_ENABLED = "badge_enabled"
    BADGE_DISABLED = "badge_disabled"
    PROTECT_PLUS = "protect_plus"  # a PROTECT+ slice booked, extended, stopped, begun or over
    AGENT_REQUESTED = "agent_requested"  # a security agent asked for, and through what
    TALK_DOWN_STARTED = "talk_down_started"  # a contact listens in through the home's speaker
    TALK_DOWN_ENDED = "talk_down_ended"
    WARNING_PLAYED = "warning_played"  # no speaker: the spoken warning (and sirens) at home
    PHOTOS_TAKEN = "photos_taken"  # an alarm's photos, or a photo asked for, and by whom

    @classmethod
    @override
    def _missing_(cls, value: object) -> EntryKind | None:
        """A kind written by a newer release: kept as a pseudo-member, so its entries survive."""
        if not isinstance(value, str) or not value:
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """Whether this release defines the kind (only those can be filtered on)."""
        return self in _KNOWN


_KNOWN: frozenset[str] = frozenset(EntryKind)

PROMPT_KINDS: frozenset[EntryKind] = frozenset({EntryKind.ALARM_RAISED})
"""Kinds saved at once; the others are saved a few seconds later, in one write."""


def scrub(text: str) -> str:
    """A text without e-mail addresses, phone numbers or codes, cut to ``MAX_TEXT``."""
    if _CODE.fullmatch(text.strip()):
        return REDACTED
    text = _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, text))
    return text[:MAX_TEXT]


def _scrub_optional(text: str | None) -> str | None:
    return None if text is None else scrub(text)


def _scrub_detail(key: str, value: Detail) -> Detail:
    if key.casefold() in SECRET_KEYS and value is not None:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, tuple):
        return tuple(_scrub_optional(item) for item in value)
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value


@dataclass(frozen=True, slots=True)
class Who:
    """Who did it and how; every part is optional (a timer or a detector names nobody)."""

    person: str | None = None
    user: str | None = None
    method: str | None = None
    origin: str | None = None
    origin_name: str | None = None

    def scrubbed(self) -> Who:
        """The same, without anything that looks like an e-mail, a phone or a code."""
        return Who(
            person=_scrub_optional(self.person),
            user=_scrub_optional(self.user),
            method=_scrub_optional(self.method),
            origin=_scrub_optional(self.origin),
            origin_name=_scrub_optional(self.origin_name),
        )

    def as_dict(self) -> dict[str, str]:
        """The parts that are set."""
        return {
            name: value
            for name in ("person", "user", "method", "origin", "origin_name")  # in this order
            if (value := getattr(self, name)) is not None
        }


NOBODY = Who()
_WHO_FIELDS = frozenset(("person", "user", "method", "origin", "origin_name"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded fact; ``seq`` orders entries recorded at the same instant."""

    seq: int
    at: datetime
    kind: EntryKind
    who: Who = NOBODY
    details: Mapping[str, Detail] = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict[str, Any]:
        """The stored (and answered) form: JSON only."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "kind": self.kind.value,
            "who": self.who.as_dict(),
            "details": {k: list(v) if isinstance(v, tuple) else v for k, v in self.details.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entry:
        """Read an entry written by ``as_dict``; KeyError, TypeError or ValueError if unreadable."""
        at = datetime.fromisoformat(data["at"])
        who = data.get("who") or {}
        details = {
            str(k): tuple(v) if isinstance(v, list) else v
            for k, v in (data.get("details") or {}).items()
        }
        return cls(
            seq=int(data["seq"]),
            at=_aware(at),
            kind=EntryKind(data["kind"]),
            who=Who(**{k: str(v) for k, v in who.items() if k in _WHO_FIELDS and v is not None}),
            details=MappingProxyType(details),
        )


class Journal:
    """The entries of one home, oldest recorded first, with the retention policy applied."""

    __slots__ = ("_clock", "_entries", "_next_seq", "skipped")

    def __init__(self, clock: Callable[[], datetime], entries: Iterable[Entry] = ()) -> None:
        self._clock = clock
        self._entries: deque[Entry] = deque(entries)
        self._next_seq = max((e.seq for e in self._entries), default=0) + 1
        self.skipped = 0  # unreadable entries left out by ``restore``
        self.prune()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry, oldest recorded first."""
        return tuple(self._entries)

    def record(
        self,
        kind: EntryKind,
        at: datetime,
        *,
        who: Who | None = None,
        details: Mapping[str, Detail] | None = None,
    ) -> Entry:
        """Add an entry (redacted, see the module), apply the retention and return it."""
        entry = Entry(
            seq=self._next_seq,
            at=_aware(at),
            kind=kind,
            who=(who or NOBODY).scrubbed(),
            details=MappingProxyType(
                {str(k): _scrub_detail(str(k), v) for k, v in (details or {}).items()}
            ),
        )
        self._next_seq += 1
        self._entries.append(entry)
        self.prune()
        return entry

    def prune(self) -> int:
        """Drop what the retention lets go (see the module); the number dropped."""
        cutoff = _aware(self._clock()) - KEEP_FOR
        dropped = 0
        while len(self._entries) > MAX_ENTRIES or (
            len(self._entries) > KEEP_ENTRIES and self._entries[0].at < cutoff
        ):
            self._entries.popleft()
            dropped += 1
        return dropped

    def query(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[EntryKind] | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries from ``start`` to ``end`` (both included) of these kinds, newest first.

        ``limit`` keeps the newest ones; None means every kind, and no limit.
        """
        wanted = frozenset(kinds) if kinds is not None else None
        start = _aware(start) if start is not None else None
        end = _aware(end) if end is not None else None
        found: list[Entry] = []
        for entry in sorted(self._entries, key=lambda e: (e.at, e.seq), reverse=True):
            if limit is not None and len(found) >= limit:
                break
            if start is not None and entry.at < start:
                continue
            if end is not None and entry.at > end:
                continue
            if wanted is not None and entry.kind not in wanted:
                continue
            found.append(entry)
        return found

    def snapshot(self) -> dict[str, Any]:
        """The stored form."""
        return {"entries": [entry.as_dict() for entry in self._entries]}

    @classmethod
    def restore(cls, data: Mapping[str, Any], clock: Callable[[], datetime]) -> Journal:
        """Read ``snapshot``'s form; an unreadable entry is left out and counted in ``skipped``."""
        entries: list[Entry] = []
        skipped = 0
        for raw in data.get("entries", ()):
            try:
                entries.append(Entry.from_dict(raw))
            except KeyError, TypeError, ValueError, AttributeError:
                skipped += 1
        journal = cls(clock, entries)
        journal.skipped = skipped
        return journal
