"""The home's journal in Home Assistant: fed by the panel and the badges, kept across restarts.

Issue 10: who armed, disarmed, was refused, and when, with the origin Home Assistant vouches
for; an alarm reaches the disk at once; more than 500 entries survive a restart; the store goes
with the home.
"""

from datetime import timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.imaprotect.core.journal import EntryKind, Who
from custom_components.imaprotect.journal import SAVE_DELAY, HomeJournal, journal_store_key
from custom_components.imaprotect.panel import HomePanel

from .conftest import DOOR, MARIE_BADGE, MARIE_CODE, PANEL, WINDOW, home_entry, set_sources
from .test_badges import MARIE_BADGE_SWITCH
from .test_logbook import line
from .test_panel import armed_total, call, flip, state, tick


def journal_of(entry: MockConfigEntry) -> HomeJournal:
    panel: HomePanel = entry.runtime_data
    return panel.journal


def newest(entry: MockConfigEntry, kind: EntryKind) -> dict[str, Any]:
    """The newest entry of a kind, as stored."""
    [found] = journal_of(entry).query(kinds=[kind], limit=1)
    return found.as_dict()


def stored_kinds(hass_storage: dict[str, Any], entry: MockConfigEntry) -> list[str]:
    data = hass_storage.get(journal_store_key(entry.entry_id), {}).get("data", {})
    return [e["kind"] for e in data.get("entries", [])]


async def test_arming_refusals_and_disarming_name_who_and_how(
    hass: HomeAssistant, home: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    as_admin = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_arm_away",
        {"entity_id": PANEL},
        blocking=True,
        context=as_admin,
    )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "alarm_control_panel",
            "alarm_disarm",
            {"entity_id": PANEL, "code": "0000"},
            blocking=True,
            context=as_admin,
        )
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
        context=as_admin,
    )
    await hass.async_block_till_done()
    user = {"origin": "user", "origin_name": "Mock User"}
    assert newest(home, EntryKind.ARMED)["who"] == {"user": "Mock User", "method": "app"} | user
    assert newest(home, EntryKind.ARMED)["details"] == {"mode": "total"}
    rejected = newest(home, EntryKind.CODE_REJECTED)
    assert rejected["who"] == {"method": "app"} | user  # the wrong code's typist, by origin
    assert rejected["details"] == {"failures": 1}
    assert newest(home, EntryKind.DISARMED)["who"] == {"person": "Marie", "method": "app"} | user
    assert [e.kind for e in journal_of(home).query()] == [
        EntryKind.DISARMED,
        EntryKind.CODE_REJECTED,
        EntryKind.ARMED,
    ]


