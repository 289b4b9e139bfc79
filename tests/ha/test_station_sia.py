"""Our home's station link against Home Assistant's own ``sia`` integration, in one instance.

``sia`` is set up as a second config entry on a free port with the same account (and key); our
home gets its link through its options flow. What our panel does shows on ``sia``'s panel.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from testkit.polling import until
from testkit.ports import PortPool

from .conftest import MARIE_CODE, PANEL
from .station_kit import (
    SIA_KEY,
    async_link_home,
    async_setup_home,
    async_setup_sia,
    link_form,
)

PORTS = PortPool()


pytestmark = pytest.mark.usefixtures("fast_station_link")


async def _sia_state(hass: HomeAssistant, entity_id: str, wanted: str) -> None:
    def reached() -> bool:
        state = hass.states.get(entity_id)
        return state is not None and state.state == wanted

    await until(
        reached,
        within=10,
        what=lambda: f"{entity_id} is {hass.states.get(entity_id)}, not {wanted}",
    )


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "aes"])
async def test_our_trigger_and_disarm_show_on_sia_s_panel(
    hass: HomeAssistant, encrypted: bool
) -> None:
    port = PORTS.take()
    sia_panel = await async_setup_sia(hass, port, SIA_KEY if encrypted else None)
    entry = await async_setup_home(hass, formula="tout_inclus")
    key = {"key_format": "ascii", "key": SIA_KEY} if encrypted else {}
    await async_link_home(hass, entry, link_form(port, **key))
    assert entry.runtime_data.station is entry.runtime_data.station_link

    await hass.services.async_call(
        "alarm_control_panel", "alarm_trigger", {"entity_id": PANEL}, blocking=True
    )
    await _sia_state(hass, sia_panel, "triggered")

    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_disarm",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    assert hass.states.get(PANEL).state == "disarmed"
    await _sia_state(hass, sia_panel, "disarmed")
    attributes = hass.states.get(sia_panel).attributes
    assert attributes["last_code"] == "OP"
    assert attributes["last_zone"] == "1"  # the area (ri), sia's zone 1
