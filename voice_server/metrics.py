"""Prometheus text exposition without a client library: a few counters and histograms.

Only ids-free labels (outcomes, statuses, kinds) are used, so /metrics never reveals a contact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
import math

__all__ = ["Counter", "Histogram", "Metrics"]


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    if not names:
        return ""
    pairs = ",".join(
        f'{n}="{v.replace("\\", "\\\\").replace('"', '\\"')}"'
        for n, v in zip(names, values, strict=True)
    )
    return "{" + pairs + "}"


class Counter:
    """A monotonically increasing count, optionally split by labels."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, labels
        self.values: defaultdict[tuple[str, ...], float] = defaultdict(float)

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        """Add ``amount`` to the series of these label values."""
        self.values[labels] += amount

    def render(self) -> Iterable[str]:
        """Exposition lines."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self.values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {value:g}"


class Histogram:
    """Cumulative buckets, sum and count of observed durations (seconds)."""

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help = name, help_text
        self.buckets = (*sorted(buckets), math.inf)
        self.counts = [0] * len(self.buckets)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Record one measurement."""
        self.sum += value
        self.count += 1
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1

    def render(self) -> Iterable[str]:
        """Exposition lines."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for bound, count in zip(self.buckets, self.counts, strict=True):
            le = "+Inf" if math.isinf(bound) else f"{bound:g}"
            yield f'{self.name}_bucket{{le="{le}"}} {count}'
        yield f"{self.name}_sum {self.sum:g}"
        yield f"{self.name}_count {self.count}"


class Metrics:
    """Everything the voice server measures."""

    def __init__(self) -> None:
        self.calls = Counter(
            "imaprotect_voice_calls_total", "Finished call attempts by outcome.", ("outcome",)
        )
        self.alerts = Counter(
            "imaprotect_voice_alerts_total", "Alerts by final status.", ("status",)
        )
        self.first_call = Histogram(
            "imaprotect_voice_alert_to_first_call_seconds",
            "Alert POST received until Asterisk accepted the first originate.",
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
        )
        self.answer = Histogram(
            "imaprotect_voice_ring_seconds",
            "Originate until the contact answered.",
            (1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0),
        )
        self.acknowledge = Histogram(
            "imaprotect_voice_alert_to_acknowledge_seconds",
            "Alert POST received until a contact typed the right code.",
            (5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
        )

    def render(self, gauges: Mapping[str, tuple[str, float]]) -> str:
        """The whole exposition; ``gauges`` maps name -> (help, value) sampled by the caller."""
        lines: list[str] = []
        for metric in (self.calls, self.alerts, self.first_call, self.answer, self.acknowledge):
            lines.extend(metric.render())
        for name, (help_text, value) in sorted(gauges.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
