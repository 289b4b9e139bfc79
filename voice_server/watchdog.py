"""The home watchdog, pure: from each home's last heartbeat and the time, which homes went silent.

While a home is armed, Home Assistant sends a heartbeat every ``interval`` seconds; a home that
has sent none for ``grace`` seconds is *silent*: its alarm may have lost power, its network or
its Home Assistant, and nobody would hear a burglar. The voice server then raises one
``home_offline`` alert (the usual call tree: contacts acknowledge with their code), and the home
stays *reported* until a heartbeat comes back: one alert per silence, never one per minute.

Times are wall-clock seconds of the voice server (its own clock; Home Assistant's is only used for
the home's UTC offset), so that a watch survives a restart of the server. The silence is counted
from the later of the last heartbeat and ``since``, when the server started watching: a server
that was down itself missed the heartbeats of that time, and must not blame the homes for it.
A home reported before a restart stays reported (its alert is on disk and resumes), so a restart
neither forgets a silent home nor calls about it twice.

No I/O, no clock: the service (``home_watch``) reads the watches from SQLite, passes the time,
and acts on what these functions say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
import hashlib

__all__ = [
    "Beat",
    "Heard",
    "Watch",
    "deadline",
    "heard",
    "next_deadline",
    "reported",
    "silence_alert_id",
    "silent",
]

_ALERT_PREFIX = "home-offline-"


@dataclass(frozen=True, slots=True)
class Beat:
    """One heartbeat as the server received it (``at``: its own clock)."""

    armed: bool
    interval: float
    grace: float
    at: float
    utc_offset: int  # seconds east of UTC of the home's clock


@dataclass(frozen=True, slots=True)
class Watch:
    """What the server knows of one home's heartbeats.

    ``alert_id`` is the ``home_offline`` alert of the silence under way, once reported: the home is
    not reported again until a heartbeat ends that silence.
    """

    site_id: str
    armed: bool
    interval: float
    grace: float
    last_seen: float
    utc_offset: int
    alert_id: str | None = None

    @property
    def reported(self) -> bool:
        """Whether the current silence has been reported (its alert raised)."""
        return self.alert_id is not None


@dataclass(frozen=True, slots=True)
class Heard:
    """The watch after a heartbeat, and the alert of the silence the heartbeat ended, if any."""

    watch: Watch
    ended: str | None = None


def heard(previous: Watch | None, site_id: str, beat: Beat) -> Heard:
    """A heartbeat came: the home is alive now, armed or not, and a reported silence is over.

    A disarmed heartbeat ends the watch as well (and a silence too: the home answers).
    """
    watch = Watch(
        site_id=site_id,
        armed=beat.armed,
        interval=beat.interval,
        grace=beat.grace,
        last_seen=beat.at,
        utc_offset=beat.utc_offset,
    )
    return Heard(watch, previous.alert_id if previous is not None else None)


def deadline(watch: Watch, *, since: float) -> float | None:
    """When the home counts as silent; None when it is not watched (disarmed, or reported)."""
    if not watch.armed or watch.reported:
        return None
    return max(watch.last_seen, since) + watch.grace


def silent(watches: Iterable[Watch], now: float, *, since: float) -> list[Watch]:
    """The watched homes whose deadline has passed at ``now``, the longest silent first."""
    due = [
        (at, watch)
        for watch in watches
        if (at := deadline(watch, since=since)) is not None and at <= now
    ]
    return [watch for _, watch in sorted(due, key=lambda pair: (pair[0], pair[1].site_id))]


def next_deadline(watches: Iterable[Watch], *, since: float) -> float | None:
    """The earliest deadline of the watched homes (None: nothing to watch)."""
    deadlines = [at for watch in watches if (at := deadline(watch, since=since)) is not None]
    return min(deadlines, default=None)


def silence_alert_id(watch: Watch) -> str:
    """The id of the ``home_offline`` alert of this silence, the same however often it is asked.

    It is derived from the home and its last heartbeat (what identifies a silence), so a server
    that crashed between raising the alert and recording it raises the same id again, which the
    alert store takes as the alert it already has: a crash never calls twice.
    """
    digest = hashlib.sha256(f"{watch.site_id}\n{watch.last_seen!r}".encode()).hexdigest()
    return _ALERT_PREFIX + digest[:32]


def reported(watch: Watch, alert_id: str) -> Watch:
    """The watch once its silence was reported with ``alert_id``."""
    return replace(watch, alert_id=alert_id)
