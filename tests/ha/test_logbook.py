"""The audit trail reads as sentences in the logbook, in French and in English."""

from collections.abc import Callable

from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect import logbook

Describer = Callable[[Event], dict[str, str]]


def describers(hass: HomeAssistant) -> dict[str, Describer]:
    found: dict[str, Describer] = {}

    def collect(domain: str, event_type: str, describe: Describer) -> None:
        assert domain == "imaprotect"
        found[event_type] = describe

    logbook.async_describe_events(hass, collect)
    return found


def line(hass: HomeAssistant, event_type: str, **data: object) -> str:
    describe = describers(hass)[event_type]
    return describe(Event(event_type, {"home": "Maison"} | data))["message"]


async def test_logbook_lines_in_english(hass: HomeAssistant, home: MockConfigEntry) -> None:
    assert (
        line(hass, "imaprotect_disarmed", person="Marie", method="badge")
        == "Disarmed by Marie with a badge"
    )
    assert (
        line(hass, "imaprotect_armed", person=None, method="automation", mode="total")
        == "Armed (total) by someone by an automation"
    )
    assert (
        line(hass, "imaprotect_alarm", kind="intrusion", detector="Porte", zone="RDC")
        == "Intrusion alarm: Porte (RDC)"
    )
    assert line(hass, "imaprotect_alarm", kind="intrusion", detector=None, zone=None) == (
        "Alarm raised manually"
    )
    assert line(hass, "imaprotect_badge_rejected", badge="ef99", reason="disabled") == (
        "Disabled badge …ef99 rejected"
    )
    assert line(hass, "imaprotect_fault", detector="Fenêtre", fault=False) == (
        "Detector Fenêtre reports again"
    )
    assert (
        describers(hass)["imaprotect_locked_out"](Event("imaprotect_locked_out", {}))["name"]
        == "imaprotect"
    )


async def test_logbook_lines_in_french(hass: HomeAssistant) -> None:
    from .conftest import home_entry, set_sources

    hass.config.language = "fr"
    set_sources(hass)
    entry = home_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert (
        line(hass, "imaprotect_disarmed", person="Marie", method="keypad")
        == "Mise à l'arrêt par Marie au clavier"
    )
    assert (
        line(hass, "imaprotect_code_rejected", method="keypad", failures=2)
        == "Code erroné saisi au clavier (2 de suite)"
    )
    assert (
        line(
            hass,
            "imaprotect_arm_refused",
            person="Paul",
            reason="open_detectors",
            detectors=["Fenêtre salon"],
        )
        == "Mise en marche par Paul refusée : détecteurs ouverts Fenêtre salon"
    )
    assert (
        line(hass, "imaprotect_locked_out") == "Saisie des codes et badges bloquée après 5 échecs"
    )


async def test_the_offers_logbook_lines_in_french(hass: HomeAssistant) -> None:
    from .conftest import home_entry, set_sources

    hass.config.language = "fr"
    await hass.config.async_set_time_zone("UTC")
    set_sources(hass)
    entry = home_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert line(hass, "imaprotect_alarm", kind="sos", person=None, user="Paul", method="app") == (
        "SOS par Paul depuis l'application"
    )
    assert (
        line(
            hass,
            "imaprotect_protect_plus",
            action="started",
            by="Marie",
            slices=3,
            end="2026-08-04T10:00:00+00:00",
        )
        == "PROTECT+ démarré par Marie : 3 × 24 h, jusqu'au 04/08 10:00"  # noqa: RUF001
    )
    assert line(hass, "imaprotect_protect_plus", action="stopped", booked=True, by=None) == (
        "PROTECT+ réservé annulé par quelqu'un"
    )
    assert line(hass, "imaprotect_protect_plus", action="expired", end="x") == (
        "PROTECT+ terminé : les alertes vont de nouveau aux contacts"
    )
    assert line(hass, "imaprotect_agent_requested", person="Marie", method="keypad", paid=True) == (
        "Agent de sécurité demandé par Marie au clavier (facturé en sus)"
    )
    assert line(hass, "imaprotect_alert", status="informed", contact=None) == (
        "Contacts informés par téléphone : la télésurveillance traite l'alerte"
    )
