"""Issue 9's fault tests with the real receiver (pysiaalarm on 127.0.0.1) behind the home's link.

Duress at the keypad: the panel disarms as with the person's own code, the station gets HA (then
OP) with her user number. SOS with the voice server down: the station gets PA, and the SOS call
to the contacts waits, persisted, for the voice server: nothing is lost.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from testkit.polling import until
from testkit.ports import PortPool
from testkit.sia import SiaReceiver

from .conftest import MARIE_CODE, PANEL
from .offers_kit import MARIE_DURESS, action, setup_offer_home
from .standin import StandIn
from .station_kit import async_link_home, async_panel, link_form

pytestmark = pytest.mark.usefixtures("fast_station_link")


def _codes(server: SiaReceiver) -> list[tuple[str, str | None]]:
    return [(event.code, event.message or event.id or None) for event in server.events]


async def test_duress_at_the_keypad_disarms_as_usual_and_the_station_gets_ha_with_her_number(
    hass: HomeAssistant, receiver: SiaReceiver, stand_in: StandIn
) -> None:
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    await async_panel(hass, "alarm_disarm", code=MARIE_DURESS)
    panel = hass.states.get(PANEL)
    assert panel is not None
    assert panel.state == "disarmed"
    await until(
        lambda: {"HA", "OP"} <= {code for code, _ in _codes(receiver)},
        within=8,
        what=lambda: f"received {_codes(receiver)}",
    )
    marie = entry.runtime_data.station_link.reports.numbers.user("marie")
    assert marie is not None
    assert ("CL", f"{marie:03d}") in _codes(receiver)
    assert ("OP", f"{marie:03d}") in _codes(receiver)  # the same disarm as with her own code
    assert [code for code, _ in _codes(receiver)].count("HA") == 1


async def test_sos_with_the_voice_server_down_reaches_the_station_and_waits_for_the_contacts(
    hass: HomeAssistant, receiver: SiaReceiver
) -> None:
    gone = f"http://127.0.0.1:{PortPool().take()}"  # nothing listens there
    entry = await setup_offer_home(
        hass, None, formula="tout_inclus", voice_url=gone, voice_token="t" * 32
    )
    await async_link_home(hass, entry, link_form(receiver.port))
    await action(hass, "sos")
    await until(
        lambda: "PA" in [code for code, _ in _codes(receiver)],
        within=8,
        what=lambda: f"received {_codes(receiver)}",
    )
    queue = entry.runtime_data.callout.queue
    assert queue is not None
    assert queue.undelivered == 1  # the SOS call waits for the voice server, kept in the store
