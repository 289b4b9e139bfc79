"""The add-on's options (``/data/options.json``), read and checked into typed settings.

The same options file serves the three ways of installing the voice server: the Home Assistant
add-on (the Supervisor writes it from the add-on's form), Docker Compose and systemd (the user
writes it). Every option is checked here, with every problem reported at once, each naming the
option and what it expects, never the value given: an error text may end up in a log or a
screenshot, and the options hold the API token and two passwords. ``voice_server.addon_render``
turns the result into the voice server's TOML and the Asterisk configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import ipaddress
import re
from typing import Any

from custom_components.imaprotect.contract.emails import EmailError, normalise_email
from custom_components.imaprotect.contract.phones import (
    PhoneError,
    normalise_phone,
    normalise_station,
)
from voice_server.sip_trunk import SipTrunk, is_host, trunk_problems

__all__ = ["AddonOptions", "OptionsError", "Route", "SmtpOptions", "parse_options"]

MIN_TOKEN = 16
MAX_TOKEN = 256
_TOKEN = re.compile(rf"[\x21-\x7e]{{{MIN_TOKEN},{MAX_TOKEN}}}")
_REGION = re.compile(r"[A-Z]{2}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
LANGUAGES = ("fr", "en")
LOG_LEVELS = ("debug", "info", "warning", "error")
SMTP_SECURITY = ("starttls", "tls", "none")

_TOP = frozenset(
    {
        "voice_token", "sip_trunk", "smtp", "station", "routes", "language", "allowed_regions",
        "api_listen", "api_port", "sip_address", "sip_port", "ari_port", "rtp_start", "rtp_end",
        "ring_timeout", "rounds", "ssl", "certfile", "keyfile", "log_level",
    }
)  # fmt: skip
_TRUNK = frozenset(
    {"host", "port", "username", "password", "from_number", "domain", "register", "public_address"}
)
_SMTP = frozenset({"host", "port", "security", "sender", "username", "password"})
_ROUTE = frozenset({"number", "sip_uri"})


class OptionsError(ValueError):
    """Options that cannot be used; one line per problem, naming options, never their values."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """The mail relay for the information and acknowledgement e-mails."""

    host: str
    port: int
    security: str
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Route:
    """A number dialled another way than the trunk: a SIP phone on the LAN."""

    number: str
    sip_uri: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AddonOptions:
    """Everything the options say, checked."""

    voice_token: str = field(repr=False)
    trunk: SipTrunk | None = None
    smtp: SmtpOptions | None = None
    station: str | None = field(default=None, repr=False)
    routes: tuple[Route, ...] = ()
    language: str = "fr"
    allowed_regions: tuple[str, ...] = ("FR",)
    api_listen: str = "127.0.0.1"
    api_port: int = 8099
    sip_address: str | None = None
    sip_port: int = 5060
    #: Away from Asterisk's usual 8088 and 10000-20000, which another Asterisk add-on on the same
    #: host network would hold.
    ari_port: int = 18088
    rtp_start: int = 21000
    rtp_end: int = 21999
    ring_timeout: int = 30
    rounds: int = 2
    certfile: str | None = None
    keyfile: str | None = None
    log_level: str = "info"


class _Reader:
    """Typed access to one table of the options, recording problems instead of raising."""

    def __init__(self, raw: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
        self._raw = raw
        self._prefix = prefix
        self.problems = problems

    def name(self, key: str) -> str:
        return self._prefix + key

    def fail(self, key: str, expected: str) -> None:
        self.problems.append(f"{self.name(key)}: {expected}")

    def unknown(self, known: frozenset[str]) -> None:
        for key in sorted(set(self._raw) - known):
            self.problems.append(f"{self.name(key)}: no such option")

    def raw(self, key: str, default: object) -> object:
        return self._raw.get(key, default)

    def text(self, key: str, *, expected: str = "text", secret: bool = False) -> str | None:
        """A string option; empty or absent is None (the form's "not set").

        Spaces around a name are dropped (a form's typo); a secret is taken exactly as given.
        """
        value = self._raw.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            self.fail(key, f"{expected} (a single line of text)")
            return None
        return value if secret else value.strip() or None

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self._raw.get(key, default)
        if type(value) is not int or not low <= value <= high:
            self.fail(key, f"a whole number from {low} to {high}")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "true or false")
            return default
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._raw.get(key, default)
        if value not in choices:
            self.fail(key, f"one of {', '.join(choices)}")
            return default
        return str(value)

    def table(self, key: str) -> _Reader | None:
        value = self._raw.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, "a group of options")
            return None
        return _Reader(value, self.name(key) + ".", self.problems)

    def items(self, key: str) -> list[_Reader]:
        value = self._raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.fail(key, "a list of groups of options")
            return []
        return [
            _Reader(item, f"{self.name(key)}.{n}.", self.problems) for n, item in enumerate(value)
        ]

    def ipv4(self, key: str, *, any_address: bool = False) -> str | None:
        """An IPv4 address of this machine; ``any_address``: 0.0.0.0 (every one) too."""
        value = self.text(key, expected="an IPv4 address")
        if value is None:
            return None
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            address = None
        if address is None or address.is_multicast or (address.is_unspecified and not any_address):
            self.fail(key, "an IPv4 address of this machine, such as 192.168.1.10")
            return None
        return str(address)


def _trunk(options: _Reader) -> SipTrunk | None:
    section = options.table("sip_trunk")
    if section is None:
        return None
    section.unknown(_TRUNK)
    host = section.text("host", expected="the provider's host name")
    if host is None:
        return None  # no trunk: only the routes' SIP phones can be called
    values: dict[str, Any] = {
        "host": host,
        "port": section.integer("port", 5060, 1, 65535),
        "register": section.boolean("register", default=True),
        "domain": section.text("domain"),
        "public_address": section.text("public_address"),
    }
    required = []
    for key in ("username", "password", "from_number"):
        values[key] = section.text(key, secret=key == "password")
        if values[key] is None:
            section.fail(key, "required with a trunk host")
            required.append(key)
            values[key] = "x" * 3  # a placeholder, so that the other settings are still checked
    before = len(options.problems)
    for name, expected in trunk_problems(values):
        if name not in required:
            section.fail(name, expected)
    if required or len(options.problems) > before:
        return None
    return SipTrunk(**values)


def _smtp(options: _Reader) -> SmtpOptions | None:
    section = options.table("smtp")
    if section is None:
        return None
    section.unknown(_SMTP)
    host = section.text("host")
    if host is None:
        return None  # no e-mails
    if not is_host(host):
        section.fail("host", "a host name or an IPv4 address")
    security = section.choice("security", "starttls", SMTP_SECURITY)
    port = section.integer("port", 465 if security == "tls" else 587, 1, 65535)
    sender = section.text("sender")
    try:
        sender = normalise_email(sender or "")
    except EmailError:
        section.fail("sender", "one e-mail address, such as alarme@example.org")
    username, password = section.text("username"), section.text("password", secret=True)
    if (username is None) != (password is None):
        section.fail("password" if username else "username", "username and password go together")
    if username is not None and security == "none":
        section.fail("security", "starttls or tls with a username: a password never goes in clear")
    return SmtpOptions(host, port, security, sender or "", username, password)


def _routes(options: _Reader, regions: tuple[str, ...]) -> tuple[Route, ...]:
    routes = []
    for item in options.items("routes"):
        item.unknown(_ROUTE)
        number, uri = item.text("number"), item.text("sip_uri")
        try:
            number = normalise_phone(number or "", regions)
        except PhoneError:
            item.fail("number", "a phone number of the allowed regions")
        if uri is None or not uri.startswith(("sip:", "sips:")):
            item.fail("sip_uri", "a SIP address such as sip:desk@192.168.1.20")
            continue
        try:
            normalise_station(uri, regions)
        except PhoneError:
            item.fail("sip_uri", "a SIP address such as sip:desk@192.168.1.20")
            continue
        routes.append(Route(number or "", uri))
    return tuple(routes)


def _station(options: _Reader, regions: tuple[str, ...]) -> str | None:
    station = options.text("station")
    if station is None:
        return None
    try:
        return normalise_station(station, regions)
    except PhoneError:
        options.fail("station", "a SIP address (sip:user@host) or a phone number")
        return None


def _regions(options: _Reader) -> tuple[str, ...]:
    value = options.raw("allowed_regions", ["FR"])
    if not isinstance(value, list) or not value:
        options.fail("allowed_regions", "a list of country codes such as FR")
        return ("FR",)
    regions = tuple(str(region).strip().upper() for region in value)
    if not all(_REGION.fullmatch(region) for region in regions):
        options.fail("allowed_regions", "two-letter country codes such as FR, BE")
        return ("FR",)
    return regions


def _certificates(options: _Reader) -> tuple[str | None, str | None]:
    if not options.boolean("ssl", default=False):
        return None, None
    names = []
    for key in ("certfile", "keyfile"):
        name = options.text(key)
        if name is None or not _FILE_NAME.fullmatch(name):
            options.fail(key, "a file name in /ssl, without folder (needed with ssl)")
        names.append(name)
    return names[0], names[1]


def parse_options(raw: object) -> AddonOptions:
    """Check ``raw`` (the decoded options file); OptionsError lists every problem."""
    if not isinstance(raw, dict):
        raise OptionsError(["the options must be a JSON object"])
    problems: list[str] = []
    options = _Reader(raw, "", problems)
    options.unknown(_TOP)
    token = raw.get("voice_token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        options.fail(
            "voice_token",
            f"{MIN_TOKEN} to {MAX_TOKEN} characters without spaces (the one given to "
            "Home Assistant)",
        )
    regions = _regions(options)
    certfile, keyfile = _certificates(options)
    rtp_start = options.integer("rtp_start", 21000, 1024, 65534)
    rtp_end = options.integer("rtp_end", 21999, 1025, 65535)
    if rtp_end - rtp_start < 2:
        options.fail("rtp_end", "at least 2 above rtp_start")
    result = AddonOptions(
        voice_token=token if isinstance(token, str) else "",
        trunk=_trunk(options),
        smtp=_smtp(options),
        station=_station(options, regions),
        routes=_routes(options, regions),
        language=options.choice("language", "fr", LANGUAGES),
        allowed_regions=regions,
        api_listen=options.ipv4("api_listen", any_address=True) or "127.0.0.1",
        api_port=options.integer("api_port", 8099, 1024, 65535),
        sip_address=options.ipv4("sip_address"),
        sip_port=options.integer("sip_port", 5060, 1024, 65535),
        ari_port=options.integer("ari_port", 18088, 1024, 65535),
        rtp_start=rtp_start,
        rtp_end=rtp_end,
        ring_timeout=options.integer("ring_timeout", 30, 10, 120),
        rounds=options.integer("rounds", 2, 1, 5),
        certfile=certfile,
        keyfile=keyfile,
        log_level=options.choice("log_level", "info", LOG_LEVELS),
    )
    ports = {
        "api_port": result.api_port, "sip_port": result.sip_port, "ari_port": result.ari_port,
    }  # fmt: skip
    for key, port in ports.items():
        if result.rtp_start <= port <= result.rtp_end:
            options.fail(key, "outside the RTP range (rtp_start to rtp_end)")
    if len(set(ports.values())) < len(ports):
        options.fail("api_port", "api_port, sip_port and ari_port must differ")
    if problems:
        raise OptionsError(problems)
    return result
