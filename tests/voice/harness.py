"""Helpers of the voice-server tests: what only tests need, and the names they import from here.

The bodies, the API client and the sinks live in ``testkit`` (shared with the benchmark) and are
re-exported under their old names, so that ``from tests.voice.harness import site_body`` keeps
working everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testkit.bodies import (
    CALLBACK_SECRET,
    NUMBERS,
    TOKEN,
    alert_body,
    code_hash,
    contact,
    heartbeat_body,
    site_body,
)
from testkit.callbacks import CallbackSink
from testkit.processes import stop_process
from testkit.smtp import SmtpSink
from testkit.voice_api import VoiceApi

__all__ = [
    "CALLBACK_SECRET",
    "NUMBERS",
    "TOKEN",
    "CallbackSink",
    "SmtpSink",
    "VoiceApi",
    "alert_body",
    "code_hash",
    "contact",
    "finished",
    "first_answered",
    "heartbeat_body",
    "outcomes",
    "site_body",
    "stop_process",
]


def finished(alert: Mapping[str, Any]) -> bool:
    """The call tree is over and its last attempt has ended."""
    attempts = alert["attempts"]
    return alert["status"] not in {"calling", "queued"} and all(a["ended_at"] for a in attempts)


def first_answered(alert: Mapping[str, Any]) -> bool:
    """The first contact picked up."""
    return bool(alert["attempts"] and alert["attempts"][0]["answered_at"])


def outcomes(alert: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(contact id, outcome) of every attempt."""
    return [(a["contact_id"], a["outcome"]) for a in alert["attempts"]]
