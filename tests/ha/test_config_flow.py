"""Tests for the imaprotect config flow: homes, and their zones, detectors and people."""

from collections.abc import Mapping
import json
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryDataWithId,
)
from homeassistant.const import CONF_NAME
from homeassistant.data_entry_flow import FlowResult, FlowResultType, section
from homeassistant.helpers.translation import async_get_translations

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from homeassistant.core import HomeAssistant
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.badges import legacy_badge, new_badge
from custom_components.imaprotect.config_flow import (
    HOME_SCHEMA,
    ZONE_SCHEMA,
    _detector_schema,
    _person_schema,
)
from custom_components.imaprotect.const import (
    CONF_ALARM_DURATION,
    CONF_BADGE_KEY,
    CONF_BADGES,
    CONF_BATTERY_ENTITY,
    CONF_CALL_POSITION,
    CONF_CAMERA_ENTITY,
    CONF_CODE,
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
    CONF_PHONE_CODE,
    CONF_PHONE_CODE_HASH,
    CONF_PHOTO_DAYS,
    CONF_READER_DEVICES,
    CONF_SOURCE_ENTITY,
    CONF_TAMPER_ENTITY,
    CONF_ZONE,
    DEFAULT_PHOTO_DAYS,
    DOMAIN,
    SECTION_SUPERVISION,
    SUBENTRY_DETECTOR,
    SUBENTRY_PERSON,
    SUBENTRY_ZONE,
)
from custom_components.imaprotect.contract.codes import hash_code, verify_code
from custom_components.imaprotect.core.model import DetectorType, Formula
from custom_components.imaprotect.station.options import LinkError
from custom_components.imaprotect.station_flow import LINK_SCHEMA

HOME_INPUT: dict[str, Any] = {
    CONF_NAME: "Maison",
    CONF_FORMULA: "tout_inclus",
    CONF_ENTRY_DELAY: 45.0,
    CONF_EXIT_DELAY: 60.0,
    CONF_ALARM_DURATION: 120.0,
    CONF_CODE_ARM_REQUIRED: True,
}
BADGE_KEY = "ab" * 32  # a home's badge key, as a 1.2 entry holds it
KEY = bytes.fromhex(BADGE_KEY)
HOME_DATA: dict[str, Any] = {
    CONF_NAME: "Maison",
    CONF_FORMULA: "tout_inclus",
    CONF_ENTRY_DELAY: 45,
    CONF_EXIT_DELAY: 60,
    CONF_ALARM_DURATION: 120,
    CONF_CODE_ARM_REQUIRED: True,
    CONF_READER_DEVICES: [],
    CONF_PHOTO_DAYS: DEFAULT_PHOTO_DAYS,  # the default: the form leaves it
}


NO_CALL_OUT: dict[str, Any] = {
    "voice_url": None,
    "voice_token": None,
    "station": None,
    "notify_entities": [],
    "offline_after": 5,
}
NO_CALL_OUT |= {  # issue 10: talk-down
    "speaker": None,
    "warning_players": [],
    "warning_tts": None,
    "warning_sirens": [],
}


def _settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The home's settings without its call-out part, which must be empty here."""
    settings = dict(data)
    assert {key: settings.pop(key) for key in NO_CALL_OUT} == NO_CALL_OUT
    settings.pop("webhook_id", None)
    settings.pop("callback_secret", None)
    if (key := settings.pop(CONF_BADGE_KEY, None)) is not None:
        assert len(bytes.fromhex(key)) == 32
    return settings


# Existing subentries of the home used by the subentry tests.
ZONE_GROUND = "zone_ground"
ZONE_GARAGE = "zone_garage"
DETECTOR_DOOR = "detector_door"
PERSON_ALICE = "person_alice"
ALICE_CODE = "13572468"
# Eight digits: too long to turn up by chance in a base64 salt or digest.
NEW_CODE = "24681357"
ALICE_PHONE_CODE_HASH = hash_code("864213", iterations=1000)
OTHER_CODE = "86420975"


def _zone(subentry_id: str, title: str, *, partial: bool = False) -> ConfigSubentryDataWithId:
    return ConfigSubentryDataWithId(
        data={CONF_PARTIAL: partial},
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_ZONE,
        title=title,
        unique_id=None,
    )


DOOR_DATA: dict[str, Any] = {
    CONF_DETECTOR_TYPE: "opening",
    CONF_SOURCE_ENTITY: "binary_sensor.front_door",
    CONF_ZONE: ZONE_GROUND,
    CONF_ENTRY_ROUTE: True,
    CONF_CAMERA_ENTITY: None,
    CONF_BATTERY_ENTITY: "sensor.front_door_battery",
    CONF_TAMPER_ENTITY: None,
}


