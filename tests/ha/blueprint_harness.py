"""Load the repository's blueprints the way Home Assistant does, and the phone they notify.

A blueprint test copies ``blueprints/`` into the test's own config folder (each test module
overrides ``hass_config_dir`` with ``hass_tmp_config_dir``), creates automations with
``use_blueprint`` and inputs, and drives them with states and events. Nothing of the blueprint is
read by the test itself: Home Assistant validates it, substitutes the inputs and runs it.
"""

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "blueprints" / "automation" / "imaprotect"
PHONE_NOTIFY = "mobile_app_marie_phone"  # the notify action of the phone below


def blueprint_files() -> list[Path]:
    """Every blueprint the project ships."""
    return sorted(BLUEPRINTS.glob("*.yaml"))


async def async_use_blueprints(hass: HomeAssistant, *automations: dict[str, Any]) -> list[str]:
    """Create one automation per ``{"blueprint": file, "input": {...}}``; their entity ids.

    Each automation must come up (a blueprint Home Assistant refuses makes no entity), and on.
    """
    target = Path(hass.config.path("blueprints", "automation", "imaprotect"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(BLUEPRINTS, target, dirs_exist_ok=True)
    )
    config = [
        {
            "id": f"blueprint_{index}",
            "alias": f"blueprint {index}",
            "use_blueprint": {
                "path": f"imaprotect/{spec['blueprint']}",
                "input": spec["input"],
            },
        }
        for index, spec in enumerate(automations)
    ]
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: config})
    await hass.async_block_till_done()
    entity_ids = [f"automation.blueprint_{index}" for index in range(len(automations))]
    for entity_id in entity_ids:
        state = hass.states.get(entity_id)
        assert state is not None, f"{entity_id} was not created: its blueprint was refused"
        assert state.state == "on", entity_id
    return entity_ids


def add_phone(hass: HomeAssistant) -> str:
    """Marie's phone, as the companion app registers it; its device id.

    Home Assistant's ``mobile_app`` cannot load in this harness (its imports pull in the voice
    assistant's packages), so the phone's ``notify.mobile_app_marie_phone`` action is the one
    third-party target the notification tests capture with ``async_mock_service``; the device
    the blueprints' selectors pick is a real device registry entry.
    """
    entry = MockConfigEntry(domain="mobile_app", title="Marie phone", data={})
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("mobile_app", "maries-phone")},
        name="Marie phone",
        manufacturer="Google",
        model="Pixel",
    )
    return device.id


def sos_calls(hass: HomeAssistant) -> list[ServiceCall] | None:
    """The calls of a stand-in ``imaprotect.sos``, or None when the real action exists.

    The SOS action is being built on another branch; until it is merged, the blueprints call it
    by its planned name and fields (``entity_id``, ``siren``) and the tests stand it in. Once it
    exists, this returns None and the tests check its real effect instead.
    """
    if hass.services.has_service("imaprotect", "sos"):
        return None
    return async_mock_service(hass, "imaprotect", "sos")
