"""The journal as CSV (RFC 4180), for a spreadsheet, an insurer or the police.

One header row, then one row per entry, oldest first, times in the home's time zone with their
offset. Fields with commas, quotes or line breaks are quoted (quotes doubled). A cell that a
spreadsheet would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return: a person named "=HYPERLINK(…)") is prefixed with an apostrophe, so it stays text.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import tzinfo

    from .journal import Entry

COLUMNS = ("time", "kind", "event", "person", "user", "method", "origin", "origin_name", "details")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def journal_csv(
    entries: Iterable[Entry], tz: tzinfo, labels: Mapping[str, str] | None = None
) -> str:
    """The entries as CSV; ``labels`` reads each kind in the household's language."""
    labels = labels or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        who = entry.who
        details = entry.as_dict()["details"]
        row = (
            entry.at.astimezone(tz).isoformat(timespec="seconds"),
            entry.kind.value,
            labels.get(entry.kind.value, entry.kind.value),
            who.person or "",
            who.user or "",
            who.method or "",
            who.origin or "",
            who.origin_name or "",
            json.dumps(details, ensure_ascii=False, sort_keys=True) if details else "",
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
