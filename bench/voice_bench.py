"""Benchmark of the voice server (issue 4): alert latency to the first INVITE, and a load of sites.

Run it with ``bench/run`` (inside the dev root); ``--help`` lists the options. It starts its own
Asterisk (the project's rendered configuration), SIPp phones and the voice server as a real
process (``python -m voice_server --config FILE``), all on 127.0.0.1, and stops them at the end.

A. Latency: ``--alerts`` alerts one after the other, each on its own site whose only contact is
   routed to a SIPp UAS that answers 486 Busy (rounds = 1, so each alert ends at once). The
   figure is the time from just before the HTTP POST to the INVITE as SIPp saw it: SIPp's message
   trace stamps every message with the wall clock (CLOCK_REALTIME, µs), the same clock as
   ``time.time()`` here. Target: p99 ≤ 150 ms.
B. Load: ``--sites`` sites with 3 contacts each, every alert POSTed at once. Contact 1 answers
   486 Busy, contact 2 rings until the ring timeout, contact 3 answers and types the right code
   as RFC 4733 DTMF; every alert must end ``acknowledged``. Figures: wall time, CPU time of the
   voice server (and of Asterisk and SIPp) from /proc/<pid>/stat, the voice server's peak RSS
   (VmHWM), and the "nothing lost" checks (attempts, one INVITE per contact, every signed
   callback and email delivered, the outbox empty).

Results go to bench/results/voice-<UTC time>.json and .md; the markdown is printed.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
import functools
import json
import os
from pathlib import Path
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

# bench/ is not a package; testkit and voice_server are imported from the repository root.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from voice_report import markdown, summary  # noqa: E402 - needs sys.path above
from voice_support import REPO, ProcStat, start_asterisk, start_phone, system_cpu  # noqa: E402

from testkit.asterisk import ARI_PASSWORD, ARI_USER, ASTERISK, AsteriskInstance  # noqa: E402
from testkit.bodies import alert_body, code_hash, site_body  # noqa: E402
from testkit.callbacks import CallbackSink  # noqa: E402
from testkit.ports import PortPool  # noqa: E402
from testkit.processes import DIE_WITH_PARENT, Children  # noqa: E402
from testkit.sipp import SIPP, SippPhone, invites_seen  # noqa: E402
from testkit.smtp import SmtpSink  # noqa: E402
from testkit.voice import VoiceProcess  # noqa: E402
from testkit.voice_api import VoiceApi  # noqa: E402

RESULTS = REPO / "bench" / "results"
TARGET_MS = 150.0
CODE = "4321"
LOAD_OUTCOMES = [("c0", "busy"), ("c1", "no_answer"), ("c2", "acknowledged")]
LOAD_SITES = 100
AVALANCHE_SITES = 1000
AVALANCHE_INVITE_P99_MS = 2000.0
AVALANCHE_HWM_MIB = 150.0
SCENARIOS = ("latency", "load", "avalanche", "chain")
CHAIN_P99_MS = 50.0
_MIB = 1024
_MAX_UNFINISHED = 5  # A: give up after this many alerts that never end


@dataclass(slots=True)
class Context:
    """What both scenarios share."""

    args: argparse.Namespace
    work: Path  # Asterisk, SIPp (in the sandbox's private /tmp)
    disk: Path  # the voice servers' settings, SQLite database and log (on disk, as installed)
    pool: PortPool
    processes: Children
    asterisk: AsteriskInstance
    prompts: Path
    code_hash: str


def _contact(index: int, number: str, site: int, code: str) -> dict[str, Any]:
    return {
        "id": f"c{index}",
        "name": f"Contact {index}",
        "phone": number,
        "email": f"s{site}c{index}@example.org",
        "ack_code_hash": code,
    }


def _site(name: str, contacts: list[dict[str, Any]], callback_url: str) -> dict[str, Any]:
    # Every home has its own name, so every alert message is new and synthesised (espeak-ng, sox)
    # while the first phone rings, as in production where the time and the detector differ.
    return {**site_body(contacts, callback_url=callback_url), "name": name}


def _finished(payload: dict[str, Any]) -> bool:
    """A callback saying the alert is over and its last call has ended."""
    attempt = payload["attempt"]
    return payload["status"] != "calling" and (attempt is None or bool(attempt["ended_at"]))


def _since(start: float, iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp() - start


async def _put_sites(api: VoiceApi, bodies: dict[str, dict[str, Any]]) -> None:
    gate = asyncio.Semaphore(8)

    async def put(site_id: str, body: dict[str, Any]) -> None:
        async with gate:
            await api.put_site(site_id, body)

    await asyncio.gather(*(put(k, v) for k, v in bodies.items()))


async def _peers(
    ctx: Context, scenario: str, routes: dict[str, str], **voice: object
) -> tuple[CallbackSink, SmtpSink, VoiceProcess]:
    """A scenario's webhook and SMTP sinks, started, and its own voice server process (rounds=1).

    The server is started, not yet healthy: ``wait_healthy`` is the scenario's first step.
    """
    sink, smtp = CallbackSink(ctx.pool.take()), SmtpSink(ctx.pool.take())
    await sink.start()
    await smtp.start()
    server = VoiceProcess.write(
        ctx.disk / f"voice-{scenario}",
        asterisk=ctx.asterisk,
        port=ctx.pool.take(),
        prompts=ctx.prompts,
        routes=routes,
        smtp_port=smtp.port,
        ari_app=f"bench-{scenario}",
        rounds=1,
        **voice,
    )
    profile = ctx.disk / f"voice-{scenario}.prof" if ctx.args.profile else None
    ctx.processes.add(server.start(prefix=DIE_WITH_PARENT, profile=profile))
    return sink, smtp, server


# --- A. latency -------------------------------------------------------------------------------


async def scenario_latency(ctx: Context) -> dict[str, Any]:
    """Sequential alerts, POST → first INVITE as SIPp saw it."""
    args = ctx.args
    total = args.warmup + args.alerts
    busy = start_phone(
        "uas_busy", name="latency-busy", log_root=ctx.work, pool=ctx.pool, children=ctx.processes
    )
    numbers = [f"+3367{i:07d}" for i in range(total)]
    routes = {numbers[i]: busy.dial(f"a{i}") for i in range(total)}
    sink, smtp, server = await _peers(ctx, "latency", routes, ring_timeout=5.0)
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    statuses: dict[int, int] = {}
    unfinished = 0
    try:
        async with aiohttp.ClientSession() as session:
            await server.wait_healthy(session)
            api = VoiceApi(server.base, session)
            await _put_sites(
                api,
                {
                    f"lat-{i}": _site(
                        f"Maison {i}", [_contact(0, numbers[i], i, ctx.code_hash)], sink.url
                    )
                    for i in range(total)
                },
            )
            before = ProcStat.read(server.pid)
            for i in range(total):
                alert_id = f"lat-{i}"
                sent[i] = time.time()
                statuses[i], _ = await api.post_alert(f"lat-{i}", alert_body(alert_id))
                answered[i] = time.time()
                # The "exhausted" callback: the busy call is over (no polling to disturb timing).
                if not await sink.wait(
                    lambda a=alert_id: sink.first(a, "exhausted") is not None, within=15.0
                ):
                    unfinished += 1
                    if unfinished >= _MAX_UNFINISHED:
                        raise RuntimeError(f"{unfinished} alerts never ended; see {server.log}")
                await asyncio.sleep(args.gap)
            after = ProcStat.read(server.pid)
            alerts = [await api.alert(f"lat-{i}") for i in range(total)]
    finally:
        busy.stop()
        server.stop()
        await sink.stop()
        await smtp.stop()
    first, invites, _ = invites_seen(busy.trace)
    measured = range(args.warmup, total)
    delays = [first[f"a{i}"] - sent[i] for i in measured if f"a{i}" in first]
    warmup = [first[f"a{i}"] - sent[i] for i in range(args.warmup) if f"a{i}" in first]
    outcomes = [[(a["contact_id"], a["outcome"]) for a in alert["attempts"]] for alert in alerts]
    return {
        "alerts": args.alerts,
        "warmup": args.warmup,
        "gap_s": args.gap,
        "target_ms": TARGET_MS,
        "post_to_invite_ms": summary(delays),
        "post_to_201_ms": summary([answered[i] - sent[i] for i in measured]),
        "missing_invites": sum(1 for i in range(total) if f"a{i}" not in first),
        "extra_invites": sum(n - 1 for n in invites.values() if n > 1),
        "all_posted_201": all(s == 201 for s in statuses.values()),
        "unfinished": unfinished,
        "all_busy_exhausted": unfinished == 0
        and all(a["status"] == "exhausted" for a in alerts)
        and all(o == [("c0", "busy")] for o in outcomes),
        "voice_cpu_s": round(after.cpu - before.cpu, 2),
        "voice_children_cpu_s": round(after.children_cpu - before.children_cpu, 2),
        "voice_hwm_mib": round(after.hwm_kib / _MIB, 1),
        "sipp_errors": busy.errors(),
        "warmup_delays_ms": [round(d * 1000, 3) for d in warmup],
        "delays_ms": [round(d * 1000, 3) for d in delays],
    }


# --- B. load ----------------------------------------------------------------------------------


async def _count_channels(asterisk: AsteriskInstance) -> int | None:
    """Channels up in Asterisk, through its CLI socket (no ARI session taken: see --ari-probe)."""
    process = await asyncio.create_subprocess_exec(
        str(ASTERISK), "-C", str(asterisk.paths.config), "-rx", "core show channels count",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await process.communicate()
    match = re.search(rb"(\d+) active channels?", out)
    return int(match.group(1)) if match else None


async def _sample(
    ctx: Context, session: aiohttp.ClientSession, peaks: dict[str, int], stop: asyncio.Event
) -> None:
    """Every second: how many channels Asterisk has; with --ari-probe, also GET /ari/channels.

    The probe is what a monitoring tool would do; it takes one more of Asterisk's HTTP sessions
    (http.conf sessionlimit, 100 by default), next to the voice server's.
    """
    headers = {"Authorization": aiohttp.encode_basic_auth(ARI_USER, ARI_PASSWORD)}
    url = f"{ctx.asterisk.settings.ari_url}/ari/channels"
    while not stop.is_set():
        channels = await _count_channels(ctx.asterisk)
        if ctx.args.ari_probe:
            try:
                async with session.get(url, headers=headers) as resp:
                    channels = len(await resp.json())
            except aiohttp.ClientError, ValueError:
                peaks["probe_errors"] = peaks.get("probe_errors", 0) + 1
        if channels is not None:
            peaks["channels"] = max(peaks.get("channels", 0), channels)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            continue


def _outbox(database: Path) -> dict[str, dict[str, int]]:
    """Rows per kind in the stopped server's outbox: total and still undelivered."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT kind, COUNT(*), SUM(delivered_at IS NULL) FROM outbox GROUP BY kind"
        ).fetchall()
    return {kind: {"rows": total, "pending": pending or 0} for kind, total, pending in rows}


