"""Alarm photos in a real Home Assistant with real camera entities: taken, kept, shown, purged."""

from __future__ import annotations

from datetime import timedelta
import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from PIL import Image
import pytest

from custom_components.imaprotect.const import CONF_PHOTO_DAYS
from custom_components.imaprotect.core.journal import EntryKind
from custom_components.imaprotect.photo_codec import JPEG_MAGIC

from .camera_kit import GARDEN, async_setup_cameras, camera_entry
from .conftest import PANEL, WINDOW, set_sources
from .offers_kit import action
from .test_panel import armed_total, flip, state, tick

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from custom_components.imaprotect.panel import HomePanel

    from .camera_kit import FrameCamera

GARDEN_IMAGE = "image.camera_jardin_latest_photo"
GARDEN_BUTTON = "button.camera_jardin_take_a_photo"


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test's own configuration folder: the photos are real files."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def setup_camera_home(
    hass: HomeAssistant, *, interval: float = 0, **settings: Any
) -> MockConfigEntry:
    """The home with the garden's image detector and a camera on the ground floor.

    ``interval``: the seconds between shots (none by default: the frozen clock would stop them).
    """
    await async_setup_cameras(hass)
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = camera_entry(**settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.photos.interval = interval
    return entry


def panel_of(entry: MockConfigEntry) -> HomePanel:
    panel: HomePanel = entry.runtime_data
    return panel


async def photos_taken(hass: HomeAssistant, entry: MockConfigEntry) -> list[Path]:
    """Every photo file of the home, once the bursts under way are over."""
    await hass.async_block_till_done(wait_background_tasks=True)
    photos = panel_of(entry).photos
    return [photos.folder / name for s in photos.sets.values() for name in s.files]


def assert_alarm_photo(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(JPEG_MAGIC)
    assert len(data) <= 150 * 1024
    assert path.stat().st_mode & 0o777 == 0o600
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.width <= 640
        assert image.height <= 480


async def test_an_image_detector_s_alarm_takes_three_photos_from_its_camera(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass)
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    assert state(hass) == "triggered"
    files = await photos_taken(hass, entry)
    assert len(files) == 3  # the garden's own camera; its zone (upstairs) has none
    for path in files:
        assert_alarm_photo(path)
    assert files[0].parent.stat().st_mode & 0o777 == 0o700
    assert files[0].parent == Path(
        hass.config.path(".storage", "imaprotect_photos", entry.entry_id)
    )
    demo = hass.data["camera"].get_entity("camera.demo_camera")
    assert demo._images_index == 3  # the demo camera, asked three times (its frames in turn)
    (photo_set,) = panel_of(entry).photos.sets.values()
    assert photo_set.alarm
    assert photo_set.kind == "intrusion"


async def test_a_zone_camera_photographs_any_of_its_detectors_and_big_frames_are_brought_down(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass)
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")  # the living-room window, on the ground floor
    files = await photos_taken(hass, entry)
    assert len(files) == 3
    for path in files:
        assert_alarm_photo(path)  # from 1920x1440 and about 3.6 MB
    with Image.open(files[0]) as image:
        assert image.size == (640, 480)


async def test_a_detector_without_any_camera_takes_no_photo(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass, zone_camera=False)
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    assert state(hass) == "triggered"
    assert await photos_taken(hass, entry) == []


async def test_a_camera_that_is_off_costs_its_photos_never_the_alarm(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_camera_home(hass)
    await hass.services.async_call(
        "camera", "turn_off", {"entity_id": "camera.demo_camera"}, blocking=True
    )
    await armed_total(hass, freezer)
    with caplog.at_level(logging.WARNING):
        await flip(hass, GARDEN, "on")
        assert await photos_taken(hass, entry) == []
    assert state(hass) == "triggered"
    assert "no photo from camera.demo_camera" in caplog.text


async def test_photos_are_purged_daily_once_their_days_are_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass, **{CONF_PHOTO_DAYS: 2})
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    files = await photos_taken(hass, entry)
    assert len(files) == 3
    await tick(hass, freezer, timedelta(days=1).total_seconds())
    await hass.async_block_till_done(wait_background_tasks=True)  # the purge's timer job
    assert all(path.exists() for path in files)  # one day old: kept
    await tick(hass, freezer, timedelta(days=1).total_seconds())
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not any(path.exists() for path in files)  # two days: the daily purge took them
    assert panel_of(entry).photos.sets == {}


async def test_the_default_keeps_photos_thirty_days_and_the_purge_survives_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass)
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    files = await photos_taken(hass, entry)
    freezer.tick(timedelta(days=29))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert all(path.exists() for path in files)
    assert len(panel_of(entry).photos.sets) == 1  # the index came back from the store
    freezer.tick(timedelta(days=1))
    assert await hass.config_entries.async_reload(entry.entry_id)  # purged at the start
    await hass.async_block_till_done()
    assert not any(path.exists() for path in files)


async def test_the_image_entity_shows_the_detector_s_latest_photo(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client: ClientSessionGenerator
) -> None:
    entry = await setup_camera_home(hass)
    before = hass.states.get(GARDEN_IMAGE)
    assert before is not None
    assert before.state == "unknown"
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    files = await photos_taken(hass, entry)
    after = hass.states.get(GARDEN_IMAGE)
    assert after is not None
    assert after.state != "unknown"
    client = await hass_client()
    response = await client.get(f"/api/image_proxy/{GARDEN_IMAGE}")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert await response.read() == files[-1].read_bytes()


async def test_take_photo_and_the_button_take_one_photo_on_demand(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass)
    await action(hass, "take_photo", detector="caméra JARDIN")  # its name, whatever the case
    files = await photos_taken(hass, entry)
    assert len(files) == 1
    assert_alarm_photo(files[0])
    first = hass.states.get(GARDEN_IMAGE)
    assert first is not None
    assert first.state != "unknown"
    freezer.tick(5)
    await hass.services.async_call("button", "press", {"entity_id": GARDEN_BUTTON}, blocking=True)
    files = await photos_taken(hass, entry)
    assert len(files) == 2
    later = hass.states.get(GARDEN_IMAGE)
    assert later is not None
    assert later.state > first.state
    assert not any(s.alarm for s in panel_of(entry).photos.sets.values())


async def test_take_photo_refusals_are_translated(hass: HomeAssistant) -> None:
    entry = await setup_camera_home(hass, zone_camera=False)
    with pytest.raises(ServiceValidationError) as unknown:
        await action(hass, "take_photo", detector="Grenier")
    assert unknown.value.translation_key == "photo_unknown_detector"
    with pytest.raises(ServiceValidationError) as no_camera:
        await action(hass, "take_photo", detector="Porte d'entrée")
    assert no_camera.value.translation_key == "photo_no_camera"
    assert no_camera.value.translation_placeholders == {"detector": "Porte d'entrée"}
    await hass.services.async_call(
        "camera", "turn_off", {"entity_id": "camera.demo_camera"}, blocking=True
    )
    with pytest.raises(HomeAssistantError) as failed:
        await action(hass, "take_photo", detector="garden")  # its id works too
    assert failed.value.translation_key == "photo_camera_failed"
    assert panel_of(entry).photos.sets == {}
    assert hass.states.get(PANEL) is not None


async def test_a_camera_serving_garbage_gives_no_photo(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await async_setup_cameras(hass)
    big: FrameCamera = hass.data["camera"].get_entity("camera.big_frame")
    big.frame = b"\xff\xd8\xffnot really a jpeg"
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = camera_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError):
        await action(hass, "take_photo", detector="Fenêtre salon")
    assert big.served == 1
    assert "no photo from camera.big_frame" in caplog.text


async def test_the_shots_are_a_second_apart(hass: HomeAssistant) -> None:
    entry = await setup_camera_home(hass, interval=0.2, exit_delay=0)  # a fifth of a second
    big: FrameCamera = hass.data["camera"].get_entity("camera.big_frame")
    await action(hass, "arm", mode="total")
    assert state(hass) == "armed_away"
    await flip(hass, WINDOW, "on")
    await photos_taken(hass, entry)
    assert len(big.served_at) == 3
    # Shot n is asked for n intervals after the first, never earlier (the first frames' encoding
    # may take longer than an interval on a busy machine: the next shot then follows at once).
    since_first = [at - big.served_at[0] for at in big.served_at]
    assert since_first[1] >= 0.2 - 0.01, since_first
    assert since_first[2] >= 0.4 - 0.01, since_first


async def test_an_orphan_photo_file_is_purged_once_old_and_a_deleted_home_leaves_none(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_camera_home(hass)
    await action(hass, "take_photo", detector="Caméra jardin")
    photos = panel_of(entry).photos
    orphan = photos.folder / "left-by-a-crash.jpg"
    recent = photos.folder / "just-written.jpg"
    for path in (orphan, recent):
        await hass.async_add_executor_job(path.write_bytes, b"\xff\xd8\xff")
    old = (dt_util.utcnow() - timedelta(days=31)).timestamp()
    await hass.async_add_executor_job(os.utime, orphan, (old, old))
    assert await photos.async_purge() == 1
    assert not orphan.exists()
    assert recent.exists()  # perhaps a shot whose record is being written: kept for now
    assert len(await photos_taken(hass, entry)) == 1
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not photos.folder.exists()


async def test_a_failing_photo_listener_loses_no_photo(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_camera_home(hass)

    async def broken(_photo_set: object) -> None:
        raise RuntimeError("a follower's bug")

    panel_of(entry).photos.listeners.insert(0, broken)
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    assert len(await photos_taken(hass, entry)) == 3
    assert "An imaprotect photo listener failed" in caplog.text


async def test_an_unreadable_photo_record_is_dropped_with_a_warning(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    entry = camera_entry()
    hass_storage[f"imaprotect.{entry.entry_id}.photos"] = {
        "version": 1,
        "key": f"imaprotect.{entry.entry_id}.photos",
        "data": {"sets": {"broken": {"detector_id": "garden"}}, "links": {}},
    }
    await async_setup_cameras(hass)
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert panel_of(entry).photos.sets == {}
    assert "an unreadable photo record was dropped" in caplog.text


async def test_a_photo_file_gone_reads_as_none(hass: HomeAssistant) -> None:
    entry = await setup_camera_home(hass)
    photos = panel_of(entry).photos
    assert await photos.async_read(photos.folder / "never-taken.jpg") is None


async def test_the_journal_keeps_each_set_of_photos_and_who_asked(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    """Issue 10: the journal records every photo: an alarm's burst, a photo on demand by whom."""
    entry = await setup_camera_home(hass)
    await action(hass, "take_photo", Context(user_id=hass_admin_user.id), detector="garden")
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    await photos_taken(hass, entry)
    found = panel_of(entry).journal.query(kinds=[EntryKind.PHOTOS_TAKEN], limit=5)
    on_demand, alarm = (entry.as_dict() for entry in reversed(found))  # oldest first
    assert on_demand["details"] == {"detector": "Caméra jardin", "photos": 1, "alarm": None}
    assert on_demand["who"] == {"user": "Mock User", "method": "app"}
    assert alarm["details"] == {"detector": "Caméra jardin", "photos": 3, "alarm": "intrusion"}
    assert alarm["who"] == {}
    assert not any(".jpg" in str(value) for value in on_demand.values())  # never a file name
