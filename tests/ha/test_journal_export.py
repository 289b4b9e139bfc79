"""The journal's CSV download (administrators only) and its place in the home's diagnostics."""

import csv
from datetime import datetime, timedelta
from http import HTTPStatus
import io

from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.core.journal import EntryKind, Who
from custom_components.imaprotect.core.journal_csv import COLUMNS
from custom_components.imaprotect.journal_export import csv_path
from custom_components.imaprotect.panel import HomePanel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=dt_util.UTC)
TRICKY = 'Dupont, "Jo"\nsecond line'


def fill(home: MockConfigEntry) -> None:
    journal = home.runtime_data.journal
    journal.record(EntryKind.ARMED, T0, who=Who(person=TRICKY, method="keypad"))
    journal.record(EntryKind.DISARMED, T0 + timedelta(minutes=1), who=Who(user="=1+2"))
    journal.record(
        EntryKind.ARM_REFUSED,
        T0 + timedelta(minutes=2),
        who=Who(person="@admin"),
        details={"detectors": ("Porte, entrée", "-Cave")},
    )


async def test_an_administrator_downloads_the_journal_as_csv(
    hass: HomeAssistant, home: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    fill(home)
    client = await hass_client()
    response = await client.get(csv_path(home.entry_id))
    assert response.status == HTTPStatus.OK
    assert response.content_type == "text/csv"
    assert response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="imaprotect-journal-maison.csv"'
    )
    body = await response.read()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheets read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + 3  # one row per entry
    armed, disarmed, refused = rows[1:]
    assert armed[:4] == ["2026-03-01T13:00:00+01:00", "armed", "Armed", TRICKY]
    assert disarmed[2] == "Disarmed"
    assert disarmed[4] == "'=1+2"  # never a formula
    assert refused[3] == "'@admin"
    assert refused[8] == '{"detectors": ["Porte, entrée", "-Cave"]}'
    assert b'"Dupont, ""Jo""\nsecond line"' in body


async def test_the_labels_follow_the_instance_language(
    hass: HomeAssistant, home: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    fill(home)
    hass.config.language = "fr"
    client = await hass_client()
    body = await (await client.get(csv_path(home.entry_id))).text()
    assert "Mise en marche refusée" in body


async def test_a_path_signed_for_the_browser_downloads_it_too(
    hass: HomeAssistant,
    home: MockConfigEntry,
    hass_access_token: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    fill(home)
    token = hass.auth.async_validate_access_token(hass_access_token)
    assert token is not None
    signed = async_sign_path(
        hass, csv_path(home.entry_id), timedelta(seconds=30), refresh_token_id=token.id
    )
    client = await hass_client_no_auth()
    response = await client.get(signed)
    assert response.status == HTTPStatus.OK
    assert "arm_refused" in await response.text()


async def test_nobody_else_gets_it(
    hass: HomeAssistant,
    home: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    hass_read_only_access_token: str,
) -> None:
    fill(home)
    anonymous = await hass_client_no_auth()
    response = await anonymous.get(csv_path(home.entry_id))
    assert response.status == HTTPStatus.UNAUTHORIZED
    assert "Dupont" not in await response.text()
    read_only = await hass_client(hass_read_only_access_token)
    response = await read_only.get(csv_path(home.entry_id))
    assert response.status == HTTPStatus.UNAUTHORIZED  # not an administrator
    assert "Dupont" not in await response.text()


async def test_an_unknown_or_stopped_home_is_not_found(
    hass: HomeAssistant, home: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    other = MockConfigEntry(domain="sun", title="Sun")
    other.add_to_hass(hass)
    client = await hass_client()
    for entry_id in ("nope", other.entry_id):
        assert (await client.get(csv_path(entry_id))).status == HTTPStatus.NOT_FOUND
    assert await hass.config_entries.async_unload(home.entry_id)
    assert (await client.get(csv_path(home.entry_id))).status == HTTPStatus.NOT_FOUND


async def test_the_diagnostics_say_how_much_and_where_but_name_nobody(
    hass: HomeAssistant, home: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    panel: HomePanel = home.runtime_data
    empty = await get_diagnostics_for_config_entry(hass, hass_client, home)
    assert empty["journal"] == {
        "entries": 0,
        "oldest": None,
        "newest": None,
        "kinds": {},
        "csv_path": f"/api/imaprotect/{home.entry_id}/journal.csv",
    }
    fill(home)
    panel.journal.record(EntryKind.ARMED, T0 + timedelta(minutes=3), who=Who(person="Marie"))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, home)
    journal = diagnostics["journal"]
    assert journal["entries"] == 4
    assert journal["oldest"] == T0.isoformat()
    assert journal["newest"] == (T0 + timedelta(minutes=3)).isoformat()
    assert journal["kinds"] == {"arm_refused": 1, "armed": 2, "disarmed": 1}
    for name in ("Dupont", "Marie", "admin", "Porte"):
        assert name not in str(journal)
