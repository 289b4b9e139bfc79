"""The integration's actions: arm, disarm and present_badge, targeting a home's alarm panel.

Every action of the integration (these, the offers', the journal's, the photos') is an entity
action of the homes' alarm panels: ``async_register_panel_action`` and ``panel_of`` say so once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.components.alarm_control_panel import DOMAIN as ALARM_DOMAIN
from homeassistant.const import ATTR_CODE
from homeassistant.core import HomeAssistant, SupportsResponse, callback
from homeassistant.helpers import config_validation as cv, service
import probatio

from .const import (
    ATTR_ACTION,
    ATTR_BADGE_ID,
    ATTR_FORCE,
    ATTR_MODE,
    ATTR_SOURCE,
    BADGE_ACTIONS,
    BADGE_TOGGLE,
    DOMAIN,
    SERVICE_ARM,
    SERVICE_DISARM,
    SERVICE_PRESENT_BADGE,
)
from .core import ArmMode, Method
from .entity import ImaProtectEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity import Entity
    from homeassistant.helpers.typing import VolDictType

    from .panel import HomePanel

CODE = probatio.All(cv.string, probatio.Match(r"^\d{4,8}$"))
SOURCES = [Method.KEYPAD.value, Method.APP.value, Method.AUTOMATION.value]


@callback
def async_register_panel_action(
    hass: HomeAssistant,
    name: str,
    schema: VolDictType,
    func: str | Callable[..., Any],
    *,
    supports_response: SupportsResponse = SupportsResponse.NONE,
) -> None:
    """Register one of the integration's actions, targeting the homes' alarm panels."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        name,
        entity_domain=ALARM_DOMAIN,
        schema=schema,
        func=func,
        supports_response=supports_response,
    )


def panel_of(entity: Entity) -> HomePanel:
    """The home of a targeted alarm panel."""
    assert isinstance(entity, ImaProtectEntity)  # only the integration's panels are targeted
    return entity.panel


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the entity actions once for all homes."""
    async_register_panel_action(
        hass,
        SERVICE_ARM,
        {
            probatio.Required(ATTR_MODE): probatio.In([m.value for m in ArmMode]),
            probatio.Optional(ATTR_CODE): CODE,
            probatio.Optional(ATTR_FORCE, default=False): cv.boolean,
            probatio.Optional(ATTR_SOURCE): probatio.In(SOURCES),
        },
        "async_arm_service",
    )
    async_register_panel_action(
        hass,
        SERVICE_DISARM,
        {
            probatio.Required(ATTR_CODE): CODE,
            probatio.Optional(ATTR_SOURCE): probatio.In(SOURCES),
        },
        "async_disarm_service",
    )
    async_register_panel_action(
        hass,
        SERVICE_PRESENT_BADGE,
        {
            probatio.Required(ATTR_BADGE_ID): probatio.All(
                cv.string, probatio.Length(min=1, max=64)
            ),
            probatio.Optional(ATTR_ACTION, default=BADGE_TOGGLE): probatio.In(BADGE_ACTIONS),
        },
        "async_present_badge",
    )
