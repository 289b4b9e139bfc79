"""The home's heartbeat while armed, and what Home Assistant does with the server's ``home_back``.

The voice server is the stand-in (it validates each heartbeat with the contract's model); the
real server takes the same client in tests/voice/test_home_assistant_heartbeat.py.
"""

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events, async_mock_service
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect import logbook
from custom_components.imaprotect.core import PanelState
from custom_components.imaprotect.heartbeat import HomeHeartbeat, watched

from .conftest import MARIE_CODE, PANEL
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


async def arm(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await hass.async_block_till_done()


def beats(stand_in: StandIn) -> list[bool]:
    """``armed`` of each heartbeat the server took, in order."""
    return [beat["armed"] for beat in stand_in.heartbeats]


def test_every_state_but_disarmed_is_watched() -> None:
    assert [state for state in PanelState if not watched(state)] == [PanelState.DISARMED]


async def test_a_disarmed_home_says_so_once_on_start_then_stays_quiet(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    assert beats(stand_in) == [False]
    (beat,) = stand_in.heartbeats
    assert beat["site"] == entry.entry_id
    assert (beat["interval"], beat["grace"]) == (60.0, 300.0)
    await tick(hass, freezer, 61)
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False]


async def test_an_armed_home_beats_every_minute_and_a_disarm_is_told_at_once(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)  # the exit delay is watched already
    assert beats(stand_in) == [False, True]
    await tick(hass, freezer, 31)  # armed total: the same watch, no extra heartbeat
    assert beats(stand_in) == [False, True]
    await tick(hass, freezer, 30)
    await tick(hass, freezer, 60)
    assert beats(stand_in) == [False, True, True, True]
    await trigger(hass)  # an alarm is watched too
    assert beats(stand_in) == [False, True, True, True]
    await disarm(hass)
    assert beats(stand_in) == [False, True, True, True, False]
    await tick(hass, freezer, 61)
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False, True, True, True, False]


async def test_the_grace_is_the_home_offline_after_setting(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN, offline_after=12)
    assert stand_in.heartbeats[-1]["grace"] == 720.0


async def test_a_heartbeat_carries_the_home_s_clock(hass: HomeAssistant, stand_in: StandIn) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    at = stand_in.heartbeats[-1]["at"]
    assert at.endswith(("+01:00", "+02:00")), at


async def test_a_disarm_the_server_missed_is_sent_again_each_minute_until_it_has_it(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    stand_in.heartbeats_down = 3
    with caplog.at_level(logging.INFO, logger="custom_components.imaprotect.heartbeat"):
        await disarm(hass)
        await tick(hass, freezer, 61)
        await tick(hass, freezer, 61)
        assert beats(stand_in) == [False, True]
        assert caplog.text.count("Heartbeat of Maison not delivered") == 1  # once, not each try
        await tick(hass, freezer, 61)
        assert beats(stand_in) == [False, True, False]
        assert "Heartbeats of Maison are delivered again" in caplog.text
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False, True, False]


async def test_a_server_that_lost_the_site_gets_it_again_then_the_heartbeat(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    stand_in.sites.clear()  # its database restored from an old backup
    await tick(hass, freezer, 61)
    assert entry.entry_id in stand_in.sites
    assert beats(stand_in) == [False, True, True]


async def test_a_site_refused_again_leaves_the_heartbeat_for_the_next_minute(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    stand_in.sites.clear()
    stand_in.reject_site = {"error": "invalid_phone", "field": "contacts.0.phone"}
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False, True]
    stand_in.reject_site = None
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False, True, True]


async def test_a_refused_heartbeat_is_logged_once_and_tried_again_each_minute(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    stand_in.heartbeat_refusal = {"error": "invalid_value", "field": "grace"}
    await arm(hass)
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False]
    assert caplog.text.count("Heartbeat of Maison not delivered") == 1
    assert "HTTP 422" in caplog.text
    stand_in.heartbeat_refusal = None
    await tick(hass, freezer, 61)
    assert beats(stand_in) == [False, True]