async def scenario_load(ctx: Context) -> dict[str, Any]:
    """``--sites`` sites (100) alerting at once, 3 contacts each, every one acknowledged by SIPp."""
    return await _burst(ctx, "load", ctx.args.sites or LOAD_SITES, spread=0.0)


async def scenario_avalanche(ctx: Context) -> dict[str, Any]:
    """C: ``--sites`` sites (1 000) alerting within ``--spread`` s (1), as B otherwise.

    A storm or a regional power cut: every home of a region alerts within a second. Same phones,
    outcomes and checks as B; the figures that matter are the first INVITE (p99 ≤ 2 s) and the
    voice server's peak RSS (≤ 150 MiB), with nothing lost.
    """
    result = await _burst(
        ctx, "avalanche", ctx.args.sites or AVALANCHE_SITES, spread=ctx.args.spread
    )
    p99 = result["post_to_first_invite_ms"].get("p99")
    result["targets"] = {
        "first_invite_p99_ms": AVALANCHE_INVITE_P99_MS,
        "voice_hwm_mib": AVALANCHE_HWM_MIB,
    }
    result["checks"]["first_invite_p99"] = p99 is not None and p99 <= AVALANCHE_INVITE_P99_MS
    result["checks"]["voice_peak_rss"] = result["voice_hwm_mib"] <= AVALANCHE_HWM_MIB
    return result


