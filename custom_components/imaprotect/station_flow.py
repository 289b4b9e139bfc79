"""The home's link to a monitoring station (SIA DC-09): its form, in the options and at creation.

The checks are ``station/options.py``'s; this is the form, one step shared by the home's options
flow and its config flow (``async_station_link_step``). The key is a password field, never
shown back: an empty field keeps the saved key as long as its format stays the same, and the
format "none" removes it. Emptying the account removes the link. The entry's update listener
reloads the home, and the link's queue (its own ``Store``) survives the reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .const import CONF_STATION_LINK
from .station import Category, DataFormat, KeyFormat, Transport, options as link_options


def _select(options: list[str], translation_key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options, translation_key=translation_key, mode=SelectSelectorMode.DROPDOWN
        )
    )


def _port() -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
    )


LINK_SCHEMA = probatio.Schema(
    {
        probatio.Optional(link_options.ACCOUNT): TextSelector(),
        probatio.Optional(link_options.HOST): TextSelector(),
        probatio.Optional(link_options.PORT, default=link_options.DEFAULT_PORT): _port(),
        probatio.Optional(link_options.BACKUP_HOST): TextSelector(),
        probatio.Optional(link_options.BACKUP_PORT): _port(),
        probatio.Optional(link_options.TRANSPORT, default=Transport.TCP.value): _select(
            [transport.value for transport in Transport], "station_transport"
        ),
        probatio.Optional(link_options.LINE_PREFIX, default="0"): TextSelector(),
        probatio.Optional(link_options.KEY_FORMAT, default=link_options.NO_KEY): _select(
            [link_options.NO_KEY, *(key_format.value for key_format in KeyFormat)],
            "station_key_format",
        ),
        probatio.Optional(link_options.KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
        ),
        probatio.Optional(link_options.DATA_FORMAT, default=DataFormat.SIA_DCS.value): _select(
            [data_format.value for data_format in DataFormat], "station_data_format"
        ),
        probatio.Optional(link_options.CATEGORY, default=Category.SP4.value): _select(
            [category.value for category in Category], "station_category"
        ),
        probatio.Optional(link_options.POLL_INTERVAL): NumberSelector(
            NumberSelectorConfig(
                min=link_options.MIN_POLL,
                max=link_options.MAX_POLL,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="s",
            )
        ),
    }
)


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    """The link form's valid answer: the link to store, or None for none (no account given)."""

    link: dict[str, Any] | None


@callback
def async_station_link_step(
    flow: ConfigFlow | OptionsFlow,
    user_input: dict[str, Any] | None,
    stored: Mapping[str, Any] | None,
    placeholders: Mapping[str, str],
) -> ConfigFlowResult | LinkAnswer:
    """The ``station_link`` step of a home's creation and of its options: one form, one check.

    Returns the answer once the form is valid, else the form (again, with its errors): what was
    typed is shown back, except the key, never sent to the browser.
    """
    errors: dict[str, str] = {}
    if user_input is not None:
        link, errors = link_options.check_form(user_input, stored)
        if not errors:
            return LinkAnswer(None if link is None else link.as_dict())
    shown = (
        {k: v for k, v in user_input.items() if k != link_options.KEY}
        if user_input is not None
        else link_options.suggested(stored)
    )
    return flow.async_show_form(
        step_id="station_link",
        data_schema=flow.add_suggested_values_to_schema(LINK_SCHEMA, shown),
        errors=errors,
        description_placeholders=placeholders,
    )


class HomeOptionsFlow(OptionsFlow):
    """The home's options; for now its station link."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Open the station link's form."""
        return await self.async_step_station_link()

    async def async_step_station_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Receivers, account, key, format and category; checked, the key never shown back."""
        answer = async_station_link_step(
            self,
            user_input,
            self.config_entry.options.get(CONF_STATION_LINK),
            {"name": self.config_entry.title},
        )
        if not isinstance(answer, LinkAnswer):
            return answer
        options = dict(self.config_entry.options)
        if answer.link is None:
            options.pop(CONF_STATION_LINK, None)
        else:
            options[CONF_STATION_LINK] = answer.link
        return self.async_create_entry(data=options)
