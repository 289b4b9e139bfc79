"""Keeping the home's site on its voice server, and the repairs that say when that fails.

The schema is checked on every sync (the client's handshake), then the site is sent; a refusal
or an unreachable server becomes a translated repair, a refused token a reauth. Two settings of
the home are reported here too, because they decide whether anybody can be phoned safely: plain
HTTP to another machine, and people in the call order without a phone code.
"""

from __future__ import annotations

from ipaddress import ip_address
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from pydantic import ValidationError

from .const import CONF_VOICE_URL
from .contract.phones import DEFAULT_REGIONS
from .instructions import build_site, contacts, without_phone_code
from .repairs import async_home_issue
from .supervision import ISSUE_UNREACHABLE
from .voice_client import (
    VoiceServerAuthError,
    VoiceServerError,
    VoiceServerRejectedError,
    VoiceServerSchemaError,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .contract.models import Site
    from .voice_client import VoiceClient

_LOGGER = logging.getLogger(__name__)

ISSUE_REJECTED = "voice_server_rejected"
ISSUE_SCHEMA = "voice_server_schema"
ISSUE_PHONE_CODE = "phone_code_missing"
ISSUE_INSECURE = "voice_server_insecure"


def plain_http_off_loopback(url: str) -> bool:
    """Whether the token, code hashes and phones would cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return True


class SiteSync:
    """The home's site on its voice server: sent, re-sent on demand, its failures reported."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: VoiceClient | None) -> None:
        self.hass = hass
        self.entry = entry
        self._client = client
        self._synced = False
        self._regions: tuple[str, ...] = DEFAULT_REGIONS  # the server's, once it has said

    @property
    def allowed_regions(self) -> tuple[str, ...]:
        """Where the voice server dials, as it said on connect (France until then)."""
        return self._regions

    def site(self) -> Site:
        """The site's instructions for the voice server (code hashes, never codes)."""
        return build_site(self.hass, self.entry, self._regions)

    @callback
    def report_settings(self) -> None:
        """Repairs about the home's settings: plain HTTP off this machine, missing phone codes."""
        url: str | None = self.entry.data.get(CONF_VOICE_URL)
        insecure = self._client is not None and url is not None and plain_http_off_loopback(url)
        async_home_issue(
            self.hass,
            ISSUE_INSECURE,
            self.entry.entry_id,
            {"home": self.entry.title} if insecure else None,
            severity=ir.IssueSeverity.WARNING,
        )
        # People set before phone codes existed are not phoned until they have one: say so.
        names = without_phone_code(self.entry) if self._client is not None else []
        placeholders = {"home": self.entry.title, "people": ", ".join(names)}
        async_home_issue(
            self.hass, ISSUE_PHONE_CODE, self.entry.entry_id, placeholders if names else None
        )

    async def async_sync(self) -> bool:
        """Check the server's schema, send the instructions; False when nobody can be called."""
        self.report_settings()
        if self._client is None or not contacts(self.entry):
            return False
        try:
            info = await self._client.async_check()
            self._regions = info.allowed_regions
            await self._client.async_put_site(self.entry.entry_id, self.site())
        except VoiceServerError as err:
            self.report(err)
            return False
        except ValidationError as err:  # nobody left to call, or a station the rules refuse
            detail = ".".join(str(part) for part in err.errors()[0]["loc"])
            self.report(VoiceServerRejectedError("site refused here", detail))
            return False
        self._synced = True
        self.clear_reports()
        return True

    async def async_ensure(self, *, again: bool) -> bool:
        """The site is on the server, sent (again) first if needed."""
        if again:
            self._synced = False
        return self._synced or await self.async_sync()

    def report(self, err: VoiceServerError) -> None:
        """Tell the homeowner: a new token to give, or a repair (unreachable, refused)."""
        _LOGGER.warning("Voice server problem for %s: %s", self.entry.title, err)
        if isinstance(err, VoiceServerAuthError):
            self.entry.async_start_reauth(self.hass)
            return
        key = ISSUE_UNREACHABLE
        placeholders = {"home": self.entry.title}
        if isinstance(err, VoiceServerRejectedError):
            key = ISSUE_REJECTED
            placeholders["detail"] = err.detail
        elif isinstance(err, VoiceServerSchemaError):
            key = ISSUE_SCHEMA
            placeholders |= {"server": err.server, "ours": str(err.ours)}
        async_home_issue(self.hass, key, self.entry.entry_id, placeholders)

    def clear_reports(self) -> None:
        """The server took a request: its repairs are over."""
        for key in (ISSUE_UNREACHABLE, ISSUE_REJECTED, ISSUE_SCHEMA):
            async_home_issue(self.hass, key, self.entry.entry_id, None)
