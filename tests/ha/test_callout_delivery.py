"""Alerts and cancels survive the voice server's absence, reloads and restarts (issue 8, point 1).

Each test names the failure it survives; the voice server is the stand-in (``standin``).
"""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import PANEL, WINDOW
from .standin import (
    AT,
    TOKEN,
    StandIn,
    disarm,
    post_callback,
    setup_home,
    tick,
    trigger,
)

DOWN = 10_000  # requests that answer 503: the voice server is away for the whole test
ALERT_SENSOR = "sensor.maison_alert"


async def reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """What a reauth, an options change or a restart of Home Assistant does to the home."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def state(hass: HomeAssistant) -> str:
    sensor = hass.states.get(ALERT_SENSOR)
    assert sensor is not None
    return sensor.state


async def test_an_alert_survives_a_reload_while_the_server_is_down(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.unavailable["alert"] = DOWN
    await trigger(hass)
    await reload(hass, entry)
    stand_in.unavailable["alert"] = 0
    await tick(hass, freezer, 6)
    assert [a["kind"] for a in stand_in.alerts] == ["intrusion"]
    assert state(hass) == "calling"


async def test_an_alert_is_retried_past_nine_minutes_at_most_a_minute_apart(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.unavailable["alert"] = DOWN
    await trigger(hass)
    for _ in range(20):  # 20 minutes of a voice server away
        await tick(hass, freezer, 60)
    assert stand_in.tries["alert"] >= 20
    stand_in.unavailable["alert"] = 0
    await tick(hass, freezer, 61)
    assert len(stand_in.alerts) == 1


async def test_a_lost_site_is_sent_again_then_the_alert(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.sites.clear()  # the voice server's database was restored from an old backup
    await trigger(hass)
    assert entry.entry_id in stand_in.sites
    assert [a["kind"] for a in stand_in.alerts] == ["intrusion"]


async def test_an_alert_disarmed_before_delivery_never_reaches_the_server(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    """Found on main: disarmed 0.04 s after the alarm, it rang Marie once the server was up."""
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.unavailable |= {"alert": DOWN, "cancel": DOWN}
    await trigger(hass)
    await disarm(hass)
    assert state(hass) == "cancelled"
    stand_in.unavailable |= {"alert": 0, "cancel": 0}
    for _ in range(5):
        await tick(hass, freezer, 61)
    assert stand_in.alerts == []
    assert state(hass) == "cancelled"


async def test_an_undelivered_disarmed_alert_stays_dropped_across_a_reload(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.unavailable |= {"alert": DOWN, "cancel": DOWN}
    await trigger(hass)
    await disarm(hass)
    await reload(hass, entry)
    stand_in.unavailable |= {"alert": 0, "cancel": 0}
    await tick(hass, freezer, 61)
    assert stand_in.alerts == []


async def test_a_cancel_survives_a_reload(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    stand_in.unavailable["cancel"] = DOWN
    await disarm(hass)
    await reload(hass, entry)
    for _ in range(12):  # past the old 9 minutes
        await tick(hass, freezer, 60)
    stand_in.unavailable["cancel"] = 0
    await tick(hass, freezer, 61)
    assert stand_in.cancels == [(alert_id, {"by": "Marie"})]


async def test_what_happened_during_a_reload_is_read_back_on_start(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    """Callbacks sent while the entry is unloaded get 200 from HA's webhook component: lost."""
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    stand_in.statuses[alert_id] = "acknowledged"  # Marie took it meanwhile
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sensor = hass.states.get(ALERT_SENSOR)
    assert sensor is not None
    assert (sensor.state, sensor.attributes["contact"]) == ("acknowledged", "Marie")


async def test_an_alert_the_server_lost_is_sent_again_on_start(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert = stand_in.alerts.pop()  # delivered (201), then lost (a power cut before its fsync)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert [a["alert_id"] for a in stand_in.alerts] == [alert["alert_id"]]


async def test_a_finished_alert_is_not_asked_for_again(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    payload = {"site_id": "home", "at": AT, "alert_id": alert_id, "status": "exhausted"}
    assert await post_callback(hass_client_no_auth, payload) == 200
    stand_in.alerts.clear()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert stand_in.alerts == []  # not resent: the server said it was over
    assert state(hass) == "exhausted"


@pytest.mark.parametrize(
    "detector",
    ["D" * 101, "Fenêtre\x00salon\x1b[31m\u0085"],
    ids=["101 characters", "control characters"],
)
async def test_a_detector_name_the_server_would_refuse_still_gets_its_alert(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory, detector: str
) -> None:
    """Issue 8, point 4: the stand-in refuses such a name with 422, as the real server does."""
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    hass.config_entries.async_update_subentry(entry, entry.subentries["window"], title=detector)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)
    hass.states.async_set(WINDOW, "on")  # immediate: the alarm names the window
    await hass.async_block_till_done()
    assert len(stand_in.alerts) == 1
    sent = stand_in.alerts[0]["detector"]
    assert 0 < len(sent) <= 100
    assert sent.isprintable()
