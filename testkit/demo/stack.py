"""Everything the demo runs, started in order and stopped in reverse, whatever happens.

Home Assistant (the ha-next venv's release, with its frontend) starts first, being the slowest;
meanwhile Asterisk (the project's configuration plus the softphone account), one SIPp phone per
person on the simulated line, the mailbox and the voice server come up. Then Home Assistant is
onboarded (an owner with the demo's password), the home is built through the flows and the
dashboard saved. Every child runs behind ``DIE_WITH_PARENT``: a demo killed with SIGKILL leaves
nothing behind. Files live in the run folder (``.run/demo``): secrets (0600) and the prompt cache
are kept across starts, the rest is started afresh.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
import ipaddress
import os
from pathlib import Path
import secrets
import shutil
import socket
from typing import TYPE_CHECKING, Any

import aiohttp

from testkit.asterisk import AsteriskInstance, asterisk_settings, launch_asterisk
from testkit.bodies import TOKEN
from testkit.demo.dashboard import ALARM_VIEW, DASHBOARD, dashboard, save_dashboard
from testkit.demo.home import SIMULATED, SOFTPHONE, BuiltHome, Home, build_home, configuration_yaml
from testkit.demo.mailbox import Mailbox, MailboxPage
from testkit.demo.softphone import DIAL, SoftphoneAccount, new_password
from testkit.ha_process import (
    HaClient,
    HaSocket,
    prepare_config,
    start_home_assistant,
    stop_home_assistant,
)
from testkit.ports import LOOPBACK, PortPool, bound_ports
from testkit.processes import DIE_WITH_PARENT, Children
from testkit.sipp import SippPhone, start_sipp
from testkit.voice import VoiceProcess

if TYPE_CHECKING:
    import subprocess

__all__ = ["OWNER", "Demo", "DemoOptions", "lan_address", "start_demo"]

OWNER = {"name": "Camille Martin", "username": "camille"}
"""The Home Assistant owner onboarding creates (the password is generated)."""
HA_PORT = 8123
SIP_PORT = 5060
#: The simulated phone answers after a ring, waits this long, then types the code and #.
PHONE_DELAY_MS = 1500
#: The voice server's timings: a softphone rings 20 s before the next contact is phoned.
RING_TIMEOUT = 20
#: The owner's language settings, as the profile page saves them.
LANGUAGE = {
    "language": "fr",
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "local",
    "first_weekday": "language",
}
_FRESH = ("ha", "asterisk", "voice", "phones", "mail", "browser")


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What the command line asked for."""

    run_dir: Path
    ha_python: Path
    home: Home
    lan: str | None = None
    """An address of this machine to also serve SIP and Home Assistant on (``--lan``)."""
    fixed_ports: bool = True
    """Home Assistant on 8123 and SIP on 5060 when free (off for the checks: free ports only)."""


@dataclass
class Demo:
    """The running demo: where everything is, and how to reach it."""

    options: DemoOptions
    client: HaClient
    built: BuiltHome
    asterisk: AsteriskInstance
    voice: VoiceProcess
    mailbox: Mailbox
    mail_page: MailboxPage
    softphone: SoftphoneAccount
    phones: dict[str, SippPhone]
    """Person name → the SIPp phone answering their calls."""
    ha: subprocess.Popen[bytes]
    ha_version: str
    password: str = field(repr=False)

    @property
    def home(self) -> Home:
        """The home as the data file describes it."""
        return self.options.home

    @property
    def base(self) -> str:
        """Home Assistant's address."""
        return self.client.base

    @property
    def dashboard_url(self) -> str:
        """The home's dashboard."""
        return f"{self.base}/{DASHBOARD}/{ALARM_VIEW}"

    def logs(self) -> dict[str, Path]:
        """Every log of the demo, by who writes it."""
        run = self.options.run_dir
        found = {
            "Home Assistant": run / "ha" / "home-assistant.log",
            "voice server": self.voice.log,
            "Asterisk": self.asterisk.paths.log / "messages.log",
            "mail": self.mailbox.folder,
        }
        for name, phone in self.phones.items():
            found[f"{name}'s simulated phone (SIPp)"] = phone.trace
        extra = {"browser test": run / "browser", "Chromium": run / "chromium.log"}
        return found | {name: path for name, path in extra.items() if path.exists()}