@pytest.fixture(scope="module")
def alice_hash() -> str:
    return hash_code(ALICE_CODE)


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep the rest of the integration out of the flow tests."""
    with patch("custom_components.imaprotect.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup


@pytest.fixture
def empty_home(hass: HomeAssistant) -> MockConfigEntry:
    """Add a home with no zone, detector or person."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Maison",
        unique_id="maison",
        data=HOME_DATA | {CONF_BADGE_KEY: BADGE_KEY},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def furnished_home(hass: HomeAssistant, alice_hash: str) -> MockConfigEntry:
    """Add a home with two zones, a detector and a person."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Maison",
        unique_id="maison",
        data=HOME_DATA | {CONF_BADGE_KEY: BADGE_KEY},
        minor_version=2,
        subentries_data=[
            _zone(ZONE_GROUND, "Rez-de-chaussée"),
            _zone(ZONE_GARAGE, "Garage", partial=True),
            ConfigSubentryDataWithId(
                data=DOOR_DATA,
                subentry_id=DETECTOR_DOOR,
                subentry_type=SUBENTRY_DETECTOR,
                title="Porte d'entrée",
                unique_id=None,
            ),
            ConfigSubentryDataWithId(
                data={
                    CONF_CODE_HASH: alice_hash,
                    CONF_PHONE_CODE_HASH: ALICE_PHONE_CODE_HASH,
                    CONF_BADGES: [legacy_badge(KEY, "04A1B2C3").as_data()],
                    CONF_PHONE: "+33612345678",
                    CONF_EMAIL: None,
                    CONF_CALL_POSITION: 1,
                    CONF_MAY_ARM: True,
                    CONF_MAY_DISARM: True,
                },
                subentry_id=PERSON_ALICE,
                subentry_type=SUBENTRY_PERSON,
                title="Alice",
                unique_id=None,
            ),
        ],
    )
    entry.add_to_hass(hass)
    return entry


def _suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """Return the values a form shows (suggested values, sections nested)."""
    schema = result["data_schema"]
    assert isinstance(schema, probatio.Schema)
    return _suggested_in(schema)


def _suggested_in(schema: probatio.Schema) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            values[key.schema] = _suggested_in(value.schema)
        elif key.description and "suggested_value" in key.description:
            values[key.schema] = key.description["suggested_value"]
    return values


def _field(result: FlowResult[Any, Any], name: str) -> probatio.Marker:
    schema = result["data_schema"]
    assert isinstance(schema, probatio.Schema)
    marker: probatio.Marker = next(key for key in schema.schema if key.schema == name)
    return marker


async def _start_subentry(
    hass: HomeAssistant, entry: ConfigEntry, subentry_type: str
) -> FlowResult[Any, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry_type), context={"source": SOURCE_USER}
    )


async def _configure_subentry(
    hass: HomeAssistant, result: FlowResult[Any, Any], user_input: Mapping[str, Any]
) -> FlowResult[Any, Any]:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], dict(user_input))


def _only_new(entry: ConfigEntry, subentry_type: str, known: set[str]) -> Any:
    new = [
        subentry
        for subentry in entry.get_subentries_of_type(subentry_type)
        if subentry.subentry_id not in known
    ]
    assert len(new) == 1
    return new[0]


# --- Home -------------------------------------------------------------------------------------


async def _past_the_station_link(
    hass: HomeAssistant, result: FlowResult[Any, Any]
) -> FlowResult[Any, Any]:
    """A TOUT INCLUS or A LA CARTE home asks for its station link: left empty here."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "station_link"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {})


async def test_create_home(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], HOME_INPUT)
    assert result["description_placeholders"] == {"name": "Maison"}
    result = await _past_the_station_link(hass, result)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Maison"
    assert _settings(result["data"]) == HOME_DATA
    assert result["result"].options == {}  # no station link
    assert len(result["data"]["webhook_id"]) == 64
    assert len(result["data"]["callback_secret"]) >= 40
    assert len(bytes.fromhex(result["data"][CONF_BADGE_KEY])) == 32
    assert all(type(result["data"][key]) is int for key in (CONF_ENTRY_DELAY, CONF_EXIT_DELAY))
    assert result["result"].unique_id == "maison"
    assert len(mock_setup_entry.mock_calls) == 1


async def test_create_home_defaults(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Résidence secondaire", CONF_FORMULA: "e_veille"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _settings(result["data"]) == {
        CONF_NAME: "Résidence secondaire",
        CONF_FORMULA: "e_veille",
        CONF_ENTRY_DELAY: 30,
        CONF_EXIT_DELAY: 30,
        CONF_ALARM_DURATION: 180,
        CONF_CODE_ARM_REQUIRED: False,
        CONF_READER_DEVICES: [],
        CONF_PHOTO_DAYS: 30,
    }
    assert result["result"].unique_id == "residence_secondaire"


async def test_create_home_blank_name_then_recover(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "   "}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    # Nothing typed is lost.
    assert _suggested(result)[CONF_FORMULA] == "tout_inclus"
    assert _suggested(result)[CONF_ENTRY_DELAY] == 45.0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "  Maison  "}
    )
    result = await _past_the_station_link(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _settings(result["data"]) == HOME_DATA


async def test_create_home_twice_aborts(hass: HomeAssistant, empty_home: MockConfigEntry) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "MAISON"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_home(hass: HomeAssistant, empty_home: MockConfigEntry) -> None:
    result = await empty_home.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Maison"}
    assert _suggested(result) == HOME_DATA | {"call_out": {}, "talk_down": {}}

    new = {
        CONF_NAME: "Chalet",
        CONF_FORMULA: "a_la_carte",
        CONF_ENTRY_DELAY: 10.0,
        CONF_EXIT_DELAY: 0.0,
        CONF_ALARM_DURATION: 90.0,
        CONF_CODE_ARM_REQUIRED: False,
        CONF_PHOTO_DAYS: 7.0,  # the photos' days, from the number selector
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert empty_home.title == "Chalet"
    assert empty_home.unique_id == "chalet"
    assert _settings(empty_home.data) == {
        CONF_NAME: "Chalet",
        CONF_FORMULA: "a_la_carte",
        CONF_ENTRY_DELAY: 10,
        CONF_EXIT_DELAY: 0,
        CONF_ALARM_DURATION: 90,
        CONF_CODE_ARM_REQUIRED: False,
        CONF_READER_DEVICES: [],
        CONF_PHOTO_DAYS: 7,
    }


async def test_reconfigure_home_errors_then_recover(
    hass: HomeAssistant, empty_home: MockConfigEntry
) -> None:
    MockConfigEntry(
        domain=DOMAIN, title="Chalet", unique_id="chalet", data={**HOME_DATA, CONF_NAME: "Chalet"}
    ).add_to_hass(hass)
    result = await empty_home.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "chalet ", CONF_EXIT_DELAY: 99.0}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_NAME: "already_configured"}
    assert _suggested(result)[CONF_NAME] == "chalet "
    assert _suggested(result)[CONF_EXIT_DELAY] == 99.0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "", CONF_EXIT_DELAY: 99.0}
    )
    assert result["errors"] == {CONF_NAME: "invalid_name"}

    # Keeping its own name (in another case) is no collision.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, CONF_NAME: "MAISON", CONF_EXIT_DELAY: 99.0}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert empty_home.title == "MAISON"
    assert empty_home.unique_id == "maison"
    assert empty_home.data[CONF_EXIT_DELAY] == 99


