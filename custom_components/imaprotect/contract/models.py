"""The wire models: what Home Assistant sends, what the voice server answers and calls back.

pydantic models, so that one definition gives the validation of every request, its error paths
(``contacts.1.phone``), the JSON both sides write and the OpenAPI document the server serves.
The phone policy depends on the server's settings: validate a site with
``context={"allowed_regions": (...)}`` (default: France); a site read back from the server's own
database is validated with ``STORED`` and keeps its numbers as they were accepted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .codes import split_hash
from .emails import EmailError, normalise_email
from .enums import (
    Acknowledgement,
    AlertKind,
    AlertStatus,
    CallbackEvent,
    Formula,
    Language,
    NoticeKind,
    Outcome,
    Reason,
    TalkDownMode,
    TroubleKind,
)
from .limits import (
    ALERT_ID_PATTERN,
    CONTACT_ID_PATTERN,
    MAX_CONTACTS,
    MAX_HEARTBEAT_GRACE,
    MAX_HEARTBEAT_INTERVAL,
    MAX_NOTE,
    MAX_NOTICE_TROUBLES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    MAX_URL,
    MIN_CALLBACK_SECRET,
    MIN_HEARTBEAT_INTERVAL,
)
from .phones import DEFAULT_REGIONS, PhoneError, normalise_phone, normalise_station
from .speakers import SpeakerError, normalise_speaker
from .text import check_name

__all__ = [
    "JPEG_MAGIC",
    "STORED",
    "AlertAccepted",
    "AlertIn",
    "AlertView",
    "AttemptView",
    "Callback",
    "CancelIn",
    "Contact",
    "ContactView",
    "ErrorBody",
    "Health",
    "HeartbeatAccepted",
    "HeartbeatIn",
    "NoticeAccepted",
    "NoticeIn",
    "PersonRef",
    "PhotosAccepted",
    "PhotosIn",
    "ServerInfo",
    "Site",
    "SiteSaved",
    "SiteView",
    "TalkDownView",
    "TroubleItem",
]

STORED: dict[str, Any] = {"stored": True}
"""Validation context for a site read back from the server's database: it was accepted when it
was saved, perhaps under older rules, so the phone, e-mail and code-hash rules are not applied
again (a stored alert must always load, or its calls would stop)."""


def _regions(info: ValidationInfo) -> tuple[str, ...]:
    context = info.context or {}
    return tuple(context.get("allowed_regions", DEFAULT_REGIONS))


def _stored(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("stored"))


def _name(value: str) -> str:
    try:
        return check_name(value)
    except ValueError as err:
        raise PydanticCustomError("invalid_value", str(err)) from None


def _pattern(pattern: Any) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError(
                "invalid_value", "must match {pattern}", {"pattern": pattern.pattern}
            )
        return value

    return AfterValidator(check)


Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"maxLength": 100})]
"""A name said on the phone: one printable line of 1 to 100 characters (see ``text``)."""


def _note(value: str) -> str:
    try:
        return check_name(value, MAX_NOTE)
    except ValueError as err:
        raise PydanticCustomError("invalid_value", str(err)) from None


Note = Annotated[str, AfterValidator(_note), Field(json_schema_extra={"maxLength": MAX_NOTE})]
"""A sentence said on the phone after the alert's message: one printable line, 1 to 200 chars."""
ContactId = Annotated[
    str, _pattern(CONTACT_ID_PATTERN), Field(pattern=f"^{CONTACT_ID_PATTERN.pattern}$")
]
AlertId = Annotated[str, _pattern(ALERT_ID_PATTERN), Field(pattern=f"^{ALERT_ID_PATTERN.pattern}$")]


