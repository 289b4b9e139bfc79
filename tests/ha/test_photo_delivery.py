"""An alarm's photos follow its alert to the voice server (the stand-in), kept until it has them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
import pytest

from .camera_kit import GARDEN, async_setup_cameras, camera_entry
from .conftest import set_sources
from .standin import SECRET, TOKEN, WEBHOOK_ID, StandIn
from .test_panel import armed_total, flip, tick

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.imaprotect.delivery import DeliveryQueue
    from custom_components.imaprotect.panel import HomePanel


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test's own configuration folder: the photos are real files."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def setup_home(hass: HomeAssistant, stand_in: StandIn) -> MockConfigEntry:
    await async_process_ha_core_config(hass, {"internal_url": "http://127.0.0.1:8123"})
    await async_setup_cameras(hass)
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = camera_entry(
        voice_url=stand_in.url, voice_token=TOKEN, webhook_id=WEBHOOK_ID, callback_secret=SECRET
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.photos.interval = 0
    return entry


def taken(entry: MockConfigEntry) -> list[bytes]:
    panel: HomePanel = entry.runtime_data
    (photo_set,) = panel.photos.sets.values()
    return [(panel.photos.folder / name).read_bytes() for name in photo_set.files]


def queue_of(entry: MockConfigEntry) -> DeliveryQueue:
    panel: HomePanel = entry.runtime_data
    assert panel.callout.queue is not None
    return panel.callout.queue


async def alarm(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await armed_total(hass, freezer)
    await flip(hass, GARDEN, "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_block_till_done()


async def test_the_photos_follow_the_alert_of_their_alarm(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    (alert,) = stand_in.alerts
    assert alert["kind"] == "intrusion"
    assert alert.get("photos", []) == []  # the alert never waits for the cameras
    assert stand_in.photos == [(alert["alert_id"], taken(entry))]
    assert queue_of(entry).photos == {}


async def test_photos_wait_for_a_voice_server_that_is_down(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    stand_in.unavailable["photos"] = 1
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    assert stand_in.photos == []
    assert len(queue_of(entry).photos) == 1  # kept, in the home's store too
    await tick(hass, freezer, 6)  # the first retry
    (alert,) = stand_in.alerts
    assert stand_in.photos == [(alert["alert_id"], taken(entry))]
    assert stand_in.tries["photos"] == 2
    assert queue_of(entry).photos == {}


async def test_photos_go_after_an_alert_that_was_not_delivered_yet(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    stand_in.unavailable["alert"] = 2  # at the alarm, and when its photos come
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    assert stand_in.alerts == []
    assert stand_in.tries == {"alert": 2, "cancel": 0, "photos": 0}  # never before their alert
    await tick(hass, freezer, 16)  # the second retry
    (alert,) = stand_in.alerts
    assert stand_in.photos == [(alert["alert_id"], taken(entry))]


async def test_refused_photos_are_dropped_and_the_alert_stays(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stand_in.photos_refusal = {"error": "invalid_value", "field": "photos.0"}
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    assert stand_in.tries["photos"] == 1
    assert queue_of(entry).photos == {}
    assert "refused the photos" in caplog.text
    assert len(stand_in.alerts) == 1


async def test_photos_purged_before_they_could_go_are_dropped(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    stand_in.unavailable["photos"] = 1
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    (files,) = queue_of(entry).photos.values()
    for path in map(Path, files):
        await hass.async_add_executor_job(path.unlink)
    await tick(hass, freezer, 6)
    assert stand_in.photos == []
    assert stand_in.tries["photos"] == 1
    assert queue_of(entry).photos == {}


async def test_queued_photos_survive_a_restart(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    stand_in.unavailable["photos"] = 1
    entry = await setup_home(hass, stand_in)
    await alarm(hass, freezer)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    (alert,) = stand_in.alerts
    assert stand_in.photos == [(alert["alert_id"], taken(entry))]
