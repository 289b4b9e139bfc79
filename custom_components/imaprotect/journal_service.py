"""``imaprotect.get_journal``: a home's journal entries, by time range and kind, newest first.

The action targets the home's alarm panel, like the others, and only answers (it changes
nothing). Bad input is refused with a translated error before anything is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .const import ATTR_END, ATTR_KINDS, ATTR_LIMIT, ATTR_START, DOMAIN, SERVICE_GET_JOURNAL
from .core.journal import MAX_ENTRIES, EntryKind
from .services import async_register_panel_action

if TYPE_CHECKING:
    from .alarm_control_panel import HomeAlarmPanel
    from .core.journal import Entry

DEFAULT_LIMIT = 100


@callback
def async_setup_journal_service(hass: HomeAssistant) -> None:
    """Register ``get_journal`` once for all homes."""
    async_register_panel_action(
        hass,
        SERVICE_GET_JOURNAL,
        {
            probatio.Optional(ATTR_START): cv.datetime,
            probatio.Optional(ATTR_END): cv.datetime,
            probatio.Optional(ATTR_KINDS): probatio.All(cv.ensure_list, [cv.string]),
            probatio.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): probatio.Coerce(int),
        },
        _async_get_journal,
        supports_response=SupportsResponse.ONLY,
    )


def _refuse(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _utc(value: datetime | None) -> datetime | None:
    """A time as given; one without a time zone is the home's local time."""
    return dt_util.as_utc(value) if value is not None else None


def _kinds(names: list[str] | None) -> list[EntryKind] | None:
    if names is None:
        return None
    known = {kind.value: kind for kind in EntryKind}
    for name in names:
        if name not in known:
            raise _refuse("journal_unknown_kind", kind=name, kinds=", ".join(known))
    return [known[name] for name in names]


def entry_view(entry: Entry) -> dict[str, Any]:
    """An entry as the action answers it: local time, kind, who and details."""
    view = entry.as_dict()
    view["at"] = dt_util.as_local(entry.at).isoformat()
    del view["seq"]
    return view


async def _async_get_journal(entity: HomeAlarmPanel, call: ServiceCall) -> dict[str, Any]:
    start, end = _utc(call.data.get(ATTR_START)), _utc(call.data.get(ATTR_END))
    if start is not None and end is not None and end < start:
        raise _refuse(
            "journal_end_before_start",
            start=dt_util.as_local(start).isoformat(),
            end=dt_util.as_local(end).isoformat(),
        )
    kinds = _kinds(call.data.get(ATTR_KINDS))
    limit: int = call.data[ATTR_LIMIT]
    if not 1 <= limit <= MAX_ENTRIES:
        raise _refuse("journal_bad_limit", limit=str(limit), max=str(MAX_ENTRIES))
    journal = entity.panel.journal
    entries = journal.query(start=start, end=end, kinds=kinds, limit=limit + 1)
    return {
        "home": journal.title,
        "entries": [entry_view(e) for e in entries[:limit]],
        "more": len(entries) > limit,  # older matching entries were left out by the limit
    }
