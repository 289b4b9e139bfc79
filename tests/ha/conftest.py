"""A realistic home for the Home Assistant tests: two zones, six detectors, three people."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect import station_runtime
from custom_components.imaprotect.const import (
    CONF_ALARM_DURATION,
    CONF_BADGES,
    CONF_BATTERY_ENTITY,
    CONF_CALL_POSITION,
    CONF_CODE_ARM_REQUIRED,
    CONF_CODE_HASH,
    CONF_DETECTOR_TYPE,
    CONF_EMAIL,
    CONF_ENTRY_DELAY,
    CONF_ENTRY_ROUTE,
    CONF_EXIT_DELAY,
    CONF_FORMULA,
    CONF_MAY_ARM,
    CONF_MAY_DISARM,
    CONF_PARTIAL,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    CONF_SOURCE_ENTITY,
    CONF_TAMPER_ENTITY,
    CONF_ZONE,
    DOMAIN,
)
from custom_components.imaprotect.core import hash_code

if TYPE_CHECKING:
    from testkit.sia import SiaReceiver

    from .standin import StandIn

MARIE_CODE = "1234"
MARIE_PHONE_CODE = "246813"  # what Marie types on the phone (never her keypad code)
PAUL_CODE = "5678"
LEA_CODE = "2468"
MARIE_BADGE = "3DD5FCFF"
PAUL_BADGE = "A1B2C3D4"

DOOR = "binary_sensor.front_door"
WINDOW = "binary_sensor.living_window"
WINDOW_TAMPER = "binary_sensor.living_window_tamper"
WINDOW_BATTERY = "sensor.living_window_battery"
HALL = "binary_sensor.hall_motion"
BEDROOM = "binary_sensor.bedroom_motion"
SMOKE = "binary_sensor.upstairs_smoke"
FLOOD = "binary_sensor.laundry_leak"
FLOOD_BATTERY = "binary_sensor.laundry_leak_battery_low"

PANEL = "alarm_control_panel.maison"

# Low iterations keep the tests fast; the default is tested in tests/core.
_FAST = 1_000


def _subentry(kind: str, subentry_id: str, title: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "subentry_type": kind,
        "subentry_id": subentry_id,
        "title": title,
        "unique_id": None,
        "data": data,
    }


def _detector(
    subentry_id: str, title: str, kind: str, source: str, zone: str, **extra: Any
) -> dict[str, Any]:
    data = {CONF_DETECTOR_TYPE: kind, CONF_SOURCE_ENTITY: source, CONF_ZONE: zone} | extra
    return _subentry("detector", subentry_id, title, data)


def _person(subentry_id: str, title: str, code: str, **extra: Any) -> dict[str, Any]:
    data = {
        CONF_CODE_HASH: hash_code(code, iterations=_FAST),
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: True,
    } | extra
    return _subentry("person", subentry_id, title, data)


def home_entry(**settings: Any) -> MockConfigEntry:
    """The test home: ground floor in the night set, upstairs not."""
    data = {
        CONF_NAME: "Maison",
        CONF_FORMULA: "a_la_carte",
        CONF_ENTRY_DELAY: 30,
        CONF_EXIT_DELAY: 30,
        CONF_ALARM_DURATION: 180,
        CONF_CODE_ARM_REQUIRED: False,
    } | settings
    return MockConfigEntry(
        domain=DOMAIN,
        title="Maison",
        unique_id="maison",
        data=data,
        subentries_data=[
            _subentry("zone", "ground", "Rez-de-chaussée", {CONF_PARTIAL: True}),
            _subentry("zone", "upstairs", "Étage", {CONF_PARTIAL: False}),
            _detector(
                "door", "Porte d'entrée", "opening", DOOR, "ground", **{CONF_ENTRY_ROUTE: True}
            ),
            _detector(
                "window",
                "Fenêtre salon",
                "opening",
                WINDOW,
                "ground",
                **{CONF_TAMPER_ENTITY: WINDOW_TAMPER, CONF_BATTERY_ENTITY: WINDOW_BATTERY},
            ),
            _detector("hall", "Couloir", "motion", HALL, "ground", **{CONF_ENTRY_ROUTE: True}),
            _detector("bedroom", "Chambre", "motion", BEDROOM, "upstairs"),
            _detector("smoke", "Fumée étage", "smoke", SMOKE, "upstairs"),
            _detector(
                "flood",
                "Buanderie",
                "flood",
                FLOOD,
                "ground",
                **{CONF_BATTERY_ENTITY: FLOOD_BATTERY},
            ),
            _person(
                "marie",
                "Marie",
                MARIE_CODE,
                **{
                    CONF_BADGES: [MARIE_BADGE],
                    CONF_PHONE: "+33612345678",
                    CONF_PHONE_CODE_HASH: hash_code(MARIE_PHONE_CODE, iterations=_FAST),
                    CONF_EMAIL: "marie@example.org",
                    CONF_CALL_POSITION: 1,
                },
            ),
            _person(
                "paul", "Paul", PAUL_CODE, **{CONF_BADGES: [PAUL_BADGE], CONF_CALL_POSITION: 2}
            ),
            _person("lea", "Léa", LEA_CODE, **{CONF_MAY_DISARM: False}),
        ],
    )


def set_sources(hass: HomeAssistant, **overrides: str) -> None:
    """Every mirrored entity closed and healthy, except the given overrides."""
    states = {
        DOOR: "off",
        WINDOW: "off",
        WINDOW_TAMPER: "off",
        WINDOW_BATTERY: "87",
        HALL: "off",
        BEDROOM: "off",
        SMOKE: "off",
        FLOOD: "off",
        FLOOD_BATTERY: "off",
    }
    for entity_id, state in states.items():
        hass.states.async_set(entity_id, overrides.get(entity_id, state))


@pytest.fixture
async def home(hass: HomeAssistant) -> MockConfigEntry:
    """The test home, set up with every detector closed."""
    set_sources(hass)
    entry = home_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def stand_in(socket_enabled: None) -> AsyncIterator[StandIn]:
    """The stand-in voice server on 127.0.0.1 (tests/ha/standin.py), stopped after the test."""
    from .standin import serve_stand_in

    async with serve_stand_in() as server:
        yield server


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[SiaReceiver]:
    """Pysiaalarm's receiver for the station tests' account (no key), on 127.0.0.1."""
    from .station_kit import serve_receiver

    async with serve_receiver() as server:
        yield server


@pytest.fixture
def fast_station_link(monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> None:
    """The station link's timings shortened, so a lost receiver is noticed within a test."""
    from .station_kit import FAST_TIMINGS

    monkeypatch.setattr(station_runtime, "LINK_TIMINGS", FAST_TIMINGS)
