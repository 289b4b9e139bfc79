"""``imaprotect.get_journal``: filtered by time and kind, newest first, bad input refused."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.imaprotect.core.journal import EntryKind, Who
from custom_components.imaprotect.panel import HomePanel

from .conftest import PANEL

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=dt_util.UTC)
SERVICES = Path(__file__).parents[2] / "custom_components" / "imaprotect" / "services.yaml"


async def get_journal(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        "imaprotect",
        "get_journal",
        {"entity_id": PANEL} | data,
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert set(response) == {PANEL}
    answer: dict[str, Any] = response[PANEL]  # type: ignore[assignment]
    return answer


@pytest.fixture
async def journalled(hass: HomeAssistant, home: MockConfigEntry) -> MockConfigEntry:
    """The home with an arm, a refusal, a disarm and an alarm, an hour apart from T0."""
    await hass.config.async_set_time_zone("Europe/Paris")
    panel: HomePanel = home.runtime_data
    journal = panel.journal
    journal.record(
        EntryKind.ARMED, T0, who=Who(person="Marie", method="keypad"), details={"mode": "total"}
    )
    journal.record(EntryKind.ARM_REFUSED, T0 + timedelta(hours=1), who=Who(user="admin"))
    journal.record(EntryKind.DISARMED, T0 + timedelta(hours=2), who=Who(person="Paul"))
    journal.record(EntryKind.ALARM_RAISED, T0 + timedelta(hours=3), details={"alarm": "smoke"})
    return home


async def test_the_whole_journal_newest_first_in_local_time(
    hass: HomeAssistant, journalled: MockConfigEntry
) -> None:
    answer = await get_journal(hass)
    assert answer["home"] == "Maison"
    assert answer["more"] is False
    assert [e["kind"] for e in answer["entries"]] == [
        "alarm_raised",
        "disarmed",
        "arm_refused",
        "armed",
    ]
    assert answer["entries"][-1] == {
        "at": "2026-03-01T13:00:00+01:00",
        "kind": "armed",
        "who": {"person": "Marie", "method": "keypad"},
        "details": {"mode": "total"},
    }


async def test_filtered_by_time_range_and_kinds(
    hass: HomeAssistant, journalled: MockConfigEntry
) -> None:
    answer = await get_journal(hass, start="2026-03-01T14:00:00+01:00", end="2026-03-01 15:00:00")
    assert [e["kind"] for e in answer["entries"]] == ["disarmed", "arm_refused"]  # both ends in
    answer = await get_journal(hass, kinds=["armed", "disarmed"])
    assert [e["kind"] for e in answer["entries"]] == ["disarmed", "armed"]
    answer = await get_journal(hass, kinds="alarm_raised", start="2026-03-01T16:00:00+01:00")
    assert [e["kind"] for e in answer["entries"]] == ["alarm_raised"]
    assert (await get_journal(hass, end="2026-03-01T12:59:59+01:00"))["entries"] == []


async def test_a_limit_keeps_the_newest_and_says_there_is_more(
    hass: HomeAssistant, journalled: MockConfigEntry
) -> None:
    answer = await get_journal(hass, limit=2)
    assert [e["kind"] for e in answer["entries"]] == ["alarm_raised", "disarmed"]
    assert answer["more"] is True
    answer = await get_journal(hass, limit=4)
    assert answer["more"] is False


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        (
            {"start": "2026-03-01T15:00:00+01:00", "end": "2026-03-01T14:00:00+01:00"},
            "journal_end_before_start",
            {"start": "2026-03-01T15:00:00+01:00", "end": "2026-03-01T14:00:00+01:00"},
        ),
        ({"kinds": ["armed", "duress"]}, "journal_unknown_kind", {"kind": "duress"}),
        ({"limit": 0}, "journal_bad_limit", {"limit": "0", "max": "20000"}),
        ({"limit": 20001}, "journal_bad_limit", {"limit": "20001", "max": "20000"}),
    ],
)
async def test_bad_input_is_refused_with_a_translated_error(
    hass: HomeAssistant,
    journalled: MockConfigEntry,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await get_journal(hass, **data)
    assert err.value.translation_domain == "imaprotect"
    assert err.value.translation_key == key
    assert placeholders.items() <= (err.value.translation_placeholders or {}).items()
    assert str(err.value)  # the translated sentence, not the key
    assert key not in str(err.value)


async def test_an_unknown_kind_error_lists_the_known_ones_in_french(
    hass: HomeAssistant, journalled: MockConfigEntry
) -> None:
    """The frontend shows the error in the user's language, from its key and placeholders."""
    with pytest.raises(ServiceValidationError) as err:
        await get_journal(hass, kinds=["duress"])
    french = await async_get_translations(hass, "fr", "exceptions", {"imaprotect"})
    template = french["component.imaprotect.exceptions.journal_unknown_kind.message"]
    message = template.format(**(err.value.translation_placeholders or {}))
    assert message.startswith("Type d'événement du journal inconnu : duress. Types connus : armed")
    assert message.endswith("photos_taken.")  # issue 10 adds the photos' kind last


def test_every_kind_is_offered_by_the_action() -> None:
    """A kind added to ``EntryKind`` must be offered (and so translated: test_integration_rules)."""
    fields = yaml.safe_load(SERVICES.read_text())["get_journal"]["fields"]
    assert fields["kinds"]["selector"]["select"]["options"] == [k.value for k in EntryKind]
