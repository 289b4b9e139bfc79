"""The site's instructions for the voice server, built from the home's settings.

Contacts are the people with a phone, a phone code and a place in the call order; only the hash
of their phone code travels, never a code. Names are sanitised, never refused. Kept apart from the
call-out so that what is sent (and what is left out, and why) reads in one place.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.components import webhook
from homeassistant.const import CONF_NAME
from homeassistant.helpers.network import NoURLAvailableError
from pydantic import ValidationError

from .const import (
    CONF_CALL_POSITION,
    CONF_CALLBACK_SECRET,
    CONF_EMAIL,
    CONF_FORMULA,
    CONF_PHONE,
    CONF_PHONE_CODE_HASH,
    CONF_SPEAKER,
    CONF_STATION,
    CONF_WARNING_PLAYERS,
    CONF_WARNING_SIRENS,
    CONF_WEBHOOK_ID,
    SUBENTRY_PERSON,
)
from .contract.emails import EmailError, normalise_email
from .contract.enums import Formula, Language
from .contract.models import Contact, Site
from .contract.text import clean_name

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry, ConfigSubentry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)


def contacts(entry: ConfigEntry) -> list[ConfigSubentry]:
    """People with a phone, a code and a place in the call order, in that order."""
    people = [
        s
        for s in entry.get_subentries_of_type(SUBENTRY_PERSON)
        if s.data.get(CONF_PHONE)
        and s.data.get(CONF_CALL_POSITION)
        and s.data.get(CONF_PHONE_CODE_HASH)
    ]
    return sorted(people, key=lambda s: int(s.data[CONF_CALL_POSITION]))


def without_phone_code(entry: ConfigEntry) -> list[str]:
    """People in the call order without a phone code (set before 0.2): they are not phoned."""
    return [
        s.title
        for s in entry.get_subentries_of_type(SUBENTRY_PERSON)
        if s.data.get(CONF_CALL_POSITION) and not s.data.get(CONF_PHONE_CODE_HASH)
    ]


def contact(person: ConfigSubentry, regions: tuple[str, ...]) -> Contact | None:
    """A person as the contract's contact; None (and a warning) if the rules refuse them.

    An e-mail address the rules refuse (saved by an older version) is left out rather than losing
    the calls; a phone the server's regions refuse leaves the person out, and the repair names them.
    """
    email: str | None = person.data.get(CONF_EMAIL)
    if email is not None:
        try:
            email = normalise_email(email)
        except EmailError:
            _LOGGER.warning("%s: e-mail address refused, no e-mails to them", person.title)
            email = None
    try:
        return Contact.model_validate(
            {
                "id": person.subentry_id,
                "name": clean_name(person.title) or person.subentry_id,
                "phone": person.data[CONF_PHONE],
                "email": email,
                "ack_code_hash": person.data[CONF_PHONE_CODE_HASH],
            },
            context={"allowed_regions": regions},
        )
    except ValidationError as err:
        fields_refused = ", ".join(str(e["loc"][0]) for e in err.errors())
        _LOGGER.warning("%s cannot be called: %s refused", person.title, fields_refused)
        return None


def build_site(hass: HomeAssistant, entry: ConfigEntry, regions: tuple[str, ...]) -> Site:
    """The site's instructions (code hashes, never codes); raises ValidationError if refused."""
    callback_url: str | None = None
    if (webhook_id := entry.data.get(CONF_WEBHOOK_ID)) is not None:
        try:
            callback_url = webhook.async_generate_url(
                hass, webhook_id, allow_external=False, prefer_external=False
            )
        except NoURLAvailableError:
            _LOGGER.warning("No internal URL: %s gets no call-out callbacks", entry.title)
    people = [c for s in contacts(entry) if (c := contact(s, regions)) is not None]
    return Site(
        name=clean_name(entry.data.get(CONF_NAME, entry.title)) or entry.entry_id,
        language=Language.FR if hass.config.language.startswith("fr") else Language.EN,
        formula=Formula(entry.data[CONF_FORMULA]),
        contacts=tuple(people),
        station=entry.data.get(CONF_STATION) or None,
        callback_url=callback_url,
        callback_secret=entry.data.get(CONF_CALLBACK_SECRET) if callback_url else None,
        speaker=entry.data.get(CONF_SPEAKER) or None,
        # The spoken warning needs the callbacks: Home Assistant plays it when told to.
        warning=bool(
            callback_url
            and (entry.data.get(CONF_WARNING_PLAYERS) or entry.data.get(CONF_WARNING_SIRENS))
        ),
    )