async def test_an_open_window_refusal_a_forced_arming_and_a_manual_alarm(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await flip(hass, WINDOW, "on")
    with pytest.raises(ServiceValidationError):
        await call(hass, "alarm_arm_away")
    await hass.services.async_call(
        "imaprotect",
        "arm",
        {"entity_id": PANEL, "mode": "total", "force": True, "code": MARIE_CODE},
        blocking=True,
    )
    await call(hass, "alarm_trigger")
    await hass.async_block_till_done()
    refused = newest(home, EntryKind.ARM_REFUSED)
    assert refused["details"] == {
        "mode": "total",
        "reason": "open_detectors",
        "detectors": ["Fenêtre salon"],
    }
    assert refused["who"] == {"method": "automation", "origin": "system"}
    bypassed = newest(home, EntryKind.BYPASSED)
    assert bypassed["who"]["person"] == "Marie"
    assert bypassed["details"] == {"detectors": ["Fenêtre salon"]}
    raised = newest(home, EntryKind.ALARM_RAISED)
    assert raised["who"] == {"method": "automation", "origin": "system"}
    assert raised["details"] == {"alarm": "intrusion", "detector": None, "zone": None}


async def test_an_alarm_is_saved_at_once_the_rest_a_little_later(
    hass: HomeAssistant,
    home: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    await call(hass, "alarm_arm_away")
    await hass.async_block_till_done()
    await tick(hass, freezer, 31)  # the exit delay outlasts the save delay
    assert state(hass) == "armed_away"
    assert stored_kinds(hass_storage, home) == ["armed"]
    await flip(hass, WINDOW, "on")
    assert state(hass) == "triggered"
    assert stored_kinds(hass_storage, home) == ["armed", "alarm_raised"]  # no wait
    await call(hass, "alarm_disarm", code=MARIE_CODE)
    await hass.async_block_till_done()
    assert stored_kinds(hass_storage, home) == ["armed", "alarm_raised"]
    await tick(hass, freezer, SAVE_DELAY + 1)
    assert stored_kinds(hass_storage, home) == [
        "armed",
        "alarm_raised",
        "disarmed",
        "alarm_cleared",
    ]
    cleared = newest(home, EntryKind.ALARM_CLEARED)
    assert cleared["who"]["person"] == "Marie"
    assert cleared["details"] == {"ended_by": "disarm"}


async def test_more_than_500_entries_survive_a_restart(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    old = dt_util.utcnow() - timedelta(days=800)  # older than a year: kept, there are few
    for n in range(600):
        journal_of(home).record(
            EntryKind.DISARMED, old + timedelta(hours=n), who=Who(person=f"P{n}", method="keypad")
        )
    assert await hass.config_entries.async_unload(home.entry_id)
    freezer.tick(timedelta(minutes=5))
    assert await hass.config_entries.async_setup(home.entry_id)
    await hass.async_block_till_done()
    entries = journal_of(home).journal.entries
    assert len(entries) == 600
    five_hundredth = entries[499]
    assert five_hundredth.who.person == "P499"
    assert five_hundredth.at == old + timedelta(hours=499)
    assert five_hundredth.seq == 500
    after = journal_of(home).record(EntryKind.ARMED, dt_util.utcnow())
    assert after is not None
    assert after.seq == 601


async def test_an_alarm_caught_up_at_start_is_journalled(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await armed_total(hass, freezer)
    await flip(hass, DOOR, "on")
    assert state(hass) == "pending"
    assert await hass.config_entries.async_unload(home.entry_id)
    freezer.tick(timedelta(seconds=60))  # the entry delay ran out while Home Assistant was down
    assert await hass.config_entries.async_setup(home.entry_id)
    await hass.async_block_till_done()
    assert state(hass) == "triggered"
    raised = newest(home, EntryKind.ALARM_RAISED)
    assert raised["details"] == {
        "alarm": "intrusion",
        "detector": "Porte d'entrée",
        "zone": "Rez-de-chaussée",
    }


async def test_an_automation_is_named_as_the_origin(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "night",
                "alias": "Arm at night",
                "triggers": [{"trigger": "event", "event_type": "bedtime"}],
                "actions": [
                    {
                        "action": "imaprotect.arm",
                        "target": {"entity_id": PANEL},
                        "data": {"mode": "partial", "source": "keypad"},
                    }
                ],
            }
        },
    )
    hass.bus.async_fire("bedtime")
    await hass.async_block_till_done()
    armed = newest(home, EntryKind.ARMED)
    assert armed["who"] == {
        "method": "keypad",  # what it claimed
        "origin": "automation",  # what Home Assistant vouches for
        "origin_name": "Arm at night",
    }
    assert armed["details"] == {"mode": "partial"}


async def test_badges_switched_off_and_on_and_rejected_name_only_their_hint(
    hass: HomeAssistant,
    home: MockConfigEntry,
    hass_admin_user: MockUser,
    hass_storage: dict[str, Any],
) -> None:
    context = Context(user_id=hass_admin_user.id)
    for service in ("turn_off", "turn_on"):
        await hass.services.async_call(
            "switch", service, {"entity_id": MARIE_BADGE_SWITCH}, blocking=True, context=context
        )
    hass.bus.async_fire("tag_scanned", {"tag_id": "DEADBEEF99", "device_id": "keypad"})
    await hass.async_block_till_done()
    disabled = newest(home, EntryKind.BADGE_DISABLED)
    assert disabled["who"] == {"user": "Mock User", "origin": "user", "origin_name": "Mock User"}
    assert disabled["details"] == {"badge": "FCFF", "holder": "Marie"}
    assert newest(home, EntryKind.BADGE_ENABLED)["details"] == {"badge": "FCFF", "holder": "Marie"}
    rejected = newest(home, EntryKind.BADGE_REJECTED)
    assert rejected["details"] == {"badge": "ef99", "reason": "unknown"}
    assert line(hass, "imaprotect_badge_disabled", badge="FCFF", person="Marie", user="Anna") == (
        "Badge …FCFF of Marie disabled by Anna"
    )
    await hass.config_entries.async_unload(home.entry_id)
    stored = json.dumps(hass_storage[journal_store_key(home.entry_id)]).upper()
    for secret in (MARIE_BADGE, "DEADBEEF99", "+33612345678", "MARIE@EXAMPLE.ORG"):
        assert secret.upper() not in stored


async def test_the_journal_is_removed_with_the_home(
    hass: HomeAssistant, home: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    await call(hass, "alarm_arm_away")
    assert await hass.config_entries.async_unload(home.entry_id)
    key = journal_store_key(home.entry_id)
    assert hass_storage[key]["data"]["entries"][0]["kind"] == "armed"
    await hass.config_entries.async_remove(home.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_nothing_is_kept_after_the_home_stopped(
    hass: HomeAssistant, home: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    journal = journal_of(home)
    assert await hass.config_entries.async_unload(home.entry_id)
    assert journal.record(EntryKind.ARMED, dt_util.utcnow()) is None
    assert "A journal entry (armed) came after Maison stopped: not kept" in caplog.text


async def test_unreadable_saved_entries_are_left_out_with_a_warning(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    entry = home_entry()
    good = {"seq": 7, "at": "2026-01-01T10:00:00+00:00", "kind": "disarmed", "who": {}}
    hass_storage[journal_store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": journal_store_key(entry.entry_id),
        "data": {"entries": [{"seq": 1, "kind": "armed"}, good]},
    }
    set_sources(hass)
    entry.add_to_hass(hass)
    caplog.set_level(logging.WARNING)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert "1 unreadable journal entries of Maison were left out" in caplog.text
    [kept] = journal_of(entry).journal.entries
    assert kept.seq == 7
