"""Rendering of the Asterisk configuration and the ``imaprotect-voice asterisk-config`` command."""

from __future__ import annotations

import os
from pathlib import Path
import pwd
import re
import shutil
import stat
import tempfile

import pytest

from voice_server.asterisk_config import AsteriskSettings, render
from voice_server.cli import PASSWORD_ENV, main

SECRET = "render-test-secret-42"


def _settings(tmp: Path, **changes: object) -> AsteriskSettings:
    values: dict[str, object] = {
        "run_dir": tmp,
        "ari_user": "voice",
        "ari_password": SECRET,
        "sip_port": 25060,
        "http_port": 28088,
        "rtp_start": 30000,
        "rtp_end": 30099,
    }
    values.update(changes)
    return AsteriskSettings(**values)  # type: ignore[arg-type]


def test_render_fills_every_placeholder(tmp_path: Path) -> None:
    paths = render(_settings(tmp_path))
    files = {p.name: p.read_text() for p in paths.etc.iterdir()}
    assert {"asterisk.conf", "modules.conf", "pjsip.conf", "ari.conf", "http.conf"} <= set(files)
    for name, text in files.items():
        assert not re.search(r"@[A-Z_]+@", text), name
        assert stat.S_IMODE((paths.etc / name).stat().st_mode) == 0o600
    assert "[directories]\n" in files["asterisk.conf"]
    assert f"astetcdir => {paths.etc}\n" in files["asterisk.conf"]
    assert "bind = 127.0.0.1:25060" in files["pjsip.conf"]
    assert "bindaddr = 127.0.0.1\nbindport = 28088" in files["http.conf"]
    assert "rtpstart = 30000\nrtpend = 30099" in files["rtp.conf"]
    assert "autoload = no" in files["modules.conf"]
    assert [name for name, text in files.items() if SECRET in text] == ["ari.conf"]
    for folder in (paths.log, paths.run, paths.lib, paths.spool, paths.cache):
        assert folder.is_dir()


@pytest.mark.parametrize(
    "changes",
    [
        {"run_dir": Path("relative")},
        {"ari_password": "short"},
        {"ari_password": "has;semicolon-123456"},
        {"ari_user": "bad user"},
        {"sip_address": "0.0.0.0"},  # noqa: S104 - the value under test
        {"sip_port": 80},
        {"rtp_start": 30000, "rtp_end": 30000},
    ],
)
def test_render_rejects_unsafe_settings(tmp_path: Path, changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        _settings(tmp_path, **changes)


def test_cli_renders_from_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "voice.toml"
    config.write_text('[asterisk]\nari_user = "alarm"\nsip_port = 25070\n')
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    out = tmp_path / "run"
    assert (
        main(
            ["--config", str(config), "asterisk-config", "--out", str(out), "--http-port", "28090"]
        )
        == 0
    )
    assert capsys.readouterr().out == f"asterisk -C {out}/etc/asterisk.conf -f\n"
    assert "[alarm]" in (out / "etc/ari.conf").read_text()
    assert "bind = 127.0.0.1:25070" in (out / "etc/pjsip.conf").read_text()
    assert "bindport = 28090" in (out / "etc/http.conf").read_text()


def test_cli_reads_the_sip_peers_and_the_run_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "voice.toml"
    config.write_text('[asterisk]\nsip_peers = ["192.0.2.10", "198.51.100.0/24"]\n')
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    out = tmp_path / "run"
    assert main(["--config", str(config), "asterisk-config", "--out", str(out)]) == 0
    pjsip = (out / "etc/pjsip.conf").read_text()
    assert "permit = 192.0.2.10/255.255.255.255" in pjsip
    assert "permit = 198.51.100.0/255.255.255.0" in pjsip
    assert "rtpend = 14999" in (out / "etc/rtp.conf").read_text()
    config.write_text('[asterisk]\nsip_peers = "192.0.2.10"\n')
    with pytest.raises(SystemExit):
        main(["--config", str(config), "asterisk-config", "--out", str(out)])
    assert "sip_peers must be a list" in capsys.readouterr().err


def test_cli_refuses_without_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["asterisk-config", "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert PASSWORD_ENV in capsys.readouterr().err


def test_render_runs_as_no_other_user_unless_asked(tmp_path: Path) -> None:
    text = (render(_settings(tmp_path)).etc / "asterisk.conf").read_text()
    assert "\nrunuser" not in text
    assert "\nverbose = 0\n" in text


def test_render_carries_run_user_and_hands_it_the_tree() -> None:
    # pytest's tmp folders are root's and 0700: the user could not enter one.
    run_dir = Path(tempfile.mkdtemp(prefix="render-user-", dir="/tmp"))
    run_dir.chmod(0o711)
    try:
        _check_run_user(run_dir)
    finally:
        shutil.rmtree(run_dir)


def _check_run_user(run_dir: Path) -> None:
    account = pwd.getpwnam("asterisk")
    paths = render(_settings(run_dir, run_user="asterisk"))
    text = (paths.etc / "asterisk.conf").read_text()
    assert "\nrunuser = asterisk\nrungroup = asterisk\n" in text
    if os.geteuid() == 0:
        for path in (paths.etc / "ari.conf", paths.log, paths.run):
            assert (path.stat().st_uid, path.stat().st_gid) == (account.pw_uid, account.pw_gid)
        assert stat.S_IMODE((paths.etc / "ari.conf").stat().st_mode) == 0o600


def test_render_lets_in_this_machine_and_the_sip_peers_only(tmp_path: Path) -> None:
    paths = render(_settings(tmp_path, sip_peers=("192.0.2.10", "198.51.100.0/24")))
    pjsip = (paths.etc / "pjsip.conf").read_text()
    acl = pjsip.split("[acl]\n", 1)[1].split("\n\n", 1)[0]
    assert acl.splitlines() == [
        "type = acl",
        "deny = 0.0.0.0/0.0.0.0",
        "permit = 127.0.0.1/255.255.255.255",
        "permit = 192.0.2.10/255.255.255.255",
        "permit = 198.51.100.0/255.255.255.0",
    ]
    assert "identify_by = ip" in pjsip.split("[endpoint-common](!)", 1)[1].split("\n\n", 1)[0]
    modules = (paths.etc / "modules.conf").read_text()
    assert "load = res_pjsip_acl.so" in modules
    assert "load = res_pjsip_endpoint_identifier_user.so" not in modules


@pytest.mark.parametrize(
    "changes",
    [{"sip_peers": ("0.0.0.0/0",)}, {"sip_peers": ("::1",)}, {"sip_peers": ("not-an-ip",)},
     {"run_user": "Bad User"}],
)  # fmt: skip
def test_render_rejects_unsafe_access_settings(tmp_path: Path, changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        _settings(tmp_path, **changes)


def test_render_refuses_an_unknown_run_user(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such user"):
        render(_settings(tmp_path, run_user="nobody-here"))
