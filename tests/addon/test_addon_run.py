"""The add-on's start, for real: an options file in, Asterisk 22 and the voice server running.

``imaprotect-addon`` runs as the add-on's container runs it (a process on a data folder), on the
dev root's Asterisk. A SIPp phone plays the SIP provider: the contact is called through the
rendered trunk and acknowledges with their code, so the trunk, its ACL and the voice server's
settings are proved together, not only written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
import os
from pathlib import Path
import pwd
import re
import signal
import subprocess
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from testkit.asterisk import ASTERISK
from testkit.bodies import NUMBERS, TOKEN, alert_body, contact, site_body
from testkit.polling import until, until_sync
from testkit.sipp import SIPP, start_sipp
from testkit.voice_api import VoiceApi
from tests.addon.addon_process import AddonProcess, open_folder
from tests.addon.test_addon_options import SECRETS, sample
from tests.voice.harness import finished, outcomes

if TYPE_CHECKING:
    from testkit.ports import PortPool

pytestmark = pytest.mark.voice
LINE = "0972123456"
TRUNK_SECRET = "trunk-secret-0123"


@pytest.fixture
def folder() -> Iterator[Path]:
    if not ASTERISK.exists() or not SIPP.exists():
        pytest.skip("Asterisk and SIPp come with the dev root: scripts/devroot/build run …")
    path = open_folder("addon-")
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture
def addons() -> Iterator[list[AddonProcess]]:
    started: list[AddonProcess] = []
    yield started
    for addon in started:
        addon.stop()


def options(pool: PortPool, **changes: Any) -> dict[str, Any]:
    """Options on free loopback ports, with the test servers' token."""
    rtp = pool.take(40)
    return {
        "voice_token": TOKEN,
        "api_port": pool.take(),
        "sip_port": pool.take(),
        "ari_port": pool.take(),
        "sip_address": "127.0.0.1",
        "rtp_start": rtp,
        "rtp_end": rtp + 39,
        "ring_timeout": 10,
        "rounds": 1,
        **changes,
    }


def api(addon: AddonProcess, raw: dict[str, Any], session: aiohttp.ClientSession) -> VoiceApi:
    return VoiceApi(f"http://127.0.0.1:{raw['api_port']}", session)


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    assert match, status
    return int(match.group(1))


async def alert_contact_0(voice: VoiceApi) -> dict[str, Any]:
    """A home whose one contact is NUMBERS[0] (code 4321), its alert, once it has finished."""
    await voice.put_site("home", site_body([contact(0)]))
    assert (await voice.post_alert("home", alert_body("a-1")))[0] == 201
    return await voice.wait_alert("a-1", finished, within=30)


