"""What the voice server measures, exposed in the Prometheus formats by ``prometheus-client``.

Each server has its own ``CollectorRegistry``, not the library's global one: a test process can
then run several servers, each counting only its own calls. Labels carry closed sets of words only
(outcomes, statuses), never an id or a name, so /metrics never reveals a contact; the library
escapes label values and help texts.

Counters and histograms are updated by the call tree as things happen. The gauges (Asterisk up,
call trees running, outbox queue sizes and dead letters, homes watched and offline) are read at
scrape time: the outbox and homes ones by a ``Collector`` querying the database. The aiohttp
handler renders the registry synchronously in the event-loop thread, the only thread allowed to
use that connection; never serve this registry from a thread (such as the library's
``start_http_server``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, override

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from custom_components.imaprotect.contract.enums import TERMINAL_STATUSES, Outcome
from voice_server import heartbeats, outbox

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    import sqlite3

    from prometheus_client.metrics_core import Metric

__all__ = ["HomesCollector", "LabelledCounter", "Metrics", "OutboxCollector"]


class LabelledCounter:
    """A counter split by one label, each known value exported from zero.

    Series that exist from the start let ``rate()`` and ``increase()`` see the first event.
    """

    def __init__(self, counter: Counter, known: Iterable[str]) -> None:
        self._counter = counter
        for value in known:
            counter.labels(value)

    def inc(self, value: str, *, amount: float = 1.0) -> None:
        """Add ``amount`` to the series of this label value (an ``Outcome``, an ``AlertStatus``)."""
        self._counter.labels(value).inc(amount)


class OutboxCollector(Collector):
    """Outbox rows still to deliver and dead letters kept (a week), by kind, read at each scrape."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @override
    def collect(self) -> Iterator[Metric]:
        """One gauge per kind and state; the names predate the library, hence no ``kind`` label."""
        for kind, count in outbox.pending_counts(self._conn).items():
            yield GaugeMetricFamily(
                f"imaprotect_voice_outbox_pending_{kind}", f"Undelivered {kind} items.", count
            )
        for kind, count in outbox.dead_counts(self._conn).items():
            yield GaugeMetricFamily(
                f"imaprotect_voice_outbox_dead_{kind}",
                f"Dead-lettered {kind} items (refused for good) of the last 7 days.",
                count,
            )


class HomesCollector(Collector):
    """Homes whose heartbeats are watched (armed), and homes reported offline, at each scrape."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @override
    def collect(self) -> Iterator[Metric]:
        """Two gauges; a silent home stays counted until a heartbeat comes back."""
        watched, silent = heartbeats.counts(self._conn)
        yield GaugeMetricFamily(
            "imaprotect_voice_homes_watched", "Armed homes whose heartbeats are watched.", watched
        )
        yield GaugeMetricFamily(
            "imaprotect_voice_homes_offline",
            "Homes reported offline (silent while armed) whose heartbeats have not come back.",
            silent,
        )


class Metrics:
    """Everything one voice server measures, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)  # what the library's default registry has
        self.calls = LabelledCounter(
            Counter(
                "imaprotect_voice_calls_total",
                "Finished call attempts by outcome.",
                ("outcome",),
                registry=self.registry,
            ),
            sorted(Outcome),
        )
        self.alerts = LabelledCounter(
            Counter(
                "imaprotect_voice_alerts_total",
                "Alerts by final status.",
                ("status",),
                registry=self.registry,
            ),
            sorted(TERMINAL_STATUSES),
        )
        self.first_call = Histogram(
            "imaprotect_voice_alert_to_first_call_seconds",
            "Alert POST received until Asterisk accepted the first originate.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.answer = Histogram(
            "imaprotect_voice_ring_seconds",
            "Originate until the contact answered.",
            buckets=(1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0),
            registry=self.registry,
        )
        self.acknowledge = Histogram(
            "imaprotect_voice_alert_to_acknowledge_seconds",
            "Alert POST received until a contact typed the right code.",
            buckets=(5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
            registry=self.registry,
        )

    def watch(
        self,
        conn: sqlite3.Connection,
        *,
        asterisk_up: Callable[[], bool],
        campaigns_running: Callable[[], int],
        calls_waiting: Callable[[], int] = lambda: 0,
    ) -> None:
        """Sample the server's state at each scrape: Asterisk, call trees, the outbox, homes."""
        up = Gauge(
            "imaprotect_voice_asterisk_up", "1 when Asterisk is connected.", registry=self.registry
        )
        up.set_function(lambda: float(asterisk_up()))
        running = Gauge(
            "imaprotect_voice_campaigns_running", "Call trees in progress.", registry=self.registry
        )
        running.set_function(lambda: float(campaigns_running()))
        waiting = Gauge(
            "imaprotect_voice_calls_waiting_for_asterisk",
            "Contacts' calls waiting for a slot among those asked of Asterisk at once.",
            registry=self.registry,
        )
        waiting.set_function(lambda: float(calls_waiting()))
        self.registry.register(OutboxCollector(conn))
        self.registry.register(HomesCollector(conn))
