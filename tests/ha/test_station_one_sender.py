"""A detector's trouble reaches the station once, whoever of its senders tells it.

The offers (a fault's UT, a wired tamper's TA), the self-diagnosis (its troubles, their restores,
the one sender of a low battery) and the station reporter (UJ, TR) all report a detector's
conditions; the station link lets each raise and each restore through once. Against pysiaalarm's
receiver on 127.0.0.1; an arming (CL) sent last shows, the link keeping its order, that nothing
else was queued before it.
"""

from __future__ import annotations

from datetime import UTC, datetime
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.imaprotect import station_runtime
from custom_components.imaprotect.core.reports import Report, ReportKind
from custom_components.imaprotect.core.station_reporter import StationReporter
from custom_components.imaprotect.station_reports import stored_conditions
from testkit.polling import until
from testkit.sia import SiaReceiver

from .conftest import HALL, MARIE_CODE, PANEL, WINDOW_BATTERY, WINDOW_TAMPER
from .offers_kit import setup_offer_home
from .standin import StandIn, tick
from .station_kit import (
    async_link_home,
    async_panel,
    async_setup_home,
    link_form,
)

# Marie is user 1; the window is zone 2, the hall zone 3 (the detectors' order).
ARMED = ("CL", "001", "1")
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("fast_station_link")


async def _flip(hass: HomeAssistant, entity_id: str, value: str) -> None:
    hass.states.async_set(entity_id, value)
    await hass.async_block_till_done()


async def _all_until_armed(
    hass: HomeAssistant, server: SiaReceiver
) -> list[tuple[str | None, ...]]:
    """Arm (CL goes last, in order) and return what the receiver got, up to that CL."""
    armings = _seen(server).count(ARMED)
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    await until(
        lambda: _seen(server).count(ARMED) > armings,
        within=8,
        what=lambda: f"no CL after {server.codes}",
    )
    return _seen(server)


def _seen(server: SiaReceiver) -> list[tuple[str | None, ...]]:
    """Code, zone or user, area of each report received."""
    return [(event.code, event.message or event.id, event.ri) for event in server.events]


async def test_a_low_battery_goes_once_with_its_zone_and_its_restore_once_after_a_restart(
    hass: HomeAssistant, receiver: SiaReceiver
) -> None:
    entry = await async_setup_home(hass, exit_delay=0)  # A LA CARTE: the station hears troubles
    await async_link_home(hass, entry, link_form(receiver.port))
    await _flip(hass, WINDOW_BATTERY, "18")  # not low yet for the self-diagnosis (under 15 %)
    await _flip(hass, WINDOW_BATTERY, "12")
    await _flip(hass, WINDOW_BATTERY, "22")  # still low: well again only from 25 %
    await until(lambda: len(receiver.events) >= 1, within=8, what=lambda: receiver.codes)
    # The station still has the low battery after a restart: its restore goes.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await _flip(hass, WINDOW_BATTERY, "30")
    assert await _all_until_armed(hass, receiver) == [
        ("XT", "002", "1"),
        ("XR", "002", "1"),
        ARMED,
    ]


async def test_a_fault_goes_once_and_its_end_once(
    hass: HomeAssistant,
    receiver: SiaReceiver,
    stand_in: StandIn,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=station_runtime.__name__)
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await _flip(hass, HALL, "unavailable")
    await tick(hass, freezer, 301)  # past the supervision window: the offers' UT
    await _flip(hass, HALL, "off")  # the reporter's UJ and the self-diagnosis's: one goes
    assert await _all_until_armed(hass, receiver) == [
        ("UT", "003", "1"),
        ("UJ", "003", "1"),
        ARMED,
    ]
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    # Said without the detector's name: its kind and zone number only.
    assert dropped == [
        "Station report trouble_restore of zone 3 dropped: the station has it already"
    ]


@pytest.mark.parametrize("closed_before_disarm", [False, True])
async def test_a_wired_tamper_while_armed_goes_once_and_its_restore_once(
    hass: HomeAssistant, receiver: SiaReceiver, stand_in: StandIn, closed_before_disarm: bool
) -> None:
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    await _flip(hass, WINDOW_TAMPER, "on")  # the offers' TA (the alarm)
    assert hass.states.get(PANEL).state == "triggered"
    if closed_before_disarm:
        await _flip(hass, WINDOW_TAMPER, "off")  # the self-diagnosis's TR
    await async_panel(hass, "alarm_disarm", code=MARIE_CODE)  # the reporter's TR, then OP
    await _flip(hass, WINDOW_TAMPER, "off")
    await until(lambda: "OP" in receiver.codes, within=8, what=lambda: receiver.codes)
    assert await _all_until_armed(hass, receiver) == [
        ARMED,
        ("TA", "002", "1"),
        ("TR", "002", "1"),
        ("OP", "001", "1"),
        ARMED,
    ]


def test_a_store_saved_before_the_conditions_keeps_what_the_station_has() -> None:
    reporter = StationReporter.restore(
        {
            "numbers": {"zones": {"door": 1, "window": 2}, "users": {}},
            "troubles": [1],
            "open_alarms": [["tamper", 2, None], ["burglary", 1, None]],
        }
    )
    data = {"troubles": [1], "low_battery": ["window"]}
    conditions = stored_conditions(data, reporter)
    assert {(c.value, zone) for c, zone in conditions.raised} == {
        ("trouble", 1),
        ("tamper", 2),
        ("low_battery", 2),
    }
    assert not conditions.admit(Report(ReportKind.LOW_BATTERY, AT, zone=2))
    assert stored_conditions(None, reporter).raised == set()
    assert stored_conditions({"conditions": {"raised": []}}, reporter).raised == set()
