"""The SIP provider trunk: its settings and the PJSIP sections they become.

Contacts are dialled as ``PJSIP/{number}@trunk`` (the voice server's default ``dial_template``),
so the endpoint is always called ``trunk``. The sections are rendered into ``pjsip.conf`` by
``voice_server.asterisk_config`` (its ``@TRUNK@`` placeholder), from the ``[asterisk.trunk]`` table
of the voice server's TOML file or from the add-on's options (``voice_server.addon_options``).
Every value is checked here, because a character Asterisk's parser treats specially (``;`` starts
a comment, a new line a new setting) would corrupt the file or inject a setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import ipaddress
import re
from typing import Any

__all__ = ["TRUNK_PASSWORD_ENV", "SipTrunk", "is_host", "pjsip_sections", "trunk_problems"]

TRUNK_PASSWORD_ENV = "IMAPROTECT_TRUNK_PASSWORD"  # noqa: S105 - a variable name, not a secret

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_USER = re.compile(r"[A-Za-z0-9._~+-]{1,64}")
_NUMBER = re.compile(r"\+?[0-9]{3,20}")
# Printable ASCII without ';' (a comment to Asterisk) nor '\' (its escape character).
_PASSWORD_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {";", "\\"}
_MAX_PASSWORD = 128
_KEYS = frozenset(
    {"host", "port", "username", "password", "from_number", "domain", "register", "public_address"}
)
#: Networks never rewritten to the public address behind NAT: this machine and the private ranges.
_LOCAL_NETS = ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def is_host(value: str) -> bool:
    """Whether ``value`` is a host name or an IPv4 address (what a trunk or relay is named by)."""
    return _HOST.fullmatch(value) is not None


def _password_ok(password: str) -> bool:
    return (
        0 < len(password) <= _MAX_PASSWORD
        and set(password) <= _PASSWORD_CHARS
        and password == password.strip()
    )


def _public_ok(value: str | None) -> bool:
    """None, or an address a router could have outside (not this machine's, not a LAN's)."""
    if value is None:
        return True
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or any(address in ipaddress.IPv4Network(net) for net in _LOCAL_NETS)
    )


def trunk_problems(trunk: SipTrunk | Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (setting, what it expects) that is wrong; ``trunk`` may be its values, unchecked."""
    values = trunk if isinstance(trunk, Mapping) else {k: getattr(trunk, k) for k in _KEYS}
    checks = (
        ("host", is_host(values["host"]), "a host name or an IPv4 address"),
        ("domain", values.get("domain") is None or is_host(values["domain"]),
         "a host name or an IPv4 address"),
        ("port", 1 <= values.get("port", 5060) <= 65535, "1-65535"),
        ("username", _USER.fullmatch(values["username"]) is not None,
         "1-64 letters, digits or . _ ~ + -"),
        ("password", _password_ok(values["password"]),
         "1-128 printable ASCII characters, none of ; and \\, no space at either end"),
        ("from_number", _NUMBER.fullmatch(values["from_number"]) is not None,
         "3-20 digits, optionally after +"),
        ("public_address", _public_ok(values.get("public_address")),
         "the router's public IPv4 address"),
    )  # fmt: skip
    return [(name, expected) for name, ok, expected in checks if not ok]


@dataclass(frozen=True, slots=True)
class SipTrunk:
    """One SIP provider account, dialled through the ``trunk`` endpoint."""

    host: str
    username: str
    password: str = field(repr=False)
    #: The number the provider gave the line: the From user and the caller id contacts see.
    from_number: str
    port: int = 5060
    #: The provider's SIP domain when it differs from the host (the From and registration domain).
    domain: str | None = None
    #: Register the line (most providers need it to accept calls from a changing address).
    register: bool = True
    #: The public IPv4 address of the router, for providers that do not handle NAT themselves.
    public_address: str | None = None

    def __post_init__(self) -> None:
        if problems := trunk_problems(self):
            field_name, expected = problems[0]
            raise ValueError(f"trunk {field_name}: {expected}")

    @property
    def address(self) -> ipaddress.IPv4Address | None:
        """The host as an IPv4 address, when it is one (then it is let through the SIP ACL)."""
        try:
            return ipaddress.IPv4Address(self.host)
        except ValueError:
            return None

    @classmethod
    def from_table(cls, table: Mapping[str, Any], environ: Mapping[str, str]) -> SipTrunk:
        """The ``[asterisk.trunk]`` table; ``$IMAPROTECT_TRUNK_PASSWORD`` overrides its password."""
        unknown = set(table) - _KEYS
        if unknown:
            raise ValueError(f"unknown [asterisk.trunk] keys: {', '.join(sorted(unknown))}")
        values = dict(table)
        if password := environ.get(TRUNK_PASSWORD_ENV):
            values["password"] = password
        for key in ("host", "username", "password", "from_number"):
            if not isinstance(values.get(key), str):
                raise TypeError(f"[asterisk.trunk] {key} is required (a string)")
        for key, kind in (("port", int), ("register", bool)):
            if key in values and type(values[key]) is not kind:
                raise TypeError(f"[asterisk.trunk] {key} must be {kind.__name__}")
        for key in ("domain", "public_address"):
            if key in values and not isinstance(values[key], str):
                raise TypeError(f"[asterisk.trunk] {key} must be a string")
        return cls(**values)


def pjsip_sections(trunk: SipTrunk | None) -> str:
    """The PJSIP sections of ``trunk`` (a comment when there is none)."""
    if trunk is None:
        return "; no SIP trunk configured ([asterisk.trunk]): only direct SIP URIs can be dialled"
    domain = trunk.domain or trunk.host
    server = f"sip:{trunk.host}:{trunk.port}"
    lines = [
        "; SIP trunk, rendered from the settings ([asterisk.trunk] or the add-on's sip_trunk).",
        "[trunk-auth]",
        "type = auth",
        "auth_type = userpass",
        f"username = {trunk.username}",
        f"password = {trunk.password}",
        "",
    ]
    if trunk.register:
        lines += [
            "[trunk-registration]",
            "type = registration",
            "transport = transport-udp",
            "outbound_auth = trunk-auth",
            f"server_uri = {server}",
            f"client_uri = sip:{trunk.username}@{domain}",
            f"contact_user = {trunk.username}",
            "retry_interval = 60",
            "forbidden_retry_interval = 600",
            "expiration = 600",
            "",
        ]
    lines += [
        "[trunk](endpoint-common)",
        "outbound_auth = trunk-auth",
        "aors = trunk",
        f"from_user = {trunk.from_number}",
        f"from_domain = {domain}",
        f"callerid = <{trunk.from_number}>",
        "rewrite_contact = yes",
        "",
        "[trunk]",
        "type = aor",
        f"contact = {server}",
        "qualify_frequency = 60",
        "",
        "; Requests from the provider's addresses are the trunk's (identify_by = ip).",
        "[trunk-identify]",
        "type = identify",
        "endpoint = trunk",
        f"match = {trunk.host}",
    ]
    if trunk.public_address is not None:
        lines += [
            "",
            "; Behind NAT: the router's public address in SIP and SDP, except towards these nets.",
            "[transport-udp](+)",
            f"external_media_address = {trunk.public_address}",
            f"external_signaling_address = {trunk.public_address}",
            *(f"local_net = {net}" for net in _LOCAL_NETS),
        ]
    return "\n".join(lines)
