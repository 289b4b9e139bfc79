"""Config flow for imaprotect: one entry per home, subentries for its zones, detectors and people.

Secrets: a person's code is hashed in the executor as soon as it validates and only the hash is
kept (in the flow while the form is re-shown, then in the subentry). The clear code is never
stored, logged, echoed back as a suggested value or put in an error message.
"""

from abc import ABC, abstractmethod
import secrets
from typing import TYPE_CHECKING, Any, override

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, Platform, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
import probatio

from .badges import StoredBadge, home_badge_key, new_badge, new_badge_key, person_badges
from .const import (
    CONF_ALARM_DURATION,
    CONF_BADGE_KEY,
    CONF_BADGES,
    CONF_BATTERY_ENTITY,
    CONF_CALL_POSITION,
    CONF_CALLBACK_SECRET,
    CONF_CAMERA_ENTITY,
    CONF_CODE,
    CONF_CODE_ARM_REQUIRED,
    CONF_CODE_HASH,
    CONF_DETECTOR_TYPE,
    CONF_DURESS_CLEAR,
    CONF_DURESS_CODE,
    CONF_DURESS_CODE_HASH,
    CONF_EMAIL,
    CONF_ENTRY_DELAY,
    CONF_ENTRY_ROUTE,
    CONF_EXIT_DELAY,
    CONF_FORMULA,
    CONF_MAY_ARM,
    CONF_MAY_DISARM,
    CONF_NOTIFY_ENTITIES,
    CONF_OFFLINE_AFTER,
    CONF_PARTIAL,
    CONF_PHONE,
    CONF_PHONE_CODE,
    CONF_PHONE_CODE_HASH,
    CONF_PHOTO_DAYS,
    CONF_READER_DEVICES,
    CONF_SOURCE_ENTITY,
    CONF_SPEAKER,
    CONF_STATION,
    CONF_STATION_LINK,
    CONF_TAMPER_ENTITY,
    CONF_VOICE_TOKEN,
    CONF_VOICE_URL,
    CONF_WARNING_PLAYERS,
    CONF_WARNING_SIRENS,
    CONF_WARNING_TTS,
    CONF_WEBHOOK_ID,
    CONF_ZONE,
    DEFAULT_ALARM_DURATION,
    DEFAULT_ENTRY_DELAY,
    DEFAULT_EXIT_DELAY,
    DEFAULT_OFFLINE_AFTER,
    DEFAULT_PHOTO_DAYS,
    DOMAIN,
    MAX_ALARM_DURATION,
    MAX_DELAY,
    MAX_OFFLINE_AFTER,
    MAX_PHOTO_DAYS,
    MIN_ALARM_DURATION,
    MIN_OFFLINE_AFTER,
    SECTION_CALL_OUT,
    SECTION_SUPERVISION,
    SECTION_TALK_DOWN,
    SUBENTRY_DETECTOR,
    SUBENTRY_PERSON,
    SUBENTRY_ZONE,
)
from .contract.codes import hash_code, is_valid_code, is_valid_phone_code, verify_code
from .contract.emails import EmailError, normalise_email
from .contract.limits import MAX_CALL_POSITION
from .contract.phones import DEFAULT_REGIONS, PhoneError, normalise_phone, normalise_station
from .contract.speakers import SpeakerError, normalise_speaker
from .core.model import ALWAYS_ACTIVE_TYPES, STATION_FORMULAS, DetectorType, Formula
from .station_flow import HomeOptionsFlow, LinkAnswer, async_station_link_step
from .voice_client import (
    VoiceClient,
    VoiceServerAuthError,
    VoiceServerError,
    VoiceServerSchemaError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from .panel import HomePanel


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=UnitOfTime.SECONDS,
        )
    )


