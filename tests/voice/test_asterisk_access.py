"""Who may talk SIP to Asterisk, and who Asterisk runs as (issue 8, review m16).

Asterisk only places calls. A request that starts a dialog (an INVITE to it) must come from an
address of the SIP ACL (this machine's 127.0.0.1 and the configured peers) and be identified by
its address, never by the user name in its From header, which anyone can write. Each test sends a
real INVITE with a SIPp UAC and checks three things: the status, Asterisk's own log line naming
the refusal, and that no call was processed (``core show channels count``), since a request
matched by From user used to reach the dialplan and be hung up there with the same 403.
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import pwd
import re
import shutil
import tempfile
from typing import TYPE_CHECKING

import pytest

from testkit.asterisk import asterisk_settings, launch_asterisk, stop_asterisk
from testkit.polling import until
from testkit.sipp import call_once
from voice_server.asterisk_config import AsteriskSettings, render

if TYPE_CHECKING:
    from tests.voice.conftest import AsteriskInstance, PortPool

pytestmark = pytest.mark.voice

#: Still this machine (the lo interface answers all of 127/8), but not an address of the ACL.
OTHER_ADDRESS = "127.0.0.2"
#: Debian's asterisk package creates this user (the dev root has it, as the appliance does).
RUN_USER = "asterisk"
SECRET = "access-test-secret-42"


def _calls_processed(asterisk: AsteriskInstance) -> int:
    out = asterisk.cli("core show channels count").stdout
    found = re.search(r"(\d+) calls? processed", out)
    assert found, out
    return int(found.group(1))


def _messages(asterisk: AsteriskInstance) -> str:
    return (asterisk.paths.log / "messages.log").read_text(errors="replace")


async def test_invite_from_an_address_outside_the_acl_is_forbidden(
    asterisk: AsteriskInstance, port_pool: PortPool, tmp_path: Path
) -> None:
    before = _calls_processed(asterisk)
    status = call_once(
        ("127.0.0.1", asterisk.settings.sip_port),
        log_dir=tmp_path / "uac",
        pool=port_pool,
        source=OTHER_ADDRESS,
        from_user="direct",  # the endpoint's own name: no help from outside the ACL
    )
    assert status == 403
    await until(
        lambda: (
            f"from {OTHER_ADDRESS}" in _messages(asterisk)
            and "did not pass ACL test" in _messages(asterisk)
        ),
        within=5,
        what=lambda: f"the ACL refusal logged\n{asterisk.log_tail(10)}",
    )
    assert _calls_processed(asterisk) == before


async def test_invite_is_never_identified_by_its_from_user(
    asterisk: AsteriskInstance, port_pool: PortPool, tmp_path: Path
) -> None:
    before = _calls_processed(asterisk)
    log_dir = tmp_path / "uac"
    status = call_once(
        ("127.0.0.1", asterisk.settings.sip_port),
        log_dir=log_dir,
        pool=port_pool,
        from_user="direct",
    )
    assert status == 401  # challenged as an unknown caller, who has no credentials to give
    call_id = re.search(r"^Call-ID: (\S+)", (log_dir / "messages.log").read_text(), re.M)
    assert call_id
    await until(
        lambda: f"(callid: {call_id.group(1)}) - No matching endpoint found" in _messages(asterisk),
        within=5,
        what=lambda: f"the unidentified INVITE logged\n{asterisk.log_tail(10)}",
    )
    assert _calls_processed(asterisk) == before


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A run directory the ``asterisk`` user may enter (pytest's own tmp dirs are root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="ast-user-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_asterisk_started_as_root_runs_as_its_own_user(open_dir: Path, port_pool: PortPool) -> None:
    account = pwd.getpwnam(RUN_USER)
    settings = asterisk_settings(open_dir, port_pool, rtp_ports=20, run_user=RUN_USER)
    instance = launch_asterisk(settings)
    try:
        status = Path(f"/proc/{instance.process.pid}/status").read_text()
        uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M)
        gid = re.search(r"^Gid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M)
        assert uid, status
        assert gid, status
        assert {int(n) for n in uid.groups()} == {account.pw_uid}  # real, effective, saved
        assert {int(n) for n in gid.groups()} == {account.pw_gid}
        assert (instance.paths.log / "messages.log").stat().st_uid == account.pw_uid
        # Fully booted as that user: its modules read their files (pjsip.conf, ari.conf, 0600).
        assert "transport-udp" in instance.cli("pjsip show transports").stdout
        assert "Running" in instance.cli("module show like res_ari.so").stdout
    finally:
        stop_asterisk(instance)


def test_render_refuses_a_folder_the_run_user_cannot_enter(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    settings = AsteriskSettings(
        run_dir=closed / "run", ari_user="voice", ari_password=SECRET, run_user=RUN_USER
    )
    with pytest.raises(ValueError, match="may not enter"):
        render(settings)
