"""The station link's entities: a connectivity sensor per receiver, and the repair of a lost one.

Two pysiaalarm receivers on 127.0.0.1 (a DP3 link): the primary stops during an event, which the
back-up receiver takes; the primary's sensor turns off and a repair names it, both clear when
it answers again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.imaprotect.const import DOMAIN
from testkit.polling import until
from testkit.sia import SiaReceiver, sia_account

from .conftest import MARIE_CODE, PANEL, set_sources
from .platform_home import GARDEN, snapshot_entry
from .station_kit import ACCOUNT, async_link_home, async_setup_home, link_form

PRIMARY = "binary_sensor.maison_station_receiver_1"
BACKUP = "binary_sensor.maison_station_receiver_2"


pytestmark = pytest.mark.usefixtures("fast_station_link")


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[SiaReceiver, SiaReceiver]]:
    pair = (SiaReceiver([sia_account(ACCOUNT)]), SiaReceiver([sia_account(ACCOUNT)]))
    for server in pair:
        await server.start()
    yield pair
    for server in pair:
        await server.stop()


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state is not None else None


async def test_station_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    receivers: tuple[SiaReceiver, SiaReceiver],
) -> None:
    primary, backup = receivers
    set_sources(hass)
    hass.states.async_set(GARDEN, "off")
    entry = snapshot_entry()  # a fixed entry id: the unique ids start with it
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    form = link_form(primary.port, backup_host="127.0.0.1", backup_port=backup.port, category="DP3")
    await async_link_home(hass, entry, form)
    for entity_id in (PRIMARY, BACKUP):
        assert entity_registry.async_get(entity_id) == snapshot(name=f"{entity_id}-entry")
        assert hass.states.get(entity_id) == snapshot(name=f"{entity_id}-state")


async def test_a_lost_receiver_turns_its_sensor_off_and_is_a_repair_until_it_answers(
    hass: HomeAssistant,
    receivers: tuple[SiaReceiver, SiaReceiver],
    issue_registry: ir.IssueRegistry,
) -> None:
    primary, backup = receivers
    entry = await async_setup_home(hass, exit_delay=0)
    form = link_form(primary.port, backup_host="127.0.0.1", backup_port=backup.port, category="DP3")
    await async_link_home(hass, entry, form)
    assert _state(hass, PRIMARY) == "unknown"  # nothing sent yet
    await primary.stop()
    await hass.services.async_call(
        "alarm_control_panel",
        "alarm_arm_away",
        {"entity_id": PANEL, "code": MARIE_CODE},
        blocking=True,
    )
    await until(lambda: _state(hass, PRIMARY) == "off", within=8, what="primary off")
    issue_id = f"station_path_lost_{entry.entry_id}_0"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"home": "Maison", "path": "primary receiver"}
    await until(lambda: "CL" in backup.codes, within=8, what=lambda: f"backup {backup.codes}")
    assert _state(hass, BACKUP) == "on"
    # The station is told its primary path is lost (queued when the loss is seen: after the CL
    # or before it, by how the link's timers fall).
    await until(lambda: "YS" in backup.codes, within=8, what=lambda: f"backup {backup.codes}")
    await primary.start()
    await until(lambda: _state(hass, PRIMARY) == "on", within=8, what="primary back")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
