"""Whatever the person form accepts, the voice server accepts: tricky inputs, end to end.

Each case goes through Home Assistant's real person flow; when the flow accepts it, the home
reloads and syncs its site to the real voice server (no Asterisk needed), which must then hold
the new person as a contact, with no repair raised. Cases the flow refuses must be refused with
the field's own error. The table holds the cases that once drifted apart (commas and parentheses
in an address, a 101-character name, a service number as station) and the ones a user types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.imaprotect.const import (
    CONF_CALL_POSITION,
    CONF_CODE,
    CONF_EMAIL,
    CONF_MAY_ARM,
    CONF_MAY_DISARM,
    CONF_PHONE,
    CONF_PHONE_CODE,
    SUBENTRY_PERSON,
)
from custom_components.imaprotect.contract.limits import MAX_NAME
from tests.voice.test_home_assistant import home

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from tests.voice.conftest import VoiceFactory

ACCEPTED, PHONE, EMAIL = "accepted", "invalid_phone", "invalid_email"

CASES: list[tuple[str, str, str | None, str]] = [
    # name, phone, e-mail, what the flow must say
    ("Jean", "06 12 34 56 79", "jean@example.org", ACCEPTED),
    ("Jean", "+33 6 12 34 56 79", None, ACCEPTED),
    ("Jean", "0033612345679", None, ACCEPTED),
    ("Jean", "01 23 45 67 89", None, ACCEPTED),
    ("Jean", "06.12.34.56.79", None, ACCEPTED),
    ("Jean", "(06) 12 34 56 79", None, ACCEPTED),
    ("Jean-Édouard d'Aubigné", "06 12 34 56 79", "jean.edouard+alarme@exemple.fr", ACCEPTED),
    ("Zoë 🛡️ Ω", "06 12 34 56 79", "zoe@xn--exmple-cua.fr", ACCEPTED),
    ("Marie (voisine), Paul", "06 12 34 56 79", None, ACCEPTED),
    ("x" * MAX_NAME, "06 12 34 56 79", None, ACCEPTED),
    ("y" * (MAX_NAME + 1), "06 12 34 56 79", None, ACCEPTED),
    ("Tab\there", "06 12 34 56 79", None, ACCEPTED),
    ("Jean", "06 12 34 56 79", "jean@exämple.fr", ACCEPTED),
    ("Jean", "06 12 34 56 79", "marie,paul@example.org", EMAIL),
    ("Jean", "06 12 34 56 79", "m(arie)@ex.fr", EMAIL),
    ("Jean", "06 12 34 56 79", "Jean <jean@example.org>", EMAIL),
    ("Jean", "06 12 34 56 79", "jean@localhost", EMAIL),
    ("Jean", "06 12 34 56 79", "jean@@example.org", EMAIL),
    ("Jean", "06 12 34 56 79", "jean..dupont@example.org", EMAIL),
    ("Jean", "06 12 34 56 79", "jean@example.org\nBcc: x@y.fr", EMAIL),
    ("Jean", "06 12 34 56 79", f"{'j' * 65}@example.org", EMAIL),
    ("Jean", "+32 470 12 34 56", None, PHONE),  # Belgium: this server dials France only
    ("Jean", "+1 415 555 0123", None, PHONE),
    ("Jean", "08 99 23 45 67", None, PHONE),  # premium rate
    ("Jean", "3631", None, PHONE),  # a short service number
    ("Jean", "06 12 34 56", None, PHONE),
    ("Jean", "+33 7 12 34 56 78", None, PHONE),  # French prefix, impossible number
    ("Jean", "06 12 34 56 79 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", None, PHONE),
    ("Jean", "téléphone", None, PHONE),
]


async def _add_person(hass: HomeAssistant, entry_id: str, case: tuple[Any, ...]) -> Any:
    name, phone, email, _ = case
    result = await hass.config_entries.subentries.async_init(
        (entry_id, SUBENTRY_PERSON), context={"source": SOURCE_USER}
    )
    user_input = {
        "name": name,
        CONF_CODE: "3579",  # nobody else's
        CONF_PHONE: phone,
        CONF_CALL_POSITION: 3,
        CONF_PHONE_CODE: "582046",
        CONF_MAY_ARM: True,
        CONF_MAY_DISARM: True,
    }
    if email is not None:
        user_input[CONF_EMAIL] = email
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


async def test_what_the_person_form_accepts_the_voice_server_accepts(
    hass: HomeAssistant, enable_custom_integrations: None, voice: VoiceFactory
) -> None:
    running = await voice()
    await home(hass, running.api.base, "http://127.0.0.1:9")
    (entry,) = hass.config_entries.async_entries("imaprotect")
    issues = ir.async_get(hass)
    verdicts: list[str] = []
    for case in CASES:
        result = await _add_person(hass, entry.entry_id, case)
        if result["type"] is not FlowResultType.CREATE_ENTRY:
            assert result["type"] is FlowResultType.FORM
            verdicts.append(next(iter(result["errors"].values())))
            continue
        await hass.async_block_till_done()  # the home reloads and syncs its site
        new = next(s for s in entry.subentries.values() if s.data.get(CONF_CALL_POSITION) == 3)
        site = running.server.store.get_site(entry.entry_id)
        assert site is not None
        contact = next((c for c in site.contacts if c.id == new.subentry_id), None)
        assert contact is not None, case
        assert contact.phone == new.data[CONF_PHONE]
        assert contact.email == new.data.get(CONF_EMAIL)
        assert 0 < len(contact.name) <= MAX_NAME
        assert (
            issues.async_get_issue("imaprotect", f"voice_server_rejected_{entry.entry_id}") is None
        )
        verdicts.append(ACCEPTED)
        hass.config_entries.async_remove_subentry(entry, new.subentry_id)
        await hass.async_block_till_done()
    assert verdicts == [case[3] for case in CASES]


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("y" * (MAX_NAME + 1), "y" * MAX_NAME),
        ("Tab\there", "Tab here"),
        ("  Jean   Dupont ", "Jean Dupont"),
    ],
)
async def test_names_are_sanitised_before_they_leave(
    hass: HomeAssistant, enable_custom_integrations: None, voice: VoiceFactory, name: str, sent: str
) -> None:
    running = await voice()
    await home(hass, running.api.base, "http://127.0.0.1:9")
    (entry,) = hass.config_entries.async_entries("imaprotect")
    result = await _add_person(hass, entry.entry_id, (name, "06 12 34 56 79", None, ACCEPTED))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    site = running.server.store.get_site(entry.entry_id)
    assert site is not None
    assert sent in [c.name for c in site.contacts]
