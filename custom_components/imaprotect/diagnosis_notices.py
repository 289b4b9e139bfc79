"""The owner hears of the home's troubles: an e-mail through the voice server, else the notifiers.

A notice (a trouble found, fixed, or the daily digest) is posted to the voice server, which
e-mails every contact with an address, never calls. Without a voice server, when it cannot be
reached or refuses, or when no contact has an address, it goes to the home's persistent
notification and notify entities instead: a trouble is never told to nobody.
"""

from __future__ import annotations

from datetime import datetime
import logging
from typing import TYPE_CHECKING
import uuid

from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import CONF_VOICE_TOKEN, CONF_VOICE_URL
from .contract.enums import NoticeKind, TroubleKind
from .contract.limits import MAX_NOTICE_TROUBLES
from .contract.models import NoticeIn, TroubleItem
from .contract.text import clean_name
from .instructions import contacts
from .notices import async_notify_owner
from .texts import text
from .voice_client import VoiceClient, VoiceServerError

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

NOTIFY_TOPIC = "diagnosis"


def trouble_item(kind: TroubleKind, since: datetime, detector: str | None = None) -> TroubleItem:
    """One trouble as a notice names it, its time in the home's zone."""
    name = clean_name(detector) if detector else ""
    return TroubleItem(kind=kind, detector=name or None, since=dt_util.as_local(since))


class OwnerNotices:
    """Sends one home's notices."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        url, token = entry.data.get(CONF_VOICE_URL), entry.data.get(CONF_VOICE_TOKEN)
        self.client = (
            VoiceClient(async_get_clientsession(hass), url, token) if url and token else None
        )

    async def async_send(self, kind: NoticeKind, at: datetime, items: list[TroubleItem]) -> None:
        """E-mail the owner through the voice server; the notifiers when it cannot."""
        if not items:
            return
        notice = NoticeIn(
            notice_id=uuid.uuid4().hex,
            kind=kind,
            occurred_at=dt_util.as_local(at),
            troubles=tuple(items[:MAX_NOTICE_TROUBLES]),  # the oldest first: what waits longest
        )
        if self.client is not None and contacts(self.entry):
            try:
                answer = await self.client.async_post_notice(self.entry.entry_id, notice)
            except VoiceServerError as err:
                _LOGGER.warning(
                    "The self-diagnosis notice of %s could not reach the voice server (%s);"
                    " it goes to the notifiers",
                    self.entry.title,
                    type(err).__name__,
                )
            else:
                if answer.recipients:
                    return
        await async_notify_owner(
            self.hass,
            self.entry,
            NOTIFY_TOPIC,
            text(self.hass, "diagnosis_notify_title", home=self.entry.title),
            self._text(notice),
        )

    def _text(self, notice: NoticeIn) -> str:
        """The notification's sentence, in Home Assistant's language."""
        lines = [
            text(self.hass, f"diagnosis_{item.kind}", detector=item.detector or "")
            for item in notice.troubles
        ]
        return text(self.hass, f"diagnosis_{notice.kind}", troubles="; ".join(lines))
