"""The home's alarm panel: arm total/partial, disarm, trigger, with codes and badges."""

from typing import Any, override

from homeassistant.components.alarm_control_panel import (
    AlarmControlPanelEntity,
    AlarmControlPanelEntityFeature,
    AlarmControlPanelState,
    CodeFormat,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .core import Actor, AlarmError, ArmMode, Method, PanelState
from .entity import ImaProtectEntity, home_device
from .errors import missing_code_error, translate_refusal
from .origin import async_user_name
from .panel import HomePanel, ImaProtectConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ImaProtectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the home's alarm panel."""
    async_add_entities([HomeAlarmPanel(entry.runtime_data)])


class HomeAlarmPanel(ImaProtectEntity, AlarmControlPanelEntity):
    """The alarm panel of one home."""

    _attr_name = None
    _attr_translation_key = "panel"
    _attr_code_format = CodeFormat.NUMBER
    _attr_supported_features = (
        AlarmControlPanelEntityFeature.ARM_AWAY
        | AlarmControlPanelEntityFeature.ARM_NIGHT
        | AlarmControlPanelEntityFeature.TRIGGER
    )

    def __init__(self, panel: HomePanel) -> None:
        super().__init__(panel, "panel", home_device(panel))

    @property
    @override
    def code_arm_required(self) -> bool:
        """The home's setting, and always while armed total.

        The only arming possible from armed total is partial, which lowers protection: the
        frontend must ask for a code then, and Home Assistant refuses the action without one.
        """
        if self.panel.engine.state is PanelState.ARMED_TOTAL:
            return True
        return self.panel.layout.config.settings.code_arm_required

    @property
    @override
    def alarm_state(self) -> AlarmControlPanelState:
        return AlarmControlPanelState(self.panel.engine.state.value)

    @property
    @override
    def changed_by(self) -> str | None:
        actor = self.panel.engine.changed_by
        return actor.label if actor is not None else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        engine = self.panel.engine
        config = self.panel.layout.config
        remaining = engine.remaining(self.panel.now())

        def names(ids: frozenset[str] | tuple[str, ...]) -> list[str]:
            return sorted(config.detector(i).name for i in ids)

        return {
            "arm_mode": engine.mode.value if engine.mode is not None else None,
            "open_detectors": names(engine.open_detectors),
            "bypassed_detectors": names(engine.bypassed),
            "faulty_detectors": names(engine.faults),
            "remaining_delay": round(remaining.total_seconds()) if remaining is not None else None,
        }

    # ---------------------------------------------------------------- who is acting

    def _method(self, source: str | None = None) -> Method:
        """How the command came: an explicit source, else a user (app) or an automation."""
        if source is not None:
            return Method(source)
        context = self._context
        return Method.APP if context is not None and context.user_id else Method.AUTOMATION

    async def _actor(self, code: str | None, method: Method) -> Actor:
        """The person behind a code; without a code, the logged-in user as the operator.

        The operator names who pressed the button (changed_by, logbook) but gives no rights.
        """
        if not code:
            return Actor(method=method, operator=await async_user_name(self.hass, self._context))
        try:
            person = await self.panel.async_authenticate_code(code, method, self._context)
        except AlarmError as err:
            raise translate_refusal(err, self.panel.layout) from None
        return Actor(method=method, person_id=person.id, person_name=person.name)

    # ---------------------------------------------------------------- commands

    async def _arm(
        self, mode: ArmMode, code: str | None, *, force: bool = False, source: str | None = None
    ) -> None:
        if not code and (force or self.code_arm_required):
            # Bypassing detectors, or lowering from armed total, is never anonymous.
            raise missing_code_error()
        actor = await self._actor(code, self._method(source))
        try:
            await self.panel.async_arm(mode, actor, force=force, context=self._context)
        except AlarmError as err:
            raise translate_refusal(err, self.panel.layout) from None

    async def _disarm(self, code: str | None, source: str | None = None) -> None:
        method = self._method(source)
        if not code:
            raise missing_code_error()
        actor = await self._actor(code, method)
        try:
            await self.panel.async_disarm(actor, context=self._context)
        except AlarmError as err:
            raise translate_refusal(err, self.panel.layout) from None

    @override
    async def async_alarm_arm_away(self, code: str | None = None) -> None:
        await self._arm(ArmMode.TOTAL, code)

    @override
    async def async_alarm_arm_night(self, code: str | None = None) -> None:
        await self._arm(ArmMode.PARTIAL, code)

    @override
    async def async_alarm_disarm(self, code: str | None = None) -> None:
        await self._disarm(code)

    @override
    async def async_alarm_trigger(self, code: str | None = None) -> None:
        """Panic: raised whatever the code; a wrong code or a lockout only loses the name."""
        method = self._method()
        try:
            actor = await self._actor(code, method)
        except ServiceValidationError:
            actor = Actor(method=method, operator=await async_user_name(self.hass, self._context))
        await self.panel.async_trigger(actor, context=self._context)

    # ---------------------------------------------------------------- entity actions

    async def async_arm_service(
        self, mode: str, code: str | None = None, force: bool = False, source: str | None = None
    ) -> None:
        """imaprotect.arm: total or partial, with an optional code and force (bypass)."""
        await self._arm(ArmMode(mode), code, force=force, source=source)

    async def async_disarm_service(
        self, code: str | None = None, source: str | None = None
    ) -> None:
        """imaprotect.disarm: with the person's code."""
        await self._disarm(code, source)

    async def async_present_badge(self, badge_id: str, action: str = "toggle") -> None:
        """imaprotect.present_badge: a keypad reported a badge; arm or disarm as its holder."""
        await self.panel.async_present_badge(badge_id, action, context=self._context)