HOME_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_FORMULA): SelectSelector(
            SelectSelectorConfig(
                options=[formula.value for formula in Formula],
                translation_key=CONF_FORMULA,
                mode=SelectSelectorMode.LIST,
            )
        ),
        probatio.Required(CONF_ENTRY_DELAY, default=DEFAULT_ENTRY_DELAY): _seconds(0, MAX_DELAY),
        probatio.Required(CONF_EXIT_DELAY, default=DEFAULT_EXIT_DELAY): _seconds(0, MAX_DELAY),
        probatio.Required(CONF_ALARM_DURATION, default=DEFAULT_ALARM_DURATION): _seconds(
            MIN_ALARM_DURATION, MAX_ALARM_DURATION
        ),
        probatio.Required(CONF_CODE_ARM_REQUIRED, default=False): BooleanSelector(),
        probatio.Optional(CONF_READER_DEVICES): DeviceSelector(DeviceSelectorConfig(multiple=True)),
        probatio.Required(CONF_PHOTO_DAYS, default=DEFAULT_PHOTO_DAYS): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_PHOTO_DAYS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement=UnitOfTime.DAYS,
            )
        ),
        probatio.Optional(SECTION_CALL_OUT, default={}): section(
            probatio.Schema(
                {
                    probatio.Optional(CONF_VOICE_URL): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    ),
                    probatio.Optional(CONF_VOICE_TOKEN): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    ),
                    probatio.Optional(CONF_STATION): TextSelector(),
                    probatio.Optional(CONF_NOTIFY_ENTITIES): EntitySelector(
                        EntitySelectorConfig(domain=Platform.NOTIFY, multiple=True)
                    ),
                    probatio.Optional(
                        CONF_OFFLINE_AFTER, default=DEFAULT_OFFLINE_AFTER
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_OFFLINE_AFTER,
                            max=MAX_OFFLINE_AFTER,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement=UnitOfTime.MINUTES,
                        )
                    ),
                }
            ),
            {"collapsed": True},
        ),
        probatio.Optional(SECTION_TALK_DOWN, default={}): section(
            probatio.Schema(
                {
                    probatio.Optional(CONF_SPEAKER): TextSelector(),
                    probatio.Optional(CONF_WARNING_PLAYERS): EntitySelector(
                        EntitySelectorConfig(domain=Platform.MEDIA_PLAYER, multiple=True)
                    ),
                    probatio.Optional(CONF_WARNING_TTS): EntitySelector(
                        EntitySelectorConfig(domain=Platform.TTS)
                    ),
                    probatio.Optional(CONF_WARNING_SIRENS): EntitySelector(
                        EntitySelectorConfig(domain=Platform.SIREN, multiple=True)
                    ),
                }
            ),
            {"collapsed": True},
        ),
    }
)

TALK_DOWN_KEYS: tuple[str, ...] = (
    CONF_SPEAKER,
    CONF_WARNING_PLAYERS,
    CONF_WARNING_TTS,
    CONF_WARNING_SIRENS,
)

CALL_OUT_KEYS: tuple[str, ...] = (
    CONF_VOICE_URL,
    CONF_VOICE_TOKEN,
    CONF_STATION,
    CONF_NOTIFY_ENTITIES,
)
CALL_OUT_KEYS += (CONF_OFFLINE_AFTER,)  # home offline (heartbeat.py)

ZONE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_PARTIAL, default=False): BooleanSelector(),
        probatio.Optional(CONF_CAMERA_ENTITY): EntitySelector(
            EntitySelectorConfig(domain=Platform.CAMERA)
        ),
    }
)


