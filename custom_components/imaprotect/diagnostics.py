"""Diagnostics of a home: its settings, layout and panel state, with every secret redacted."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_BADGE_KEY,
    CONF_BADGES,
    CONF_CALLBACK_SECRET,
    CONF_CODE_HASH,
    CONF_DURESS_CODE_HASH,
    CONF_EMAIL,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    CONF_SPEAKER,
    CONF_STATION,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_WEBHOOK_ID,
)
from .journal_export import csv_path
from .panel import ImaProtectConfigEntry

TO_REDACT = {
    CONF_BADGE_KEY,
    CONF_CODE_HASH,
    CONF_PHONE_CODE_HASH,
    CONF_DURESS_CODE_HASH,
    CONF_BADGES,
    CONF_PHONE,
    CONF_EMAIL,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_STATION,
    CONF_SPEAKER,  # a SIP URI may hold a phone number
    CONF_CALLBACK_SECRET,
    CONF_WEBHOOK_ID,
    "contact",
    "disabled_badges",
    "disabled_badge_digests",
    "person_name",
    "operator",  # an HA user's name, like a person's
    "by",  # who granted PROTECT+: a person's or user's name
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ImaProtectConfigEntry
) -> dict[str, Any]:
    """Return what support needs to understand a home, without codes, badges, phones or emails."""
    panel = entry.runtime_data
    engine = panel.engine
    return {
        "entry": {"title": entry.title, "data": async_redact_data(dict(entry.data), TO_REDACT)},
        "subentries": [
            {
                "type": subentry.subentry_type,
                "id": subentry.subentry_id,
                "title": subentry.title,
                "data": async_redact_data(dict(subentry.data), TO_REDACT),
            }
            for subentry in entry.subentries.values()
        ],
        "panel": async_redact_data(engine.snapshot(), TO_REDACT),
        "now": {
            "state": engine.state.value,
            "open_detectors": sorted(engine.open_detectors),
            "bypassed": sorted(engine.bypassed),
            "faults": sorted(engine.faults),
            "code_locked_until": _iso(engine.locked_until(panel.now())),
        },
        "alert": async_redact_data(asdict(panel.callout.alert), TO_REDACT),
        "offer": {
            "handler": panel.offers.handler().value,
            "station_account": panel.offers.station() is not None,
            "protect_plus": async_redact_data(panel.offers.protect_plus.plus.snapshot(), TO_REDACT),
        },
        "journal": _journal(entry),
    }


def _journal(entry: ImaProtectConfigEntry) -> dict[str, Any]:
    """How much the journal holds, and where it downloads from; no entry (they name people)."""
    entries = entry.runtime_data.journal.journal.entries
    kinds: dict[str, int] = {}
    for journalled in entries:
        kinds[journalled.kind.value] = kinds.get(journalled.kind.value, 0) + 1
    return {
        "entries": len(entries),
        "oldest": entries[0].at.isoformat() if entries else None,
        "newest": entries[-1].at.isoformat() if entries else None,
        "kinds": dict(sorted(kinds.items())),
        "csv_path": csv_path(entry.entry_id),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
