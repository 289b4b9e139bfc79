"""What a station link is told: the account, its receivers (paths) and the timings.

Supervision follows EN 50136-1's ATS categories (``Category``): SP1-SP6 with one transmission
path, DP1-DP4 with a second one. Each preset gives the poll interval of the path that carries the
events (the category's "reporting time" for the primary path), that of the other paths (the
secondary path's reporting time) and the "transmission time": how long an alarm may take to
reach the station before the contacts are told as well. What we could check against the norm's
text (EN 50136-1:2012, §6 tables as published) is the structure: ten categories, SP single
path, DP with an alternative path mandatory at both ends. The figures are the research notes'
(the project's station research, §1), of which SP6 = 20 s and DP4 = 90 s are confirmed by a
published load test; the others are to be checked with the station, which says what it expects.
``Category.CUSTOM`` takes a ``SupervisionProfile`` of its own.

Defaults (``TransmitterSettings``): ACK timeout 10 s, 3 tries per path, SP4 (a poll every
180 s, alarms within 60 s), an automatic test report (RP) every 24 h.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from .codes import DataFormat
from .frames import AccountId
from .keys import StationKey
from .xdata import TextEncoding


class Category(StrEnum):
    """EN 50136-1 ATS category (or CUSTOM)."""

    SP1 = "SP1"
    SP2 = "SP2"
    SP3 = "SP3"
    SP4 = "SP4"
    SP5 = "SP5"
    SP6 = "SP6"
    DP1 = "DP1"
    DP2 = "DP2"
    DP3 = "DP3"
    DP4 = "DP4"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class SupervisionProfile:
    """Poll intervals (active path, other paths) and the alarms' maximum transmission time."""

    primary_poll: timedelta
    secondary_poll: timedelta
    max_transmission: timedelta

    def __post_init__(self) -> None:
        for name in ("primary_poll", "secondary_poll", "max_transmission"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")


def _p(primary: timedelta, secondary: timedelta, transmission: int) -> SupervisionProfile:
    return SupervisionProfile(primary, secondary, timedelta(seconds=transmission))


_S = timedelta(seconds=1)
_H25 = timedelta(hours=25)
PRESETS: dict[Category, SupervisionProfile] = {
    Category.SP1: _p(timedelta(days=32), timedelta(days=32), 480),
    Category.SP2: _p(_H25, _H25, 120),
    Category.SP3: _p(timedelta(minutes=30), timedelta(minutes=30), 60),
    Category.SP4: _p(180 * _S, 180 * _S, 60),
    Category.SP5: _p(90 * _S, 90 * _S, 30),
    Category.SP6: _p(20 * _S, 20 * _S, 30),
    Category.DP1: _p(_H25, _H25, 120),
    Category.DP2: _p(timedelta(minutes=30), _H25, 60),
    Category.DP3: _p(180 * _S, _H25, 60),
    Category.DP4: _p(90 * _S, 180 * _S, 30),
}


@dataclass(frozen=True, slots=True)
class TransmitterSettings:
    """Timings of the transmitter (see the module docstring for the defaults)."""

    category: Category = Category.SP4
    custom: SupervisionProfile | None = None
    ack_timeout: timedelta = timedelta(seconds=10)
    tries: int = 3
    test_interval: timedelta | None = timedelta(hours=24)
    down_poll_interval: timedelta = timedelta(seconds=60)
    connect_retry: timedelta = timedelta(seconds=1)
    retry_backoff: timedelta = timedelta(seconds=5)
    max_retry_backoff: timedelta = timedelta(seconds=60)
    poll_preempt_after: timedelta = timedelta(seconds=1)
    report_path_faults: bool = True

    def __post_init__(self) -> None:
        if (self.category is Category.CUSTOM) != (self.custom is not None):
            raise ValueError("give a custom SupervisionProfile exactly when category is CUSTOM")
        if self.tries < 1:
            raise ValueError("tries must be at least 1")
        for name in (
            "ack_timeout",
            "down_poll_interval",
            "connect_retry",
            "retry_backoff",
            "max_retry_backoff",
        ):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if self.test_interval is not None and self.test_interval <= timedelta(0):
            raise ValueError("test_interval must be positive (or None: no test reports)")

    @property
    def supervision(self) -> SupervisionProfile:
        """The category's preset, or the custom profile."""
        return self.custom if self.custom is not None else PRESETS[self.category]


class Transport(StrEnum):
    """DC-09 runs over TCP or UDP."""

    TCP = "tcp"
    UDP = "udp"


@dataclass(frozen=True, slots=True)
class ReceiverPath:
    """One receiver (alarm transmission path): address, transport, optional ``R`` number."""

    host: str
    port: int
    transport: Transport = Transport.TCP
    receiver: str | None = None

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("a receiver needs a host")
        if not 1 <= self.port <= 65535:
            raise ValueError("port must be 1-65535")


@dataclass(frozen=True, slots=True)
class StationAccount:
    """The account at the station: number, line prefix, key, event format, text encoding."""

    account: str
    key: StationKey | None = None
    line_prefix: str = "0"
    data_format: DataFormat = DataFormat.SIA_DCS
    text_encoding: TextEncoding = TextEncoding.ASCII
    ident: AccountId = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ident", AccountId(self.account, self.line_prefix))
        object.__setattr__(self, "account", self.ident.account)

    def on_path(self, path: ReceiverPath) -> AccountId:
        """The ids written on ``path`` (its receiver number, if any)."""
        return AccountId(self.ident.account, self.ident.line_prefix, path.receiver)
