"""Diagnostics of a home: its settings, layout and panel state, with every secret redacted."""

from dataclasses import asdict
from datetime import datetime, timedelta
from enum import Enum
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
from .panel import HomePanel, ImaProtectConfigEntry
from .station import options as link_options

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

LINK_TO_REDACT = {
    link_options.KEY,
    link_options.ACCOUNT,
    link_options.HOST,
    link_options.BACKUP_HOST,
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
        "self_diagnosis": _self_diagnosis(panel),
        "station_link": _station_link(entry),
        "photos": _photos(entry),
    }


def _self_diagnosis(panel: HomePanel) -> dict[str, Any]:
    """The troubles on now, and the entities each detector's are read from."""
    supervisor = panel.callout.supervisor
    return {
        "troubles": panel.diagnosis.diagnosis.snapshot()["troubles"],
        "sources": {
            detector_id: {"battery": sources.battery, "tamper": sources.tamper}
            for detector_id, sources in sorted(panel.diagnosis.sources.items())
        },
        "voice_paths": (
            {"trunk": supervisor.trunk, "smtp": supervisor.smtp} if supervisor else None
        ),
    }


def _station_link(entry: ImaProtectConfigEntry) -> dict[str, Any] | None:
    """The link's settings and status: no key, no account, no receiver address."""
    station = entry.runtime_data.station_link
    if station.options is None:
        return None
    status = station.status
    return {
        "options": async_redact_data(station.options.as_dict(), LINK_TO_REDACT),
        "status": async_redact_data(_json_safe(asdict(status)), LINK_TO_REDACT) if status else None,
        # What to give the station: each detector's zone number by name, each person's user
        # number by their subentry id (the names of people are redacted elsewhere too).
        "numbers": {
            "zones": {
                detector.name: station.reports.numbers.zone(detector.id)
                for detector in entry.runtime_data.layout.config.detectors
            },
            "users": dict(station.reports.numbers.users),
        },
    }


def _photos(entry: ImaProtectConfigEntry) -> dict[str, Any]:
    """How many photos are kept and links open; never a token or a file name."""
    photos = entry.runtime_data.photos
    return {
        "sets": len(photos.sets),
        "files": sum(len(s.files) for s in photos.sets.values()),
        "open_links": len(photos.links.stored()),
        "kept_days": photos.keep.days,
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


def _json_safe(value: Any) -> Any:
    """Times as ISO text, durations in seconds, enums as their values (for the JSON file)."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    return value


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
