"""Self-diagnosis (issue 10): the home finds its own troubles and passes them on.

The battery and tamper sources are real Home Assistant entities: template sensors fed by input
helpers, put on the front door's device, where the integration finds them with nothing set in
the detector's settings. The window's are the ones set in its settings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect import diagnosis_notices
from custom_components.imaprotect.const import DOMAIN
from custom_components.imaprotect.core.reports import ReportKind

from .conftest import (
    DOOR,
    FLOOD_BATTERY,
    HALL,
    MARIE_CODE,
    PANEL,
    WINDOW_BATTERY,
    WINDOW_TAMPER,
    home_entry,
    set_sources,
)
from .offers_kit import RecordingStation, setup_offer_home
from .standin import TOKEN, StandIn, setup_home, tick

DOOR_LOW = "binary_sensor.porte_d_entree_low_battery"
DOOR_TAMPER = "binary_sensor.porte_d_entree_tamper"
WINDOW_LOW = "binary_sensor.fenetre_salon_low_battery"
TRUNK = "binary_sensor.maison_voice_server_phone_line"
SMTP = "binary_sensor.maison_voice_server_e_mail_relay"


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def door_device_sources(hass: HomeAssistant) -> None:
    """A battery level and a tamper switch on the front door's device, as templates of helpers."""
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"door_battery": {"min": 0, "max": 100, "initial": 80}}},
    )
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"door_case_open": {"initial": False}}}
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        {
                            "name": "Door battery",
                            "unique_id": "door_battery",
                            "device_class": "battery",
                            "unit_of_measurement": "%",
                            "state": "{{ states('input_number.door_battery') }}",
                        }
                    ],
                    "binary_sensor": [
                        {
                            "name": "Door case",
                            "unique_id": "door_case",
                            "device_class": "tamper",
                            "state": "{{ is_state('input_boolean.door_case_open', 'on') }}",
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    owner = MockConfigEntry(domain="zwave_like")
    owner.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=owner.entry_id, identifiers={("zwave_like", "door")}, name="Door"
    )
    registry = er.async_get(hass)
    registry.async_get_or_create(
        "binary_sensor", "zwave_like", "door", suggested_object_id="front_door", device_id=device.id
    )
    for entity_id in ("sensor.door_battery", "binary_sensor.door_case"):
        registry.async_update_entity(entity_id, device_id=device.id)
    assert registry.async_get(DOOR) is not None


async def set_helper(hass: HomeAssistant, domain: str, service: str, **data: Any) -> None:
    entity = (
        "input_number.door_battery" if domain == "input_number" else "input_boolean.door_case_open"
    )
    await hass.services.async_call(domain, service, {"entity_id": entity} | data, blocking=True)
    await hass.async_block_till_done()
    await hass.async_block_till_done()


async def flip(hass: HomeAssistant, entity_id: str, value: str) -> None:
    hass.states.async_set(entity_id, value)
    await hass.async_block_till_done()
    await hass.async_block_till_done()


@pytest.fixture
def notified(hass: HomeAssistant) -> list[ServiceCall]:
    return async_mock_service(hass, "notify", "send_message")


async def own_home(hass: HomeAssistant, **settings: Any) -> MockConfigEntry:
    set_sources(hass)
    entry = home_entry(notify_entities=["notify.phone"], **settings)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def messages(calls: list[ServiceCall]) -> list[str]:
    return [call.data["message"] for call in calls]


async def test_a_battery_and_a_tamper_found_on_the_device_are_troubles_with_repairs(
    hass: HomeAssistant, notified: list[ServiceCall], freezer: FrozenDateTimeFactory
) -> None:
    await door_device_sources(hass)
    await own_home(hass, formula="e_veille")
    assert state_of(hass, DOOR_LOW) == "off"
    assert state_of(hass, DOOR_TAMPER) == "off"
    assert notified == []

    await set_helper(hass, "input_number", "set_value", value=10)
    assert state_of(hass, DOOR_LOW) == "on"
    found = issue(hass, "detector_low_battery_door")
    assert found is not None
    assert found.severity is ir.IssueSeverity.WARNING
    assert found.translation_placeholders == {"detector": "Porte d'entrée", "home": "Maison"}
    assert messages(notified) == ["Trouble found: low battery of Porte d'entrée."]

    await set_helper(hass, "input_number", "set_value", value=20)  # not a new battery yet
    assert state_of(hass, DOOR_LOW) == "on"
    await set_helper(hass, "input_number", "set_value", value=95)
    assert state_of(hass, DOOR_LOW) == "off"
    assert issue(hass, "detector_low_battery_door") is None
    assert messages(notified)[-1] == "Trouble fixed: low battery of Porte d'entrée."

    # Armed, the case opened: a trouble and its repair, not an alarm (it is no wired tamper).
    await hass.services.async_call(
        "alarm_control_panel", "alarm_arm_away", {"entity_id": PANEL}, blocking=True
    )
    await tick(hass, freezer, 31)
    await set_helper(hass, "input_boolean", "turn_on")
    assert state_of(hass, DOOR_TAMPER) == "on"
    assert issue(hass, "detector_tamper_door") is not None
    assert state_of(hass, PANEL) == "armed_away"
    assert messages(notified)[-1] == "Trouble found: tamper switch of Porte d'entrée open."
    await set_helper(hass, "input_boolean", "turn_off")
    assert state_of(hass, DOOR_TAMPER) == "off"
    assert issue(hass, "detector_tamper_door") is None
    assert len(notified) == 4


async def test_a_la_carte_tells_the_station_each_trouble_and_its_restore(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, None, gateway=station, formula="a_la_carte")
    await flip(hass, WINDOW_BATTERY, "9")
    assert state_of(hass, WINDOW_LOW) == "on"
    await flip(hass, WINDOW_BATTERY, "unavailable")  # a sleeping radio: still low, nothing new
    await flip(hass, WINDOW_BATTERY, "90")
    await flip(hass, WINDOW_TAMPER, "on")  # disarmed, the contacts handle the home: a trouble
    await flip(hass, WINDOW_TAMPER, "off")
    await flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)
    await flip(hass, HALL, "off")
    assert station.kinds == [
        ReportKind.LOW_BATTERY,
        ReportKind.LOW_BATTERY_RESTORE,
        ReportKind.TAMPER,
        ReportKind.TAMPER_RESTORE,
        ReportKind.TROUBLE,
        ReportKind.TROUBLE_RESTORE,
    ]
    assert [r.text for r in station.reports] == ["Fenêtre salon"] * 4 + ["Couloir"] * 2
    # Numbered like the other reports: the window is zone 2, the hall 3, in area 1.
    assert [(r.zone, r.area) for r in station.reports] == [(2, 1)] * 4 + [(3, 1)] * 2