async def _burst(ctx: Context, name: str, sites: int, *, spread: float) -> dict[str, Any]:
    """``sites`` sites with 3 contacts each, their alerts POSTed evenly over ``spread`` seconds.

    ``spread = 0``: one ``asyncio.gather`` of every POST. Otherwise alert ``i`` is POSTed at
    ``i * spread / sites`` after the first (still without a client-side connection limit), which
    is how a storm arrives: within a second, not in the same microsecond.
    """
    args = ctx.args
    start = functools.partial(start_phone, pool=ctx.pool, children=ctx.processes, log_root=ctx.work)
    phones: list[SippPhone] = [
        start("uas_busy", name=f"{name}-busy"),
        start("uas_noanswer", name=f"{name}-noanswer"),
        start("uas_dtmf", name=f"{name}-code", digits=f"{CODE}#", delay_ms=500),
    ]
    numbers = [[f"+3366{j}{i:06d}" for j in range(3)] for i in range(sites)]
    routes = {numbers[i][j]: phones[j].dial(f"s{i}c{j}") for i in range(sites) for j in range(3)}
    sink, smtp, server = await _peers(
        ctx, name, routes, ring_timeout=args.ring_timeout, digit_timeout=10.0
    )
    ids = [f"{name}-{i}" for i in range(sites)]
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    statuses: dict[str, int] = {}
    peaks: dict[str, int] = {}
    stop_sampling = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await server.wait_healthy(session)
            api = VoiceApi(server.base, session)
            await _put_sites(
                api,
                {
                    f"{name}-{i}": _site(
                        f"Résidence {i}",
                        [_contact(j, numbers[i][j], i, ctx.code_hash) for j in range(3)],
                        sink.url,
                    )
                    for i in range(sites)
                },
            )
            idle = ProcStat.read(server.pid)
            pids = {"asterisk": ctx.asterisk.process.pid}
            before = {name: ProcStat.read(pid) for name, pid in pids.items()}
            sipp_before = [ProcStat.read(p.process.pid).cpu for p in phones]
            machine_before = system_cpu()
            sampler = asyncio.create_task(_sample(ctx, session, peaks, stop_sampling))

            async def post(index: int, alert_id: str) -> None:
                if spread:
                    await asyncio.sleep(max(0.0, t0 + index * spread / sites - time.time()))
                sent[alert_id] = time.time()
                statuses[alert_id], _ = await api.post_alert(alert_id, alert_body(alert_id))
                answered[alert_id] = time.time()

            t0 = time.time()
            await asyncio.gather(*(post(i, a) for i, a in enumerate(ids)))

            def all_finished() -> bool:
                return all(any(_finished(d.payload) for d in sink.by_alert.get(a, ())) for a in ids)

            completed = await sink.wait(all_finished, within=args.timeout)
            t_done = time.time()
            after = ProcStat.read(server.pid)
            after_other = {name: ProcStat.read(pid) for name, pid in pids.items()}
            sipp_after = [ProcStat.read(p.process.pid).cpu for p in phones]
            machine_after = system_cpu()
            stop_sampling.set()
            await sampler
            alerts = {a: await api.alert(a) for a in ids}
    finally:
        for phone in phones:
            phone.stop()
        exit_status = server.stop()
        await sink.stop()
        await smtp.stop()

    traces = [invites_seen(phone.trace) for phone in phones]
    acknowledged = [a for a in alerts.values() if a["status"] == "acknowledged"]
    ack_times = [_since(sent[a["alert_id"]], a["acknowledged_at"]) for a in acknowledged]
    ended = [_since(t0, attempt["ended_at"]) for a in alerts.values() for attempt in a["attempts"]]
    first_invites = [
        traces[0][0][f"s{i}c0"] - sent[f"{name}-{i}"]
        for i in range(sites)
        if f"s{i}c0" in traces[0][0]
    ]
    # The cost of placing first calls first (the originate gate): a busy first contact → the
    # second contact's INVITE, both as SIPp saw them.
    next_invites = [
        traces[1][0][f"s{i}c1"] - traces[0][0][f"s{i}c0"]
        for i in range(sites)
        if f"s{i}c0" in traces[0][0] and f"s{i}c1" in traces[1][0]
    ]
    one_invite = all(
        traces[j][1].get(f"s{i}c{j}") == 1 for i in range(sites) for j in range(3)
    ) and all(sum(trace[1].values()) == sites for trace in traces)
    outbox = _outbox(server.database)
    callbacks = outbox.get("callback", {"rows": 0, "pending": 0})
    delivered_ids = {d.delivery for d in sink.received}
    callbacks_ok = (
        sink.refused == 0
        and all(
            "acknowledged" in sink.statuses(a)
            and any(_finished(d.payload) for d in sink.by_alert.get(a, ()))
            for a in ids
        )
        and len(delivered_ids) == callbacks["rows"]
    )
    machine_busy = machine_after[0] - machine_before[0]
    machine_total = machine_after[1] - machine_before[1]
    emails_expected = sites * 3 * 2
    return {
        "sites": sites,
        "spread_s": spread,
        "contacts_per_site": 3,
        "ring_timeout_s": args.ring_timeout,
        "code_hash_iterations": args.iterations,
        "completed_within_timeout": completed,
        "timeout_s": args.timeout,
        "posted": len(statuses),
        "acknowledged": len(acknowledged),
        "statuses": {s: sum(1 for a in alerts.values() if a["status"] == s) for s in
                     sorted({a["status"] for a in alerts.values()})},
        "wall_s": {
            "posting": round(max(answered.values()) - t0, 3),
            "to_all_acknowledged": round(
                max(_since(t0, a["acknowledged_at"]) or 0 for a in acknowledged), 3
            ) if acknowledged else None,
            "to_all_finished": round(max(e for e in ended if e is not None), 3) if ended else None,
            "to_last_callback": round(max(d.at for d in sink.received) - t0, 3),
            "until_done_or_timeout": round(t_done - t0, 3),
        },
        "post_to_201_ms": summary([answered[a] - sent[a] for a in answered]),
        "post_to_first_invite_ms": summary(first_invites),
        "busy_to_second_invite_ms": summary(next_invites),
        "post_to_acknowledged_s": summary([t for t in ack_times if t is not None], scale=1.0),
        "cpu_s": {
            "voice": round(after.cpu - idle.cpu, 2),
            "voice_children": round(after.children_cpu - idle.children_cpu, 2),
            "asterisk": round(after_other["asterisk"].cpu - before["asterisk"].cpu, 2),
            "sipp": round(sum(sipp_after) - sum(sipp_before), 2),
        },
        "machine_busy_percent": round(100 * machine_busy / machine_total, 1)
        if machine_total
        else None,
        "voice_rss_idle_mib": round(idle.rss_kib / _MIB, 1),
        "voice_rss_end_mib": round(after.rss_kib / _MIB, 1),
        "voice_hwm_mib": round(after.hwm_kib / _MIB, 1),
        "asterisk_hwm_mib": round(after_other["asterisk"].hwm_kib / _MIB, 1),
        "peak_channels": peaks.get("channels", 0),
        "ari_probe": ctx.args.ari_probe,
        "ari_probe_errors": peaks.get("probe_errors", 0),
        "outbox": outbox,
        "callbacks_received": len(sink.received),
        "emails_received": len(smtp.messages),
        "emails_expected": emails_expected,
        "sipp_errors": [phone.errors() for phone in phones],
        "sipp_invites": [sum(t[1].values()) for t in traces],
        "sipp_byes_to_code_phone": sum(traces[2][2].values()),
        "voice_exit_status": exit_status,
        "unexpected_outcomes": {
            a["alert_id"]: [(x["contact_id"], x["outcome"]) for x in a["attempts"]]
            for a in alerts.values()
            if [(x["contact_id"], x["outcome"]) for x in a["attempts"]] != LOAD_OUTCOMES
        },
        "checks": {
            "all_posted_201": all(s == 201 for s in statuses.values()) and len(statuses) == sites,
            "all_acknowledged": len(acknowledged) == sites,
            "attempts": all(
                [(x["contact_id"], x["outcome"]) for x in a["attempts"]] == LOAD_OUTCOMES
                for a in alerts.values()
            ),
            "one_invite_per_contact": one_invite,
            "callbacks": callbacks_ok,
            "outbox_empty": all(v["pending"] == 0 for v in outbox.values()),
            "emails": len(smtp.messages) == emails_expected,
            "clean_exit": exit_status == 0,
        },
    }  # fmt: skip


