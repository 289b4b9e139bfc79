"""A home's station-link settings as its options store them (flat JSON), checked and read back.

The options flow writes one mapping per home (``LinkOptions.as_dict``); the adapter reads it
back into the ``StationAccount``, the receivers and the ``TransmitterSettings`` of its
``StationLink``. The checks return translation keys per field, never the key or part of it.
The key is kept as ``StationKey.as_text`` ("hex:…" or "ascii:…"): its format is always said.
A category with two paths (DP1-DP4) needs the back-up receiver; ``custom`` takes its own poll
interval (both paths), alarms then due within ``CUSTOM_TRANSMISSION``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from .codes import DataFormat
from .frames import AccountId, FrameError
from .keys import KeyFormat, StationKey, StationKeyError
from .settings import (
    Category,
    ReceiverPath,
    StationAccount,
    SupervisionProfile,
    TransmitterSettings,
    Transport,
)

HOST = "host"
PORT = "port"
BACKUP_HOST = "backup_host"
BACKUP_PORT = "backup_port"
TRANSPORT = "transport"
ACCOUNT = "account"
LINE_PREFIX = "line_prefix"
KEY_FORMAT = "key_format"  # a form field: the stored key says its format itself
KEY = "key"
DATA_FORMAT = "data_format"
CATEGORY = "category"
POLL_INTERVAL = "poll_interval"

NO_KEY = "none"
DEFAULT_PORT = 12000
MIN_POLL = 10  # seconds
MAX_POLL = 90000  # 25 h, SP2's reporting time
CUSTOM_TRANSMISSION = timedelta(seconds=60)


class LinkError(StrEnum):
    """Why a field of the form was refused (translation keys of the options flow)."""

    HOST_REQUIRED = "station_host_required"
    INVALID_PORT = "station_invalid_port"
    INVALID_ACCOUNT = "station_invalid_account"
    INVALID_LINE_PREFIX = "station_invalid_line_prefix"
    KEY_REQUIRED = "station_key_required"
    KEY_NOT_HEX = "station_key_not_hex"
    KEY_NOT_ASCII = "station_key_not_ascii"
    KEY_BAD_LENGTH = "station_key_bad_length"
    BACKUP_REQUIRED = "station_backup_required"
    INVALID_POLL = "station_invalid_poll"


_KEY_ERRORS = {
    "not_hex": LinkError.KEY_NOT_HEX,
    "not_ascii": LinkError.KEY_NOT_ASCII,
    "bad_length": LinkError.KEY_BAD_LENGTH,
}


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """One home's link, checked: everything the ``StationLink`` is built from."""

    host: str
    port: int
    backup_host: str | None
    backup_port: int
    transport: Transport
    account: str
    line_prefix: str
    key: StationKey | None
    data_format: DataFormat
    category: Category
    poll_interval: int | None

    def as_dict(self) -> dict[str, Any]:
        """What the options store (the key as "hex:…" / "ascii:…")."""
        return {
            HOST: self.host,
            PORT: self.port,
            BACKUP_HOST: self.backup_host,
            BACKUP_PORT: self.backup_port,
            TRANSPORT: self.transport.value,
            ACCOUNT: self.account,
            LINE_PREFIX: self.line_prefix,
            KEY: self.key.as_text() if self.key is not None else None,
            DATA_FORMAT: self.data_format.value,
            CATEGORY: self.category.value,
            POLL_INTERVAL: self.poll_interval,
        }

    def station_account(self) -> StationAccount:
        """The account at the station."""
        return StationAccount(
            self.account, key=self.key, line_prefix=self.line_prefix, data_format=self.data_format
        )

    def receivers(self) -> list[ReceiverPath]:
        """The primary receiver, then the back-up one if any."""
        paths = [ReceiverPath(self.host, self.port, self.transport)]
        if self.backup_host:
            paths.append(ReceiverPath(self.backup_host, self.backup_port, self.transport))
        return paths

    def settings(self, **timings: Any) -> TransmitterSettings:
        """The category's timings; ``timings`` overrides any field, the category's too (tests)."""
        custom = None
        if self.category is Category.CUSTOM:
            poll = timedelta(seconds=self.poll_interval or MIN_POLL)
            custom = SupervisionProfile(poll, poll, CUSTOM_TRANSMISSION)
        values: dict[str, Any] = {"category": self.category, "custom": custom} | timings
        return TransmitterSettings(**values)