async def test_tout_inclus_gets_each_trouble_once_and_its_restore(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, None, gateway=station, formula="tout_inclus")
    await flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)  # the offers send the trouble: the diagnosis does not again
    await flip(hass, HALL, "off")
    await flip(hass, WINDOW_TAMPER, "on")  # the offers' tamper report
    await flip(hass, WINDOW_TAMPER, "off")
    await flip(hass, FLOOD_BATTERY, "on")  # a low-battery flag
    assert station.kinds == [
        ReportKind.TROUBLE,
        ReportKind.TROUBLE_RESTORE,
        ReportKind.TAMPER,
        ReportKind.TAMPER_RESTORE,
        ReportKind.LOW_BATTERY,
    ]


async def test_e_veille_tells_the_station_nothing(hass: HomeAssistant) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, None, gateway=station, formula="e_veille")
    await flip(hass, WINDOW_BATTERY, "5")
    await flip(hass, WINDOW_TAMPER, "on")
    await flip(hass, WINDOW_TAMPER, "off")
    assert station.reports == []
    assert state_of(hass, WINDOW_LOW) == "on"


async def test_without_a_station_account_the_trouble_is_a_repair_and_a_notice(
    hass: HomeAssistant, notified: list[ServiceCall]
) -> None:
    await setup_offer_home(hass, None, formula="tout_inclus", notify_entities=["notify.phone"])
    await flip(hass, WINDOW_BATTERY, "5")
    assert issue(hass, "detector_low_battery_window") is not None
    assert messages(notified) == ["Trouble found: low battery of Fenêtre salon."]


