"""The integration's actions: arm, disarm and present_badge, targeting a home's alarm panel."""

from homeassistant.components.alarm_control_panel import DOMAIN as ALARM_DOMAIN
from homeassistant.const import ATTR_CODE
from homeassistant.core import HomeAssistant, callback
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

CODE = probatio.All(cv.string, probatio.Match(r"^\d{4,8}$"))
SOURCES = [Method.KEYPAD.value, Method.APP.value, Method.AUTOMATION.value]


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the entity actions once for all homes."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_ARM,
        entity_domain=ALARM_DOMAIN,
        schema={
            probatio.Required(ATTR_MODE): probatio.In([m.value for m in ArmMode]),
            probatio.Optional(ATTR_CODE): CODE,
            probatio.Optional(ATTR_FORCE, default=False): cv.boolean,
            probatio.Optional(ATTR_SOURCE): probatio.In(SOURCES),
        },
        func="async_arm_service",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_DISARM,
        entity_domain=ALARM_DOMAIN,
        schema={
            probatio.Required(ATTR_CODE): CODE,
            probatio.Optional(ATTR_SOURCE): probatio.In(SOURCES),
        },
        func="async_disarm_service",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_PRESENT_BADGE,
        entity_domain=ALARM_DOMAIN,
        schema={
            probatio.Required(ATTR_BADGE_ID): probatio.All(
                cv.string, probatio.Length(min=1, max=64)
            ),
            probatio.Optional(ATTR_ACTION, default=BADGE_TOGGLE): probatio.In(BADGE_ACTIONS),
        },
        func="async_present_badge",
    )
