"""The call-out in the journal: who was called, how each call ended, who acknowledged, and when.

The voice server is the stand-in; its callbacks reach the home's webhook signed, as in
``test_callout_supervision``.
"""

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.imaprotect.core.journal import EntryKind
from custom_components.imaprotect.panel import HomePanel

from .standin import AT, TOKEN, StandIn, disarm, setup_home, trigger
from .test_callout_supervision import deliver

MARIE = {"id": "marie", "name": "Marie"}
PAUL = {"id": "paul", "name": "Paul"}


def journalled(entry: MockConfigEntry, *kinds: EntryKind) -> list[dict[str, Any]]:
    """The entries of these kinds, oldest first, as stored."""
    panel: HomePanel = entry.runtime_data
    return [e.as_dict() for e in reversed(panel.journal.query(kinds=kinds))]


async def test_each_call_and_the_acknowledgement_are_journalled(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    alert = {"alert_id": alert_id, "status": "calling"}
    attempt = {"round": 1, "started_at": AT, "ended_at": "2026-11-26T13:33:10+00:00"}
    callbacks = [
        alert | {"event": "attempt_started", "contact": MARIE},
        alert
        | {
            "event": "attempt_ended",
            "contact": MARIE,
            "attempt": attempt
            | {"contact_id": "marie", "contact_name": "Marie", "outcome": "no_answer", "cause": 19},
        },
        alert | {"event": "attempt_started", "contact": PAUL},
        alert | {"event": "code_rejected", "contact": PAUL, "wrong_codes": 1},
        {"alert_id": alert_id, "status": "acknowledged", "contact": PAUL},
    ]
    for n, payload in enumerate(callbacks):
        assert await deliver(hass_client_no_auth, payload, f"d-{n}") == 200
    await deliver(hass_client_no_auth, callbacks[1], "d-1")  # a repeat is journalled once

    statuses = journalled(entry, EntryKind.ALERT)
    assert [(e["details"]["status"], e["details"]["contact"]) for e in statuses] == [
        ("calling", "Marie"),
        ("calling", "Paul"),
        ("acknowledged", "Paul"),
    ]
    acknowledged = statuses[-1]
    assert acknowledged["who"] == {"person": "Paul", "method": "phone"}
    assert acknowledged["details"] == {
        "status": "acknowledged",
        "alert": alert_id,
        "contact": "Paul",
        "alarm": "intrusion",
    }
    [ended] = journalled(entry, EntryKind.CALL_ENDED)
    assert ended["at"] == "2026-11-26T13:33:10+00:00"
    assert ended["who"] == {"person": "Marie", "method": "phone"}
    assert ended["details"] == {
        "alert": alert_id,
        "contact": "Marie",
        "outcome": "no_answer",
        "round": 1,
        "cause": 19,
    }
    [wrong] = journalled(entry, EntryKind.PHONE_CODE_REJECTED)
    assert wrong["at"] == AT
    assert wrong["details"] == {"alert": alert_id, "contact": "Paul", "wrong_codes": 1}
    assert wrong["who"] == {"person": "Paul", "method": "phone"}


async def test_a_disarm_cancels_the_alert_and_names_who_disarmed(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    await disarm(hass)
    await hass.async_block_till_done()
    [cancelled] = journalled(entry, EntryKind.ALERT)
    assert cancelled["details"] == {
        "status": "cancelled",
        "alert": alert_id,
        "by": "Marie",
        "alarm": "intrusion",
    }
    assert cancelled["who"] == {}  # the disarm itself names Marie
    [disarmed] = journalled(entry, EntryKind.DISARMED)
    assert disarmed["who"]["person"] == "Marie"


async def test_statuses_nobody_answers_and_callbacks_without_an_attempt(
    hass: HomeAssistant, stand_in: StandIn, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await setup_home(hass, voice_url=stand_in.url, voice_token=TOKEN)
    await trigger(hass)
    alert_id = stand_in.alerts[0]["alert_id"]
    ended = {"event": "attempt_ended", "alert_id": alert_id, "status": "calling"}
    assert await deliver(hass_client_no_auth, ended, "d-1") == 200  # no attempt: nothing to say
    exhausted = {"alert_id": alert_id, "status": "exhausted", "contact": PAUL}
    assert await deliver(hass_client_no_auth, exhausted, "d-2") == 200
    hass.bus.async_fire(
        "imaprotect_alert", {"entry_id": "another-home", "status": "calling", "contact": "X"}
    )
    hass.bus.async_fire(  # an older alert of this home: its kind is not known any more
        "imaprotect_alert", {"entry_id": entry.entry_id, "alert_id": "old", "status": "expired"}
    )
    await hass.async_block_till_done()
    assert journalled(entry, EntryKind.CALL_ENDED) == []
    last_called, old = journalled(entry, EntryKind.ALERT)
    assert last_called["details"] == {
        "status": "exhausted",
        "alert": alert_id,
        "contact": "Paul",  # the last one called
        "alarm": "intrusion",
    }
    assert last_called["who"] == {}  # nobody did anything
    assert old["details"] == {"status": "expired", "alert": "old", "contact": None}