async def test_a_restart_does_not_tell_the_same_trouble_again(
    hass: HomeAssistant, notified: list[ServiceCall]
) -> None:
    entry = await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "4")
    assert len(notified) == 1
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(notified) == 1
    assert state_of(hass, WINDOW_LOW) == "on"
    assert issue(hass, "detector_low_battery_window") is not None
    # Changed while Home Assistant was away: told at the start.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.states.async_set(WINDOW_BATTERY, "100")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert messages(notified)[-1] == "Trouble fixed: low battery of Fenêtre salon."
    assert issue(hass, "detector_low_battery_window") is None


def next_nine(now: datetime) -> datetime:
    local = dt_util.as_local(now)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return nine if nine > local else nine + timedelta(days=1)


async def test_the_digest_comes_every_morning_while_something_is_wrong(
    hass: HomeAssistant, notified: list[ServiceCall], freezer: FrozenDateTimeFactory
) -> None:
    await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "4")
    await flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)
    assert len(notified) == 2  # the battery, then the fault
    nine = next_nine(dt_util.utcnow())
    await tick(hass, freezer, (nine - dt_util.now()).total_seconds() - 1)
    assert len(notified) == 2
    await tick(hass, freezer, 2)
    assert messages(notified)[-1] == (
        "Still to fix: low battery of Fenêtre salon; Couloir not reporting."
    )
    await flip(hass, WINDOW_BATTERY, "100")
    await flip(hass, HALL, "off")
    count = len(notified)
    await tick(hass, freezer, 24 * 3600)  # all is well: no digest
    assert len(notified) == count


async def test_the_voice_server_s_trunk_and_relay_are_sensors_repairs_and_in_the_digest(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    assert state_of(hass, TRUNK) == "unknown"
    assert state_of(hass, SMTP) == "unknown"
    stand_in.paths = {"trunk": "offline", "smtp": "failing"}
    await tick(hass, freezer, 61)
    assert state_of(hass, TRUNK) == "off"
    assert state_of(hass, SMTP) == "on"
    trunk_issue = f"voice_trunk_offline_{entry.entry_id}"
    smtp_issue = f"voice_smtp_failing_{entry.entry_id}"
    assert issue(hass, trunk_issue) is not None
    assert issue(hass, smtp_issue) is not None
    assert await entry.runtime_data.diagnosis.async_send_digest()
    (notice,) = stand_in.notices
    assert notice["kind"] == "digest"
    assert [t["kind"] for t in notice["troubles"]] == ["trunk", "smtp"]
    stand_in.health = "down"  # unreachable: its own repair says so, the paths are not known
    await tick(hass, freezer, 61)
    assert (state_of(hass, TRUNK), state_of(hass, SMTP)) == ("unknown", "unknown")
    assert issue(hass, trunk_issue) is None
    assert issue(hass, f"voice_server_unreachable_{entry.entry_id}") is not None
    stand_in.health = "ok"
    stand_in.paths = {"trunk": "online", "smtp": "ok"}
    await tick(hass, freezer, 61)
    assert (state_of(hass, TRUNK), state_of(hass, SMTP)) == ("on", "off")
    assert issue(hass, trunk_issue) is None
    assert issue(hass, smtp_issue) is None
    assert not await entry.runtime_data.diagnosis.async_send_digest()


async def test_notices_go_to_the_voice_server_and_to_the_notifiers_when_it_refuses(
    hass: HomeAssistant, stand_in: StandIn, notified: list[ServiceCall]
) -> None:
    await setup_home(
        hass, voice_url=stand_in.url, voice_token=TOKEN, notify_entities=["notify.phone"]
    )
    await flip(hass, WINDOW_BATTERY, "3")
    (notice,) = stand_in.notices
    assert notice["kind"] == "trouble"
    assert notice["troubles"] == [
        {
            "kind": "low_battery",
            "detector": "Fenêtre salon",
            "since": notice["troubles"][0]["since"],
        }
    ]
    assert notified == []  # the e-mail went: no notification
    stand_in.sites.clear()  # the server forgot the site: 404
    await flip(hass, WINDOW_BATTERY, "99")
    assert messages(notified) == ["Trouble fixed: low battery of Fenêtre salon."]
    assert MARIE_CODE not in str(stand_in.notices)


async def test_diagnostics_show_the_troubles_and_their_sources(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, notified: list[ServiceCall]
) -> None:
    entry = await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "2")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    section = diagnostics["self_diagnosis"]
    assert [t[:2] for t in section["troubles"]] == [["window", "low_battery"]]
    assert section["sources"]["window"] == {"battery": WINDOW_BATTERY, "tamper": WINDOW_TAMPER}
    assert section["sources"]["door"] == {"battery": None, "tamper": None}
    assert section["voice_paths"] is None  # no voice server