def _port(value: Any) -> int | None:
    try:
        port = int(value)
    except TypeError, ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def _key(form: Mapping[str, Any], stored: str | None, errors: dict[str, str]) -> StationKey | None:
    """The form's key: a new one, the stored one (empty field, same format), or none."""
    chosen = str(form.get(KEY_FORMAT) or NO_KEY)
    if chosen == NO_KEY:
        return None
    typed = str(form.get(KEY) or "").strip()
    if not typed:
        if stored is not None:
            kept = StationKey.parse(stored)
            if kept.format.value == chosen:
                return kept
        errors[KEY] = LinkError.KEY_REQUIRED
        return None
    try:
        if chosen == KeyFormat.HEX:
            return StationKey.from_hex(typed)
        return StationKey.from_ascii(typed)
    except StationKeyError as err:
        errors[KEY] = _KEY_ERRORS.get(err.reason.value, LinkError.KEY_BAD_LENGTH)
        return None


def check_form(
    form: Mapping[str, Any], stored: Mapping[str, Any] | None
) -> tuple[LinkOptions | None, dict[str, str]]:
    """Read the form; ``None`` without errors means "no station link" (no account given)."""
    errors: dict[str, str] = {}
    account = str(form.get(ACCOUNT) or "").strip().upper()
    host = str(form.get(HOST) or "").strip()
    if not account and not host:
        return None, errors
    line_prefix = str(form.get(LINE_PREFIX) or "0").strip().upper()
    try:
        AccountId(account, "0")
    except FrameError:
        errors[ACCOUNT] = LinkError.INVALID_ACCOUNT
    try:
        AccountId("000", line_prefix)
    except FrameError:
        errors[LINE_PREFIX] = LinkError.INVALID_LINE_PREFIX
    if not host:
        errors[HOST] = LinkError.HOST_REQUIRED
    port = _port(DEFAULT_PORT if form.get(PORT) is None else form[PORT])
    if port is None:
        errors[PORT] = LinkError.INVALID_PORT
    backup_host = str(form.get(BACKUP_HOST) or "").strip() or None
    backup_port = _port(form.get(BACKUP_PORT) or port or DEFAULT_PORT)
    if backup_port is None:
        errors[BACKUP_PORT] = LinkError.INVALID_PORT
    category = Category(form.get(CATEGORY) or Category.SP4)
    if category.value.startswith("DP") and backup_host is None:
        errors[BACKUP_HOST] = LinkError.BACKUP_REQUIRED
    poll: int | None = None
    if category is Category.CUSTOM:
        try:
            poll = int(form.get(POLL_INTERVAL) or 0)
        except TypeError, ValueError:
            poll = 0
        if not MIN_POLL <= poll <= MAX_POLL:
            errors[POLL_INTERVAL] = LinkError.INVALID_POLL
    key = _key(form, (stored or {}).get(KEY), errors)
    if errors:
        return None, errors
    return LinkOptions(
        host=host,
        port=port or DEFAULT_PORT,  # None only with an error, returned above
        backup_host=backup_host,
        backup_port=backup_port or DEFAULT_PORT,
        transport=Transport(form.get(TRANSPORT) or Transport.TCP),
        account=account,
        line_prefix=line_prefix,
        key=key,
        data_format=DataFormat(form.get(DATA_FORMAT) or DataFormat.SIA_DCS),
        category=category,
        poll_interval=poll,
    ), errors


def read_options(stored: Mapping[str, Any] | None) -> LinkOptions | None:
    """The saved link (as ``as_dict`` wrote it), or None when the home has none."""
    if not stored or not stored.get(ACCOUNT):
        return None
    key = stored.get(KEY)
    form = dict(stored)
    form[KEY_FORMAT] = StationKey.parse(key).format.value if key else NO_KEY
    form[KEY] = None
    options, errors = check_form(form, stored)
    if errors:
        raise ValueError(f"saved station link settings are invalid: {sorted(errors)}")
    return options


def suggested(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the form shows of the saved link: everything but the key (its format only)."""
    if not stored:
        return {}
    values = {k: v for k, v in stored.items() if k != KEY and v is not None}
    key = stored.get(KEY)
    values[KEY_FORMAT] = StationKey.parse(key).format.value if key else NO_KEY
    return values
