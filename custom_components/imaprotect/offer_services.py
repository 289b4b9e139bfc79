"""The offers' actions: PROTECT+, SOS and the security agent, targeting a home's alarm panel.

Like ``arm`` and ``disarm`` they are entity actions of the panel (so a device target works too);
each hands the call to the home's offers with the call's context, which names who did it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import config_validation as cv
import probatio

from .const import (
    ATTR_MESSAGE,
    ATTR_SIREN,
    ATTR_SLICES,
    ATTR_START,
    SERVICE_EXTEND_PROTECT_PLUS,
    SERVICE_REQUEST_AGENT,
    SERVICE_SOS,
    SERVICE_START_PROTECT_PLUS,
    SERVICE_STOP_PROTECT_PLUS,
)
from .contract.limits import MAX_NOTE
from .core.protect_plus import MAX_SLICES
from .offers import async_actor
from .services import async_register_panel_action, panel_of

if TYPE_CHECKING:
    from homeassistant.helpers.entity import Entity

    from .offers import HomeOffers

SLICES = probatio.All(probatio.Coerce(int), probatio.Range(min=1, max=MAX_SLICES))


def _offers(entity: Entity) -> HomeOffers:
    return panel_of(entity).offers


async def _start(entity: Entity, call: ServiceCall) -> None:
    await _offers(entity).protect_plus.async_begin(
        call.data[ATTR_SLICES], call.data.get(ATTR_START), call.context
    )


async def _extend(entity: Entity, call: ServiceCall) -> None:
    await _offers(entity).protect_plus.async_extend(call.data[ATTR_SLICES], call.context)


async def _stop(entity: Entity, call: ServiceCall) -> None:
    await _offers(entity).protect_plus.async_end(call.context)


async def _sos(entity: Entity, call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    await _offers(entity).async_sos(actor, siren=call.data[ATTR_SIREN], context=call.context)


async def _request_agent(entity: Entity, call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    await _offers(entity).async_request_agent(
        actor, call.data.get(ATTR_MESSAGE), context=call.context
    )


@callback
def async_setup_offer_services(hass: HomeAssistant) -> None:
    """Register the offers' entity actions once for all homes."""
    async_register_panel_action(
        hass,
        SERVICE_START_PROTECT_PLUS,
        {probatio.Required(ATTR_SLICES): SLICES, probatio.Optional(ATTR_START): cv.datetime},
        _start,
    )
    async_register_panel_action(
        hass,
        SERVICE_EXTEND_PROTECT_PLUS,
        {probatio.Required(ATTR_SLICES): SLICES},
        _extend,
    )
    async_register_panel_action(hass, SERVICE_STOP_PROTECT_PLUS, {}, _stop)
    async_register_panel_action(
        hass,
        SERVICE_SOS,
        {probatio.Optional(ATTR_SIREN, default=False): cv.boolean},
        _sos,
    )
    async_register_panel_action(
        hass,
        SERVICE_REQUEST_AGENT,
        {probatio.Optional(ATTR_MESSAGE): probatio.All(cv.string, probatio.Length(max=MAX_NOTE))},
        _request_agent,
    )
