"""Badges: keyed hashes at rest (migrated from clear ids), guessing counted, readers, audit."""

import hashlib
import json
import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.imaprotect.const import CONF_BADGE_KEY, CONF_BADGES, CONF_READER_DEVICES
from custom_components.imaprotect.diagnostics import async_get_config_entry_diagnostics

from .conftest import MARIE_BADGE, PAUL_BADGE, home_entry, set_sources
from .test_badges import MARIE_BADGE_EVENT, MARIE_BADGE_SWITCH, panel_state, present
from .test_logbook import line


def everything_stored(
    hass: HomeAssistant, entry: MockConfigEntry, storage: dict[str, object]
) -> str:
    subentries = [dict(s.data) for s in entry.subentries.values()]
    return json.dumps([dict(entry.data), subentries, storage], default=str).upper()


async def test_clear_badge_ids_are_migrated_to_keyed_hashes(
    hass: HomeAssistant,
    home: MockConfigEntry,
    hass_storage: dict[str, object],
    entity_registry: er.EntityRegistry,
) -> None:
    assert (home.version, home.minor_version) == (1, 2)
    key = home.data[CONF_BADGE_KEY]
    assert len(bytes.fromhex(key)) == 32
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True
    )
    stored = everything_stored(hass, home, hass_storage)
    for badge in (MARIE_BADGE, PAUL_BADGE):
        assert badge.upper() not in stored
    [marie] = home.subentries["marie"].data[CONF_BADGES]
    assert marie["hint"] == "FCFF"
    # Unique ids and entity ids stay those of the clear ids: the registry keeps its entities.
    legacy = hashlib.sha256(MARIE_BADGE.lower().encode()).hexdigest()[:12]
    switch = entity_registry.async_get(MARIE_BADGE_SWITCH)
    assert switch is not None
    assert switch.unique_id == f"{home.entry_id}_badge_{legacy}_enabled"
    assert entity_registry.async_get(MARIE_BADGE_EVENT) is not None


async def test_a_migrated_badge_still_works_and_stays_disabled_across_the_migration(
    hass: HomeAssistant, hass_storage: dict[str, object]
) -> None:
    set_sources(hass)
    entry = home_entry()
    # The panel state of the previous release: the lost badge as a clear id.
    hass_storage[f"imaprotect.{entry.entry_id}"] = {
        "version": 1,
        "key": f"imaprotect.{entry.entry_id}",
        "data": {"engine": {"state": "disarmed"}, "disabled_badges": [PAUL_BADGE.lower()]},
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("switch.paul_badge_c3d4_enabled").state == "off"  # type: ignore[union-attr]
    with pytest.raises(ServiceValidationError) as err:
        await present(hass, PAUL_BADGE)
    assert err.value.translation_key == "badge_disabled"
    await present(hass, MARIE_BADGE)
    assert panel_state(hass) == "arming"
    assert PAUL_BADGE.upper() not in everything_stored(hass, entry, hass_storage)


async def test_diagnostics_hold_no_badge_key(hass: HomeAssistant, home: MockConfigEntry) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, home)
    dumped = json.dumps(diagnostics, default=str)
    assert home.data[CONF_BADGE_KEY] not in dumped


async def scan(hass: HomeAssistant, tag_id: str, device_id: str = "keypad") -> None:
    hass.bus.async_fire("tag_scanned", {"tag_id": tag_id, "device_id": device_id})
    await hass.async_block_till_done()


async def test_unknown_tags_count_as_rejected_badges(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    locked = async_capture_events(hass, "imaprotect_locked_out")
    for guess in range(5):
        await scan(hass, f"guess-{guess:04d}")
    assert [e.data["reason"] for e in rejected] == ["unknown"] * 5
    assert len(locked) == 1
    await scan(hass, MARIE_BADGE)  # locked: the right badge is refused too
    assert panel_state(hass) == "disarmed"


async def test_only_listed_readers_are_heard(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    set_sources(hass)
    entry = home_entry(**{CONF_READER_DEVICES: ["entry_reader"]})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    rejected = async_capture_events(hass, "imaprotect_badge_rejected")
    caplog.set_level(logging.INFO)
    await scan(hass, MARIE_BADGE, device_id="kitchen_phone")
    await scan(hass, "kitchen-sticker", device_id="kitchen_phone")
    await scan(hass, MARIE_BADGE, device_id=None)  # type: ignore[arg-type]
    assert panel_state(hass) == "disarmed"
    assert rejected == []
    assert "not a reader" in caplog.text
    assert MARIE_BADGE.upper() not in caplog.text.upper()
    assert "kitchen-sticker" not in caplog.text
    await scan(hass, "guess", device_id="entry_reader")
    assert [e.data["reason"] for e in rejected] == ["unknown"]
    await scan(hass, MARIE_BADGE, device_id="entry_reader")
    assert panel_state(hass) == "arming"


async def test_turning_a_badge_back_on_is_recorded_with_who_did_it(
    hass: HomeAssistant, home: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    enabled = async_capture_events(hass, "imaprotect_badge_enabled")
    context = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True, context=context
    )
    assert enabled == []
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True, context=context
    )
    [event] = enabled
    assert event.data["badge"] == "FCFF"
    assert event.data["person"] == "Marie"
    assert event.data["user"] == "Mock User"
    assert event.data["origin"] == {"type": "user", "name": "Mock User"}
    assert event.context is context
    assert MARIE_BADGE.upper() not in str(event.data).upper().replace("FCFF", "")
    described = line(hass, "imaprotect_badge_enabled", **event.data)
    assert described == "Badge …FCFF of Marie enabled again by Mock User"
    # Turning on a badge already on records nothing.
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": MARIE_BADGE_SWITCH}, blocking=True, context=context
    )
    assert len(enabled) == 1


async def test_an_entry_of_a_newer_major_version_is_not_migrated(hass: HomeAssistant) -> None:
    entry = home_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=2)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.subentries["marie"].data[CONF_BADGES] == [MARIE_BADGE]


async def test_a_key_already_there_is_kept(hass: HomeAssistant) -> None:
    set_sources(hass)
    entry = home_entry(**{CONF_BADGE_KEY: "cd" * 32})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_BADGE_KEY] == "cd" * 32
    await present(hass, MARIE_BADGE)
    assert panel_state(hass) == "arming"
