"""protect_plus_holidays.yaml: a calendar's holidays start PROTECT+ for the 24 h slices they cover.

The calendar is an entity of Home Assistant's calendar component holding the test's events (a
calendar service would need its own server); its trigger, and the PROTECT+ actions and sensor of
the home, are the real ones.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_integration,
    mock_platform,
)

from .blueprint_harness import async_use_blueprints
from .conftest import PANEL, home_entry, set_sources
from .standin import tick

CALENDAR = "calendar.family"
_CALENDARS: list[FamilyCalendar] = []


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
async def calendar_watch_stopped(hass: HomeAssistant) -> AsyncIterator[None]:
    """The calendar trigger looks ahead every 15 minutes; it stops with its automation."""
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )
    for calendar in _CALENDARS:  # it also waits for its next event's end
        await calendar.async_remove()
    _CALENDARS.clear()


async def hours_pass(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hours: float) -> None:
    """Time goes by in 5-minute steps, as the calendar trigger's look-ahead sees it."""
    for _ in range(round(hours * 12)):
        await tick(hass, freezer, 300)


class FamilyCalendar(CalendarEntity):
    """A calendar holding the test's events."""

    _attr_name = "Family"

    def __init__(self, events: list[CalendarEvent]) -> None:
        self.events = events

    @property
    def event(self) -> CalendarEvent | None:
        now = dt_util.now()
        upcoming = [e for e in self.events if e.end_datetime_local > now]
        return min(upcoming, key=lambda e: e.start_datetime_local) if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [
            e
            for e in self.events
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]


def local(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=dt_util.get_default_time_zone())


async def holidays(hass: HomeAssistant, *events: CalendarEvent) -> None:
    """The family calendar and the automation, the home at its default formula (A LA CARTE)."""
    if not hass.services.has_service("imaprotect", "start_protect_plus"):
        pytest.skip("imaprotect.start_protect_plus is not on this branch yet")
    assert await async_setup_component(hass, "persistent_notification", {})

    async def _setup(
        hass: HomeAssistant, config: object, add: AddEntitiesCallback, info: object = None
    ) -> None:
        _CALENDARS.append(FamilyCalendar(list(events)))
        add(_CALENDARS[-1:])

    mock_integration(hass, MockModule("family"))
    mock_platform(hass, "family.calendar", MockPlatform(async_setup_platform=_setup))
    assert await async_setup_component(hass, "calendar", {"calendar": {"platform": "family"}})
    await hass.async_block_till_done()
    await async_use_blueprints(
        hass,
        {
            "blueprint": "protect_plus_holidays.yaml",
            "input": {"alarm_panel": PANEL, "calendar": CALENDAR, "keyword": "vacances"},
        },
    )


def protect_plus(hass: HomeAssistant) -> tuple[str, str | None]:
    """The home's PROTECT+ sensor: its state and end."""
    for state in hass.states.async_all("binary_sensor"):
        if {"start", "end"} <= set(state.attributes):
            return state.state, state.attributes["end"]
    raise AssertionError("no PROTECT+ sensor")


@pytest.mark.usefixtures("home")
async def test_a_week_of_holidays_starts_seven_slices_when_it_begins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(local(19, 23))
    week = CalendarEvent(start=local(20).date(), end=local(27).date(), summary="Vacances ski")
    await holidays(
        hass, week, CalendarEvent(start=local(20, 9), end=local(20, 10), summary="Dentist")
    )
    assert protect_plus(hass)[0] == "off"
    await hours_pass(hass, freezer, 1.1)
    state, end = protect_plus(hass)
    assert state == "on"
    assert end is not None
    assert dt_util.parse_datetime(end) - dt_util.utcnow() > timedelta(days=6, hours=23)  # type: ignore[operator]
    assert dt_util.parse_datetime(end) - dt_util.utcnow() <= timedelta(days=7)  # type: ignore[operator]


@pytest.mark.usefixtures("home")
async def test_an_event_without_the_keyword_starts_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(local(19, 23))
    await holidays(hass, CalendarEvent(start=local(20), end=local(21), summary="Anniversaire"))
    await hours_pass(hass, freezer, 1.1)
    assert protect_plus(hass)[0] == "off"


@pytest.mark.usefixtures("home")
async def test_holidays_while_protect_plus_is_on_extend_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(local(19, 23))
    await holidays(
        hass,
        CalendarEvent(start=local(20), end=local(22), summary="VACANCES"),
        CalendarEvent(start=local(21), end=local(23), summary="Vacances (suite)"),
    )
    await hours_pass(hass, freezer, 1.1)
    first_end = protect_plus(hass)[1]
    await hours_pass(hass, freezer, 24)
    assert protect_plus(hass)[1] != first_end  # extended by the second event's two slices


async def test_a_formula_without_protect_plus_is_told(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    set_sources(hass)
    entry: MockConfigEntry = home_entry(formula="e_veille")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    freezer.move_to(local(19, 23))
    await holidays(hass, CalendarEvent(start=local(20), end=local(21), summary="Vacances"))
    messages: list[str] = []

    @callback
    def _added(kind: Any, notifications: dict[str, Any]) -> None:
        if kind == persistent_notification.UpdateType.ADDED:
            messages.extend(n["message"] for n in notifications.values())

    persistent_notification.async_register_callback(hass, _added)
    await hours_pass(hass, freezer, 1.1)
    assert messages == [
        'PROTECT+ could not be started for "Vacances" (1 \u00d7 24 h): check the home\'s '
        "formula and its PROTECT+ in the logbook."
    ]
