"""The panel's states read in the homeowner's words: « Marche totale », « Arrêt »…, in fr and en.

Home Assistant's frontend names an entity's state with
``component.<integration>.entity.<domain>.<translation_key>.state.<state>`` when the entity has a
translation key and that string exists, before the domain's generic words ("Armed away"). So
every state the panel can take has a sentence in both languages, and no sentence is for a state
it never takes.
"""

from homeassistant.components.alarm_control_panel import AlarmControlPanelState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.imaprotect.const import DOMAIN
from custom_components.imaprotect.core import PanelState
from tests.ha.conftest import PANEL

SERVICE_WORDS = {
    "fr": {
        PanelState.ARMED_TOTAL: "Marche totale",
        PanelState.ARMED_PARTIAL: "Marche partielle",
        PanelState.DISARMED: "Arrêt",
    },
    "en": {
        PanelState.ARMED_TOTAL: "Armed (total)",
        PanelState.ARMED_PARTIAL: "Armed (partial)",
        PanelState.DISARMED: "Off",
    },
}


async def _state_words(hass: HomeAssistant, language: str) -> dict[str, str]:
    """The panel's state sentences as Home Assistant serves them to the frontend."""
    entry = er.async_get(hass).async_get(PANEL)
    assert entry is not None
    assert entry.translation_key == "panel"
    strings = await async_get_translations(hass, language, "entity", {DOMAIN})
    prefix = f"component.{DOMAIN}.entity.alarm_control_panel.{entry.translation_key}.state."
    return {k.removeprefix(prefix): v for k, v in strings.items() if k.startswith(prefix)}


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_every_panel_state_has_the_homeowners_words(
    hass: HomeAssistant, home: MockConfigEntry, language: str
) -> None:
    words = await _state_words(hass, language)

    assert set(words) == {state.value for state in PanelState}
    assert all(text.strip() for text in words.values())
    for state, text in SERVICE_WORDS[language].items():
        assert words[state.value] == text
    # The panel's states are Home Assistant's, so the frontend looks these keys up.
    assert {state.value for state in PanelState} <= {s.value for s in AlarmControlPanelState}


async def test_the_words_differ_from_state_to_state(
    hass: HomeAssistant, home: MockConfigEntry
) -> None:
    for language in ("fr", "en"):
        words = await _state_words(hass, language)
        assert words, language
        assert len(set(words.values())) == len(words), language