async def test_a_level_that_is_no_number_changes_nothing(
    hass: HomeAssistant, notified: list[ServiceCall]
) -> None:
    await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "low")
    assert state_of(hass, WINDOW_LOW) == "off"
    await flip(hass, WINDOW_BATTERY, "7")
    await flip(hass, WINDOW_BATTERY, "unknown")
    assert state_of(hass, WINDOW_LOW) == "on"
    assert len(notified) == 1


async def test_an_unreadable_saved_diagnosis_starts_afresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    notified: list[ServiceCall],
) -> None:
    entry = home_entry(notify_entities=["notify.phone"])
    hass_storage[f"{DOMAIN}.{entry.entry_id}.diagnosis"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.diagnosis",
        "data": {"troubles": [["window", "fault"]]},
    }
    set_sources(hass, **{WINDOW_BATTERY: "3"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert "Saved self-diagnosis of Maison was unreadable" in caplog.text
    assert state_of(hass, WINDOW_LOW) == "on"  # read again from its source


class _BrokenStation(RecordingStation):
    """A station link with a bug: it raises, which the protocol says it never does."""

    async def async_send(self, report: object) -> None:
        raise RuntimeError("a bug in the station link")


async def test_a_broken_station_link_still_lets_the_owner_hear(
    hass: HomeAssistant, notified: list[ServiceCall], caplog: pytest.LogCaptureFixture
) -> None:
    await setup_offer_home(
        hass, None, gateway=_BrokenStation(), formula="a_la_carte", notify_entities=["notify.phone"]
    )
    await flip(hass, WINDOW_BATTERY, "5")
    assert messages(notified) == ["Trouble found: low battery of Fenêtre salon."]
    assert "Telling the station a trouble of Maison failed" in caplog.text
    assert state_of(hass, WINDOW_LOW) == "on"


async def test_the_notices_speak_french_in_a_french_home_assistant(
    hass: HomeAssistant, notified: list[ServiceCall]
) -> None:
    hass.config.language = "fr"
    await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "5")
    await flip(hass, WINDOW_TAMPER, "on")
    assert messages(notified) == [
        "Anomalie détectée : pile faible de Fenêtre salon.",
        "Anomalie détectée : autoprotection de Fenêtre salon ouverte.",
    ]
    assert notified[0].data["title"] == "Maison : autodiagnostic"
    assert await hass.config_entries.async_entries(DOMAIN)[
        0
    ].runtime_data.diagnosis.async_send_digest()
    assert messages(notified)[-1] == (
        "Reste à régler : pile faible de Fenêtre salon; autoprotection de Fenêtre salon ouverte."
    )


async def test_a_removed_detector_takes_its_repairs_with_it(
    hass: HomeAssistant, notified: list[ServiceCall]
) -> None:
    entry = await own_home(hass)
    await flip(hass, WINDOW_BATTERY, "5")
    await flip(hass, WINDOW_TAMPER, "on")
    assert issue(hass, "detector_low_battery_window") is not None
    assert hass.config_entries.async_remove_subentry(entry, "window")
    await hass.async_block_till_done()  # the home reloads without the window
    assert issue(hass, "detector_low_battery_window") is None
    assert issue(hass, "detector_tamper_window") is None
    assert entry.runtime_data.diagnosis.diagnosis.active() == ()


async def test_a_digest_longer_than_a_notice_holds_keeps_the_oldest(
    hass: HomeAssistant, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    monkeypatch.setattr(diagnosis_notices, "MAX_NOTICE_TROUBLES", 1)
    await flip(hass, WINDOW_BATTERY, "5")
    await flip(hass, FLOOD_BATTERY, "on")
    assert await entry.runtime_data.diagnosis.async_send_digest()
    digest = stand_in.notices[-1]
    assert [t["detector"] for t in digest["troubles"]] == ["Fenêtre salon"]
