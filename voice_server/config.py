"""Settings of the running voice server: a TOML file, then environment variables on top.

One file serves both commands: its ``[asterisk]`` table (shared with ``asterisk-config``) gives
the ARI user, password and port; ``[voice]`` the server itself; ``[voice.routes]`` per-number dial
strings; ``[smtp]`` the mail relay. Secrets (API token, ARI and SMTP passwords) may come from the
environment instead, so that the file can stay world-readable and out of the process list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import os
from pathlib import Path
import tomllib
from typing import Any

from custom_components.imaprotect.contract.phones import PhoneError, normalise_phone
from voice_server.outbox import SmtpSettings
from voice_server.phones import Dialer

__all__ = ["CallSettings", "ConfigError", "VoiceConfig", "load_config"]

ENV_PREFIX = "IMAPROTECT_VOICE_"
ARI_PASSWORD_ENV = "IMAPROTECT_ARI_PASSWORD"  # noqa: S105 - a variable name, not a secret
SMTP_ENV_PREFIX = "IMAPROTECT_SMTP_"
MIN_TOKEN = 16


class ConfigError(ValueError):
    """Missing or invalid setting; the message names the setting, never its value."""


@dataclass(frozen=True, slots=True)
class CallSettings:
    """How the call tree behaves (seconds unless stated)."""

    ring_timeout: float = 30.0
    rounds: int = 2
    digit_timeout: float = 10.0
    max_wrong_codes: int = 3
    call_watchdog: float = 300.0
    sos_max_duration: float = 3600.0
    caller_id: str | None = None
    #: An alert nobody could be called for stops as ``expired`` at this age.
    max_alert_age: float = 3600.0
    #: A code of a phone code's length typed without ``#`` is taken after this pause.
    code_pause: float = 3.0
    #: Wrong codes in 24 hours after which a contact's code no longer acknowledges (SOS still does).
    code_lock_after: int = 6


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    """Everything ``imaprotect-voice run`` needs."""

    token: str = field(repr=False)
    database: Path
    ari_url: str
    ari_user: str
    ari_password: str = field(repr=False)
    listen: str = "127.0.0.1"
    port: int = 8099
    ari_app: str = "imaprotect"
    prompts_dir: Path | None = None
    reconnect_max: float = 10.0
    dial_template: str = "PJSIP/{number}@trunk"
    routes: Mapping[str, str] = field(default_factory=dict, repr=False)
    allowed_regions: tuple[str, ...] = ("FR",)
    calls: CallSettings = CallSettings()
    smtp: SmtpSettings | None = None
    retention_days: int = 90  # finished alerts and their attempts are deleted after this
    tls_cert: Path | None = None  # PEM certificate chain: the API is served over HTTPS
    tls_key: Path | None = None  # its PEM private key

    @property
    def prompt_cache(self) -> Path:
        """Where synthesised prompts are kept (next to the database unless set)."""
        return self.prompts_dir or self.database.parent / "prompts"

    def dialer(self) -> Dialer:
        """Dial strings for contacts and station."""
        return Dialer(self.dial_template, self.routes)


_VOICE_STR = ("token", "listen", "ari_app", "ari_url", "dial_template", "caller_id")
_VOICE_INT = ("port", "rounds", "max_wrong_codes", "retention_days", "code_lock_after")
_VOICE_FLOAT = (
    "ring_timeout",
    "digit_timeout",
    "call_watchdog",
    "sos_max_duration",
    "reconnect_max",
    "max_alert_age",
    "code_pause",
)
_VOICE_PATH = ("database", "prompts_dir", "tls_cert", "tls_key")
_VOICE_KEYS = frozenset({*_VOICE_STR, *_VOICE_INT, *_VOICE_FLOAT, *_VOICE_PATH, "allowed_regions"})
_CALL_KEYS = tuple(CallSettings.__dataclass_fields__)
_SMTP_KEYS = ("host", "port", "sender", "username", "password", "starttls", "tls", "timeout")


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return dict(value)


def _convert(section: str, key: str, value: Any, kind: type) -> Any:
    error = ConfigError(f"{section}.{key}: expected {kind.__name__}")
    if kind is bool and isinstance(value, str):
        if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
            raise error
        return value.lower() in {"1", "true", "yes"}
    if kind in (int, float) and isinstance(value, bool):
        raise error
    try:
        return kind(value)
    except TypeError, ValueError:
        raise error from None


def _voice_values(table: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    routes = table.pop("routes", {})
    unknown = set(table) - _VOICE_KEYS
    if unknown:
        raise ConfigError(f"unknown [voice] keys: {', '.join(sorted(unknown))}")
    for key in _VOICE_KEYS:
        if (env := environ.get(ENV_PREFIX + key.upper())) is not None:
            table[key] = env.split(",") if key == "allowed_regions" else env
    values: dict[str, Any] = {}
    for keys, kind in ((_VOICE_STR, str), (_VOICE_INT, int), (_VOICE_FLOAT, float)):
        for key in keys:
            if key in table:
                values[key] = _convert("voice", key, table[key], kind)
    for key in _VOICE_PATH:
        if key in table:
            values[key] = Path(_convert("voice", key, table[key], str)).expanduser()
    if "allowed_regions" in table:
        regions = table["allowed_regions"]
        if not isinstance(regions, list) or not regions:
            raise ConfigError("voice.allowed_regions: a non-empty list of region codes")
        values["allowed_regions"] = tuple(str(r).strip().upper() for r in regions)
    if not isinstance(routes, dict) or not all(isinstance(v, str) for v in routes.values()):
        raise ConfigError("[voice.routes]: number = dial string")
    values["routes"] = routes
    return values


def _routes(routes: dict[str, str], regions: tuple[str, ...]) -> dict[str, str]:
    """Route keys normalised like the contacts' numbers, so either spelling matches."""
    normalised: dict[str, str] = {}
    for number, dial in routes.items():
        try:
            key = number if number.startswith("sip") else normalise_phone(number, regions)
        except PhoneError as err:
            raise ConfigError(f"voice.routes: {err}") from None
        normalised[key] = dial
    return normalised