# --- D. the whole chain -----------------------------------------------------------------------


async def scenario_chain(ctx: Context) -> dict[str, Any]:
    """D: a detector flips in a real Home Assistant core → the first INVITE (``bench/chain``).

    Home Assistant's test harness is a pytest plugin, so the scenario is a pytest module run in
    its own process, with its own Asterisk, SIPp phone and voice server; it writes its figures to
    a JSON file read back here.
    """
    out = ctx.disk / "chain.json"
    env = {
        **os.environ,
        "IMAPROTECT_CHAIN_ALARMS": str(ctx.args.alarms),
        "IMAPROTECT_CHAIN_WARMUP": str(ctx.args.warmup),
        "IMAPROTECT_CHAIN_OUT": str(out),
    }
    log = ctx.disk / "chain.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *DIE_WITH_PARENT, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "-o", "timeout=0", "--basetemp", str(ctx.work / "chain"),
            str(REPO / "bench" / "chain"),
            cwd=REPO, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            status = await asyncio.wait_for(process.wait(), ctx.args.timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise RuntimeError(f"chain took more than {ctx.args.timeout} s; see {log}") from None
    if not out.exists():
        raise RuntimeError(f"chain wrote no figures (pytest status {status}); see {log}")
    result: dict[str, Any] = json.loads(out.read_text())
    p99 = result["flip_to_first_invite_ms"].get("p99")
    result["target_ms"] = CHAIN_P99_MS
    result["checks"] = {
        "pytest_passed": status == 0,
        "one_invite_per_alarm": result["invites"] == result["alarms"] + result["warmup"],
        "p99": p99 is not None and p99 <= CHAIN_P99_MS,
    }
    return result


# --- the run ----------------------------------------------------------------------------------


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "?"
    lines = [line.strip() for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    return lines[0] if lines else "?"


def _environment() -> dict[str, Any]:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "loadavg_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "asterisk": _version([str(ASTERISK), "-V"]),
        "sipp": _version([str(SIPP), "-v"]),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _verdict(report: dict[str, Any]) -> tuple[str, list[str]]:
    problems = [f"run failed: {report['error']}"] if "error" in report else []
    only = report["arguments"]["only"]
    problems += [
        f"{name} scenario did not finish"
        for name in SCENARIOS
        if only in {None, name} and name not in report
    ]
    if (latency := report.get("latency")) is not None:
        p99 = latency["post_to_invite_ms"].get("p99")
        if p99 is None or p99 > TARGET_MS:
            problems.append(f"latency p99 {p99} ms > {TARGET_MS:g} ms")
        lost = latency["missing_invites"] or latency["extra_invites"]
        if lost or not (latency["all_busy_exhausted"] and latency["all_posted_201"]):
            problems.append("latency: alerts lost or unfinished")
    for name in ("load", "avalanche", "chain"):
        if (burst := report.get(name)) is not None:
            problems += [f"{name} check failed: {k}" for k, ok in burst["checks"].items() if not ok]
    return ("PASS" if not problems else "FAIL: " + "; ".join(problems)), problems


async def run(
    args: argparse.Namespace, work: Path, disk: Path, processes: Children, report: dict[str, Any]
) -> None:
    """Start Asterisk, run the scenarios asked for, fill ``report``."""
    try:
        pool = PortPool()
        biggest = AVALANCHE_SITES if args.only in (None, "avalanche") else LOAD_SITES
        asterisk = start_asterisk(
            work / "asterisk", pool, processes, sites=args.sites or biggest
        )  # main thread: see DIE_WITH_PARENT
        report["asterisk_boot_s"] = round(asterisk.boot_seconds, 2)
        # One hash for every contact (as strong as Home Assistant makes them: --iterations).
        hashed = await asyncio.to_thread(code_hash, CODE, args.iterations)
        ctx = Context(args, work, disk, pool, processes, asterisk, work / "prompts", hashed)
        scenarios = {
            "latency": scenario_latency,
            "load": scenario_load,
            "avalanche": scenario_avalanche,
            "chain": scenario_chain,
        }
        for name in SCENARIOS:
            if args.only in {None, name}:
                print(f"[voice-bench] scenario {name}…", file=sys.stderr, flush=True)
                try:
                    report[name] = await scenarios[name](ctx)
                except Exception as err:  # noqa: BLE001 - report it and go on with the rest
                    report[f"{name}_error"] = f"{type(err).__name__}: {err}"
                    print(f"[voice-bench] {name} failed: {err!r}", file=sys.stderr)
    finally:
        await asyncio.to_thread(processes.stop_all)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--alerts", type=int, default=200, help="A: alerts measured (200)")
    parser.add_argument("--warmup", type=int, default=5, help="A, D: alerts before measuring (5)")
    parser.add_argument(
        "--alarms", type=int, default=200, help="D: detector flips measured in Home Assistant (200)"
    )
    parser.add_argument(
        "--gap", type=float, default=0.1, help="A: pause after each alert ends, s (0.1)"
    )
    parser.add_argument(
        "--sites",
        type=int,
        help=f"B, C: sites alerting (B {LOAD_SITES}, C {AVALANCHE_SITES}); fewer: a quick check",
    )
    parser.add_argument(
        "--spread", type=float, default=1.0, help="C: the alerts arrive within this many s (1)"
    )
    parser.add_argument(
        "--ring-timeout", type=float, default=3.0, help="B: ring timeout of contact 2, s (3)"
    )
    parser.add_argument(
        "--iterations",
        type=int,
        default=120_000,
        help="PBKDF2 iterations of the code hashes (120000, Home Assistant's default)",
    )
    parser.add_argument(
        "--timeout", type=float, default=240.0, help="B, C, D: give up after this many s (240)"
    )
    parser.add_argument("--only", choices=SCENARIOS, help="run one scenario")
    parser.add_argument(
        "--ari-probe",
        action="store_true",
        help="B: also poll GET /ari/channels every second, as a monitoring tool would",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="A, B, C: run the voice server under cProfile (voice-<scenario>.prof, kept with logs)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="copy every log to bench/results/ (always on FAIL)"
    )
    return parser


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    """Run, write bench/results/voice-<time>.{json,md}, print the table; 0 on PASS."""
    args = _parser().parse_args()
    if args.alerts < 1 or (args.sites is not None and args.sites < 1) or args.warmup < 0:
        raise SystemExit("--alerts and --sites must be at least 1")
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "arguments": vars(args),
        "environment": _environment(),
    }
    work = Path(tempfile.mkdtemp(prefix="vbench-", dir="/tmp"))
    disk = RESULTS / f"voice-{stamp}-work"
    disk.mkdir(parents=True)
    wall = time.monotonic()
    processes = Children()
    # SIGTERM and SIGHUP stop the run like Ctrl-C: the children are stopped, the report written.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    interrupted = False
    try:
        asyncio.run(run(args, work, disk, processes, report))
    except KeyboardInterrupt as err:
        report["error"] = f"interrupted ({err or 'SIGINT'})"
        interrupted = True
    except BaseException as err:
        report["error"] = f"{type(err).__name__}: {err}"
        raise
    finally:
        processes.stop_all()
        report["duration_s"] = round(time.monotonic() - wall, 1)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report["bench_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
        report["verdict"], problems = _verdict(report)
        if args.keep_logs or problems:
            logs = disk.rename(RESULTS / f"voice-{stamp}-logs")
            shutil.copytree(
                work, logs / "tmp", ignore=shutil.ignore_patterns("prompts", "*.pcap", "*.ctl")
            )
            report["logs"] = str(logs.relative_to(REPO))
        else:
            shutil.rmtree(disk, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        base = RESULTS / f"voice-{stamp}"
        base.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
        table = markdown(report)
        base.with_suffix(".md").write_text(table)
        print(table)
        print(f"Written: {base.relative_to(REPO)}.json and .md", file=sys.stderr)
    if interrupted:
        return 130
    return 0 if report["verdict"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
