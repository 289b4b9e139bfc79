"""The station's verification link: one alarm's photos for two hours, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import json
from pathlib import Path
import re
from typing import TYPE_CHECKING

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.imaprotect.core.reports import ReportKind
from custom_components.imaprotect.photo_codec import JPEG_MAGIC

from .camera_kit import GARDEN, async_setup_cameras, camera_entry
from .conftest import PANEL, WINDOW, set_sources
from .offers_kit import RecordingStation
from .test_panel import armed_total, flip

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from custom_components.imaprotect.panel import HomePanel
    from custom_components.imaprotect.photos import PhotoSet

BASE = "https://maison.example.org"
LINK = re.compile(re.escape(BASE) + r"/api/imaprotect/v/([A-Za-z0-9_-]{43})")


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test's own configuration folder: the photos are real files."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def station_home(
    hass: HomeAssistant, *, zone_camera: bool = True
) -> tuple[MockConfigEntry, RecordingStation]:
    """A home whose alarms go to a station, with cameras and a public address."""
    await async_process_ha_core_config(hass, {"external_url": BASE})
    await async_setup_cameras(hass)
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = camera_entry(formula="tout_inclus", zone_camera=zone_camera)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    panel: HomePanel = entry.runtime_data
    panel.photos.interval = 0
    station = RecordingStation()
    panel.station = station
    panel.offers.station_changed()
    return entry, station


async def alarm_link(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, station: RecordingStation
) -> str:
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    (report,) = station.reports
    assert report.kind is ReportKind.BURGLARY
    assert report.verification_url is not None
    match = LINK.fullmatch(report.verification_url)
    assert match is not None, report.verification_url
    return match.group(1)


@dataclass(frozen=True, slots=True)
class LinkedAlarm:
    """A station home's garden alarm, its report's link token, and its one set of photos."""

    entry: MockConfigEntry
    station: RecordingStation
    token: str

    @property
    def panel(self) -> HomePanel:
        return self.entry.runtime_data

    @property
    def photo_set(self) -> PhotoSet:
        (photo_set,) = self.panel.photos.sets.values()
        return photo_set


@pytest.fixture
async def linked(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> LinkedAlarm:
    """An alarm the station got a verification link for."""
    entry, station = await station_home(hass)
    return LinkedAlarm(entry, station, await alarm_link(hass, freezer, station))


async def test_the_burglary_report_links_a_page_with_the_alarm_s_photos(
    hass: HomeAssistant,
    linked: LinkedAlarm,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    token = linked.token
    assert "camera_proxy" not in str(linked.station.reports[0])
    client = await hass_client_no_auth()  # the station's operator has no login
    page = await client.get(f"/api/imaprotect/v/{token}")
    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'; img-src 'self'")
    html = await page.text()
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [f"{token}/1", f"{token}/2", f"{token}/3"]
    panel = linked.panel
    for number, name in enumerate(linked.photo_set.files, 1):
        photo = await client.get(f"/api/imaprotect/v/{token}/{number}")
        assert photo.status == 200
        assert photo.content_type == "image/jpeg"
        body = await photo.read()
        assert body.startswith(JPEG_MAGIC)
        assert body == (panel.photos.folder / name).read_bytes()


async def test_a_wrong_token_and_anything_beside_the_photos_are_not_found(
    hass: HomeAssistant,
    linked: LinkedAlarm,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    token = linked.token
    wrong = ("B" if token[0] == "A" else "A") + token[1:]
    client = await hass_client_no_auth()
    for path in (
        f"/api/imaprotect/v/{wrong}",
        f"/api/imaprotect/v/{wrong}/1",
        f"/api/imaprotect/v/{token}/0",
        f"/api/imaprotect/v/{token}/4",
        f"/api/imaprotect/v/{token}/\u0661",  # an Arabic-Indic digit one: a digit, not ours
        f"/api/imaprotect/v/{token}/..",
        f"/api/imaprotect/v/{token[:20]}",
        "/api/imaprotect/v/" + "A" * 43,
    ):
        response = await client.get(path)
        assert response.status == 404, path
        assert (await response.read()).startswith(JPEG_MAGIC) is False
    # Only GET is served.
    assert (await client.post(f"/api/imaprotect/v/{token}")).status == 405


async def test_the_link_expires_after_two_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    linked: LinkedAlarm,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    token = linked.token
    client = await hass_client_no_auth()
    freezer.tick(timedelta(hours=2) - timedelta(seconds=1))
    assert (await client.get(f"/api/imaprotect/v/{token}/1")).status == 200
    freezer.tick(timedelta(seconds=1))
    assert (await client.get(f"/api/imaprotect/v/{token}")).status == 404
    assert (await client.get(f"/api/imaprotect/v/{token}/1")).status == 404


async def test_the_link_outlives_a_restart_within_its_two_hours(
    hass: HomeAssistant,
    linked: LinkedAlarm,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await hass.config_entries.async_reload(linked.entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    assert (await client.get(f"/api/imaprotect/v/{linked.token}/3")).status == 200


async def test_a_zone_camera_s_alarm_is_linked_too(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _entry, station = await station_home(hass)
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")  # the ground floor's camera takes its photos...
    (report,) = station.reports
    assert report.verification_url is not None  # ...so the station gets a link
    assert LINK.fullmatch(report.verification_url)


async def test_an_alarm_no_camera_watches_goes_without_a_link(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry, station = await station_home(hass, zone_camera=False)
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    (report,) = station.reports
    assert report.verification_url is None
    panel: HomePanel = entry.runtime_data
    assert panel.photos.links.stored() == {}


async def test_without_a_home_assistant_address_the_report_goes_without_a_link(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    _entry, station = await station_home(hass)
    hass.config.external_url = None
    hass.config.internal_url = None
    hass.config.api = None
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    (report,) = station.reports
    assert report.verification_url is None
    assert "no Home Assistant URL" in caplog.text


async def test_a_photo_file_gone_is_not_found(
    hass: HomeAssistant,
    linked: LinkedAlarm,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    first = linked.panel.photos.folder / linked.photo_set.files[0]
    await hass.async_add_executor_job(first.unlink)
    client = await hass_client_no_auth()
    assert (await client.get(f"/api/imaprotect/v/{linked.token}/1")).status == 404
    assert (await client.get(f"/api/imaprotect/v/{linked.token}/2")).status == 200


async def test_a_panic_from_the_panel_has_no_detector_and_no_link(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    _entry, station = await station_home(hass)
    await armed_total(hass, freezer)
    await hass.services.async_call(
        "alarm_control_panel", "alarm_trigger", {"entity_id": PANEL}, blocking=True
    )
    await hass.async_block_till_done()
    assert [report.verification_url for report in station.reports] == [None]


async def test_diagnostics_count_the_photos_and_never_show_a_token(
    hass: HomeAssistant,
    linked: LinkedAlarm,
    hass_client: ClientSessionGenerator,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, linked.entry)
    assert diagnostics["photos"] == {"sets": 1, "files": 3, "open_links": 1, "kept_days": 30}
    text = json.dumps(diagnostics)
    assert linked.token not in text
    assert linked.photo_set.set_id not in text
