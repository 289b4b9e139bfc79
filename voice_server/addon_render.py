"""Checked add-on options become the voice server's TOML and the Asterisk run folder.

The add-on is the documented manual installation, automated: the options become the TOML file a
manual install writes by hand (``voice_server/example.toml``), whose ``[asterisk]`` tables then
render the Asterisk configuration exactly as ``imaprotect-voice asterisk-config`` does. So the
add-on runs the same configuration the tests run, and nothing here writes Asterisk files itself.

What the options cannot say is found here: the addresses SIP may come from (the trunk's, the
station's and the LAN phones', looked up in DNS), this machine's address towards the trunk
(Asterisk's SIP and RTP address) and the ARI password, new at each start, known only to the two
processes. Both lookups are parameters, so that tests never leave 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import ipaddress
import os
from pathlib import Path
import pwd
import shutil
import socket

from voice_server.addon_options import AddonOptions, OptionsError
from voice_server.asterisk_config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODULE_DIR,
    AsteriskPaths,
)
from voice_server.cli import render_asterisk
from voice_server.config import ConfigError, load_config
from voice_server.toml_out import toml_document

__all__ = ["ARI_USER", "AddonLayout", "Rendered", "render_addon", "resolve_ipv4", "source_address"]

ARI_USER = "imaprotect"
_LOOPBACK = "127.0.0.1"

#: host name -> its IPv4 addresses (empty when it does not resolve).
Resolver = Callable[[str], tuple[str, ...]]
#: a peer's IPv4 address -> this machine's address on the way to it.
SourceAddress = Callable[[str], str]


def resolve_ipv4(host: str) -> tuple[str, ...]:
    """The IPv4 addresses DNS (or /etc/hosts) gives ``host``; none when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_DGRAM)
    except socket.gaierror, UnicodeError:
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


def source_address(peer: str) -> str:
    """The address this machine sends from towards ``peer`` (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((peer, 5060))
        return str(probe.getsockname()[0])


def detect_module_dir() -> Path:
    """Debian's multiarch module folder of this machine (amd64 and aarch64 images differ)."""
    found = sorted(Path("/usr/lib").glob("*-linux-gnu*/asterisk/modules"))
    return found[0] if found else DEFAULT_MODULE_DIR


@dataclass(frozen=True, slots=True)
class AddonLayout:
    """Where the add-on keeps its files (``/data`` is the add-on's persistent, backed-up folder)."""

    data: Path
    ssl: Path = Path("/ssl")
    module_dir: Path = DEFAULT_MODULE_DIR
    sounds_dir: Path = DEFAULT_DATA_DIR
    #: Both processes run as this user when started as root (Debian's package creates it).
    run_user: str | None = None

    @property
    def options(self) -> Path:
        """The options file (the Supervisor writes it; Compose and systemd users do)."""
        return self.data / "options.json"

    @property
    def settings(self) -> Path:
        """The voice server's TOML settings, rendered at each start."""
        return self.data / "voice.toml"

    @property
    def asterisk(self) -> Path:
        """Asterisk's run folder (configuration, logs, astdb), rendered at each start."""
        return self.data / "asterisk"

    @property
    def voice(self) -> Path:
        """The voice server's database, prompts and certificate copies: what must persist."""
        return self.data / "voice"


@dataclass(frozen=True, slots=True)
class Rendered:
    """What the start needs once the options are rendered."""

    settings: Path
    asterisk: AsteriskPaths
    voice: Path
    log_level: str


def _uri_host(uri: str) -> str:
    """The host of ``sip:user@host[:port]`` (the contract's SIP URI rule holds already)."""
    return uri.partition("@")[2].partition(":")[0]


def _peers(options: AddonOptions, resolve: Resolver) -> tuple[list[str], list[str]]:
    """(every address SIP may come from, problems): the trunk, the station, the LAN phones."""
    hosts: list[tuple[str, str]] = []
    if options.trunk is not None:
        hosts.append(("sip_trunk.host", options.trunk.host))
    if options.station is not None and options.station.startswith("sip"):
        hosts.append(("station", _uri_host(options.station)))
    hosts += [(f"routes.{n}.sip_uri", _uri_host(r.sip_uri)) for n, r in enumerate(options.routes)]
    peers: list[str] = []
    problems: list[str] = []
    for option, host in hosts:
        try:
            found: Iterable[str] = (str(ipaddress.IPv4Address(host)),)
        except ValueError:
            found = resolve(host)
        if not found:
            problems.append(f"{option}: its host name does not resolve to an IPv4 address")
        peers += [address for address in found if address not in peers]
    return peers, problems