def lan_address() -> str:
    """The address of this machine on the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route
        address: str = probe.getsockname()[0]
        return address


def lan_network(address: str, routes: str | None = None) -> str:
    """The local network holding ``address``, from the kernel's routes (else its /24).

    ``routes``: a ``/proc/net/route`` table (read from there by default).
    """
    if routes is None:
        table = Path("/proc/net/route")
        routes = table.read_text() if table.exists() else ""
    ip = ipaddress.IPv4Address(address)
    best: ipaddress.IPv4Network | None = None
    for line in routes.splitlines()[1:]:
        fields = line.split()
        dest, mask = (ipaddress.IPv4Address(bytes.fromhex(v)[::-1]) for v in fields[1:8:6])
        if int(mask) == 0:
            continue
        network = ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)
        if ip in network and (best is None or network.prefixlen > best.prefixlen):
            best = network
    return str(best or ipaddress.IPv4Network(f"{address}/24", strict=False))


def _secret(path: Path, make: Any) -> str:
    """The secret kept in ``path`` (0600), made once."""
    if not path.exists() or not path.read_text().strip():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"{make()}\n")
    path.chmod(0o600)
    return path.read_text().strip()


def _port(wanted: int, pool: PortPool, *, fixed: bool) -> int:
    return wanted if fixed and wanted not in bound_ports() else pool.take()


def _fresh_run_dir(run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    for name in _FRESH:
        shutil.rmtree(run_dir / name, ignore_errors=True)
    (run_dir / "ha").mkdir()
    (run_dir / "mail").mkdir()
    (run_dir / "prompts").mkdir(mode=0o700, exist_ok=True)


async def _settle_home_assistant(socket_: HaSocket) -> None:
    """Keep the http settings and speak French to the owner.

    Home Assistant 2026.11 moves ``http:`` from YAML into its storage as a trial it reverts (and
    restarts for) five minutes later unless someone confirms it: the demo confirms at once, as
    the owner would in the dialog that otherwise covers the page. The owner's profile language
    is French, whatever the browser's.
    """
    await socket_.command("http/config/promote")
    await socket_.command("frontend/set_user_data", key="language", value=LANGUAGE)


async def start_demo(options: DemoOptions, stack: AsyncExitStack) -> Demo:
    """Start everything; ``stack`` stops it all (push it onto the caller's exit stack)."""
    run, home = options.run_dir, options.home
    _fresh_run_dir(run)
    password = _secret(run / "owner-password", lambda: secrets.token_urlsafe(12))
    sip_password = _secret(run / "sip-password", new_password)
    children = Children()
    stack.callback(children.stop_all)
    pool = PortPool()
    hosts = (LOOPBACK, options.lan) if options.lan else (LOOPBACK,)

    ha_port = _port(HA_PORT, pool, fixed=options.fixed_ports)
    config = run / "ha" / "config"
    stubs = prepare_config(config, configuration_yaml(home, port=ha_port, hosts=hosts))
    ha = start_home_assistant(
        options.ha_python, config, stubs, run / "ha" / "home-assistant.log", prefix=DIE_WITH_PARENT
    )
    children.on_stop(lambda: stop_home_assistant(ha))

    settings = asterisk_settings(run / "asterisk", pool, rtp_ports=100)
    sip_port = _port(SIP_PORT, pool, fixed=options.fixed_ports)
    settings = replace(settings, sip_port=sip_port)
    if options.lan:
        settings = replace(settings, sip_address=options.lan, sip_peers=(lan_network(options.lan),))
    softphone = SoftphoneAccount(sip_password, settings.sip_address, sip_port)
    asterisk = launch_asterisk(settings, prefix=DIE_WITH_PARENT, after_render=softphone.add_to)
    children.on_stop(asterisk.stop)

    phones: dict[str, SippPhone] = {}
    routes: dict[str, str] = {}
    for person in home.callers():
        assert person.phone is not None
        if person.line == SOFTPHONE:
            routes[person.phone] = DIAL
        elif person.line == SIMULATED:
            phone = start_sipp(
                "uas_dtmf",
                log_dir=run / "phones" / person.name.casefold(),
                pool=pool,
                name=person.name.casefold(),
                digits=f"{person.phone_code}#",
                delay_ms=PHONE_DELAY_MS,
                prefix=DIE_WITH_PARENT,
            )
            children.on_stop(phone.stop)
            phones[person.name] = phone
            routes[person.phone] = phone.endpoint

    mailbox = Mailbox(pool.take(), folder=run / "mail")
    await mailbox.start()
    stack.push_async_callback(mailbox.stop)
    mail_page = MailboxPage(mailbox, pool.take())
    await mail_page.start()
    stack.push_async_callback(mail_page.stop)

    voice = VoiceProcess.write(
        run / "voice",
        asterisk=asterisk,
        port=pool.take(),
        prompts=run / "prompts",
        routes=routes,
        smtp_port=mailbox.port,
        ring_timeout=RING_TIMEOUT,
        digit_timeout=10,
        rounds=2,
    )
    voice.start(prefix=DIE_WITH_PARENT)
    children.on_stop(voice.stop)
    session = await stack.enter_async_context(aiohttp.ClientSession())
    await voice.wait_healthy(session)

    client = HaClient(session, f"http://{LOOPBACK}:{ha_port}")
    await client.wait_up(ha)
    await client.onboard({**OWNER, "password": password}, "fr")
    version = str((await client.api("GET", "/api/config"))["version"])
    socket_ = await client.socket()
    try:
        await _settle_home_assistant(socket_)
        built = await build_home(client, home, voice_url=voice.base, voice_token=TOKEN)
        links = {"Journal de la maison": "/logbook", "Boîte mail de la démo": mail_page.url}
        await save_dashboard(socket_, home.name, dashboard(home, built, links))
    finally:
        await socket_.close()
    return Demo(
        options=options,
        client=client,
        built=built,
        asterisk=asterisk,
        voice=voice,
        mailbox=mailbox,
        mail_page=mail_page,
        softphone=softphone,
        phones=phones,
        ha=ha,
        ha_version=version,
        password=password,
    )