def running(pids: Iterable[int]) -> list[int]:
    """Those of ``pids`` still running."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def cli(addon: AddonProcess, command: str) -> str:
    config = addon.data / "asterisk" / "etc" / "asterisk.conf"
    return subprocess.run(
        [ASTERISK, "-C", str(config), "-rx", command],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout  # fmt: skip


async def test_the_rendered_trunk_calls_a_contact_who_acknowledges(
    folder: Path, port_pool: PortPool, addons: list[AddonProcess]
) -> None:
    provider = start_sipp(
        "uas_dtmf",
        log_dir=folder / "provider",
        pool=port_pool,
        digits="4321#",
        delay_ms=300,
        extra=("-aa",),
    )
    try:
        trunk = {
            # An address: Asterisk resolves names through DNS only, which the tests never ask.
            "host": "127.0.0.1",
            "port": provider.port,
            "username": LINE,
            "password": TRUNK_SECRET,
            "from_number": LINE,
            "register": False,
        }
        # The station's name is looked up by the add-on itself (/etc/hosts here), for the ACL.
        raw = options(port_pool, sip_trunk=trunk, station="sip:arc@localhost")
        addon = AddonProcess.write(folder, raw)
        addons.append(addon)
        addon.start(rotate_every=1.0)
        async with aiohttp.ClientSession() as session:
            voice = api(addon, raw, session)
            await voice.wait_healthy(30, alive=addon.running)
            alert = await alert_contact_0(voice)
        assert alert["status"] == "acknowledged"
        assert outcomes(alert) == [("c0", "acknowledged")]
    finally:
        provider.stop()
    trace = provider.trace.read_text()
    # Dialled through the trunk (PJSIP/{number}@trunk), as the line's number.
    assert f"INVITE sip:{NUMBERS[0]}@127.0.0.1:{provider.port} SIP/2.0" in trace
    assert re.search(rf"^From: <sip:{LINE}@127.0.0.1>", trace, re.MULTILINE), trace[:2000]
    assert (
        "permit = 127.0.0.1/255.255.255.255" in (addon.data / "asterisk/etc/pjsip.conf").read_text()
    )
    # Its daily log rotation, here every second.
    until_sync((addon.data / "asterisk/log/messages.log.0").exists, within=10, what="rotated")
    children = addon.children()
    assert set(children) == {"asterisk", "voice"}
    assert addon.stop() == 0
    assert running(children.values()) == []
    log = addon.log_text()
    assert "Asterisk fully booted" in log
    assert "voice server stopped" in log
    assert log.index("voice server stopped") < log.index("Asterisk stopped")
    assert TRUNK_SECRET not in log
    assert TOKEN not in log


async def test_as_root_both_run_as_asterisk_and_come_back_after_a_crash(
    folder: Path, port_pool: PortPool, addons: list[AddonProcess]
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root, as in the add-on's container")
    trunk = {
        "host": "127.0.0.1", "port": port_pool.take(), "username": LINE,
        "password": TRUNK_SECRET, "from_number": LINE, "register": True,
    }  # fmt: skip
    phone = start_sipp(
        "uas_dtmf", log_dir=folder / "phone", pool=port_pool, digits="4321#", delay_ms=300
    )
    # The contact's phone is a SIP phone of the network (a route), the trunk registers nowhere.
    route = {"number": NUMBERS[0], "sip_uri": f"sip:desk@127.0.0.1:{phone.port}"}
    raw = options(port_pool, sip_trunk=trunk, routes=[route])
    addon = AddonProcess.write(folder, raw)
    addons.append(addon)
    addon.start(run_user="asterisk")
    asterisk_uid = pwd.getpwnam("asterisk").pw_uid
    async with aiohttp.ClientSession() as session:
        voice = api(addon, raw, session)
        await voice.wait_healthy(30, alive=addon.running)
        # The prompts the voice server writes (its folder is 0700) are played by Asterisk: the
        # same user. The contact hears the message and acknowledges.
        alert = await alert_contact_0(voice)
        phone.stop()
        assert outcomes(alert) == [("c0", "acknowledged")]
        played = (addon.data / "asterisk" / "log" / "messages.log").read_text()
        assert "does not exist" not in played
        assert "Permission denied" not in played
        first = addon.wait_children("asterisk", "voice")
        assert {name: uid_of(pid) for name, pid in first.items()} == {
            "asterisk": asterisk_uid, "voice": asterisk_uid,
        }  # fmt: skip
        assert "trunk-registration/sip:127.0.0.1:" in cli(addon, "pjsip show registrations")
        assert (addon.data / "voice.toml").stat().st_uid == asterisk_uid
        assert (addon.data / "voice" / "voice.db").stat().st_uid == asterisk_uid

        os.kill(first["voice"], signal.SIGKILL)
        await until(
            lambda: _restarted(addon, "voice", first["voice"]), within=15, what="voice restarted"
        )
        await voice.wait_healthy(30, alive=addon.running)

        os.kill(first["asterisk"], signal.SIGKILL)
        await until(
            lambda: _restarted(addon, "asterisk", first["asterisk"]),
            within=15,
            what="Asterisk restarted",
        )
        await voice.wait_healthy(30, alive=addon.running)
    assert addon.stop() == 0
    log = addon.log_text()
    assert "voice server exited with status -9: restarting in 1 s" in log
    assert "Asterisk exited with status -9: restarting in 1 s" in log


async def _restarted(addon: AddonProcess, name: str, old: int) -> bool:
    pid = addon.children().get(name)
    return pid is not None and pid != old


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "cannot be read (No such file or directory)"),
        ('{"voice_token": ', "not a JSON object (line 1)"),
    ],
)
def test_an_options_file_it_cannot_use_stops_it_with_status_2(
    folder: Path, text: str | None, expected: str
) -> None:
    addon = AddonProcess.write(folder, text or "")
    if text is None:
        (addon.data / "options.json").unlink()
    addon.start()
    assert addon.process is not None
    assert addon.process.wait(30) == 2
    assert expected in addon.log_text()
    assert not (addon.data / "asterisk").exists()


def test_bad_options_stop_it_with_each_problem_and_no_secret(folder: Path) -> None:
    addon = AddonProcess.write(folder, sample("bad"))
    addon.start()
    assert addon.process is not None
    started = time.monotonic()
    assert addon.process.wait(30) == 2
    assert time.monotonic() - started < 30
    log = addon.log_text()
    assert log.startswith("imaprotect-addon: the options cannot be used:\n")
    assert "  - sip_trunk.password: 1-128 printable ASCII characters" in log
    assert "  - voice_token: 16 to 256 characters" in log
    for secret in SECRETS:
        assert secret not in log
    assert not (addon.data / "voice.toml").exists()
