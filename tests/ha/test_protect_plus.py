"""PROTECT+ in Home Assistant: actions, entities, audit trail, store, and who may have it."""

# ruff: noqa: RUF001 - the logbook says "2 x 24 h" with a multiplication sign

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.imaprotect.const import DOMAIN, EVENT_PROTECT_PLUS
from custom_components.imaprotect.core.journal import EntryKind

from .conftest import home_entry, set_sources
from .offers_kit import RecordingStation, action, setup_offer_home
from .test_logbook import line
from .test_panel import tick

ACTIVE = "binary_sensor.maison_protect_active"
END = "sensor.maison_protect_end"
AGENT = "button.maison_request_a_security_agent"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _lines(hass: HomeAssistant, events: list) -> list[str]:  # type: ignore[type-arg]
    return [line(hass, EVENT_PROTECT_PLUS, **event.data) for event in events]


async def test_start_extend_stop_with_who_in_the_logbook(
    hass: HomeAssistant, hass_admin_user: MockUser, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-20T09:00:00+00:00")
    await hass.config.async_set_time_zone("UTC")
    await setup_offer_home(hass, None, gateway=RecordingStation())
    events = async_capture_events(hass, EVENT_PROTECT_PLUS)
    user = Context(user_id=hass_admin_user.id)
    assert _state(hass, ACTIVE) == "off"
    assert hass.states.get(AGENT).attributes["paid"] is True  # type: ignore[union-attr]

    await action(hass, "start_protect_plus", user, slices=2)
    assert _state(hass, ACTIVE) == "on"
    assert _state(hass, END) == "2026-12-22T09:00:00+00:00"
    assert hass.states.get(ACTIVE).attributes["start"] == "2026-12-20T09:00:00+00:00"  # type: ignore[union-attr]
    assert hass.states.get(AGENT).attributes["paid"] is False  # type: ignore[union-attr]
    await action(hass, "extend_protect_plus", user, slices=1)
    assert _state(hass, END) == "2026-12-23T09:00:00+00:00"
    await tick(hass, freezer, 3600)
    await action(hass, "stop_protect_plus", user)
    assert _state(hass, ACTIVE) == "off"
    assert _state(hass, END) == "unknown"

    assert [e.data["action"] for e in events] == ["started", "extended", "stopped"]
    assert {e.data["by"] for e in events} == {"Mock User"}
    assert all(e.context.user_id == hass_admin_user.id for e in events)
    assert _lines(hass, events) == [
        "PROTECT+ started by Mock User: 2 × 24 h, until 22/12 09:00",
        "PROTECT+ extended by Mock User: 1 × 24 h more, until 23/12 09:00",
        "PROTECT+ stopped by Mock User: alerts go to the contacts again",
    ]


async def test_a_booked_period_begins_then_expires_by_itself(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-07-01T08:00:00+00:00")
    await hass.config.async_set_time_zone("UTC")
    await setup_offer_home(hass, None, gateway=RecordingStation())
    events = async_capture_events(hass, EVENT_PROTECT_PLUS)
    await action(hass, "start_protect_plus", slices=1, start="2026-07-03 10:00:00")
    assert _state(hass, ACTIVE) == "off"
    assert _state(hass, END) == "2026-07-04T10:00:00+00:00"
    await tick(hass, freezer, 2 * 86400 + 2 * 3600)
    assert _state(hass, ACTIVE) == "on"
    await tick(hass, freezer, 86400)
    assert _state(hass, ACTIVE) == "off"
    assert [e.data["action"] for e in events] == ["started", "began", "expired"]
    assert _lines(hass, events) == [
        "PROTECT+ booked by someone: 1 × 24 h from 03/07 10:00 until 04/07 10:00",
        "PROTECT+ on until 04/07 10:00: the monitoring station handles the alerts",
        "PROTECT+ ended: alerts go to the contacts again",
    ]


async def test_protect_plus_survives_a_reload_and_expires_at_its_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_offer_home(hass, None)
    await action(hass, "start_protect_plus", slices=1)
    end = _state(hass, END)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert (_state(hass, ACTIVE), _state(hass, END)) == ("on", end)
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(days=2))  # Home Assistant was down when it ended
    events = async_capture_events(hass, EVENT_PROTECT_PLUS)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, ACTIVE) == "off"
    assert [e.data["action"] for e in events] == ["expired"]
    expired = dt_util.parse_datetime(events[0].data["end"])
    assert expired is not None
    assert expired.replace(microsecond=0) == dt_util.parse_datetime(end)  # the planned end