def _tls(options: AddonOptions, layout: AddonLayout) -> dict[str, Path]:
    """Copies of the certificate and key the voice server's user may read (``/ssl`` is root's)."""
    if options.certfile is None or options.keyfile is None:
        return {}
    copies = {}
    for option, name, key in (
        ("certfile", options.certfile, "tls_cert"),
        ("keyfile", options.keyfile, "tls_key"),
    ):
        source = layout.ssl / name
        if not source.is_file():
            raise OptionsError([f"{option}: no such file in {layout.ssl}"])
        target = layout.voice / "tls" / name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o600)
        copies[key] = target
    return copies


def _tables(
    options: AddonOptions, layout: AddonLayout, peers: list[str], sip_address: str, secret: str
) -> dict[str, dict[str, object]]:
    asterisk: dict[str, object] = {
        "ari_user": ARI_USER,
        "ari_password": secret,
        "http_port": options.ari_port,
        "sip_address": sip_address,
        "sip_port": options.sip_port,
        "rtp_start": options.rtp_start,
        "rtp_end": options.rtp_end,
        "language": options.language,
        "sip_peers": [peer for peer in peers if not peer.startswith("127.")],
        "module_dir": layout.module_dir,
        "data_dir": layout.sounds_dir,
    }
    if layout.run_user is not None:
        asterisk["run_user"] = layout.run_user
    voice: dict[str, object] = {
        "token": options.voice_token,
        "database": layout.voice / "voice.db",
        "prompts_dir": layout.voice / "prompts",
        "listen": options.api_listen,
        "port": options.api_port,
        "allowed_regions": list(options.allowed_regions),
        "ring_timeout": options.ring_timeout,
        "rounds": options.rounds,
        **_tls(options, layout),
    }
    tables: dict[str, dict[str, object]] = {"asterisk": asterisk}
    if (trunk := options.trunk) is not None:
        voice["caller_id"] = trunk.from_number
        tables["asterisk.trunk"] = {
            "host": trunk.host,
            "port": trunk.port,
            "username": trunk.username,
            "password": trunk.password,
            "from_number": trunk.from_number,
            "register": trunk.register,
            **({"domain": trunk.domain} if trunk.domain else {}),
            **({"public_address": trunk.public_address} if trunk.public_address else {}),
        }
    tables["voice"] = voice
    tables["voice.routes"] = {r.number: f"PJSIP/direct/{r.sip_uri}" for r in options.routes}
    if (smtp := options.smtp) is not None:
        tables["smtp"] = {
            "host": smtp.host,
            "port": smtp.port,
            "sender": smtp.sender,
            **({"username": smtp.username, "password": smtp.password} if smtp.username else {}),
            **({"tls": True} if smtp.security == "tls" else {}),
            **({"starttls": smtp.security == "starttls"} if smtp.security != "tls" else {}),
        }
    return tables


def _give(path: Path, user: str | None) -> None:
    """Hand ``path`` (and what is below it) to ``user`` when running as root."""
    if user is None or os.geteuid() != 0:
        return
    account = pwd.getpwnam(user)
    for item in (path, *(path.rglob("*") if path.is_dir() else ())):
        os.chown(item, account.pw_uid, account.pw_gid, follow_symlinks=False)


def render_addon(
    options: AddonOptions,
    layout: AddonLayout,
    *,
    ari_password: str,
    resolve: Resolver = resolve_ipv4,
    local_address: SourceAddress = source_address,
) -> Rendered:
    """Write ``voice.toml`` and Asterisk's run folder; OptionsError names what cannot work."""
    peers, problems = _peers(options, resolve)
    if problems:
        raise OptionsError(problems)
    outside = [peer for peer in peers if not peer.startswith("127.")]
    sip_address = options.sip_address or (local_address(outside[0]) if outside else _LOOPBACK)
    layout.voice.mkdir(mode=0o700, parents=True, exist_ok=True)
    tables = _tables(options, layout, peers, sip_address, ari_password)
    fd = os.open(layout.settings, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(toml_document(tables))
    try:
        load_config(layout.settings, environ={})  # the server's own check, before anything starts
        paths = render_asterisk(layout.settings, layout.asterisk)
    except (ConfigError, ValueError, TypeError) as err:  # their messages never hold a value
        raise OptionsError([str(err)]) from None
    _give(layout.voice, layout.run_user)
    _give(layout.settings, layout.run_user)
    return Rendered(layout.settings, paths, layout.voice, options.log_level)
