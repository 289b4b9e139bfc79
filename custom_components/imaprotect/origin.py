"""Where a command really came from, as opposed to the ``source`` its caller claims.

A service call's ``source: keypad`` is a claim anyone can make. The audit keeps it (as the
method) and, next to it, the origin Home Assistant itself vouches for, read from the call's
context: the logged-in user, or the automation or script whose run made the call (their run's
context is the one their actions carry, and they announce it with ``automation_triggered`` /
``script_started``), else "system" (a device, a timer, another integration).
"""

from collections import OrderedDict
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, ATTR_NAME
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

# The automation and script integrations' own event names (not imported: neither is a dependency).
EVENT_AUTOMATION_TRIGGERED = "automation_triggered"
EVENT_SCRIPT_STARTED = "script_started"

_RUNS: HassKey[OrderedDict[str, dict[str, Any]]] = HassKey("imaprotect_origin_runs")
_KEEP = 256  # runs remembered: far more than can be in flight at once


@callback
def async_track_runs(hass: HomeAssistant) -> None:
    """Remember which automation or script run owns which context (once per instance)."""
    if _RUNS in hass.data:
        return
    runs: OrderedDict[str, dict[str, Any]] = OrderedDict()
    hass.data[_RUNS] = runs

    def remember(kind: str) -> Any:
        @callback
        def _remember(event: Event) -> None:
            runs[event.context.id] = {
                "type": kind,
                "entity_id": event.data.get(ATTR_ENTITY_ID),
                "name": event.data.get(ATTR_NAME),
            }
            while len(runs) > _KEEP:
                runs.popitem(last=False)

        return _remember

    hass.bus.async_listen(EVENT_AUTOMATION_TRIGGERED, remember("automation"))
    hass.bus.async_listen(EVENT_SCRIPT_STARTED, remember("script"))


async def async_user_name(hass: HomeAssistant, context: Context | None) -> str | None:
    """The name of the logged-in user behind a context, if any."""
    if context is None or context.user_id is None:
        return None
    user = await hass.auth.async_get_user(context.user_id)
    return user.name if user is not None else None


async def async_origin(hass: HomeAssistant, context: Context | None) -> dict[str, Any]:
    """The real origin of a context: a user, an automation or script run, or the system."""
    if (name := await async_user_name(hass, context)) is not None:
        return {"type": "user", "name": name}
    runs: OrderedDict[str, dict[str, Any]] = hass.data.get(_RUNS, OrderedDict())
    if context is not None:
        for context_id in (context.id, context.parent_id):
            if context_id is not None and (run := runs.get(context_id)) is not None:
                return dict(run)
    return {"type": "system"}