async def test_a_restart_while_armed_beats_at_once(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert beats(stand_in) == [False, True]  # stopping says nothing: a silence is a silence
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert beats(stand_in) == [False, True, True]


async def test_a_home_its_owner_disabled_stops_the_watch(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert beats(stand_in) == [False, True, False]


async def test_a_disabled_disarmed_home_sends_nothing_more(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await hass.config_entries.async_set_disabled_by(entry.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert beats(stand_in) == [False]


async def test_no_voice_server_no_heartbeat(hass: HomeAssistant, stand_in: StandIn) -> None:
    entry = await setup_home(hass)
    await arm(hass)
    heartbeat = HomeHeartbeat(hass, entry, entry.runtime_data)
    heartbeat.async_start()
    await heartbeat.async_stop()
    assert stand_in.heartbeats == []


async def test_without_contacts_nobody_could_be_called_so_no_heartbeat(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    for subentry_id, subentry in list(entry.subentries.items()):
        if subentry.subentry_type == "person":
            hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()  # the home reloads itself
    count = len(stand_in.heartbeats)
    await arm(hass)
    assert len(stand_in.heartbeats) == count


# --- the server heard nothing: home_back --------------------------------------------------------


def home_back(status: str, contact: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "event": "home_back",
        "site_id": "home",
        "alert_id": "home-offline-0123456789abcdef0123456789abcdef",  # the server's own alert
        "status": status,
        "contact": contact,
        "at": "2026-11-26T13:50:00+00:00",
        "since": "2026-11-26T14:32:00+01:00",
    }


async def test_home_back_reaches_the_logbook_and_the_notifiers(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    sent = async_mock_service(hass, "notify", "send_message")
    await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    events = async_capture_events(hass, "imaprotect_home_offline")
    marie = {"id": "marie", "name": "Marie"}
    assert await post_callback(hass_client_no_auth, home_back("acknowledged", marie)) == 200
    await hass.async_block_till_done()

    (event,) = events
    assert event.data["status"] == "acknowledged"
    assert event.data["contact"] == "Marie"
    assert (event.data["since"], event.data["until"]) == (
        "2026-11-26T14:32:00+01:00",
        "2026-11-26T13:50:00+00:00",
    )
    expected = (
        "No heartbeat reached the voice server from 26/11 14:32 to 26/11 14:50:"
        " it phoned the contacts, Marie acknowledged"
    )
    assert describe(hass, event) == expected
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    (notice,) = [n for n in notifications.values() if n["notification_id"].endswith("_offline")]
    assert notice["title"] == "Maison: the voice server lost contact"
    assert notice["message"] == expected
    assert [c.data["message"] for c in sent] == [expected]


@pytest.mark.parametrize(
    ("status", "tail"),
    [
        ("cancelled", "it phoned the contacts, and stopped when the home answered again"),
        ("escalated", "it phoned the contacts, Marie reached the monitoring station"),
        ("exhausted", "it phoned the contacts, nobody acknowledged"),
        ("expired", "it could not phone anybody"),
        ("calling", "it phoned the contacts, and stopped when the home answered again"),
    ],
)
async def test_each_outcome_of_a_silence_is_told(
    hass: HomeAssistant,
    stand_in: StandIn,
    hass_client_no_auth: ClientSessionGenerator,
    status: str,
    tail: str,
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    events = async_capture_events(hass, "imaprotect_home_offline")
    marie = {"id": "marie", "name": "Marie"} if status == "escalated" else None
    assert await post_callback(hass_client_no_auth, home_back(status, marie)) == 200
    await hass.async_block_till_done()
    (event,) = events
    assert describe(hass, event).endswith(tail)


async def test_other_callbacks_of_the_server_s_own_alert_are_ignored(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    events = async_capture_events(hass, "imaprotect_alert")
    payload = home_back("calling") | {"event": "alert_status", "since": None}
    assert await post_callback(hass_client_no_auth, payload) == 200
    await hass.async_block_till_done()
    assert events == []
    state = hass.states.get("sensor.maison_alert")
    assert state is not None
    assert state.state == "idle"  # the home's own alerts only


def describe(hass: HomeAssistant, event: Any) -> str:
    described: dict[str, Any] = {}
    logbook.async_describe_events(hass, lambda _d, kind, f: described.setdefault(kind, f))
    return str(described[event.event_type](event)["message"])


async def test_the_logbook_in_french(hass: HomeAssistant, stand_in: StandIn) -> None:
    hass.config.language = "fr"
    await hass.config.async_set_time_zone("Europe/Paris")
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    event = type(
        "E",
        (),
        {
            "event_type": "imaprotect_home_offline",
            "data": {"home": "Maison", "status": "exhausted", "since": AT, "until": AT},
        },
    )()
    assert describe(hass, event) == (
        "Aucun signal de vie n'a atteint le serveur vocal de 26/11 14:32 à 26/11 14:32 :"
        " il a appelé les contacts, personne n'a acquitté"
    )
    event.data["since"] = None  # type: ignore[attr-defined]  # a malformed callback's
    assert describe(hass, event).startswith(
        "Aucun signal de vie n'a atteint le serveur vocal de  à 26/11 14:32 :"
    )


async def test_a_disarm_with_the_code_is_watched_no_more(
    hass: HomeAssistant, stand_in: StandIn
) -> None:
    await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await arm(hass)
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert beats(stand_in)[-1] is False
