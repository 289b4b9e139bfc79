"""arm_when_everyone_leaves.yaml: the home arms itself once everyone is away, and says so.

People are ``person`` states; the phone's ``notify.mobile_app_marie_phone`` is captured (the
companion app cannot load in this harness). The panel is the real one.
"""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from .blueprint_harness import PHONE_NOTIFY, add_phone, async_use_blueprints
from .conftest import PANEL, WINDOW, home_entry, set_sources
from .standin import tick

MARIE, PAUL = "person.marie", "person.paul"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    return hass_tmp_config_dir


async def presence(hass: HomeAssistant) -> list[ServiceCall]:
    """Marie and Paul at home, the automation on; what the phone is sent."""
    hass.states.async_set(MARIE, "home", {"friendly_name": "Marie"})
    hass.states.async_set(PAUL, "home", {"friendly_name": "Paul"})
    pushed = async_mock_service(hass, "notify", PHONE_NOTIFY)
    await async_use_blueprints(
        hass,
        {
            "blueprint": "arm_when_everyone_leaves.yaml",
            "input": {"alarm_panel": PANEL, "people": [MARIE, PAUL], "phones": [add_phone(hass)]},
        },
    )
    return pushed


async def leave(hass: HomeAssistant, person: str, where: str = "not_home") -> None:
    hass.states.async_set(person, where, hass.states.get(person).attributes)  # type: ignore[union-attr]
    await hass.async_block_till_done()


@pytest.mark.usefixtures("home")
async def test_the_home_arms_total_five_minutes_after_the_last_one_left(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    pushed = await presence(hass)
    armed = async_capture_events(hass, "imaprotect_armed")
    await leave(hass, MARIE)
    await tick(hass, freezer, 600)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]  # Paul is home
    await leave(hass, PAUL, "Work")  # another zone is away too
    await tick(hass, freezer, 299)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    await tick(hass, freezer, 2)
    state = hass.states.get(PANEL)
    assert state is not None
    assert (state.state, state.attributes["arm_mode"]) == ("arming", "total")
    assert [(e.data["method"], e.data["mode"]) for e in armed] == [("automation", "total")]
    assert pushed == []


@pytest.mark.usefixtures("home")
async def test_someone_whose_location_is_unknown_may_be_at_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await presence(hass)
    await leave(hass, MARIE)
    await leave(hass, PAUL, "unavailable")
    await tick(hass, freezer, 600)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]


@pytest.mark.usefixtures("home")
async def test_a_window_left_open_is_named_on_the_phone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(WINDOW, "on")
    pushed = await presence(hass)
    await leave(hass, MARIE)
    await leave(hass, PAUL)
    await tick(hass, freezer, 301)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert [c.data["message"] for c in pushed] == [
        "Everyone has left but Maison is not armed: close Fenêtre salon, then arm it from the "
        "alarm panel."
    ]


async def test_a_home_that_asks_for_a_code_to_arm_says_so(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    set_sources(hass)
    entry = home_entry(code_arm_required=True)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    pushed = await presence(hass)
    await leave(hass, MARIE)
    await leave(hass, PAUL)
    await tick(hass, freezer, 301)
    assert hass.states.get(PANEL).state == "disarmed"  # type: ignore[union-attr]
    assert [c.data["message"] for c in pushed] == [
        "Everyone has left but Maison is not armed: it asks for a code to arm. Arm it from the "
        "alarm panel."
    ]


async def test_coming_home_while_armed_offers_the_panel_and_never_disarms(
    hass: HomeAssistant, home: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    pushed = await presence(hass)
    await leave(hass, MARIE)
    await leave(hass, PAUL)
    await tick(hass, freezer, 301)
    await tick(hass, freezer, 31)
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    await leave(hass, PAUL, "home")
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
    assert len(pushed) == 1
    assert pushed[0].data["message"] == (
        "Paul is home and Maison is still armed. Disarm it with your code or badge."
    )
    assert pushed[0].data["data"]["actions"] == [
        {"action": "URI", "title": "Open the alarm panel", "uri": f"entityId:{PANEL}"}
    ]
    # Nothing in the notification disarms: pressing its only button opens the panel.
    hass.bus.async_fire("mobile_app_notification_action", {"action": "URI"})
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "armed_away"  # type: ignore[union-attr]
