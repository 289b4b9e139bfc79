"""Render the project's Asterisk configuration into a self-contained run directory.

Asterisk is started with ``-C <run>/etc/asterisk.conf``; every directory it uses is inside the run
directory, so one machine can run several independent instances (the tests do) and nothing under
/etc/asterisk or /var is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import grp
import importlib.resources
import ipaddress
import os
from pathlib import Path
import pwd
import re
import stat

from voice_server.sip_trunk import SipTrunk, pjsip_sections

__all__ = ["AsteriskPaths", "AsteriskSettings", "render"]

DEFAULT_MODULE_DIR = Path("/usr/lib/x86_64-linux-gnu/asterisk/modules")
DEFAULT_DATA_DIR = Path("/usr/share/asterisk")
#: ARI is plain HTTP with Basic auth: it must never listen beyond the host.
HTTP_ADDRESS = "127.0.0.1"

_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# A character Asterisk's config parser treats specially would corrupt ari.conf or inject a setting.
_SECRET = re.compile(r"[\x21-\x7e]{12,128}")
_SECRET_FORBIDDEN = frozenset(";[]\\\"'")
# The CLI control socket path (run dir + "/asterisk.ctl") must fit in sockaddr_un.sun_path.
_MAX_RUN_DIR = 90


@dataclass(frozen=True, slots=True)
class AsteriskSettings:
    """Everything that varies between installations and test runs.

    Ports are parameters so tests can pick free ones; the ARI secret is a parameter so that it
    only ever exists in the voice server's own configuration and the rendered ari.conf.
    """

    run_dir: Path
    ari_user: str
    ari_password: str = field(repr=False)
    sip_address: str = "127.0.0.1"
    sip_port: int = 5060
    http_port: int = 8088
    rtp_start: int = 10000
    rtp_end: int = 14999  # two ports a call: 2 500 calls at once (the avalanche bench: 1 000)
    language: str = "fr"
    module_dir: Path = DEFAULT_MODULE_DIR
    data_dir: Path = DEFAULT_DATA_DIR
    #: The user Asterisk drops to when started as root (``runuser``/``rungroup``: that user and
    #: its primary group); ``None`` when it is started as an unprivileged user already. The
    #: appliance sets ``asterisk`` (Debian's package creates it).
    run_user: str | None = None
    #: Addresses or IPv4 networks allowed to send SIP requests besides 127.0.0.1 (the pjsip ACL):
    #: the trunk's, the monitoring-station gateway's, every LAN phone dialled through ``direct``.
    sip_peers: tuple[str, ...] = ()
    #: The SIP provider account contacts are dialled through (``PJSIP/{number}@trunk``); its
    #: host, when an IPv4 address, is let through the SIP ACL like a peer.
    trunk: SipTrunk | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.run_dir.is_absolute():
            raise ValueError("run_dir must be absolute (Asterisk resolves paths from its own cwd)")
        if len(str(self.run_dir)) > _MAX_RUN_DIR:
            raise ValueError(
                f"run_dir longer than {_MAX_RUN_DIR} characters: CLI socket path too long"
            )
        if not _NAME.fullmatch(self.ari_user):
            raise ValueError("ari_user: letters, digits, '_' and '-' only")
        if not _SECRET.fullmatch(self.ari_password) or _SECRET_FORBIDDEN & set(self.ari_password):
            raise ValueError("ari_password: 12-128 printable ASCII characters, none of ;[]\\\"'")
        address = ipaddress.ip_address(self.sip_address)
        if address.version != 4 or address.is_unspecified or address.is_multicast:
            raise ValueError(
                "sip_address must be one concrete IPv4 address (it is also the RTP address)"
            )
        for port in (self.sip_port, self.http_port, self.rtp_start, self.rtp_end):
            if not 1024 <= port <= 65535:
                raise ValueError(f"port {port} outside 1024-65535")
        if self.rtp_end - self.rtp_start < 2:
            raise ValueError("RTP range needs at least one even/odd port pair")
        if not re.fullmatch(r"[a-z]{2}(_[A-Z]{2})?", self.language):
            raise ValueError("language: a sound-folder name such as 'fr' or 'en'")
        if not self.module_dir.is_absolute() or not self.data_dir.is_absolute():
            raise ValueError("module_dir and data_dir must be absolute")
        for peer in self.sip_peers:
            network = ipaddress.ip_network(peer, strict=False)
            if network.version != 4 or network.prefixlen == 0:
                raise ValueError(f"sip_peers: {peer!r} is not one IPv4 address or network")
        if self.run_user is not None and not _USER.fullmatch(self.run_user):
            raise ValueError("run_user: a system user name")

    @property
    def paths(self) -> AsteriskPaths:
        """Directory layout inside run_dir."""
        return AsteriskPaths(self.run_dir)

    @property
    def ari_url(self) -> str:
        """Base URL the ARI client talks to."""
        return f"http://{HTTP_ADDRESS}:{self.http_port}"


@dataclass(frozen=True, slots=True)
class AsteriskPaths:
    """Where a rendered instance keeps its files."""

    run_dir: Path

    @property
    def etc(self) -> Path:
        """Rendered configuration files."""
        return self.run_dir / "etc"

    @property
    def config(self) -> Path:
        """The file to pass to ``asterisk -C``."""
        return self.etc / "asterisk.conf"

    @property
    def log(self) -> Path:
        """Asterisk's log folder (messages.log)."""
        return self.run_dir / "log"

    @property
    def run(self) -> Path:
        """Control socket and pid file."""
        return self.run_dir / "run"

    @property
    def lib(self) -> Path:
        """Asterisk's database (astdb) and keys."""
        return self.run_dir / "lib"

    @property
    def spool(self) -> Path:
        """Recordings and other spool files."""
        return self.run_dir / "spool"

    @property
    def cache(self) -> Path:
        """Asterisk's cache folder."""
        return self.run_dir / "cache"


