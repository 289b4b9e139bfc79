"""The home's station link in Home Assistant against pysiaalarm's receiver on 127.0.0.1.

Every report of the table with its numbers, nothing sent twice, a receiver down during an alarm
(the contacts take it, the station still gets it once, in order), a restart with events queued,
and a receiver that refuses a code (a repair naming it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import pysiaalarm.utils
import pytest

from custom_components.imaprotect import station_runtime
from custom_components.imaprotect.const import DOMAIN
from custom_components.imaprotect.station import (
    AlarmOverdue,
    Category,
    SupervisionProfile,
    TransmissionFault,
)
from testkit.polling import until
from testkit.sia import SiaReceiver, SilentReceiver

from .conftest import FLOOD_BATTERY, MARIE_CODE, PANEL, PAUL_CODE, WINDOW, WINDOW_BATTERY
from .offers_kit import MARIE_DURESS, setup_offer_home
from .standin import StandIn
from .station_kit import (
    FAST_TIMINGS,
    async_link_home,
    async_panel,
    async_setup_home,
    link_form,
    serve_receiver,
)

pytestmark = pytest.mark.usefixtures("fast_station_link")


@pytest.fixture
def notices(hass: HomeAssistant) -> dict[str, str]:
    """The persistent notifications created or updated, by id (the last message of each)."""
    seen: dict[str, str] = {}

    @callback
    def _updated(kind: Any, notifications: dict[str, Any]) -> None:
        if kind in (
            persistent_notification.UpdateType.ADDED,
            persistent_notification.UpdateType.UPDATED,
        ):
            seen.update({key: n["message"] for key, n in notifications.items()})

    persistent_notification.async_register_callback(hass, _updated)
    return seen


async def _received(server: SiaReceiver, count: int, within: float = 8) -> None:
    await until(
        lambda: len(server.events) >= count,
        within=within,
        what=lambda: f"{len(server.events)}/{count} received: {server.codes}",
    )


def _seen(server: SiaReceiver) -> list[tuple[str, str | None]]:
    return [(event.code, event.message or event.id or None) for event in server.events]


async def test_arming_disarming_bypass_and_battery_go_with_their_numbers(
    hass: HomeAssistant, receiver: SiaReceiver
) -> None:
    entry = await async_setup_home(hass, exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    await async_panel(hass, "alarm_disarm", code=MARIE_CODE)
    await async_panel(hass, "alarm_arm_night", code=PAUL_CODE)
    await _received(receiver, 3)
    night = receiver.events[2]
    assert (night.code, night.id, night.ri) == ("NL", "002", "1")  # Paul, area 1
    await async_panel(hass, "alarm_disarm", code=PAUL_CODE)
    hass.states.async_set(WINDOW, "on")
    await hass.services.async_call(
        DOMAIN,
        "arm",
        {"entity_id": PANEL, "mode": "total", "code": MARIE_CODE, "force": True},
        blocking=True,
    )
    await async_panel(hass, "alarm_disarm", code=MARIE_CODE)
    # The self-diagnosis (A LA CARTE: the station hears troubles) is the battery's one sender:
    # low under 15 %, well again from 25 %, each once.
    for level in ("18", "12", "22", "95", "not a level", "unavailable"):  # the last two: nothing
        hass.states.async_set(WINDOW_BATTERY, level)
        await hass.async_block_till_done()
    hass.states.async_set(FLOOD_BATTERY, "on")  # a low-battery flag
    await hass.async_block_till_done()
    hass.states.async_set(WINDOW, "off")
    await async_panel(
        hass, "alarm_arm_away", code=MARIE_CODE
    )  # last: nothing else queued before it
    await _received(receiver, 12)
    assert entry.runtime_data.station.connected
    # Marie is user 1, Paul 2; the window (the second detector) zone 2.
    assert _seen(receiver) == [
        ("CL", "001"),
        ("OP", "001"),
        ("NL", "001"),  # NL's address is the area; its user is in ``id``
        ("OP", "002"),
        ("UB", "002"),
        ("CL", "001"),
        ("UU", "002"),
        ("OP", "001"),
        ("XT", "002"),
        ("XR", "002"),
        ("XT", "006"),
        ("CL", "001"),
    ]


async def test_tout_inclus_alarm_goes_once_then_its_restore_before_the_disarm(
    hass: HomeAssistant, receiver: SiaReceiver, stand_in: StandIn
) -> None:
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    hass.states.async_set(WINDOW, "on")  # not on the entry route: the alarm at once
    await hass.async_block_till_done()
    assert hass.states.get(PANEL).state == "triggered"
    await async_panel(hass, "alarm_disarm", code=MARIE_CODE)
    await _received(receiver, 4)
    assert _seen(receiver) == [("CL", "001"), ("BA", "002"), ("BR", "002"), ("OP", "001")]
    # The contacts were only informed: the station acknowledged the alarm.
    assert [(a["kind"], a["acknowledgement"]) for a in stand_in.alerts] == [("intrusion", "none")]


async def test_a_receiver_down_during_an_alarm_the_contacts_take_it_and_the_station_gets_it_once(
    hass: HomeAssistant, receiver: SiaReceiver, stand_in: StandIn, notices: dict[str, str]
) -> None:
    entry = await setup_offer_home(hass, stand_in, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    await _received(receiver, 1)
    await receiver.stop()
    hass.states.async_set(WINDOW, "on")
    await hass.async_block_till_done()
    station_notice = f"{DOMAIN}_{entry.entry_id}_station"
    await until(
        lambda: (
            ("intrusion", "required")
            in [(a["kind"], a["acknowledgement"]) for a in stand_in.alerts]
        ),
        within=8,
        what=lambda: f"alerts {stand_in.alerts}",
    )
    assert "BA" in notices[station_notice]
    await async_panel(hass, "alarm_disarm", code=MARIE_CODE)
    await receiver.start()
    await _received(receiver, 4)
    await hass.async_block_till_done()
    assert _seen(receiver) == [("CL", "001"), ("BA", "002"), ("BR", "002"), ("OP", "001")]
    assert len(set(receiver.sequences)) == 4
    assert "after all" in notices[station_notice]
    assert "BA" in notices[station_notice]


async def test_events_queued_when_the_home_reloads_are_sent_after_it(
    hass: HomeAssistant, receiver: SiaReceiver, notices: dict[str, str]
) -> None:
    entry = await async_setup_home(hass, formula="tout_inclus", exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await receiver.stop()
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)
    station_notice = f"{DOMAIN}_{entry.entry_id}_station"
    await until(lambda: station_notice in notices, within=8, what="the arming's fault told")
    assert "CL" in notices[station_notice]
    assert "contacts" not in notices[station_notice]  # not an alarm: nobody is called
    await async_panel(hass, "alarm_trigger")
    assert entry.runtime_data.station_link.status.queue_length == 2
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.station_link.status.queue_length == 2
    await receiver.start()
    await _received(receiver, 2)
    assert receiver.codes == ["CL", "BA"]


async def test_a_code_the_station_refuses_is_a_repair_naming_it(
    hass: HomeAssistant,
    receiver: SiaReceiver,
    monkeypatch: pytest.MonkeyPatch,
    issue_registry: ir.IssueRegistry,
) -> None:
    monkeypatch.delitem(pysiaalarm.utils.SIA_CODES, "NL")  # a station without partial arming
    entry = await async_setup_home(hass, exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await async_panel(hass, "alarm_arm_night", code=PAUL_CODE)
    await async_panel(hass, "alarm_disarm", code=PAUL_CODE)
    await _received(receiver, 1)
    assert receiver.codes == ["OP"]  # what followed was not blocked behind it
    issue = issue_registry.async_get_issue(DOMAIN, f"station_rejected_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["code"] == "NL"
    assert issue.translation_placeholders["key_hint"] == ""


async def test_a_duress_report_the_station_misses_stays_silent(
    hass: HomeAssistant, receiver: SiaReceiver, stand_in: StandIn, notices: dict[str, str]
) -> None:
    entry = await setup_offer_home(hass, stand_in, exit_delay=0)  # A LA CARTE: duress to it
    await async_link_home(hass, entry, link_form(receiver.port))
    await receiver.stop()
    await async_panel(hass, "alarm_arm_away", code=MARIE_DURESS)
    assert hass.states.get(PANEL).state == "armed_away"  # works as her code, no sign
    await until(lambda: len(stand_in.alerts) >= 2, within=8, what=lambda: f"{stand_in.alerts}")
    assert [(a["kind"], a["acknowledgement"]) for a in stand_in.alerts] == [
        ("sos", "required"),
        ("sos", "required"),
    ]
    assert all(a["skip_contacts"] == ["marie"] for a in stand_in.alerts)
    assert notices == {}  # no persistent notification: nothing shows where she stands


async def test_deleting_the_home_deletes_its_queue_and_numbers(
    hass: HomeAssistant, receiver: SiaReceiver, hass_storage: dict[str, Any]
) -> None:
    entry = await async_setup_home(hass, exit_delay=0)
    await async_link_home(hass, entry, link_form(receiver.port))
    await receiver.stop()
    await async_panel(hass, "alarm_arm_away", code=MARIE_CODE)  # queued, with Marie's number
    keys = {f"{DOMAIN}.{entry.entry_id}.station", f"{DOMAIN}.{entry.entry_id}.station_reports"}
    await until(lambda: keys <= set(hass_storage), within=5, what=lambda: f"{set(hass_storage)}")
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not keys & set(hass_storage)


async def test_a_refusal_on_an_encrypted_link_points_at_the_key_too(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, issue_registry: ir.IssueRegistry
) -> None:
    monkeypatch.delitem(pysiaalarm.utils.SIA_CODES, "NL")
    key = "0123456789abcdef"
    async with serve_receiver(key) as server:
        entry = await async_setup_home(hass, exit_delay=0)
        form = link_form(server.port, key_format="ascii", key=key)
        await async_link_home(hass, entry, form)
        await async_panel(hass, "alarm_arm_night", code=PAUL_CODE)
        issue_id = f"station_rejected_{entry.entry_id}"
        await until(
            lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None,
            within=8,
            what="the refusal's repair",
        )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "key" in issue.translation_placeholders["key_hint"]


async def test_an_alarm_overdue_then_undelivered_calls_the_contacts_once(
    hass: HomeAssistant, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A receiver that takes the frames and never answers; alarms due within 0.3 s, three tries
    # of 0.4 s: the alarm is overdue first, then a transmission fault; the contacts get it once.
    profile = SupervisionProfile(
        timedelta(seconds=60), timedelta(seconds=60), timedelta(seconds=0.3)
    )
    timings = FAST_TIMINGS | {"category": Category.CUSTOM, "custom": profile}
    monkeypatch.setattr(station_runtime, "LINK_TIMINGS", timings)
    silent = SilentReceiver()
    await silent.start()
    try:
        entry = await setup_offer_home(hass, stand_in, formula="tout_inclus")
        await async_link_home(hass, entry, link_form(silent.port))
        notices = []
        entry.runtime_data.station_link.link.add_listener(notices.append)
        await async_panel(hass, "alarm_trigger")
        await until(
            lambda: any(isinstance(n, TransmissionFault) for n in notices),
            within=8,
            what=lambda: f"notices {notices}",
        )
        await hass.async_block_till_done()
    finally:
        await silent.stop()
    assert [type(n) for n in notices if isinstance(n, AlarmOverdue | TransmissionFault)] == [
        AlarmOverdue,
        TransmissionFault,
    ]
    assert [(a["kind"], a["acknowledgement"]) for a in stand_in.alerts] == [
        ("intrusion", "none"),  # the offers: the station handles it, the contacts informed
        ("intrusion", "required"),  # the station did not get it in time: once
    ]
    assert entry.runtime_data.station_link.status.queue_length == 1  # still for the station
