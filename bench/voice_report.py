"""Figures and the markdown table of the voice-server benchmark."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["markdown", "summary"]


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (p99 of 200 values is the 198th)."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float], scale: float = 1000.0) -> dict[str, float | int]:
    """count, min, p50, p95, p99, max and mean of ``values`` (seconds), times ``scale`` (ms)."""
    if not values:
        return {"count": 0}
    ordered = sorted(v * scale for v in values)
    return {
        "count": len(ordered),
        "min": round(ordered[0], 2),
        "p50": round(_percentile(ordered, 0.50), 2),
        "p95": round(_percentile(ordered, 0.95), 2),
        "p99": round(_percentile(ordered, 0.99), 2),
        "max": round(ordered[-1], 2),
        "mean": round(sum(ordered) / len(ordered), 2),
    }


def _dist(stats: dict[str, Any], unit: str = "ms") -> str:
    if not stats.get("count"):
        return "—"
    return (
        f"p50 {stats['p50']:g} · p95 {stats['p95']:g} · p99 {stats['p99']:g} · "
        f"max {stats['max']:g} {unit} (n={stats['count']})"
    )


def _ok(flag: bool) -> str:
    return "yes" if flag else "**NO**"


def _latency_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    target = result["target_ms"]
    p99 = result["post_to_invite_ms"].get("p99")
    met = p99 is not None and p99 <= target
    return [
        ("Alerts measured (sequential, after warm-up)", str(result["alerts"])),
        ("POST → first INVITE seen by SIPp", _dist(result["post_to_invite_ms"])),
        (f"Target p99 ≤ {target:g} ms", "**met**" if met else "**MISSED**"),
        ("POST → 201 answer", _dist(result["post_to_201_ms"])),
        ("INVITEs missing / extra", f"{result['missing_invites']} / {result['extra_invites']}"),
        ("Alerts ended `exhausted` after `busy`", _ok(result["all_busy_exhausted"])),
        (
            "Voice server CPU (its own + espeak/sox children)",
            f"{result['voice_cpu_s']} s + {result['voice_children_cpu_s']} s",
        ),
        ("Voice server peak RSS (VmHWM)", f"{result['voice_hwm_mib']} MiB"),
    ]


def _load_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    checks = result["checks"]
    wall = result["wall_s"]
    cpu = result["cpu_s"]
    return [
        ("Sites at once, contacts each", f"{result['sites']}, 3 (busy → no answer → code)"),
        ("Ring timeout of the no-answer contact", f"{result['ring_timeout_s']} s"),
        ("Alerts POSTed (all 201)", f"{result['posted']} ({_ok(checks['all_posted_201'])})"),
        ("Wall: first POST → last acknowledged", f"{wall['to_all_acknowledged']} s"),
        ("Wall: first POST → every call hung up", f"{wall['to_all_finished']} s"),
        ("Wall: first POST → last callback received", f"{wall['to_last_callback']} s"),
        ("POST → acknowledged, per alert", _dist(result["post_to_acknowledged_s"], "s")),
        ("POST → first INVITE under the burst", _dist(result["post_to_first_invite_ms"])),
        ("POST → 201 answer under the burst", _dist(result["post_to_201_ms"])),
        ("Busy first contact's INVITE → second contact's INVITE",
         _dist(result["busy_to_second_invite_ms"])),
        (
            "Voice server CPU (its own + espeak/sox children)",
            f"{cpu['voice']} s + {cpu['voice_children']} s",
        ),
        ("Asterisk CPU", f"{cpu['asterisk']} s"),
        ("SIPp CPU (3 phones)", f"{cpu['sipp']} s"),
        ("Machine CPU busy during the run", f"{result['machine_busy_percent']} % of 2 cores"),
        ("Voice server RSS: idle → peak (VmHWM)", f"{result['voice_rss_idle_mib']} → "
         f"{result['voice_hwm_mib']} MiB"),
        ("Peak simultaneous Asterisk channels (1 s samples)", str(result["peak_channels"])),
        ("Acknowledged", f"{result['acknowledged']} / {result['sites']}"),
        ("Attempts = busy, no_answer, acknowledged for every alert", _ok(checks["attempts"])),
        ("Each contact's phone got exactly one INVITE", _ok(checks["one_invite_per_contact"])),
        ("Every site's final callback arrived, none refused", _ok(checks["callbacks"])),
        ("Outbox empty at the end (callbacks, emails)", _ok(checks["outbox_empty"])),
        ("Emails received (info + acknowledgement, per contact)",
         f"{result['emails_received']} / {result['emails_expected']}"),
    ]  # fmt: skip


def _avalanche_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    checks, targets = result["checks"], result["targets"]
    invite = result["post_to_first_invite_ms"]
    return [
        (f"Target: first INVITE p99 ≤ {targets['first_invite_p99_ms']:g} ms",
         f"p50 {invite.get('p50')} · p99 {invite.get('p99')} ms: "
         + ("**met**" if checks["first_invite_p99"] else "**MISSED**")),
        (f"Target: voice server peak RSS ≤ {targets['voice_hwm_mib']:g} MiB",
         f"{result['voice_hwm_mib']} MiB: "
         + ("**met**" if checks["voice_peak_rss"] else "**MISSED**")),
    ]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    """The result as markdown: one table per scenario, then the environment."""
    lines = [f"## Voice server benchmark — {report['started_at']}", ""]
    if (latency := report.get("latency")) is not None:
        lines += [
            "### A. Latency: alert POST → first INVITE",
            "",
            "| Figure | Value |",
            "|---|---|",
        ]
        lines += [f"| {name} | {value} |" for name, value in _latency_rows(latency)]
        lines.append("")
    if (load := report.get("load")) is not None:
        lines += ["### B. Load: sites alerting at once", "", "| Figure | Value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in _load_rows(load)]
        lines.append("")
    if (avalanche := report.get("avalanche")) is not None:
        lines += [
            f"### C. Avalanche: {avalanche['sites']} sites within {avalanche['spread_s']:g} s",
            "",
            "| Figure | Value |",
            "|---|---|",
        ]
        lines += [f"| {name} | {value} |" for name, value in _avalanche_rows(avalanche)]
        lines += [f"| {name} | {value} |" for name, value in _load_rows(avalanche)]
        lines.append("")
    if (chain := report.get("chain")) is not None:
        invite = chain["flip_to_first_invite_ms"]
        lines += [
            "### D. Whole chain: detector flips in Home Assistant → first INVITE",
            "",
            "| Figure | Value |",
            "|---|---|",
            f"| Alarms measured (one after the other, after warm-up) | {chain['alarms']} |",
            f"| Flip → first INVITE seen by SIPp | {_dist(invite)} |",
            f"| Target p99 ≤ {chain['target_ms']:g} ms | "
            + ("**met**" if chain["checks"]["p99"] else "**MISSED**")
            + " |",
            f"| One INVITE per alarm | {_ok(chain['checks']['one_invite_per_alarm'])} |",
            "",
        ]
    for name in ("latency", "load", "avalanche", "chain"):
        if (error := report.get(f"{name}_error")) is not None:
            lines += [f"**{name} scenario failed:** `{error}`", ""]
    if (error := report.get("error")) is not None:
        lines += [f"**Run stopped:** `{error}`", ""]
    env = report["environment"]
    lines.append(
        f"- Run: {report.get('duration_s')} s in all; the benchmark process itself (HTTP client, "
        f"callback and SMTP receivers) used {report.get('bench_cpu_s')} s of CPU on the same "
        "machine."
    )
    lines.append(
        f"- Machine: {env['cpus']} CPUs ({env['cpu_model']}), load average at start "
        f"{env['loadavg_start']}; {env['asterisk']}; {env['sipp']}; Python {env['python']}."
    )
    lines.append(f"- Verdict: **{report['verdict']}**")

    return "\n".join(lines) + "\n"