def _detector_schema(zones: Iterable[ConfigSubentry]) -> probatio.Schema:
    """Build the detector form; the zone list is the home's zone subentries."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            probatio.Required(CONF_DETECTOR_TYPE): SelectSelector(
                SelectSelectorConfig(
                    options=[detector_type.value for detector_type in DetectorType],
                    translation_key=CONF_DETECTOR_TYPE,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            probatio.Required(CONF_SOURCE_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=Platform.BINARY_SENSOR)
            ),
            probatio.Required(CONF_ZONE): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=zone.subentry_id, label=zone.title) for zone in zones
                    ],
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            probatio.Required(CONF_ENTRY_ROUTE, default=False): BooleanSelector(),
            probatio.Optional(CONF_CAMERA_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=Platform.CAMERA)
            ),
            probatio.Required(SECTION_SUPERVISION): section(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_BATTERY_ENTITY): EntitySelector(
                            EntitySelectorConfig(domain=[Platform.SENSOR, Platform.BINARY_SENSOR])
                        ),
                        probatio.Optional(CONF_TAMPER_ENTITY): EntitySelector(
                            EntitySelectorConfig(domain=Platform.BINARY_SENSOR)
                        ),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _person_schema(*, code_required: bool, reconfiguring: bool = False) -> probatio.Schema:
    """Build the person form; the code is optional once one is known (stored or just typed).

    Reconfiguring also offers to forget the duress code (an empty field keeps it).
    """
    code_marker = probatio.Required if code_required else probatio.Optional
    duress: dict[Any, Any] = {
        probatio.Optional(CONF_DURESS_CODE): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="new-password")
        ),
    }
    if reconfiguring:
        duress[probatio.Optional(CONF_DURESS_CLEAR, default=False)] = BooleanSelector()
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME): TextSelector(),
            code_marker(CONF_CODE): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="new-password")
            ),
            probatio.Optional(CONF_BADGES): TextSelector(TextSelectorConfig(multiple=True)),
            probatio.Optional(CONF_PHONE): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
            ),
            probatio.Optional(CONF_EMAIL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")
            ),
            probatio.Optional(CONF_CALL_POSITION): NumberSelector(
                NumberSelectorConfig(
                    min=1, max=MAX_CALL_POSITION, step=1, mode=NumberSelectorMode.BOX
                )
            ),
            probatio.Optional(CONF_PHONE_CODE): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="new-password")
            ),
            probatio.Required(CONF_MAY_ARM, default=True): BooleanSelector(),
            probatio.Required(CONF_MAY_DISARM, default=True): BooleanSelector(),
            **duress,
        }
    )


def _clean_name(user_input: Mapping[str, Any], errors: dict[str, str]) -> str:
    """Return the stripped name, flagging a blank one."""
    name = str(user_input[CONF_NAME]).strip()
    if not name:
        errors[CONF_NAME] = "invalid_name"
    return name


def _validate_home(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn the home form into entry data (durations as whole seconds)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        CONF_NAME: _clean_name(user_input, errors),
        CONF_FORMULA: user_input[CONF_FORMULA],
        CONF_ENTRY_DELAY: int(user_input[CONF_ENTRY_DELAY]),
        CONF_EXIT_DELAY: int(user_input[CONF_EXIT_DELAY]),
        CONF_ALARM_DURATION: int(user_input[CONF_ALARM_DURATION]),
        CONF_CODE_ARM_REQUIRED: bool(user_input[CONF_CODE_ARM_REQUIRED]),
        CONF_READER_DEVICES: list(user_input.get(CONF_READER_DEVICES) or []),
        CONF_PHOTO_DAYS: int(user_input.get(CONF_PHOTO_DAYS, DEFAULT_PHOTO_DAYS)),
    }
    return data, errors


def _validate_talk_down(user_input: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The talk-down settings: a speaker the contract accepts, a TTS entity for the players."""
    talk_down: Mapping[str, Any] = user_input.get(SECTION_TALK_DOWN) or {}
    speaker: str | None = None
    if speaker_text := str(talk_down.get(CONF_SPEAKER) or "").strip():
        try:
            speaker = normalise_speaker(speaker_text)
        except SpeakerError:
            errors[SECTION_TALK_DOWN] = "invalid_speaker"
    players = list(talk_down.get(CONF_WARNING_PLAYERS) or [])
    tts = talk_down.get(CONF_WARNING_TTS) or None
    if players and tts is None:
        errors[SECTION_TALK_DOWN] = "warning_needs_tts"
    return {
        CONF_SPEAKER: speaker,
        CONF_WARNING_PLAYERS: players,
        CONF_WARNING_TTS: tts,
        CONF_WARNING_SIRENS: list(talk_down.get(CONF_WARNING_SIRENS) or []),
    }


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty optionals so they are not suggested as the text "None"."""
    return {key: value for key, value in values.items() if value is not None}


def _normalise_phone(text: str, regions: Sequence[str]) -> str | None:
    """The contract's phone rule: E.164 (``+33612345678``), or None when refused.

    Runs in the executor: phonenumbers loads its region metadata lazily from disk.
    """
    try:
        return normalise_phone(text, regions)
    except PhoneError:
        return None


def _normalise_station(text: str) -> str | None:
    """The contract's station rule: a SIP URI or a phone number in E.164, or None when refused."""
    try:
        return normalise_station(text)
    except PhoneError:
        return None


