"""Who handles each alert, in a real Home Assistant: the formula, PROTECT+ and the station link.

The voice server is the stand-in, the station link a recording ``StationGateway``.
"""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.imaprotect.const import DOMAIN
from custom_components.imaprotect.core.reports import ReportKind

from .conftest import FLOOD, HALL, SMOKE, WINDOW, WINDOW_TAMPER
from .offers_kit import RecordingStation, action, setup_offer_home
from .standin import StandIn
from .test_panel import armed_total, flip, state, tick


def _acknowledgements(stand_in: StandIn) -> list[tuple[str, str]]:
    return [(alert["kind"], alert["acknowledgement"]) for alert in stand_in.alerts]


async def test_a_la_carte_calls_the_contacts_who_acknowledge_and_the_station_hears_nothing(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    await flip(hass, SMOKE, "on")
    assert state(hass) == "triggered"
    assert _acknowledgements(stand_in) == [("intrusion", "required"), ("smoke", "required")]
    assert station.reports == []


async def test_tout_inclus_sends_the_station_every_alarm_and_informs_the_contacts(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    entry = await setup_offer_home(hass, stand_in, gateway=station, formula="tout_inclus")
    await flip(hass, FLOOD, "on")  # disarmed: a flood is the station's at any time
    assert station.kinds == [ReportKind.WATER]
    assert station.reports[0].text == "Buanderie, Rez-de-chaussée"
    await tick(hass, freezer, 200)
    await flip(hass, FLOOD, "off")
    await flip(hass, WINDOW_TAMPER, "on")  # disarmed: the station is told, nobody phoned
    assert station.kinds == [ReportKind.WATER, ReportKind.TAMPER]
    await flip(hass, WINDOW_TAMPER, "off")  # closed: the self-diagnosis tells the restore
    assert station.kinds == [ReportKind.WATER, ReportKind.TAMPER, ReportKind.TAMPER_RESTORE]
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    assert station.kinds[3:] == [ReportKind.BURGLARY]
    assert _acknowledgements(stand_in) == [("flood", "none"), ("intrusion", "none")]
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"station_account_missing_{entry.entry_id}")
        is None
    )


async def test_without_a_station_account_the_station_s_alarms_go_to_the_contacts(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await setup_offer_home(
        hass, stand_in, gateway=RecordingStation(configured=False), formula="tout_inclus"
    )
    issue_id = f"station_account_missing_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None  # said before any alarm
    assert issue.translation_placeholders == {"home": "Maison", "formula": "TOUT INCLUS"}
    await flip(hass, SMOKE, "on")
    await tick(hass, freezer, 200)
    await flip(hass, SMOKE, "off")
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    assert _acknowledgements(stand_in) == [("smoke", "required"), ("intrusion", "required")]
    assert caplog.text.count("has no station account") == 1  # logged once
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


async def test_a_station_that_comes_clears_the_repair(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus")
    issue_id = f"station_account_missing_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    station = RecordingStation()
    entry.runtime_data.station = station
    await flip(hass, SMOKE, "on")
    assert station.kinds == [ReportKind.FIRE]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_fault_is_a_trouble_report_where_the_station_handles_the_home(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station, formula="tout_inclus")
    await flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)
    assert station.kinds == [ReportKind.TROUBLE]
    assert station.reports[0].text == "Couloir"
    assert stand_in.alerts == []  # a fault calls nobody: it is a repair


async def test_e_veille_faults_stay_repairs(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station, formula="e_veille")
    await flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)
    await flip(hass, HALL, "off")
    await armed_total(hass, freezer)
    await flip(hass, WINDOW, "on")
    assert station.reports == []
    assert _acknowledgements(stand_in) == [("intrusion", "required")]


async def test_protect_plus_gives_the_alarms_to_the_station_and_an_open_alarm_keeps_it(
    hass: HomeAssistant, stand_in: StandIn, freezer: FrozenDateTimeFactory
) -> None:
    station = RecordingStation()
    await setup_offer_home(hass, stand_in, gateway=station)
    await action(hass, "start_protect_plus", slices=1)
    await tick(hass, freezer, 24 * 3600 - 60)  # a minute before PROTECT+ ends
    await armed_total(hass, freezer)  # 30 s of exit delay
    await flip(hass, WINDOW, "on")
    assert station.kinds == [ReportKind.BURGLARY]
    assert _acknowledgements(stand_in) == [("intrusion", "none")]
    await tick(hass, freezer, 60)  # PROTECT+ ends during the alarm
    assert hass.states.get("binary_sensor.maison_protect_active").state == "off"
    await flip(hass, HALL, "on")  # the same alarm: still the station's
    assert station.kinds == [ReportKind.BURGLARY, ReportKind.BURGLARY]
    assert len(stand_in.alerts) == 1
    await tick(hass, freezer, 180)  # the alarm is over: the panel is armed again
    assert state(hass) == "armed_away"
    await flip(hass, HALL, "off")
    await flip(hass, WINDOW, "off")
    await flip(hass, WINDOW, "on")  # a new alarm: the contacts', who must acknowledge
    assert station.kinds == [ReportKind.BURGLARY, ReportKind.BURGLARY]
    assert _acknowledgements(stand_in)[-1] == ("intrusion", "required")


class BrokenStation(RecordingStation):
    """A station link with a bug: it raises, which the protocol says it never does."""

    async def async_send(self, report: object) -> None:
        raise RuntimeError("a bug in the station link")


async def test_a_failing_station_link_never_loses_the_alarm(
    hass: HomeAssistant,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_offer_home(hass, stand_in, gateway=BrokenStation(), formula="tout_inclus")
    await flip(hass, SMOKE, "on")
    await action(hass, "sos")
    # Both fall back to the contacts, who must acknowledge.
    assert _acknowledgements(stand_in) == [("smoke", "required"), ("sos", "required")]
    assert "Routing an alarm of Maison failed" in caplog.text
    assert "Routing a call for help of Maison failed" in caplog.text
