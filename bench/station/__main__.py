"""Benchmark of the SIA DC-09 station link (issue 9), inside the dev root.

``bench/run station [--only latency|burst|supervision] [--events N] [--burst N] [--accounts N]
[--duration S]`` (or ``scripts/devroot/build run python -m bench.station …``). The receiver is
pysiaalarm's asyncio server in its own process (``bench/station/receiver.py``) on 127.0.0.1, so
the CPU figures are the sender's alone; the sender is ``StationLink`` as the integration runs
it, with a ``JsonFileStore`` on disk (fsync on every save).

A. latency: ``--events`` alarms (1 000) one after the other; each figure is from just before
   ``async_send`` (which returns once the event is on disk) to the ``Delivered`` notice, i.e. the
   station's ACK parsed and matched. Target: p99 <= 100 ms.
B. burst: ``--burst`` events (10 000) queued at once (``asyncio.gather``), then drained; checks
   that the receiver got every one exactly once and in order (the text carries the index), and
   that sequence numbers wrapped 9999 -> 0001.
C. supervision: ``--accounts`` links (1 000), one per account, to one receiver, SP6 (a NULL
   poll every 20 s); the sender's CPU over ``--duration`` seconds (120) after the start-up polls,
   and that no path was ever lost.

Results: bench/results/station-<UTC time>.json and .md (printed). Exit status 0 when every
check passed and the latency target was met.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.station import (
    Category,
    Delivered,
    JsonFileStore,
    Notice,
    PathLost,
    ReceiverPath,
    StationAccount,
    StationLink,
    TransmitterSettings,
)
from testkit.ports import LOOPBACK
from testkit.processes import DIE_WITH_PARENT

from .receiver import account_id

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"


class Receiver:
    """The receiver process."""

    def __init__(self, accounts: int, work: Path) -> None:
        self.log = work / f"receiver-{accounts}.jsonl"
        self._process = subprocess.Popen(
            [
                *DIE_WITH_PARENT,
                sys.executable,
                "-m",
                "bench.station.receiver",
                "--accounts",
                str(accounts),
                "--log",
                str(self.log),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"receiver did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> dict[str, int]:
        """SIGTERM; the counts it printed."""
        self._process.terminate()
        out, _ = self._process.communicate(timeout=30)
        return json.loads(out.decode().strip().splitlines()[-1])

    def events(self) -> list[dict[str, Any]]:
        """What it acknowledged, in order."""
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(cut[94], 2),
        "p99": round(cut[98], 2),
        "max": round(ordered[-1], 2),
    }


def _settings(**changes: Any) -> TransmitterSettings:
    values: dict[str, Any] = {"category": Category.SP4, "test_interval": None}
    values.update(changes)
    return TransmitterSettings(**values)


async def latency(events: int, warmup: int, work: Path) -> dict[str, Any]:
    """A: alarm -> ACK, one after the other."""
    receiver = Receiver(1, work)
    delivered = asyncio.Event()
    link = StationLink(
        StationAccount(account_id(0)),
        [ReceiverPath(LOOPBACK, receiver.port)],
        JsonFileStore(work / "latency.json"),
        _settings(),
    )

    def on_notice(notice: Notice) -> None:
        if isinstance(notice, Delivered):
            delivered.set()

    link.add_listener(on_notice)
    await link.async_start()
    figures: list[float] = []
    saves: list[float] = []
    try:
        for index in range(warmup + events):
            delivered.clear()
            report = Report(
                ReportKind.BURGLARY, datetime.now(UTC), zone=index % 999 + 1, text=f"Porte {index}"
            )
            start = time.perf_counter()
            await link.async_send(report)
            saved = time.perf_counter()
            await asyncio.wait_for(delivered.wait(), timeout=30)
            end = time.perf_counter()
            if index >= warmup:
                figures.append((end - start) * 1000)
                saves.append((saved - start) * 1000)
    finally:
        await link.async_stop()
        counts = receiver.stop()
    got = receiver.events()
    return {
        "events": events,
        "alarm_to_ack_ms": _percentiles(figures),
        "send_saved_ms": _percentiles(saves),
        "receiver_events": counts["events"],
        "all_acknowledged_once": len(got) == warmup + events
        and [e["sequence"] for e in got] == list(range(1, warmup + events + 1)),
        "target_met": _percentiles(figures)["p99"] <= 100,
    }


async def burst(count: int, work: Path) -> dict[str, Any]:
    """B: ``count`` events queued at once, drained in order."""
    receiver = Receiver(1, work)
    done = asyncio.Event()
    delivered = 0
    link = StationLink(
        StationAccount(account_id(0)),
        [ReceiverPath(LOOPBACK, receiver.port)],
        JsonFileStore(work / "burst.json"),
        _settings(),
    )

    def on_notice(notice: Notice) -> None:
        nonlocal delivered
        if isinstance(notice, Delivered):
            delivered += 1
            if delivered == count:
                done.set()

    link.add_listener(on_notice)
    await link.async_start()
    now = datetime.now(UTC)
    cpu0, start = time.process_time(), time.perf_counter()
    try:
        await asyncio.gather(
            *(
                link.async_send(Report(ReportKind.BYPASS, now, zone=i % 999 + 1, text=f"e{i}"))
                for i in range(count)
            )
        )
        queued = time.perf_counter()
        await asyncio.wait_for(done.wait(), timeout=max(60, count / 50))
        drained = time.perf_counter()
        cpu = time.process_time() - cpu0
        left = link.status.queue_length
    finally:
        await link.async_stop()
        receiver.stop()
    got = receiver.events()
    texts = [e["text"] for e in got]
    expected_sequences = [(i % 9999) + 1 for i in range(count)]
    return {
        "events": count,
        "queue_ms": round((queued - start) * 1000, 1),
        "drain_s": round(drained - queued, 2),
        "events_per_s": round(count / (drained - queued)),
        "sender_cpu_s": round(cpu, 2),
        "delivered_notices": delivered,
        "received": len(got),
        "in_order_none_lost_none_twice": texts == [f"e{i}" for i in range(count)],
        "sequences_wrapped": [e["sequence"] for e in got] == expected_sequences,
        "queue_left": left,
    }


async def supervision(accounts: int, duration: float, work: Path) -> dict[str, Any]:
    """C: ``accounts`` links polling every 20 s (SP6) against one receiver."""
    receiver = Receiver(accounts, work)
    lost: list[PathLost] = []
    links = []
    for index in range(accounts):
        link = StationLink(
            StationAccount(account_id(index)),
            [ReceiverPath(LOOPBACK, receiver.port)],
            JsonFileStore(work / f"supervision-{index}.json"),
            _settings(category=Category.SP6),
        )
        link.add_listener(lambda n: lost.append(n) if isinstance(n, PathLost) else None)
        links.append(link)
    start = time.perf_counter()
    await asyncio.gather(*(link.async_start() for link in links))
    await asyncio.sleep(25)  # the start-up polls and saves, then one full poll round
    sent0 = sum(p.frames_sent for link in links for p in link.status.paths)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(duration)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    sent = sum(p.frames_sent for link in links for p in link.status.paths) - sent0
    up = sum(link.connected for link in links)
    await asyncio.gather(*(link.async_stop() for link in links))
    counts = receiver.stop()
    return {
        "accounts": accounts,
        "poll_interval_s": 20,
        "measured_s": round(wall, 1),
        "polls_sent": sent,
        "polls_per_s": round(sent / wall, 1),
        "sender_cpu_s": round(cpu, 2),
        "sender_cpu_share_of_one_core": f"{cpu / wall:.1%}",
        "sender_cpu_ms_per_poll": round(cpu * 1000 / max(sent, 1), 3),
        "links_up_at_end": up,
        "paths_lost": len(lost),
        "receiver_polls": counts["polls"],
        "start_all_links_s": round(wall0 - start - 25, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    """The result as a table."""
    lines = [
        f"Station link benchmark, {result['started']} on {result['machine']}",
        "",
        "| Scenario | Figure | Value |",
        "|---|---|---|",
    ]
    for name in ("latency", "burst", "supervision"):
        for key, value in result.get(name, {}).items():
            lines.append(f"| {name} | {key} | {value} |")
    lines.append("")
    lines.append(f"Verdict: {result['verdict']}")
    return "\n".join(lines)


def main() -> None:
    """Run the scenarios asked for."""
    parser = argparse.ArgumentParser(prog="bench/run station", description=__doc__)
    parser.add_argument("--only", choices=["latency", "burst", "supervision"])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=120)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "load_average_at_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(dir=RESULTS, prefix="station-work-") as folder:
        work = Path(folder)
        if args.only in (None, "latency"):
            result["latency"] = asyncio.run(latency(args.events, args.warmup, work))
        if args.only in (None, "burst"):
            result["burst"] = asyncio.run(burst(args.burst, work))
        if args.only in (None, "supervision"):
            result["supervision"] = asyncio.run(supervision(args.accounts, args.duration, work))
    checks = [
        result.get("latency", {}).get("target_met", True),
        result.get("latency", {}).get("all_acknowledged_once", True),
        result.get("burst", {}).get("in_order_none_lost_none_twice", True),
        result.get("burst", {}).get("sequences_wrapped", True),
        result.get("supervision", {}).get("paths_lost", 0) == 0,
    ]
    result["verdict"] = "PASS" if all(checks) else "FAIL"
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"station-{stamp}.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (RESULTS / f"station-{stamp}.md").write_text(text + "\n")
    print(text)
    sys.exit(0 if result["verdict"] == "PASS" else 1)


if __name__ == "__main__":
    main()