@pytest.mark.parametrize("formula", ["e_veille", "tout_inclus"])
async def test_protect_plus_is_refused_outside_a_la_carte(
    hass: HomeAssistant, formula: str
) -> None:
    set_sources(hass)
    entry = home_entry(formula=formula)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for service, data in (
        ("start_protect_plus", {"slices": 1}),
        ("extend_protect_plus", {"slices": 1}),
        ("stop_protect_plus", {}),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await action(hass, service, **data)
        assert info.value.translation_key == "protect_plus_not_offered"
        assert info.value.translation_placeholders == {"home": "Maison"}
    assert hass.states.get(ACTIVE) is None  # no entity where it cannot exist
    assert hass.states.get(END) is None


@pytest.mark.parametrize(
    ("first", "then", "key"),
    [
        ({"slices": 1}, ("start_protect_plus", {"slices": 1}), "protect_plus_already_granted"),
        (None, ("extend_protect_plus", {"slices": 1}), "protect_plus_not_granted"),
        (None, ("stop_protect_plus", {}), "protect_plus_not_granted"),
        (
            None,
            ("start_protect_plus", {"slices": 1, "start": "2020-01-01 00:00"}),
            "protect_plus_start_in_past",
        ),
        (
            None,
            ("start_protect_plus", {"slices": 1, "start": "2099-01-01 00:00"}),
            "protect_plus_start_too_far",
        ),
        ({"slices": 30}, ("extend_protect_plus", {"slices": 30}), None),
    ],
)
async def test_refusals_are_translated_and_change_nothing(
    hass: HomeAssistant,
    first: dict | None,
    then: tuple[str, dict],
    key: str | None,  # type: ignore[type-arg]
) -> None:
    await setup_offer_home(hass, None)
    if first is not None:
        await action(hass, "start_protect_plus", **first)
    before = _state(hass, END)
    service, data = then
    if key is None:
        await action(hass, service, **data)
        await action(hass, service, **data)  # 90 slices in all
        with pytest.raises(ServiceValidationError) as info:
            await action(hass, service, slices=1)
        key = "protect_plus_too_long"
        before = _state(hass, END)
    else:
        with pytest.raises(ServiceValidationError) as info:
            await action(hass, service, **data)
    assert info.value.translation_domain == DOMAIN
    assert info.value.translation_key == key
    assert _state(hass, END) == before


async def test_slices_outside_1_to_30_are_refused_by_the_schema(hass: HomeAssistant) -> None:
    await setup_offer_home(hass, None)
    for slices in (0, 31):
        with pytest.raises(Exception, match="slices"):  # HA's schema error
            await action(hass, "start_protect_plus", slices=slices)
    assert _state(hass, ACTIVE) == "off"


async def test_protect_plus_without_a_station_account_is_a_repair_until_it_stops(
    hass: HomeAssistant,
) -> None:
    entry = await setup_offer_home(hass, None)
    issue_id = f"station_account_missing_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await action(hass, "start_protect_plus", slices=1)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "formula": "A LA CARTE"}
    await action(hass, "stop_protect_plus")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_device_target_works_like_the_panel(hass: HomeAssistant) -> None:
    entry: MockConfigEntry = await setup_offer_home(hass, None)
    device_id = entry.runtime_data.home_device_id
    await hass.services.async_call(
        DOMAIN, "start_protect_plus", {"device_id": device_id, "slices": 3}, blocking=True
    )
    await hass.async_block_till_done()
    assert _state(hass, ACTIVE) == "on"


async def test_each_slice_is_in_the_journal_with_who_and_how_many(
    hass: HomeAssistant, hass_admin_user: MockUser, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-20T09:00:00+00:00")
    entry = await setup_offer_home(hass, None, gateway=RecordingStation())
    user = Context(user_id=hass_admin_user.id)
    await action(hass, "start_protect_plus", user, slices=2)
    await action(hass, "extend_protect_plus", user, slices=1)
    await action(hass, "stop_protect_plus", user)
    await hass.async_block_till_done()
    found = entry.runtime_data.journal.query(kinds=[EntryKind.PROTECT_PLUS], limit=10)
    entries = [e.as_dict() for e in reversed(found)]  # oldest first
    assert [e["details"]["action"] for e in entries] == ["started", "extended", "stopped"]
    assert entries[0]["details"]["slices"] == 2
    assert entries[0]["details"]["end"] == "2026-12-22T09:00:00+00:00"
    assert entries[1]["details"]["slices"] == 1
    assert {e["who"]["user"] for e in entries} == {"Mock User"}