@pytest.mark.parametrize(
    ("talk_down", "error"),
    [
        ({"speaker": "sip:speaker@"}, "invalid_speaker"),
        ({"speaker": "not an endpoint"}, "invalid_speaker"),
        ({"speaker": 'sip:a@b;x="y"'}, "invalid_speaker"),
        ({"warning_players": ["media_player.salon"]}, "warning_needs_tts"),
    ],
)
async def test_reconfigure_talk_down_refused_then_saved(
    hass: HomeAssistant, empty_home: MockConfigEntry, talk_down: dict[str, Any], error: str
) -> None:
    """Issue 10: the speaker and the warning's players are checked; the form keeps them."""
    result = await empty_home.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, "talk_down": talk_down}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"talk_down": error}
    assert _suggested(result)["talk_down"] == talk_down

    fixed = {
        "speaker": " sip:speaker@192.168.1.30 ",
        "warning_players": ["media_player.salon"],
        "warning_tts": "tts.piper",
        "warning_sirens": ["siren.hall"],
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, "talk_down": fixed}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    saved = {key: empty_home.data[key] for key in fixed}
    assert saved == fixed | {"speaker": "sip:speaker@192.168.1.30"}

    result = await empty_home.start_reconfigure_flow(hass)
    assert _suggested(result)["talk_down"] == saved


async def test_a_pjsip_endpoint_name_is_a_speaker(
    hass: HomeAssistant, empty_home: MockConfigEntry
) -> None:
    result = await empty_home.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**HOME_INPUT, "talk_down": {"speaker": "intercom-1"}}
    )
    assert result["type"] is FlowResultType.ABORT
    assert empty_home.data["speaker"] == "intercom-1"
    assert empty_home.data["warning_players"] == []


# --- Zones ------------------------------------------------------------------------------------