class _Model(BaseModel):
    """Frozen; unknown fields are ignored so that a newer client's extras never cause a 5xx."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(_Model):
    """One person to call, in the site's call order; only a hash of their phone code travels."""

    id: ContactId
    name: Name
    phone: str = Field(repr=False, description="E.164 after validation; allowed regions only")
    email: str | None = Field(default=None, repr=False)
    ack_code_hash: str = Field(
        repr=False,
        description="the contact's own phone code (never the keypad code), hashed:"
        " pbkdf2_sha256$<iterations>$<salt b64>$<digest b64>",
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        if _stored(info):
            return value
        contact = info.data.get("id", "?")
        try:
            return normalise_phone(value, _regions(info))
        except PhoneError as err:
            raise PydanticCustomError(
                "invalid_phone",
                "contact {contact}: {reason}",
                {"contact": contact, "reason": str(err)},
            ) from None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _stored(info):
            return value
        try:
            return normalise_email(value)
        except EmailError as err:
            raise PydanticCustomError(
                "invalid_email",
                "contact {contact}: {reason}",
                {"contact": info.data.get("id", "?"), "reason": str(err)},
            ) from None

    @field_validator("ack_code_hash")
    @classmethod
    def _code_hash(cls, value: str, info: ValidationInfo) -> str:
        if _stored(info):
            return value
        try:
            split_hash(value)
        except ValueError as err:
            raise PydanticCustomError(
                "invalid_code_hash",
                "contact {contact}: {reason}",
                {"contact": info.data.get("id", "?"), "reason": str(err)},
            ) from None
        return value


class Site(_Model):
    """A home's instructions: who to call in which order, the station, where to call back."""

    name: Name
    language: Language
    formula: Formula
    contacts: tuple[Contact, ...] = Field(max_length=MAX_CONTACTS)
    station: str | None = Field(default=None, repr=False, description="SIP URI or phone number")
    callback_url: str | None = Field(default=None, repr=False, max_length=MAX_URL)
    callback_secret: str | None = Field(default=None, repr=False, validate_default=True)
    speaker: str | None = Field(
        default=None,
        repr=False,
        description="talk-down: the home's auto-answer SIP speaker or intercom, a SIP URI"
        " (sip:user@host[:port]) or a PJSIP endpoint name; a contact on the phone listens in"
        " through it, then speaks",
    )
    warning: bool = Field(
        default=False,
        description="talk-down without a speaker: Home Assistant plays a spoken warning in the"
        " home (media players, siren) when a contact asks for it on the phone",
    )

    @field_validator("speaker")
    @classmethod
    def _speaker(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _stored(info):
            return value
        try:
            return normalise_speaker(value)
        except SpeakerError as err:
            raise PydanticCustomError(
                "invalid_speaker", "speaker: {reason}", {"reason": str(err)}
            ) from None

    @property
    def talk_down(self) -> TalkDownMode | None:
        """What the talk-down key does on this site's calls; None: it has no talk-down."""
        if self.speaker is not None:
            return TalkDownMode.SPEAKER
        return TalkDownMode.WARNING if self.warning else None

    @field_validator("contacts")
    @classmethod
    def _unique(cls, contacts: tuple[Contact, ...], info: ValidationInfo) -> tuple[Contact, ...]:
        if _stored(info):
            return contacts
        if not contacts:
            raise PydanticCustomError(
                "too_short", "a list of 1 to {maximum} contacts", {"maximum": MAX_CONTACTS}
            )
        seen: set[str] = set()
        for index, contact in enumerate(contacts):
            if contact.id in seen:
                raise PydanticCustomError(
                    "duplicate_contact", "contact ids must be unique", {"index": index}
                )
            seen.add(contact.id)
        return contacts

    @field_validator("station")
    @classmethod
    def _station(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or _stored(info):
            return value
        try:
            return normalise_station(value.strip(), _regions(info))
        except PhoneError as err:
            raise PydanticCustomError(
                "invalid_phone", "station: {reason}", {"reason": str(err)}
            ) from None

    @field_validator("callback_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise PydanticCustomError("invalid_value", "an absolute http(s) URL")
        return value.strip()

    @field_validator("callback_secret")
    @classmethod
    def _secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("callback_url") is not None and (
            value is None or len(value) < MIN_CALLBACK_SECRET
        ):
            raise PydanticCustomError(
                "invalid_value",
                "at least {minimum} characters when callback_url is set",
                {"minimum": MIN_CALLBACK_SECRET},
            )
        return value

    def without_callback(self) -> Site:
        """The site as an alert's plan keeps it: no callback URL or secret (read from the site)."""
        return self.model_copy(update={"callback_url": None, "callback_secret": None})


class ContactView(_Model):
    """A contact as ``GET /sites/{id}`` shows it: no code hash."""

    id: str
    name: str
    phone: str
    email: str | None = None


class SiteView(_Model):
    """A site as ``GET /sites/{id}`` shows it: no code hashes, no callback secret."""

    site_id: str
    name: str
    language: Language
    formula: Formula
    contacts: tuple[ContactView, ...]
    station: str | None = None
    callback_url: str | None = None
    speaker: str | None = None
    warning: bool = False

    @classmethod
    def of(cls, site_id: str, site: Site) -> SiteView:
        """The public view of a stored site."""
        return cls(
            site_id=site_id,
            name=site.name,
            language=site.language,
            formula=site.formula,
            contacts=tuple(
                ContactView(id=c.id, name=c.name, phone=c.phone, email=c.email)
                for c in site.contacts
            ),
            station=site.station,
            callback_url=site.callback_url,
            speaker=site.speaker,
            warning=site.warning,
        )


class SiteSaved(_Model):
    """The answer to ``PUT /sites/{id}``."""

    site_id: str
    contacts: int


def _photo(value: str) -> bytes:
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error, ValueError:
        raise PydanticCustomError("invalid_value", "not valid base64") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise PydanticCustomError("invalid_value", "larger than 2 MB")
    return data


def _check_photo(value: str) -> str:
    _photo(value)
    return value


Photo = Annotated[str, AfterValidator(_check_photo)]
"""A JPEG in standard base64 (with padding), at most 2 MB once decoded."""


class AlertIn(_Model):
    """An alarm raised by the home: ``POST /sites/{id}/alerts`` (idempotent on ``alert_id``)."""

    alert_id: AlertId
    kind: AlertKind
    detector: Name | None = None
    zone: Name | None = None
    occurred_at: AwareDatetime
    photos: tuple[Photo, ...] = Field(default=(), max_length=MAX_PHOTOS, repr=False)
    acknowledgement: Acknowledgement = Field(
        default=Acknowledgement.REQUIRED,
        description="required: the first callee who types their phone code takes the alert;"
        " none: each callee is called until they heard the message, no code asked (the station"
        " handles the alarm)",
    )
    skip_contacts: tuple[ContactId, ...] = Field(
        default=(),
        max_length=MAX_CONTACTS,
        description="contacts of the site neither called nor e-mailed for this alert"
        " (the person who gave a duress code)",
    )
    note: Note | None = Field(
        default=None, description="said after the message (the words of an agent request)"
    )

    def photo_bytes(self) -> tuple[bytes, ...]:
        """The photos decoded."""
        return tuple(base64.b64decode(photo) for photo in self.photos)


JPEG_MAGIC = b"\xff\xd8\xff"
"""How every JPEG starts (SOI marker, then the first segment's marker)."""


def _check_jpeg(value: str) -> str:
    if not _photo(value).startswith(JPEG_MAGIC):
        raise PydanticCustomError("invalid_value", "not a JPEG")
    return value


JpegPhoto = Annotated[str, AfterValidator(_check_jpeg)]
"""A ``Photo`` that starts as a JPEG does (the server stores and mails it as one)."""


class PhotosIn(_Model):
    """An alarm's photos, sent once the cameras gave them: ``POST /alerts/{id}/photos``.

    Idempotent on the alert: the photos of an alert that already has some are not taken again.
    They go to the alert's contacts in an information e-mail, inline.
    """

    photos: tuple[JpegPhoto, ...] = Field(min_length=1, max_length=MAX_PHOTOS, repr=False)

    @classmethod
    def of(cls, photos: Sequence[bytes]) -> PhotosIn:
        """The body for these JPEGs (base64-encoded here)."""
        return cls(photos=tuple(base64.b64encode(photo).decode("ascii") for photo in photos))

    def photo_bytes(self) -> tuple[bytes, ...]:
        """The photos decoded."""
        return tuple(base64.b64decode(photo) for photo in self.photos)


class PhotosAccepted(_Model):
    """The answer to a photos POST: stored (201), or the alert had its photos already (200)."""

    alert_id: str
    photos: int


class AlertAccepted(_Model):
    """The answer to an alert POST: created (201) or already known (200)."""

    alert_id: str
    status: AlertStatus


class CancelIn(_Model):
    """``POST /alerts/{id}/cancel``: who stopped the alert at home, if known."""

    by: Name | None = None


class PersonRef(_Model):
    """A contact named in a view or a callback."""

    id: str
    name: str


class AttemptView(_Model):
    """One call to one contact."""

    contact_id: str
    contact_name: str
    round: int
    started_at: str
    answered_at: str | None = None
    ended_at: str | None = None
    outcome: Outcome | None = None
    cause: int | None = Field(default=None, description="Q.850 cause of an unanswered call")


class AlertView(_Model):
    """``GET /alerts/{id}``: an alert's status and its attempts; times are ISO 8601 strings."""

    alert_id: str
    site_id: str
    kind: AlertKind
    status: AlertStatus
    created_at: str
    acknowledged_by: PersonRef | None = None
    acknowledged_at: str | None = None
    cancelled_by: str | None = None
    finished_at: str | None = None
    current_contact: PersonRef | None = None
    round: int = 1
    attempts: tuple[AttemptView, ...] = ()
    reason: Reason | None = Field(
        default=None,
        description="why the alert is queued or expired, or why the server cancelled it"
        " (home_back); null otherwise",
    )
    acknowledgement: Acknowledgement = Acknowledgement.REQUIRED


class TalkDownView(_Model):
    """One talk-down of a call: the contact listening in (then speaking) or the spoken warning."""

    id: int
    mode: TalkDownMode
    started_at: str
    spoke_at: str | None = Field(
        default=None, description="speaker: when the contact started speaking into the home"
    )
    ended_at: str | None = None
    by_station: bool = Field(
        default=False, description="asked by the station's operator on an escalated call"
    )


class Callback(_Model):
    """A signed callback to Home Assistant (see ``signing``): one status change or attempt."""

    event: CallbackEvent = CallbackEvent.ALERT_STATUS
    site_id: str
    alert_id: str
    status: AlertStatus = Field(description="the alert's status at `at`")
    contact: PersonRef | None = None
    at: str
    attempt: AttemptView | None = None
    cancelled_by: str | None = None
    reason: Reason | None = Field(
        default=None, description="with status queued or expired: what the server could not do"
    )
    wrong_codes: int | None = Field(
        default=None,
        description="code_rejected: the contact's wrong codes on the phone in the last 24 hours",
    )
    since: str | None = Field(
        default=None,
        description="home_back: when the last heartbeat before the silence arrived (ISO 8601)",
    )
    talk_down: TalkDownView | None = Field(
        default=None,
        description="talk_down_started, talk_down_ended, warning_requested: which talk-down",
    )


class HeartbeatIn(_Model):
    """``PUT /sites/{id}/heartbeat``: the home is alive, and whether it is watched.

    While ``armed`` (armed total or partial, and through the exit and entry delays and an alarm),
    Home Assistant promises a heartbeat every ``interval`` seconds; after ``grace`` seconds without
    one the voice server phones the contacts (a ``home_offline`` alert), once per silence. A
    heartbeat with ``armed`` false (disarmed) stops the watch: nobody is called.
    """

    armed: bool
    interval: float = Field(
        ge=MIN_HEARTBEAT_INTERVAL,
        le=MAX_HEARTBEAT_INTERVAL,
        allow_inf_nan=False,
        description="seconds between two heartbeats while armed",
    )
    grace: float = Field(
        le=MAX_HEARTBEAT_GRACE,
        allow_inf_nan=False,
        description="seconds of silence after which the armed home counts as offline;"
        " at least twice the interval",
    )
    at: AwareDatetime = Field(
        description="Home Assistant's clock when sent: its UTC offset is the home's time zone,"
        " in which e-mails and calls say the time (the server keeps time by its own clock)"
    )

    @field_validator("grace")
    @classmethod
    def _grace(cls, value: float, info: ValidationInfo) -> float:
        interval = info.data.get("interval")
        if interval is not None and value < 2 * interval:
            raise PydanticCustomError(
                "invalid_value", "at least twice the interval: one lost heartbeat must call nobody"
            )
        return value


class HeartbeatAccepted(_Model):
    """The answer to a heartbeat."""

    site_id: str
    armed: bool
    offline_at: str | None = Field(
        default=None,
        description="when the home counts as offline unless another heartbeat comes"
        " (ISO 8601, the server's clock); null while disarmed",
    )
    ended_silence: str | None = Field(
        default=None,
        description="the home_offline alert of the silence this heartbeat ended, if any",
    )


class TroubleItem(_Model):
    """One trouble of a notice: what, on which detector (none for the server's own), since when."""

    kind: TroubleKind
    detector: Name | None = None
    since: AwareDatetime


class NoticeIn(_Model):
    """``POST /sites/{id}/notices``: an information e-mail to the site's contacts, never a call.

    Idempotent on ``notice_id``: a notice sent again is not e-mailed again. ``occurred_at``
    carries the home's UTC offset, in which the e-mail says the times.
    """

    notice_id: AlertId
    kind: NoticeKind
    occurred_at: AwareDatetime
    troubles: tuple[TroubleItem, ...] = Field(min_length=1, max_length=MAX_NOTICE_TROUBLES)


class NoticeAccepted(_Model):
    """The answer to a notice: queued for this many addresses (0: no contact has an e-mail)."""

    notice_id: str
    recipients: int


class Health(_Model):
    """``GET /healthz`` (no token): degraded while Asterisk is away.

    ``trunk`` and ``smtp`` are the self-diagnosis of the paths out; they never make the server
    ``degraded`` (calls and e-mails are kept and retried) and are null when not configured or
    not known yet.
    """

    status: Literal["ok", "degraded"]
    asterisk: bool
    dead_letters: int = 0
    trunk: Literal["online", "offline"] | None = Field(
        default=None,
        description="the SIP trunk's endpoint as Asterisk sees it (its provider answers the"
        " qualify requests, or not); null without a trunk, or while Asterisk is away",
    )
    smtp: Literal["ok", "failing"] | None = Field(
        default=None,
        description="the last e-mail attempt: the relay took it, or the session failed or the"
        " relay refused it (an address refused alone does not count); null before any",
    )


class ServerInfo(_Model):
    """``GET /api/v1/info``: what the client checks on connect."""

    schema_version: int
    min_schema_version: int
    version: str
    allowed_regions: tuple[str, ...]


class ErrorBody(_Model):
    """Every refusal: a machine code, the dotted path of the field and a human detail."""

    error: str
    field: str = ""
    detail: str = ""
    contact: str | None = Field(default=None, description="the contact concerned, if any")
