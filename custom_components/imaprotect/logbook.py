"""Readable logbook lines (fr, en) for the alarm's audit trail: who, how and what."""

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    EVENT_AGENT_REQUESTED,
    EVENT_ALARM,
    EVENT_ALERT,
    EVENT_ARM_REFUSED,
    EVENT_ARMED,
    EVENT_BADGE_DISABLED,
    EVENT_BADGE_ENABLED,
    EVENT_BADGE_REJECTED,
    EVENT_BYPASSED,
    EVENT_CODE_REJECTED,
    EVENT_DISARMED,
    EVENT_FAULT,
    EVENT_HOME_OFFLINE,
    EVENT_LOCKED_OUT,
    EVENT_PHONE_CODE_REJECTED,
    EVENT_PROTECT_PLUS,
    EVENT_TALK_DOWN,
)
from .offline_report import describe as describe_home_offline
from .texts import text as _text

EVENTS = (
    EVENT_ARMED,
    EVENT_DISARMED,
    EVENT_ARM_REFUSED,
    EVENT_BYPASSED,
    EVENT_CODE_REJECTED,
    EVENT_LOCKED_OUT,
    EVENT_BADGE_REJECTED,
    EVENT_BADGE_ENABLED,
    EVENT_ALARM,
    EVENT_FAULT,
    EVENT_ALERT,
    EVENT_PHONE_CODE_REJECTED,
    EVENT_PROTECT_PLUS,
    EVENT_AGENT_REQUESTED,
    EVENT_BADGE_DISABLED,
    EVENT_HOME_OFFLINE,
    EVENT_TALK_DOWN,
)


def _method(hass: HomeAssistant, method: str | None) -> str:
    return _text(hass, f"method_{method}") if method else ""


def _time(data: Mapping[str, Any]) -> str:
    """The local HH:MM of an ISO timestamp in the event, or nothing."""
    if (at := dt_util.parse_datetime(str(data.get("at") or ""))) is None:
        return ""
    return dt_util.as_local(at).strftime("%H:%M")


def _when(data: Mapping[str, Any], key: str) -> str:
    """The local day and time of an ISO timestamp in the event (``24/12 18:00``), or nothing."""
    if (at := dt_util.parse_datetime(str(data.get(key) or ""))) is None:
        return ""
    return dt_util.as_local(at).strftime("%d/%m %H:%M")


def _protect_plus(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    action = data.get("action")
    if data.get("booked"):  # a later period booked, or a booked one cancelled
        action = {"started": "started_booked", "stopped": "stopped_booked"}.get(str(action), action)
    return _text(
        hass,
        f"protect_plus_{action}",
        by=data.get("by") or _text(hass, "someone"),
        slices=data.get("slices"),
        start=_when(data, "start"),
        end=_when(data, "end"),
    )


def _via(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The logbook tail naming the automation or script that made the call, whatever it claimed."""
    origin = data.get("origin")
    if not isinstance(origin, Mapping) or origin.get("type") not in ("automation", "script"):
        return ""
    name = origin.get("name") or origin.get("entity_id")
    return _text(hass, f"via_{origin['type']}", name=name)


def _describe(hass: HomeAssistant, event: Event) -> str:
    data = event.data
    person = data.get("person") or data.get("user") or _text(hass, "someone")
    how = _method(hass, data.get("method")) + _via(hass, data)
    match event.event_type:
        case "imaprotect_armed":
            return _text(hass, f"armed_{data.get('mode')}", person=person, method=how)
        case "imaprotect_disarmed":
            return _text(hass, "disarmed", person=person, method=how)
        case "imaprotect_arm_refused":
            detectors = ", ".join(d for d in data.get("detectors", []) if d)
            return _text(hass, f"refused_{data.get('reason')}", person=person, detectors=detectors)
        case "imaprotect_bypassed":
            detectors = ", ".join(d for d in data.get("detectors", []) if d)
            return _text(hass, "bypassed", person=person, method=how, detectors=detectors)
        case "imaprotect_code_rejected":
            return _text(hass, "code_rejected", method=how, failures=data.get("failures"))
        case "imaprotect_locked_out":
            return _text(hass, "locked_out")
        case "imaprotect_badge_enabled":
            return _text(
                hass,
                "badge_enabled",
                badge=data.get("badge"),
                person=data.get("person") or _text(hass, "someone"),
                user=data.get("user") or _text(hass, "someone"),
            )
        case "imaprotect_badge_disabled":
            return _text(
                hass,
                "badge_turned_off",
                badge=data.get("badge"),
                person=data.get("person") or _text(hass, "someone"),
                user=data.get("user") or _text(hass, "someone"),
            )
        case "imaprotect_badge_rejected":
            return _text(hass, f"badge_{data.get('reason')}", badge=data.get("badge"))
        case "imaprotect_alarm" if data.get("kind") == "sos":
            return _text(hass, "sos", person=person, method=how)
        case "imaprotect_alarm" if not data.get("detector"):
            return _text(hass, "alarm_manual")
        case "imaprotect_alarm":
            return _text(
                hass,
                f"alarm_{data.get('kind')}",
                detector=data.get("detector"),
                zone=data.get("zone"),
            )
        case "imaprotect_phone_code_rejected":
            return _text(hass, "phone_code_rejected", contact=data.get("contact") or person)
        case "imaprotect_protect_plus":
            return _protect_plus(hass, data)
        case "imaprotect_agent_requested":
            key = "agent_requested_paid" if data.get("paid") else "agent_requested"
            return _text(hass, key, person=person, method=how)
        case "imaprotect_home_offline":
            return describe_home_offline(hass, data)
        case "imaprotect_talk_down":
            what = data.get("what")
            if what == "talk_down_ended" and data.get("spoke"):
                what = "talk_down_spoke"
            return _text(hass, f"{what}", contact=data.get("contact") or person)
        case "imaprotect_alert":
            return _text(
                hass, f"alert_{data.get('status')}", contact=data.get("contact"), time=_time(data)
            )
        case _:
            key = "fault" if data.get("fault") else "fault_cleared"
            return _text(hass, key, detector=data.get("detector"))


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the integration's audit events for the logbook."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: event.data.get("home", "imaprotect"),
            LOGBOOK_ENTRY_MESSAGE: _describe(hass, event),
        }

    for event_type in EVENTS:
        async_describe_event(DOMAIN, event_type, describe)