def _smtp(table: dict[str, Any], environ: Mapping[str, str]) -> SmtpSettings | None:
    unknown = set(table) - set(_SMTP_KEYS)
    if unknown:
        raise ConfigError(f"unknown [smtp] keys: {', '.join(sorted(unknown))}")
    for key in _SMTP_KEYS:
        if (env := environ.get(SMTP_ENV_PREFIX + key.upper())) is not None:
            table[key] = env
    if not table.get("host"):
        return None
    kinds: dict[str, type] = {"port": int, "starttls": bool, "tls": bool, "timeout": float}
    values = {k: _convert("smtp", k, v, kinds.get(k, str)) for k, v in table.items()}
    if "sender" not in values:
        raise ConfigError("smtp.sender is required with smtp.host")
    if values.get("tls") and values.get("starttls"):
        raise ConfigError("smtp.tls (port 465) and smtp.starttls exclude each other")
    if values.get("username") and values.get("starttls") is False and not values.get("tls"):
        # The password and every alert would cross the network in clear.
        raise ConfigError("smtp.username needs TLS: leave smtp.starttls on, or set smtp.tls")
    values.setdefault("port", 465 if values.get("tls") else 25)
    return SmtpSettings(**values)


def load_config(path: Path | None, environ: Mapping[str, str] | None = None) -> VoiceConfig:
    """Read ``path`` (optional) and the environment; ConfigError names what is wrong."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"{path}: {err}") from None
    asterisk = _table(data, "asterisk")
    values = _voice_values(_table(data, "voice"), environ)
    calls = {k: values.pop(k) for k in _CALL_KEYS if k in values}
    values["calls"] = CallSettings(**calls)
    values["smtp"] = _smtp(_table(data, "smtp"), environ)
    values["ari_user"] = str(asterisk.get("ari_user", "imaprotect"))
    values["ari_password"] = environ.get(ARI_PASSWORD_ENV) or asterisk.get("ari_password")
    if "ari_url" not in values:
        port = _convert("asterisk", "http_port", asterisk.get("http_port", 8088), int)
        values["ari_url"] = f"http://127.0.0.1:{port}"
    return _check(values)


def _check(values: dict[str, Any]) -> VoiceConfig:
    token = values.get("token")
    if not token or len(token) < MIN_TOKEN:
        raise ConfigError(
            f"voice.token (or ${ENV_PREFIX}TOKEN): at least {MIN_TOKEN} characters required"
        )
    if not values.get("ari_password"):
        raise ConfigError(f"no ARI password: set asterisk.ari_password or ${ARI_PASSWORD_ENV}")
    if "database" not in values:
        raise ConfigError(f"voice.database (or ${ENV_PREFIX}DATABASE) is required")
    calls: CallSettings = values["calls"]
    if calls.rounds < 1 or calls.max_wrong_codes < 1:
        raise ConfigError("voice.rounds and voice.max_wrong_codes must be at least 1")
    if values.get("retention_days", 1) < 1:
        raise ConfigError("voice.retention_days must be at least 1")
    for name in (
        "ring_timeout",
        "digit_timeout",
        "call_watchdog",
        "sos_max_duration",
        "max_alert_age",
        "code_pause",
    ):
        if getattr(calls, name) <= 0:
            raise ConfigError(f"voice.{name} must be positive")
    if calls.code_lock_after < 1:
        raise ConfigError("voice.code_lock_after must be at least 1")
    if (values.get("tls_cert") is None) != (values.get("tls_key") is None):
        raise ConfigError("voice.tls_cert and voice.tls_key go together")
    values["routes"] = _routes(values["routes"], values.get("allowed_regions", ("FR",)))
    config = VoiceConfig(**values)
    try:
        config.dialer()
    except ValueError as err:
        raise ConfigError(f"voice.dial_template: {err}") from None
    return config
