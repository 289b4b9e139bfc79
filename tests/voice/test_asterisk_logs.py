"""No typed code reaches Asterisk's log files, and those files are rotated (issue 8, review M6).

The personal code a contact types is their acknowledgement code; whoever reads ``messages.log``
must not learn it. The test types a code into a real call (SIPp, RFC 4733) and reads every file of
Asterisk's log folder. So that it can fail, it also adds, at run time, a log channel outside that
folder with the levels the project's ``messages.log`` had before the fix: that channel must hold
the digits, which proves the call did carry them and that the old line would have written them.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING
import uuid

import pytest

from testkit.polling import until

if TYPE_CHECKING:
    from tests.voice.conftest import AsteriskInstance, SippFactory
    from voice_server.ari import AriClient

pytestmark = pytest.mark.voice

#: The levels of ``messages.log`` (and the console) before issue 8.
OLD_LEVELS = "notice,warning,error,verbose,dtmf"
#: Eight digits: long enough that no port, time stamp or channel id contains them by chance.
CODE = "58317264"
_LOGGER_CONF = Path(__file__).parents[2] / "voice_server" / "asterisk" / "logger.conf"


def _log_files(asterisk: AsteriskInstance) -> dict[str, str]:
    return {
        str(path.relative_to(asterisk.paths.log)): path.read_text(errors="replace")
        for path in asterisk.paths.log.rglob("*")
        if path.is_file()
    }


async def test_typed_code_is_in_no_log_file(
    asterisk: AsteriskInstance, ari: AriClient, sipp_phone: SippFactory, tmp_path: Path
) -> None:
    control = tmp_path / "old-messages.log"
    added = asterisk.cli(f"logger add channel {control} {OLD_LEVELS}")
    assert added.returncode == 0, added.stdout + added.stderr
    try:
        phone = sipp_phone("uas_dtmf", digits=f"{CODE}#", delay_ms=200)
        channel_id = f"test-{uuid.uuid4()}"
        with ari.subscribe(channel_id) as events:
            await ari.originate(phone.endpoint, channel_id=channel_id)
            started = await events.wait_for("StasisStart", "ChannelDestroyed", within=10)
            assert started.type == "StasisStart", started.cause_txt
            digits = ""
            while not digits.endswith("#"):
                event = await events.wait_for("ChannelDtmfReceived", within=10)
                digits += event.digit or ""
            await ari.hangup(channel_id)
            await events.wait_for("ChannelDestroyed", within=5)
        assert digits == f"{CODE}#"
        # The control channel is written by the same logger pass as every other file: once it
        # holds the last digit, any file that logs DTMF holds them all.
        await until(
            lambda: control.exists() and "DTMF end '#'" in control.read_text(),
            within=5,
            what="the old levels log the DTMF digits",
        )
    finally:
        asterisk.cli(f"logger remove channel {control}")
    old = control.read_text()
    assert "".join(re.findall(r"DTMF end '(.)' received", old)).startswith(CODE), old
    files = _log_files(asterisk)
    assert "messages.log" in files
    for name, text in files.items():
        assert CODE not in text, name
        assert "DTMF" not in text, name


def test_logger_conf_logs_no_dtmf_nor_verbose() -> None:
    """Every log channel of the shipped file, console included, leaves out dtmf and verbose."""
    channels = [
        line.split("=>", 1)
        for line in _LOGGER_CONF.read_text().splitlines()
        if "=>" in line and not line.lstrip().startswith(";")
    ]
    assert channels
    for name, levels in channels:
        names = {level.strip() for level in levels.split(";", 1)[0].split(",")}
        assert not names & {"dtmf", "verbose", "debug", "*"}, name


def test_rotation_keeps_a_bounded_number_of_archives(asterisk: AsteriskInstance) -> None:
    """``logger rotate`` (what the daily job asks for) renames the log and drops the eighth."""
    log = asterisk.paths.log / "messages.log"
    for round_ in range(9):
        rotated = asterisk.cli("logger rotate")
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        # The rotation (and the command after it) is done when the CLI answers.
        assert log.exists(), round_
    archives = sorted(p.name for p in asterisk.paths.log.glob("messages.log.*"))
    assert archives == [f"messages.log.{n}" for n in range(7)]
    assert not list(asterisk.paths.log.glob("queue_log*"))  # no queue_log growing beside it