async def test_create_zone(hass: HomeAssistant, empty_home: MockConfigEntry) -> None:
    result = await _start_subentry(hass, empty_home, SUBENTRY_ZONE)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await _configure_subentry(
        hass, result, {CONF_NAME: " Rez-de-chaussée ", CONF_PARTIAL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    zone = _only_new(empty_home, SUBENTRY_ZONE, set())
    assert zone.title == "Rez-de-chaussée"
    assert dict(zone.data) == {CONF_PARTIAL: True}
    assert zone.unique_id is None


@pytest.mark.parametrize(
    ("name", "error"),
    [("garage", "name_exists"), ("  GARAGE ", "name_exists"), ("  ", "invalid_name")],
)
async def test_create_zone_errors_then_recover(
    hass: HomeAssistant, furnished_home: MockConfigEntry, name: str, error: str
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_ZONE)
    result = await _configure_subentry(hass, result, {CONF_NAME: name, CONF_PARTIAL: True})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: error}
    assert _suggested(result) == {CONF_NAME: name, CONF_PARTIAL: True}

    result = await _configure_subentry(hass, result, {CONF_NAME: "Étage", CONF_PARTIAL: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    zone = _only_new(furnished_home, SUBENTRY_ZONE, {ZONE_GROUND, ZONE_GARAGE})
    assert zone.title == "Étage"


async def test_reconfigure_zone(hass: HomeAssistant, furnished_home: MockConfigEntry) -> None:
    result = await furnished_home.start_subentry_reconfigure_flow(hass, ZONE_GARAGE)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Garage"}
    assert _suggested(result) == {CONF_NAME: "Garage", CONF_PARTIAL: True}

    result = await _configure_subentry(
        hass, result, {CONF_NAME: "Rez-de-Chaussée", CONF_PARTIAL: False}
    )
    assert result["errors"] == {CONF_NAME: "name_exists"}

    # Its own name is not taken.
    result = await _configure_subentry(hass, result, {CONF_NAME: "garage", CONF_PARTIAL: False})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    zone = furnished_home.subentries[ZONE_GARAGE]
    assert zone.title == "garage"
    assert dict(zone.data) == {CONF_PARTIAL: False}


async def test_a_zone_links_a_camera_and_can_drop_it(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    result = await furnished_home.start_subentry_reconfigure_flow(hass, ZONE_GARAGE)
    result = await _configure_subentry(
        hass,
        result,
        {CONF_NAME: "Garage", CONF_PARTIAL: True, CONF_CAMERA_ENTITY: "camera.garage"},
    )
    assert result["reason"] == "reconfigure_successful"
    zone = furnished_home.subentries[ZONE_GARAGE]
    assert dict(zone.data) == {CONF_PARTIAL: True, CONF_CAMERA_ENTITY: "camera.garage"}

    result = await furnished_home.start_subentry_reconfigure_flow(hass, ZONE_GARAGE)
    assert _suggested(result) == {
        CONF_NAME: "Garage",
        CONF_PARTIAL: True,
        CONF_CAMERA_ENTITY: "camera.garage",
    }
    result = await _configure_subentry(hass, result, {CONF_NAME: "Garage", CONF_PARTIAL: True})
    assert dict(furnished_home.subentries[ZONE_GARAGE].data) == {CONF_PARTIAL: True}


# --- Detectors --------------------------------------------------------------------------------


DETECTOR_INPUT: dict[str, Any] = {
    CONF_NAME: "Fenêtre cuisine",
    CONF_DETECTOR_TYPE: "opening",
    CONF_SOURCE_ENTITY: "binary_sensor.kitchen_window",
    CONF_ZONE: ZONE_GROUND,
    CONF_ENTRY_ROUTE: False,
    SECTION_SUPERVISION: {
        CONF_BATTERY_ENTITY: "sensor.kitchen_window_battery",
        CONF_TAMPER_ENTITY: "binary_sensor.kitchen_window_tamper",
    },
}


async def test_detector_needs_a_zone(hass: HomeAssistant, empty_home: MockConfigEntry) -> None:
    result = await _start_subentry(hass, empty_home, SUBENTRY_DETECTOR)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_zones"


async def test_create_detector(hass: HomeAssistant, furnished_home: MockConfigEntry) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_DETECTOR)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    schema = result["data_schema"]
    assert isinstance(schema, probatio.Schema)
    zone_selector = schema.schema[_field(result, CONF_ZONE)]
    assert zone_selector.config["options"] == [
        {"value": ZONE_GROUND, "label": "Rez-de-chaussée"},
        {"value": ZONE_GARAGE, "label": "Garage"},
    ]

    result = await _configure_subentry(hass, result, DETECTOR_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    detector = _only_new(furnished_home, SUBENTRY_DETECTOR, {DETECTOR_DOOR})
    assert detector.title == "Fenêtre cuisine"
    assert dict(detector.data) == {
        CONF_DETECTOR_TYPE: "opening",
        CONF_SOURCE_ENTITY: "binary_sensor.kitchen_window",
        CONF_ZONE: ZONE_GROUND,
        CONF_ENTRY_ROUTE: False,
        CONF_CAMERA_ENTITY: None,
        CONF_BATTERY_ENTITY: "sensor.kitchen_window_battery",
        CONF_TAMPER_ENTITY: "binary_sensor.kitchen_window_tamper",
    }


@pytest.mark.parametrize("detector_type", ["smoke", "flood"])
async def test_life_safety_detector_has_no_entry_route(
    hass: HomeAssistant, furnished_home: MockConfigEntry, detector_type: str
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_DETECTOR)
    result = await _configure_subentry(
        hass,
        result,
        {
            CONF_NAME: "Cuisine",
            CONF_DETECTOR_TYPE: detector_type,
            CONF_SOURCE_ENTITY: "binary_sensor.kitchen_smoke",
            CONF_ZONE: ZONE_GARAGE,
            CONF_ENTRY_ROUTE: True,
            SECTION_SUPERVISION: {},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    detector = _only_new(furnished_home, SUBENTRY_DETECTOR, {DETECTOR_DOOR})
    assert detector.data[CONF_ENTRY_ROUTE] is False
    assert detector.data[CONF_DETECTOR_TYPE] == detector_type
    assert detector.data[CONF_BATTERY_ENTITY] is None
    assert detector.data[CONF_TAMPER_ENTITY] is None


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_SOURCE_ENTITY: "binary_sensor.front_door"},
            {CONF_SOURCE_ENTITY: "source_in_use"},
        ),
        ({CONF_DETECTOR_TYPE: "image_motion"}, {CONF_CAMERA_ENTITY: "camera_required"}),
        ({CONF_NAME: " "}, {CONF_NAME: "invalid_name"}),
        (
            {
                CONF_NAME: "",
                CONF_DETECTOR_TYPE: "image_motion",
                CONF_SOURCE_ENTITY: "binary_sensor.front_door",
            },
            {
                CONF_NAME: "invalid_name",
                CONF_CAMERA_ENTITY: "camera_required",
                CONF_SOURCE_ENTITY: "source_in_use",
            },
        ),
    ],
)
async def test_create_detector_errors_then_recover(
    hass: HomeAssistant,
    furnished_home: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_DETECTOR)
    bad = {**DETECTOR_INPUT, **user_input}
    result = await _configure_subentry(hass, result, bad)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result) == bad

    result = await _configure_subentry(
        hass,
        result,
        {
            **DETECTOR_INPUT,
            CONF_DETECTOR_TYPE: "image_motion",
            CONF_CAMERA_ENTITY: "camera.kitchen",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    detector = _only_new(furnished_home, SUBENTRY_DETECTOR, {DETECTOR_DOOR})
    assert detector.data[CONF_DETECTOR_TYPE] == "image_motion"
    assert detector.data[CONF_CAMERA_ENTITY] == "camera.kitchen"


async def test_reconfigure_detector(hass: HomeAssistant, furnished_home: MockConfigEntry) -> None:
    hass.config_entries.async_add_subentry(
        furnished_home,
        ConfigSubentry(
            data=MappingProxyType({**DOOR_DATA, CONF_SOURCE_ENTITY: "binary_sensor.window"}),
            subentry_type=SUBENTRY_DETECTOR,
            title="Fenêtre",
            unique_id=None,
        ),
    )

    result = await furnished_home.start_subentry_reconfigure_flow(hass, DETECTOR_DOOR)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Porte d'entrée"}
    assert _suggested(result) == {
        CONF_NAME: "Porte d'entrée",
        CONF_DETECTOR_TYPE: "opening",
        CONF_SOURCE_ENTITY: "binary_sensor.front_door",
        CONF_ZONE: ZONE_GROUND,
        CONF_ENTRY_ROUTE: True,
        SECTION_SUPERVISION: {CONF_BATTERY_ENTITY: "sensor.front_door_battery"},
    }

    changed = {
        CONF_NAME: "Porte principale",
        CONF_DETECTOR_TYPE: "opening",
        CONF_SOURCE_ENTITY: "binary_sensor.window",
        CONF_ZONE: ZONE_GARAGE,
        CONF_ENTRY_ROUTE: True,
        CONF_CAMERA_ENTITY: "camera.hall",
        SECTION_SUPERVISION: {CONF_TAMPER_ENTITY: "binary_sensor.front_door_tamper"},
    }
    result = await _configure_subentry(hass, result, changed)
    assert result["errors"] == {CONF_SOURCE_ENTITY: "source_in_use"}

    # Its own source is not in use.
    result = await _configure_subentry(
        hass, result, {**changed, CONF_SOURCE_ENTITY: "binary_sensor.front_door"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    detector = furnished_home.subentries[DETECTOR_DOOR]
    assert detector.title == "Porte principale"
    assert dict(detector.data) == {
        CONF_DETECTOR_TYPE: "opening",
        CONF_SOURCE_ENTITY: "binary_sensor.front_door",
        CONF_ZONE: ZONE_GARAGE,
        CONF_ENTRY_ROUTE: True,
        CONF_CAMERA_ENTITY: "camera.hall",
        CONF_BATTERY_ENTITY: None,
        CONF_TAMPER_ENTITY: "binary_sensor.front_door_tamper",
    }


async def test_reconfigure_detector_without_zones_aborts(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    for zone_id in (ZONE_GROUND, ZONE_GARAGE):
        hass.config_entries.async_remove_subentry(furnished_home, zone_id)
    result = await furnished_home.start_subentry_reconfigure_flow(hass, DETECTOR_DOOR)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_zones"


# --- People -----------------------------------------------------------------------------------


PERSON_INPUT: dict[str, Any] = {
    CONF_NAME: "Bob",
    CONF_CODE: NEW_CODE,
    CONF_BADGES: ["  0badge1 ", "", "0BADGE1", "ff00aa"],
    CONF_PHONE: "06 98 76 54 32",
    CONF_PHONE_CODE: "135792",
    CONF_EMAIL: " bob@example.fr ",
    CONF_CALL_POSITION: 2.0,
    CONF_MAY_ARM: True,
    CONF_MAY_DISARM: False,
}


def _assert_no_clear_code(value: Any, code: str) -> None:
    dumped = json.dumps(value, default=str)
    assert code not in dumped
    assert '"code"' not in dumped


async def test_create_person(hass: HomeAssistant, furnished_home: MockConfigEntry) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert isinstance(_field(result, CONF_CODE), probatio.Required)

    result = await _configure_subentry(hass, result, PERSON_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    _assert_no_clear_code(result["data"], NEW_CODE)
    person = _only_new(furnished_home, SUBENTRY_PERSON, {PERSON_ALICE})
    assert person.title == "Bob"
    data = dict(person.data)
    code_hash = data.pop(CONF_CODE_HASH)
    phone_code_hash = data.pop(CONF_PHONE_CODE_HASH)
    assert verify_code("135792", phone_code_hash)
    assert not verify_code(NEW_CODE, phone_code_hash)
    _assert_no_clear_code(dict(person.data), "135792")
    assert data == {
        CONF_BADGES: [new_badge(KEY, "0badge1").as_data(), new_badge(KEY, "ff00aa").as_data()],
        CONF_PHONE: "+33698765432",
        CONF_EMAIL: "bob@example.fr",
        CONF_CALL_POSITION: 2,
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: False,
    }
    assert "0BADGE1" not in json.dumps(dict(person.data)).upper()  # only keyed hashes
    assert verify_code(NEW_CODE, code_hash)
    assert CONF_CODE not in person.data
    _assert_no_clear_code(dict(person.data), NEW_CODE)


async def test_create_minimal_person(hass: HomeAssistant, empty_home: MockConfigEntry) -> None:
    result = await _start_subentry(hass, empty_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, {CONF_NAME: "Carole", CONF_CODE: "0000"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    person = _only_new(empty_home, SUBENTRY_PERSON, set())
    assert verify_code("0000", person.data[CONF_CODE_HASH])
    assert {key: value for key, value in person.data.items() if key != CONF_CODE_HASH} == {
        CONF_PHONE_CODE_HASH: None,
        CONF_BADGES: [],
        CONF_PHONE: None,
        CONF_EMAIL: None,
        CONF_CALL_POSITION: None,
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: True,
    }


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_NAME: "alice "}, {CONF_NAME: "name_exists"}),
        ({CONF_NAME: " "}, {CONF_NAME: "invalid_name"}),
        ({CONF_CODE: ""}, {CONF_CODE: "code_required"}),
        ({CONF_CODE: "123"}, {CONF_CODE: "invalid_code"}),
        ({CONF_CODE: "123456789"}, {CONF_CODE: "invalid_code"}),
        ({CONF_CODE: "12a4"}, {CONF_CODE: "invalid_code"}),
        ({CONF_PHONE_CODE: "12345"}, {CONF_PHONE_CODE: "invalid_phone_code"}),
        ({CONF_PHONE_CODE: "912345"}, {CONF_PHONE_CODE: "invalid_phone_code"}),
        ({CONF_PHONE_CODE: NEW_CODE}, {CONF_PHONE_CODE: "phone_code_same_as_code"}),
        ({CONF_PHONE_CODE: ""}, {CONF_PHONE_CODE: "phone_code_required"}),
        ({CONF_CODE: ALICE_CODE}, {CONF_CODE: "code_in_use"}),
        ({CONF_BADGES: ["ff00aa", " 04a1b2c3 "]}, {CONF_BADGES: "badge_in_use"}),
        ({CONF_PHONE: "12"}, {CONF_PHONE: "invalid_phone"}),
        ({CONF_PHONE: "not a number"}, {CONF_PHONE: "invalid_phone"}),
        ({CONF_PHONE: "+44 20 7946 0958"}, {CONF_PHONE: "invalid_phone"}),
        ({CONF_PHONE: "06 12"}, {CONF_PHONE: "invalid_phone"}),
        ({CONF_EMAIL: "bob@"}, {CONF_EMAIL: "invalid_email"}),
        ({CONF_EMAIL: "bob example.fr"}, {CONF_EMAIL: "invalid_email"}),
        ({CONF_CALL_POSITION: 1.0}, {CONF_CALL_POSITION: "position_in_use"}),
        ({CONF_PHONE: ""}, {CONF_PHONE: "phone_required"}),
        (
            {CONF_PHONE: "12", CONF_CALL_POSITION: 3.0},
            {CONF_PHONE: "invalid_phone"},
        ),
    ],
)
async def test_create_person_errors_then_recover(
    hass: HomeAssistant,
    furnished_home: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    bad = {**PERSON_INPUT, **user_input}
    result = await _configure_subentry(hass, result, bad)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    # Everything typed comes back, except the codes, which never travel back to the browser.
    assert _suggested(result) == {
        key: value for key, value in bad.items() if key not in (CONF_CODE, CONF_PHONE_CODE)
    }
    _assert_no_clear_code(_suggested(result), NEW_CODE)
    _assert_no_clear_code(_suggested(result), ALICE_CODE)

    result = await _configure_subentry(hass, result, PERSON_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    person = _only_new(furnished_home, SUBENTRY_PERSON, {PERSON_ALICE})
    assert person.title == "Bob"
    assert verify_code(NEW_CODE, person.data[CONF_CODE_HASH])


async def test_create_person_keeps_valid_code_across_errors(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, {**PERSON_INPUT, CONF_PHONE: "12"})
    assert result["errors"] == {CONF_PHONE: "invalid_phone"}
    # The valid code is kept (hashed) by the flow: the field may now be left empty.
    assert isinstance(_field(result, CONF_CODE), probatio.Optional)
    assert not isinstance(_field(result, CONF_CODE), probatio.Required)

    without_code = {key: value for key, value in PERSON_INPUT.items() if key != CONF_CODE}
    result = await _configure_subentry(hass, result, {**without_code, CONF_EMAIL: "x"})
    assert result["errors"] == {CONF_EMAIL: "invalid_email"}

    result = await _configure_subentry(hass, result, without_code)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    person = _only_new(furnished_home, SUBENTRY_PERSON, {PERSON_ALICE})
    assert verify_code(NEW_CODE, person.data[CONF_CODE_HASH])


async def test_create_person_bad_new_code_drops_kept_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, {**PERSON_INPUT, CONF_PHONE: "12"})
    assert result["errors"] == {CONF_PHONE: "invalid_phone"}

    result = await _configure_subentry(hass, result, {**PERSON_INPUT, CONF_CODE: "999"})
    assert result["errors"] == {CONF_CODE: "invalid_code"}
    assert isinstance(_field(result, CONF_CODE), probatio.Required)

    result = await _configure_subentry(hass, result, {**PERSON_INPUT, CONF_CODE: ""})
    assert result["errors"] == {CONF_CODE: "code_required"}

    result = await _configure_subentry(hass, result, {**PERSON_INPUT, CONF_CODE: OTHER_CODE})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    person = _only_new(furnished_home, SUBENTRY_PERSON, {PERSON_ALICE})
    assert verify_code(OTHER_CODE, person.data[CONF_CODE_HASH])
    assert not verify_code(NEW_CODE, person.data[CONF_CODE_HASH])


async def test_reconfigure_person_keeps_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry, alice_hash: str
) -> None:
    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Alice"}
    assert isinstance(_field(result, CONF_CODE), probatio.Optional)
    assert not isinstance(_field(result, CONF_CODE), probatio.Required)
    # Neither the code nor its hash is sent to the form.
    assert _suggested(result) == {
        CONF_NAME: "Alice",
        CONF_BADGES: ["…B2C3"],  # only a hash is stored: the badge shows as its hint
        CONF_PHONE: "+33612345678",
        CONF_CALL_POSITION: 1,
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: True,
    }

    # Her own name, badge and call position are not "in use".
    result = await _configure_subentry(
        hass,
        result,
        {
            CONF_NAME: "ALICE",
            CONF_BADGES: ["04a1b2c3", "new"],
            CONF_PHONE: "+33612345678",
            CONF_CALL_POSITION: 1.0,
            CONF_MAY_ARM: False,
            CONF_MAY_DISARM: True,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    person = furnished_home.subentries[PERSON_ALICE]
    assert person.title == "ALICE"
    assert dict(person.data) == {
        CONF_CODE_HASH: alice_hash,
        CONF_PHONE_CODE_HASH: ALICE_PHONE_CODE_HASH,
        CONF_BADGES: [legacy_badge(KEY, "04A1B2C3").as_data(), new_badge(KEY, "new").as_data()],
        CONF_PHONE: "+33612345678",
        CONF_EMAIL: None,
        CONF_CALL_POSITION: 1,
        CONF_MAY_ARM: False,
        CONF_MAY_DISARM: True,
    }


async def test_reconfigure_person_new_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    # Bob joins first, so a code of his is taken.
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, PERSON_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    alice_input = {
        CONF_NAME: "Alice",
        CONF_CODE: NEW_CODE,
        CONF_BADGES: ["04A1B2C3"],
        CONF_PHONE: "0612345678",
        CONF_CALL_POSITION: 2.0,
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: True,
    }
    result = await _configure_subentry(hass, result, alice_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_CODE: "code_in_use",
        CONF_CALL_POSITION: "position_in_use",
    }
    assert CONF_CODE not in _suggested(result)

    result = await _configure_subentry(
        hass, result, {**alice_input, CONF_NAME: "bob", CONF_CODE: OTHER_CODE}
    )
    assert result["errors"] == {
        CONF_NAME: "name_exists",
        CONF_CALL_POSITION: "position_in_use",
    }

    # The new valid code is kept while the other errors are fixed.
    result = await _configure_subentry(
        hass,
        result,
        {
            key: value
            for key, value in alice_input.items()
            if key not in (CONF_CODE, CONF_CALL_POSITION)
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    person = furnished_home.subentries[PERSON_ALICE]
    assert verify_code(OTHER_CODE, person.data[CONF_CODE_HASH])
    assert not verify_code(ALICE_CODE, person.data[CONF_CODE_HASH])
    assert person.data[CONF_CALL_POSITION] is None
    _assert_no_clear_code(dict(person.data), OTHER_CODE)


# --- Translations -----------------------------------------------------------------------------


TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations"


def _keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}/{key}") for key, value in tree.items()))


def _leaf(tree: Any, key: str) -> str:
    for part in key.strip("/").split("/"):
        tree = tree[part]
    assert isinstance(tree, str)
    return tree


async def test_home_assistant_loads_the_translations(hass: HomeAssistant) -> None:
    for language in ("en", "fr"):
        strings = await async_get_translations(
            hass, language, "config_subentries", integrations=[DOMAIN]
        )
        key = f"component.{DOMAIN}.config_subentries.person.error.invalid_phone_code"
        assert "9" in strings[key]


def _fields(schema: probatio.Schema) -> tuple[set[str], dict[str, set[str]]]:
    fields: set[str] = set()
    sections: dict[str, set[str]] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            sections[key.schema] = {inner.schema for inner in value.schema.schema}
        else:
            fields.add(key.schema)
    return fields, sections


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translations_cover_every_field_and_error(language: str) -> None:
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    ours = {
        "config": strings["config"],
        "config_subentries": strings["config_subentries"],
        "selector": {key: strings["selector"][key] for key in (CONF_FORMULA, CONF_DETECTOR_TYPE)},
    }
    assert _keys(ours) == _keys(
        {
            "config": english["config"],
            "config_subentries": english["config_subentries"],
            "selector": {
                key: english["selector"][key] for key in (CONF_FORMULA, CONF_DETECTOR_TYPE)
            },
        }
    )
    assert all(_leaf(ours, key).strip() for key in _keys(ours))

    forms: dict[str, tuple[dict[str, Any], Any, set[str]]] = {
        "home": (
            strings["config"],
            HOME_SCHEMA,
            {
                "invalid_name",
                "already_configured",
                "token_required",
                "invalid_auth",
                "cannot_connect",
                "schema_mismatch",
                "invalid_station",
                "invalid_speaker",  # issue 10: talk-down
                "warning_needs_tts",
                *(error.value for error in LinkError),  # the station link's step
            },
        ),
        SUBENTRY_ZONE: (
            strings["config_subentries"][SUBENTRY_ZONE],
            ZONE_SCHEMA,
            {"invalid_name", "name_exists"},
        ),
        SUBENTRY_DETECTOR: (
            strings["config_subentries"][SUBENTRY_DETECTOR],
            _detector_schema([]),
            {"invalid_name", "source_in_use", "camera_required"},
        ),
        SUBENTRY_PERSON: (
            strings["config_subentries"][SUBENTRY_PERSON],
            {  # reconfiguring also offers to forget the duress code (issue 9)
                "user": _person_schema(code_required=True),
                "reconfigure": _person_schema(code_required=False, reconfiguring=True),
            },
            {
                "invalid_name",
                "name_exists",
                "code_required",
                "invalid_code",
                "invalid_phone_code",
                "phone_code_required",
                "phone_code_same_as_code",
                "code_in_use",
                "badge_in_use",
                "invalid_phone",
                "invalid_email",
                "position_in_use",
                "phone_required",
                "invalid_duress_code",
                "duress_same_as_code",
                "duress_same_as_phone_code",
                "duress_code_in_use",
            },
        ),
    }
    for flow, schemas, errors in forms.values():
        assert set(flow["error"]) == errors
        for step in ("user", "reconfigure"):
            schema = schemas[step] if isinstance(schemas, dict) else schemas
            fields, sections = _fields(schema)
            texts = flow["step"][step]
            assert set(texts["data"]) == fields
            assert set(texts["data_description"]) == fields
            assert set(texts.get("sections", {})) == set(sections)
            for name, inner in sections.items():
                assert set(texts["sections"][name]["data"]) == inner
                assert set(texts["sections"][name]["data_description"]) == inner
    link = strings["config"]["step"]["station_link"]
    fields, _ = _fields(LINK_SCHEMA)
    assert set(link["data"]) == set(link["data_description"]) == fields
    assert "{name}" in link["description"]
    assert set(strings["config"]["abort"]) == {"already_configured", "already_in_progress"}
    assert set(strings["config_subentries"][SUBENTRY_DETECTOR]["abort"]) == {"no_zones"}
    assert set(strings["selector"]["formula"]["options"]) == {formula.value for formula in Formula}
    assert set(strings["selector"]["detector_type"]["options"]) == {
        detector_type.value for detector_type in DetectorType
    }


async def test_reconfigure_person_keeps_a_badge_by_its_hint_or_forgets_it(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    stored = legacy_badge(KEY, "04A1B2C3").as_data()
    base = {CONF_NAME: "Alice", CONF_PHONE: "+33612345678", CONF_CALL_POSITION: 1.0}
    base |= {CONF_MAY_ARM: True, CONF_MAY_DISARM: True}
    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    result = await _configure_subentry(hass, result, base | {CONF_BADGES: ["…B2C3", "cafe"]})
    assert result["reason"] == "reconfigure_successful"
    badges = furnished_home.subentries[PERSON_ALICE].data[CONF_BADGES]
    assert badges == [stored, new_badge(KEY, "cafe").as_data()]

    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    assert _suggested(result)[CONF_BADGES] == ["…B2C3", "…FE"]
    result = await _configure_subentry(hass, result, base | {CONF_BADGES: ["…FE"]})
    assert result["reason"] == "reconfigure_successful"
    assert furnished_home.subentries[PERSON_ALICE].data[CONF_BADGES] == [
        new_badge(KEY, "cafe").as_data()
    ]


async def test_create_home_with_badge_readers(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.imaprotect.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**HOME_INPUT, CONF_READER_DEVICES: ["reader_1", "reader_2"]}
        )
        result = await _past_the_station_link(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_READER_DEVICES] == ["reader_1", "reader_2"]


# --- Duress codes (issue 9) ------------------------------------------------------------------

DURESS = "75318642"  # also a valid phone code: the clash is the duress one


async def test_a_duress_code_is_stored_as_a_hash_only(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, PERSON_INPUT | {"duress_code": DURESS})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    person = _only_new(furnished_home, SUBENTRY_PERSON, {PERSON_ALICE})
    assert verify_code(DURESS, person.data["duress_code_hash"])
    assert not verify_code(NEW_CODE, person.data["duress_code_hash"])
    _assert_no_clear_code(dict(person.data), DURESS)


@pytest.mark.parametrize(
    ("duress", "error"),
    [
        ("12", "invalid_duress_code"),
        ("12ab", "invalid_duress_code"),
        (NEW_CODE, "duress_same_as_code"),  # the person's own code, typed
        ("135792", "duress_same_as_phone_code"),  # the person's own phone code, typed
        (ALICE_CODE, "duress_code_in_use"),  # someone else's code
    ],
)
async def test_a_duress_code_must_differ_from_every_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry, duress: str, error: str
) -> None:
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, PERSON_INPUT | {"duress_code": duress})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"duress_code": error}
    assert "duress_code" not in _suggested(result)  # never sent back to the browser
    # The other fields were kept: a valid duress code now goes through.
    result = await _configure_subentry(hass, result, PERSON_INPUT | {"duress_code": DURESS})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def _give_alice_a_duress_code(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    base = {CONF_NAME: "Alice", CONF_PHONE: "+33612345678", CONF_CALL_POSITION: 1.0}
    base |= {CONF_MAY_ARM: True, CONF_MAY_DISARM: True, CONF_BADGES: ["…B2C3"]}
    result = await entry.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    assert "duress_clear" in {marker.schema for marker in result["data_schema"].schema}
    result = await _configure_subentry(hass, result, base | {"duress_code": DURESS})
    assert result["reason"] == "reconfigure_successful"
    return base


async def test_reconfiguring_keeps_or_forgets_the_duress_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry, alice_hash: str
) -> None:
    base = await _give_alice_a_duress_code(hass, furnished_home)
    stored = furnished_home.subentries[PERSON_ALICE].data["duress_code_hash"]
    assert verify_code(DURESS, stored)
    assert furnished_home.subentries[PERSON_ALICE].data[CONF_CODE_HASH] == alice_hash
    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    assert "duress_code_hash" not in _suggested(result)
    result = await _configure_subentry(hass, result, base)  # empty: kept
    assert result["reason"] == "reconfigure_successful"
    assert furnished_home.subentries[PERSON_ALICE].data["duress_code_hash"] == stored
    result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
    result = await _configure_subentry(hass, result, base | {"duress_clear": True})
    assert result["reason"] == "reconfigure_successful"
    assert "duress_code_hash" not in furnished_home.subentries[PERSON_ALICE].data


async def test_a_stored_duress_code_blocks_the_same_keypad_or_phone_code(
    hass: HomeAssistant, furnished_home: MockConfigEntry
) -> None:
    base = await _give_alice_a_duress_code(hass, furnished_home)
    for field, value, error in (
        (CONF_CODE, DURESS, "duress_same_as_code"),
        ("phone_code", DURESS, "duress_same_as_phone_code"),
    ):
        result = await furnished_home.start_subentry_reconfigure_flow(hass, PERSON_ALICE)
        result = await _configure_subentry(hass, result, base | {field: value})
        assert result["errors"] == {field: error}
        # Sent back with the field empty, the refused code does not slip through.
        result = await _configure_subentry(hass, result, base)
        assert result["reason"] == "reconfigure_successful"
        data = furnished_home.subentries[PERSON_ALICE].data
        assert not verify_code(DURESS, data[CONF_CODE_HASH])
        assert not verify_code(DURESS, data[CONF_PHONE_CODE_HASH])
    # Someone else may not take Alice's duress code as their keypad code either.
    result = await _start_subentry(hass, furnished_home, SUBENTRY_PERSON)
    result = await _configure_subentry(hass, result, PERSON_INPUT | {CONF_CODE: DURESS})
    assert result["errors"] == {CONF_CODE: "code_in_use"}