def _values(settings: AsteriskSettings) -> dict[str, str]:
    paths = settings.paths
    return {
        "ETC_DIR": str(paths.etc),
        "MODULE_DIR": str(settings.module_dir),
        "DATA_DIR": str(settings.data_dir),
        "LIB_DIR": str(paths.lib),
        "CACHE_DIR": str(paths.cache),
        "SPOOL_DIR": str(paths.spool),
        "RUN_DIR": str(paths.run),
        "LOG_DIR": str(paths.log),
        "LANGUAGE": settings.language,
        "SIP_ADDRESS": settings.sip_address,
        "SIP_PORT": str(settings.sip_port),
        "HTTP_ADDRESS": HTTP_ADDRESS,
        "HTTP_PORT": str(settings.http_port),
        "RTP_START": str(settings.rtp_start),
        "RTP_END": str(settings.rtp_end),
        "ARI_USER": settings.ari_user,
        "ARI_PASSWORD": settings.ari_password,
        "RUN_AS": _run_as(settings.run_user),
        "SIP_PEERS_PERMIT": "\n".join(
            f"permit = {ipaddress.ip_network(peer, strict=False).with_netmask}"
            for peer in _peers(settings)
        )
        or "; no sip_peers: this machine only",
        "TRUNK": pjsip_sections(settings.trunk),
    }


def _peers(settings: AsteriskSettings) -> tuple[str, ...]:
    """The configured peers, then the trunk's address when it is one and not listed yet."""
    address = settings.trunk.address if settings.trunk is not None else None
    if address is None or str(address) in settings.sip_peers:
        return settings.sip_peers
    return (*settings.sip_peers, str(address))


def _run_as(user: str | None) -> str:
    if user is None:
        return "; runuser: not set (run_user), Asterisk keeps the user that starts it"
    group = grp.getgrgid(_account(user).pw_gid).gr_name
    return f"runuser = {user}\nrungroup = {group}"


def _account(user: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"run_user {user!r}: no such user on this machine") from None


def _hand_over(paths: AsteriskPaths, user: str) -> None:
    """Give the rendered tree to ``user``, who reads its configuration and writes its logs.

    Asterisk reads most files (ari.conf, pjsip.conf...) after it has dropped to ``runuser``, so
    they are that user's, still 0600. The run directory itself and its parents stay as they are;
    they only need to let that user through (search permission), which is checked here so that a
    wrong folder fails at render time and not as an Asterisk that cannot read its modules' files.
    """
    account = _account(user)
    for folder in (paths.run_dir, *paths.run_dir.parents):
        mode = folder.stat()
        if not (
            mode.st_mode & stat.S_IXOTH
            or (mode.st_uid == account.pw_uid and mode.st_mode & stat.S_IXUSR)
            or (mode.st_gid == account.pw_gid and mode.st_mode & stat.S_IXGRP)
        ):
            raise ValueError(f"{folder}: {user} may not enter it (Asterisk runs as {user})")
    if os.geteuid() != 0:
        return  # only root gives files away; rendered by that user, they are its own already
    for folder in (paths.etc, paths.log, paths.run, paths.lib, paths.spool, paths.cache):
        for path in (folder, *folder.rglob("*")):
            os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)


def _substitute(template: str, values: dict[str, str], name: str) -> str:
    def replace(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise ValueError(f"{name}: unknown placeholder @{match.group(1)}@") from None

    return _PLACEHOLDER.sub(replace, template)


def render(settings: AsteriskSettings) -> AsteriskPaths:
    """Write every configuration file and create the runtime folders; return the layout.

    ``*.conf.in`` templates get their ``@NAME@`` placeholders filled, ``*.conf`` files are copied.
    Files are written 0600 because ari.conf holds the ARI secret. Rendering again overwrites.
    With ``run_user``, the tree is handed to that user (see ``_hand_over``).
    """
    paths = settings.paths
    for folder in (paths.etc, paths.log, paths.run, paths.lib, paths.spool, paths.cache):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    values = _values(settings)
    templates = importlib.resources.files("voice_server") / "asterisk"
    for entry in templates.iterdir():
        if entry.name.endswith(".conf.in"):
            text = _substitute(entry.read_text(encoding="utf-8"), values, entry.name)
            target = paths.etc / entry.name.removesuffix(".in")
        elif entry.name.endswith(".conf"):
            text = entry.read_text(encoding="utf-8")
            target = paths.etc / entry.name
        else:
            continue
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
    if settings.run_user is not None:
        _hand_over(paths, settings.run_user)
    return paths