async def _async_voice_error(hass: HomeAssistant, url: str, token: str) -> str | None:
    """The form error for these voice server settings, or None when the server accepts them."""
    client = VoiceClient(async_get_clientsession(hass), url, token)
    try:
        await client.async_check()
    except VoiceServerAuthError:
        return "invalid_auth"
    except VoiceServerSchemaError:
        return "schema_mismatch"
    except VoiceServerError:
        return "cannot_connect"
    return None


def _code_in_use(code: str, hashes: list[str]) -> bool:
    """Whether ``code`` matches any of ``hashes`` (slow on purpose: run in the executor)."""
    return any(verify_code(code, encoded) for encoded in hashes)


def _codes_of(people: Iterable[ConfigSubentry]) -> list[str]:
    """Every keypad code's and duress code's hash of these people: codes the keypad takes."""
    return [
        encoded
        for person in people
        for key in (CONF_CODE_HASH, CONF_DURESS_CODE_HASH)
        if (encoded := person.data.get(key))
    ]


def _duress_error(duress: str, own: dict[str, str | None], others: list[str]) -> str | None:
    """Why a duress code is refused: the person's own code or phone code, or anyone's code.

    ``own`` maps each of the person's codes (``code``, ``phone_code``) to its clear value when
    typed in this form, else to its stored hash; slow on purpose: run in the executor.
    """
    for key, error in (
        (CONF_CODE, "duress_same_as_code"),
        (CONF_PHONE_CODE, "duress_same_as_phone_code"),
    ):
        typed, stored = own.get(key), own.get(f"{key}_hash")
        if duress == typed or (not typed and stored and verify_code(duress, stored)):
            return error
    return "duress_code_in_use" if _code_in_use(duress, others) else None


class ImaProtectConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create or reconfigure a home."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: badges stored as keyed digests (see migration.py)

    _home: dict[str, Any]
    """The new home's checked settings, while its station link is asked for (set first)."""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> HomeOptionsFlow:
        """The home's options: its monitoring-station link (``station_flow.py``)."""
        return HomeOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the things a homeowner manages inside a home."""
        return {
            SUBENTRY_ZONE: ZoneSubentryFlow,
            SUBENTRY_DETECTOR: DetectorSubentryFlow,
            SUBENTRY_PERSON: PersonSubentryFlow,
        }

    async def _async_validate_call_out(
        self, user_input: Mapping[str, Any], current: Mapping[str, Any], errors: dict[str, str]
    ) -> dict[str, Any]:
        """Check the voice server settings; an empty token keeps the stored one."""
        call_out: Mapping[str, Any] = user_input.get(SECTION_CALL_OUT) or {}
        url = str(call_out.get(CONF_VOICE_URL) or "").strip() or None
        token = str(call_out.get(CONF_VOICE_TOKEN) or "").strip() or current.get(CONF_VOICE_TOKEN)
        if url is not None:
            if not token:
                errors[SECTION_CALL_OUT] = "token_required"
            elif error := await _async_voice_error(self.hass, url, token):
                errors[SECTION_CALL_OUT] = error
        station: str | None = None
        if station_text := str(call_out.get(CONF_STATION) or "").strip():
            station = await self.hass.async_add_executor_job(_normalise_station, station_text)
            if station is None:
                errors[SECTION_CALL_OUT] = "invalid_station"
        return {
            CONF_VOICE_URL: url,
            CONF_VOICE_TOKEN: token if url else None,
            CONF_STATION: station,
            CONF_NOTIFY_ENTITIES: list(call_out.get(CONF_NOTIFY_ENTITIES) or []),
            CONF_OFFLINE_AFTER: int(call_out.get(CONF_OFFLINE_AFTER) or DEFAULT_OFFLINE_AFTER),
        }

    @staticmethod
    def _suggested_home(data: Mapping[str, Any]) -> dict[str, Any]:
        """Show stored settings with the call-out ones in their section, never the token."""
        values = {k: v for k, v in data.items() if k not in (*CALL_OUT_KEYS, *TALK_DOWN_KEYS)}
        values[SECTION_CALL_OUT] = {
            k: data[k] for k in CALL_OUT_KEYS if k != CONF_VOICE_TOKEN and data.get(k)
        }
        values[SECTION_TALK_DOWN] = {k: data[k] for k in TALK_DOWN_KEYS if data.get(k)}
        if SECTION_TALK_DOWN in data:  # the form as typed, shown again after an error
            values[SECTION_TALK_DOWN] = data[SECTION_TALK_DOWN]
        return values

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create a home."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _validate_home(user_input)
            data |= await self._async_validate_call_out(user_input, {}, errors)
            data |= _validate_talk_down(user_input, errors)
            if not errors:
                await self.async_set_unique_id(slugify(data[CONF_NAME]))
                self._abort_if_unique_id_configured()
                # The voice server proves its callbacks with this secret, to this webhook.
                data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
                data[CONF_CALLBACK_SECRET] = secrets.token_urlsafe(32)
                data[CONF_BADGE_KEY] = new_badge_key()
                if Formula(data[CONF_FORMULA]) in STATION_FORMULAS:
                    self._home = data
                    return await self.async_step_station_link()
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                HOME_SCHEMA, self._suggested_home(user_input) if user_input else None
            ),
            errors=errors,
        )

    async def async_step_station_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The new home's station link, the options flow's form; left empty, the home has none."""
        home = self._home
        answer = async_station_link_step(self, user_input, None, {"name": home[CONF_NAME]})
        if not isinstance(answer, LinkAnswer):
            return answer
        options = {} if answer.link is None else {CONF_STATION_LINK: answer.link}
        return self.async_create_entry(title=home[CONF_NAME], data=home, options=options)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a home's name, formula or timings."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _validate_home(user_input)
            data |= await self._async_validate_call_out(user_input, entry.data, errors)
            data |= _validate_talk_down(user_input, errors)
            if not errors:
                unique_id = slugify(data[CONF_NAME])
                if any(
                    other.unique_id == unique_id
                    for other in self._async_current_entries(include_ignore=False)
                    if other.entry_id != entry.entry_id
                ):
                    errors[CONF_NAME] = "already_configured"
                else:
                    # The entry's update listener reloads the home.
                    return self.async_update_and_abort(
                        entry, unique_id=unique_id, title=data[CONF_NAME], data_updates=data
                    )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                HOME_SCHEMA, self._suggested_home(user_input or entry.data)
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The voice server refused the home's token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the voice server's new token, and check it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token = str(user_input[CONF_VOICE_TOKEN]).strip()
            if error := await _async_voice_error(self.hass, entry.data[CONF_VOICE_URL], token):
                errors[CONF_VOICE_TOKEN] = error
            else:
                # The entry's update listener reloads the home.
                return self.async_update_and_abort(entry, data_updates={CONF_VOICE_TOKEN: token})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_VOICE_TOKEN): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )


