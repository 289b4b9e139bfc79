"""The journal as a CSV download: ``GET /api/imaprotect/<entry_id>/journal.csv``.

Home Assistant's diagnostics are JSON only, and they are meant to be shared with support, so
they name nobody; the journal names the household and says when the house is empty. It is
therefore a download of its own, for administrators only (like the diagnostics), whose path the
home's diagnostics give. Any Home Assistant authentication works: a long-lived access token
(``Authorization: Bearer …``), or a path signed by the frontend (``authSig``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.components.http import KEY_HASS, HomeAssistantView, require_admin
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util, slugify

from .const import DOMAIN
from .core.journal_csv import journal_csv

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .panel import HomePanel

CSV_URL = "/api/imaprotect/{entry_id}/journal.csv"
_LABELS = f"component.{DOMAIN}.selector.journal_kind.options."


def csv_path(entry_id: str) -> str:
    """Where a home's journal downloads from."""
    return CSV_URL.format(entry_id=entry_id)


async def async_kind_labels(hass: HomeAssistant) -> dict[str, str]:
    """Each kind of entry in the instance's language (the action's kind list)."""
    strings = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
    return {
        key.removeprefix(_LABELS): text for key, text in strings.items() if key.startswith(_LABELS)
    }


async def async_journal_csv(hass: HomeAssistant, panel: HomePanel) -> str:
    """The whole journal of a home, oldest first, as CSV."""
    return journal_csv(
        panel.journal.journal.entries,
        dt_util.get_default_time_zone(),
        await async_kind_labels(hass),
    )


class JournalCsvView(HomeAssistantView):
    """Serves each home's journal as CSV to an authenticated administrator."""

    url = CSV_URL
    name = "api:imaprotect:journal_csv"
    requires_auth = True

    @require_admin
    async def get(self, request: web.Request, entry_id: str) -> web.Response:
        """The CSV file, named after the home; 404 for an unknown or stopped home."""
        hass = request.app[KEY_HASS]
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry not in hass.config_entries.async_loaded_entries(DOMAIN)
        ):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        text = await async_journal_csv(hass, entry.runtime_data)
        filename = f"imaprotect-journal-{slugify(entry.title) or 'home'}.csv"
        return web.Response(
            body=("\ufeff" + text).encode(),  # the BOM lets spreadsheets read it as UTF-8
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
