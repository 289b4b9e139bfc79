"""Home Assistant watches its voice server: a fault of the transmission path is never silent.

EN 50136 wants a fault of the alarm transmission path reported. A voice server that is down, or
``degraded`` (Asterisk away: it keeps alerts but cannot call), would otherwise only show when an
alarm is lost. So ``/healthz`` is read every minute: the diagnostic connectivity sensor follows it,
a translated repair says what is wrong, and while it is not ``ok`` each alarm also goes to the
fallback notifiers. When it comes back, the delivery queue is drained at once.

``/healthz`` also carries the server's self-diagnosis: its SIP trunk (``online``/``offline``) and
its SMTP relay (``ok``/``failing``). Each has its diagnostic sensor and its repair, cleared when
the cause goes; the self-diagnosis lists them in the daily digest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
import logging
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .repairs import async_home_issue
from .voice_client import VoiceClient, VoiceServerError

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)

HEALTH_INTERVAL = timedelta(seconds=60)
ISSUE_UNREACHABLE = "voice_server_unreachable"
ISSUE_DEGRADED = "voice_server_degraded"
ISSUE_TRUNK = "voice_trunk_offline"
ISSUE_SMTP = "voice_smtp_failing"


class VoiceHealth(StrEnum):
    """What the last ``/healthz`` said."""

    OK = "ok"
    DEGRADED = "degraded"  # it answers and keeps alerts, but cannot call (Asterisk away)
    UNREACHABLE = "unreachable"


def signal_voice_health(entry_id: str) -> str:
    """Dispatcher signal telling the connectivity sensor that the voice server's health changed."""
    return f"{DOMAIN}_{entry_id}_voice_health"


class Supervisor:
    """Reads the voice server's health every minute while the home runs."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: VoiceClient,
        on_back: Callable[[], None],
    ) -> None:
        self.hass = hass
        self.entry = entry
        self._client = client
        self._on_back = on_back
        self.health: VoiceHealth | None = None  # None until the first answer
        self.trunk: str | None = None  # "online", "offline"; None: no trunk, or not known
        self.smtp: str | None = None  # "ok", "failing"; None: not known
        #: Since when the trunk has been offline, and the relay failing (for the digest).
        self.trouble_since: dict[str, datetime] = {}
        self._unsubscribe: CALLBACK_TYPE | None = None

    @property
    def can_call(self) -> bool:
        """False once the server was found down or degraded (unknown counts as able)."""
        return self.health in (None, VoiceHealth.OK)

    @callback
    def async_start(self) -> None:
        """Check now, then every minute."""
        self._unsubscribe = async_track_time_interval(self.hass, self._tick, HEALTH_INTERVAL)
        self.entry.async_create_task(self.hass, self.async_check(), "imaprotect voice health")

    @callback
    def async_stop(self) -> None:
        """The entry unloads."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @callback
    def _tick(self, _now: datetime) -> None:
        self.entry.async_create_task(self.hass, self.async_check(), "imaprotect voice health")

    async def async_check(self) -> VoiceHealth:
        """Read ``/healthz`` once and say what changed."""
        try:
            answer = await self._client.async_health()
        except VoiceServerError:
            health, trunk, smtp = VoiceHealth.UNREACHABLE, None, None
        else:
            health, trunk, smtp = VoiceHealth(answer.status), answer.trunk, answer.smtp
        paths_changed = self._paths(trunk, smtp)
        if health is self.health:
            if paths_changed:
                async_dispatcher_send(self.hass, signal_voice_health(self.entry.entry_id))
            return health
        before, self.health = self.health, health
        if health is not VoiceHealth.OK:
            _LOGGER.warning("The voice server of %s is %s", self.entry.title, health)
        self._report(health)
        async_dispatcher_send(self.hass, signal_voice_health(self.entry.entry_id))
        if health is VoiceHealth.OK and before is not None:
            self._on_back()
        return health

    def _paths(self, trunk: str | None, smtp: str | None) -> bool:
        """Take the trunk's and the relay's state; a repair for each while it is wrong."""
        if (trunk, smtp) == (self.trunk, self.smtp):
            return False
        self.trunk, self.smtp = trunk, smtp
        now = dt_util.utcnow()
        for key, issue, wrong in (
            ("trunk", ISSUE_TRUNK, trunk == "offline"),
            ("smtp", ISSUE_SMTP, smtp == "failing"),
        ):
            if wrong:
                if key not in self.trouble_since:
                    _LOGGER.warning(
                        "The voice server of %s reports its %s failing", self.entry.title, key
                    )
                self.trouble_since.setdefault(key, now)
            else:
                self.trouble_since.pop(key, None)
            placeholders = {"home": self.entry.title} if wrong else None
            async_home_issue(self.hass, issue, self.entry.entry_id, placeholders)
        return True

    def _report(self, health: VoiceHealth) -> None:
        """One repair for the state the server is in; none while it is ok."""
        wanted = {VoiceHealth.UNREACHABLE: ISSUE_UNREACHABLE, VoiceHealth.DEGRADED: ISSUE_DEGRADED}
        for state, key in wanted.items():
            placeholders = {"home": self.entry.title} if state is health else None
            async_home_issue(self.hass, key, self.entry.entry_id, placeholders)