class _ImaProtectSubentryFlow(ConfigSubentryFlow, ABC):
    """Shared create/reconfigure plumbing: validate, then show the form again or save.

    Subentry titles are the names; subentry data never repeats the name.
    """

    @abstractmethod
    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Return the title, the data to store and the form errors."""

    @abstractmethod
    def _schema(self) -> probatio.Schema:
        """Return the form's schema."""

    def _suggested(self, subentry: ConfigSubentry) -> dict[str, Any]:
        """Return the form values showing what a subentry stores."""
        return {CONF_NAME: subentry.title, **_without_none(subentry.data)}

    def _suggested_after_error(self, user_input: dict[str, Any]) -> dict[str, Any]:
        """Return what the user typed, to show it again next to the errors."""
        return user_input

    @callback
    def _siblings(self, subentry_type: str) -> list[ConfigSubentry]:
        """Return the home's subentries of a type, the one being reconfigured left out."""
        own = self._get_reconfigure_subentry().subentry_id if self._reconfiguring else None
        return [
            subentry
            for subentry in self._get_entry().get_subentries_of_type(subentry_type)
            if subentry.subentry_id != own
        ]

    @property
    def _reconfiguring(self) -> bool:
        return self.source == SOURCE_RECONFIGURE

    @callback
    def _name_taken(self, subentry_type: str, name: str) -> bool:
        folded = name.casefold()
        return any(other.title.casefold() == folded for other in self._siblings(subentry_type))

    async def _async_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        subentry = self._get_reconfigure_subentry() if self._reconfiguring else None
        if subentry is not None:
            placeholders["name"] = subentry.title
        if user_input is not None:
            title, data, errors = await self._async_validate(user_input)
            if not errors:
                if subentry is None:
                    return self.async_create_entry(title=title, data=data)
                # The entry's update listener reloads the home, as for an added subentry.
                return self.async_update_and_abort(
                    self._get_entry(), subentry, title=title, data=data
                )
            suggested = self._suggested_after_error(user_input)
        elif subentry is not None:
            suggested = self._suggested(subentry)
        else:
            suggested = {}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(self._schema(), suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a subentry."""
        return await self._async_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a subentry."""
        return await self._async_step("reconfigure", user_input)


class ZoneSubentryFlow(_ImaProtectSubentryFlow):
    """Add or change a zone."""

    @override
    def _schema(self) -> probatio.Schema:
        return ZONE_SCHEMA

    @override
    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        name = _clean_name(user_input, errors)
        if name and self._name_taken(SUBENTRY_ZONE, name):
            errors[CONF_NAME] = "name_exists"
        data: dict[str, Any] = {CONF_PARTIAL: bool(user_input[CONF_PARTIAL])}
        if camera := user_input.get(CONF_CAMERA_ENTITY):  # photographs its detectors' alarms
            data[CONF_CAMERA_ENTITY] = camera
        return name, data, errors


class DetectorSubentryFlow(_ImaProtectSubentryFlow):
    """Add or change a detector mirroring a binary sensor."""

    @override
    async def _async_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        if not self._get_entry().get_subentries_of_type(SUBENTRY_ZONE):
            return self.async_abort(reason="no_zones")
        return await super()._async_step(step_id, user_input)

    @override
    def _schema(self) -> probatio.Schema:
        return _detector_schema(self._get_entry().get_subentries_of_type(SUBENTRY_ZONE))

    @override
    def _suggested(self, subentry: ConfigSubentry) -> dict[str, Any]:
        data = dict(subentry.data)
        supervision = {
            key: data.pop(key, None) for key in (CONF_BATTERY_ENTITY, CONF_TAMPER_ENTITY)
        }
        return {
            CONF_NAME: subentry.title,
            **_without_none(data),
            SECTION_SUPERVISION: _without_none(supervision),
        }

    @override
    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        name = _clean_name(user_input, errors)
        detector_type = DetectorType(user_input[CONF_DETECTOR_TYPE])
        source: str = user_input[CONF_SOURCE_ENTITY]
        if any(
            other.data.get(CONF_SOURCE_ENTITY) == source
            for other in self._siblings(SUBENTRY_DETECTOR)
        ):
            errors[CONF_SOURCE_ENTITY] = "source_in_use"
        camera: str | None = user_input.get(CONF_CAMERA_ENTITY) or None
        if detector_type is DetectorType.IMAGE_MOTION and camera is None:
            errors[CONF_CAMERA_ENTITY] = "camera_required"
        supervision: Mapping[str, Any] = user_input.get(SECTION_SUPERVISION) or {}
        data = {
            CONF_DETECTOR_TYPE: detector_type.value,
            CONF_SOURCE_ENTITY: source,
            CONF_ZONE: user_input[CONF_ZONE],
            # Smoke and flood detectors watch 24/7: an entry route means nothing for them.
            CONF_ENTRY_ROUTE: (
                bool(user_input[CONF_ENTRY_ROUTE]) and detector_type not in ALWAYS_ACTIVE_TYPES
            ),
            CONF_CAMERA_ENTITY: camera,
            CONF_BATTERY_ENTITY: supervision.get(CONF_BATTERY_ENTITY) or None,
            CONF_TAMPER_ENTITY: supervision.get(CONF_TAMPER_ENTITY) or None,
        }
        return name, data, errors


class PersonSubentryFlow(_ImaProtectSubentryFlow):
    """Add or change a person: personal code, badges, call-out contact, rights."""

    _pending_code_hash: str | None = None
    """Hash of a valid code typed in this flow, kept while the form comes back for other errors."""
    _pending_phone_code_hash: str | None = None
    """Likewise for the phone code."""
    _pending_duress_hash: str | None = None
    """Likewise for the duress code."""

    def _phone_regions(self) -> tuple[str, ...]:
        """The regions the home's voice server dials (as it said on connect), else France."""
        entry = self._get_entry()
        if entry.state is ConfigEntryState.LOADED:
            panel: HomePanel = entry.runtime_data
            return panel.callout.allowed_regions
        return DEFAULT_REGIONS

    @override
    def _schema(self) -> probatio.Schema:
        return _person_schema(
            code_required=not self._reconfiguring and self._pending_code_hash is None,
            reconfiguring=self._reconfiguring,
        )

    @override
    def _suggested(self, subentry: ConfigSubentry) -> dict[str, Any]:
        data = _without_none(subentry.data)
        data.pop(CONF_CODE_HASH, None)
        data.pop(CONF_PHONE_CODE_HASH, None)
        data.pop(CONF_DURESS_CODE_HASH, None)
        # Only hashes are stored: a registered badge shows as its hint, kept while it stays.
        data[CONF_BADGES] = [badge.label for badge in person_badges(subentry)]
        return {CONF_NAME: subentry.title, **data}

    @override
    def _suggested_after_error(self, user_input: dict[str, Any]) -> dict[str, Any]:
        # Never send a clear code back to the browser: a valid one is kept as a hash instead.
        secret = (CONF_CODE, CONF_PHONE_CODE, CONF_DURESS_CODE)
        return {k: v for k, v in user_input.items() if k not in secret}

    async def _async_code_hash(self, code: str, errors: dict[str, str]) -> str | None:
        """Validate the code typed, or fall back to the one already known."""
        if not code:
            if self._pending_code_hash is not None:
                return self._pending_code_hash
            if self._reconfiguring:
                current: str | None = self._get_reconfigure_subentry().data.get(CONF_CODE_HASH)
                return current
            errors[CONF_CODE] = "code_required"
            return None
        self._pending_code_hash = None
        if not is_valid_code(code):
            errors[CONF_CODE] = "invalid_code"
            return None
        hashes = _codes_of(self._siblings(SUBENTRY_PERSON))  # their duress codes too
        if await self.hass.async_add_executor_job(_code_in_use, code, hashes):
            errors[CONF_CODE] = "code_in_use"
            return None
        self._pending_code_hash = await self.hass.async_add_executor_job(hash_code, code)
        return self._pending_code_hash

    async def _async_phone_code_hash(
        self, phone_code: str, code: str, code_hash: str | None, errors: dict[str, str]
    ) -> str | None:
        """Validate the phone code typed (never the keypad code), or keep the one known."""
        if not phone_code:
            if self._pending_phone_code_hash is not None:
                return self._pending_phone_code_hash
            if self._reconfiguring:
                data = self._get_reconfigure_subentry().data
                current: str | None = data.get(CONF_PHONE_CODE_HASH)
                return current
            return None
        self._pending_phone_code_hash = None
        if not is_valid_phone_code(phone_code):
            errors[CONF_PHONE_CODE] = "invalid_phone_code"
            return None
        same = phone_code == code or (
            not code
            and code_hash is not None
            and await self.hass.async_add_executor_job(verify_code, phone_code, code_hash)
        )
        if same:
            errors[CONF_PHONE_CODE] = "phone_code_same_as_code"
            return None
        self._pending_phone_code_hash = await self.hass.async_add_executor_job(
            hash_code, phone_code
        )
        return self._pending_phone_code_hash

    async def _async_duress_hash(
        self, user_input: Mapping[str, Any], own: dict[str, str | None], errors: dict[str, str]
    ) -> str | None:
        """Validate the duress code typed, keep the one known, or forget it when asked.

        It must differ from the person's code and phone code and from everyone else's codes
        and duress codes: the keypad must tell whose it is, and the phone code's hash leaves
        Home Assistant (reversed, it must not disarm). A new keypad code is checked against the
        stored duress code the same way, so changing either cannot make them equal.
        """
        duress = str(user_input.get(CONF_DURESS_CODE) or "")
        stored: str | None = None
        if self._reconfiguring and not user_input.get(CONF_DURESS_CLEAR):
            stored = self._get_reconfigure_subentry().data.get(CONF_DURESS_CODE_HASH)
        if not duress:
            pending = self._pending_duress_hash
            kept = pending if pending is not None else stored
            for key, clash in (
                (CONF_CODE, "duress_same_as_code"),
                (CONF_PHONE_CODE, "duress_same_as_phone_code"),
            ):
                typed = own.get(key)
                if not kept or not typed:
                    continue
                if await self.hass.async_add_executor_job(verify_code, typed, kept):
                    errors[key] = clash
                    # Forget the refused code's hash: sent back empty, it must not slip through.
                    if key == CONF_CODE:
                        self._pending_code_hash = None
                    else:
                        self._pending_phone_code_hash = None
            return kept
        self._pending_duress_hash = None
        if not is_valid_code(duress):
            errors[CONF_DURESS_CODE] = "invalid_duress_code"
            return None
        others = _codes_of(self._siblings(SUBENTRY_PERSON))
        refused = await self.hass.async_add_executor_job(_duress_error, duress, own, others)
        if refused is not None:
            errors[CONF_DURESS_CODE] = refused
            return None
        self._pending_duress_hash = await self.hass.async_add_executor_job(hash_code, duress)
        return self._pending_duress_hash

    def _badges(self, typed: Iterable[Any]) -> dict[str, StoredBadge]:
        """The person's badges from the form, by digest, first one wins.

        A registered badge comes back as its label (``…FCFF``, its id is not known any more)
        and is kept as stored; anything else is a new badge id, hashed with the home's key.
        """
        kept = person_badges(self._get_reconfigure_subentry()) if self._reconfiguring else []
        key = home_badge_key(self._get_entry())
        badges: dict[str, StoredBadge] = {}
        for raw in typed:
            if not (text := str(raw).strip()):
                continue
            typed_badge = new_badge(key, text)
            badge = next(
                (b for b in kept if text == b.label or b.digest == typed_badge.digest),
                typed_badge,
            )
            if badge in kept:
                kept.remove(badge)
            badges.setdefault(badge.digest, badge)
        return badges

    @override
    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        others = self._siblings(SUBENTRY_PERSON)

        name = _clean_name(user_input, errors)
        if name and self._name_taken(SUBENTRY_PERSON, name):
            errors[CONF_NAME] = "name_exists"

        code = str(user_input.get(CONF_CODE) or "")
        code_hash = await self._async_code_hash(code, errors)
        phone_code = str(user_input.get(CONF_PHONE_CODE) or "")
        phone_code_hash = await self._async_phone_code_hash(phone_code, code, code_hash, errors)
        own = {
            CONF_CODE: code or None,
            CONF_CODE_HASH: code_hash,
            CONF_PHONE_CODE: phone_code or None,
            CONF_PHONE_CODE_HASH: phone_code_hash,
        }
        duress_hash = await self._async_duress_hash(user_input, own, errors)

        badges = self._badges(user_input.get(CONF_BADGES) or [])
        taken = {badge.digest for other in others for badge in person_badges(other)}
        if not taken.isdisjoint(badges):
            errors[CONF_BADGES] = "badge_in_use"

        phone: str | None = None
        if phone_text := str(user_input.get(CONF_PHONE) or "").strip():
            phone = await self.hass.async_add_executor_job(
                _normalise_phone, phone_text, self._phone_regions()
            )
            if phone is None:
                errors[CONF_PHONE] = "invalid_phone"

        email: str | None = str(user_input.get(CONF_EMAIL) or "").strip() or None
        if email is not None:
            try:
                email = normalise_email(email)
            except EmailError:
                errors[CONF_EMAIL] = "invalid_email"

        position: int | None = None
        if (raw_position := user_input.get(CONF_CALL_POSITION)) is not None:
            position = int(raw_position)
            if any(other.data.get(CONF_CALL_POSITION) == position for other in others):
                errors[CONF_CALL_POSITION] = "position_in_use"
            elif phone is None and CONF_PHONE not in errors:
                errors[CONF_PHONE] = "phone_required"
            elif phone_code_hash is None and CONF_PHONE_CODE not in errors:
                errors[CONF_PHONE_CODE] = "phone_code_required"

        data = {
            CONF_CODE_HASH: code_hash,
            CONF_PHONE_CODE_HASH: phone_code_hash,
            CONF_BADGES: [badge.as_data() for badge in badges.values()],
            CONF_PHONE: phone,
            CONF_EMAIL: email,
            CONF_CALL_POSITION: position,
            CONF_MAY_ARM: bool(user_input[CONF_MAY_ARM]),
            CONF_MAY_DISARM: bool(user_input[CONF_MAY_DISARM]),
        }
        if duress_hash is not None:  # only then: a person without one stores as before
            data[CONF_DURESS_CODE_HASH] = duress_hash
        return name, data, errors
