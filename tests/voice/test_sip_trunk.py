"""The SIP trunk of ``[asterisk.trunk]``: rendered into pjsip.conf by ``asterisk-config``.

This is the path of a manual (or systemd) installation; the add-on writes the same table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_server.asterisk_config import AsteriskSettings, render
from voice_server.cli import main
from voice_server.sip_trunk import TRUNK_PASSWORD_ENV, SipTrunk, pjsip_sections, trunk_problems
from voice_server.toml_out import toml_document, toml_string

TRUNK = {
    "host": "192.0.2.10",
    "username": "0972123456",
    "password": "provider-secret-1",
    "from_number": "0972123456",
}


def _write(tmp_path: Path, trunk: dict[str, object]) -> Path:
    config = tmp_path / "voice.toml"
    config.write_text(
        toml_document({"asterisk": {"ari_password": "ari-secret-0123456"}, "asterisk.trunk": trunk})
    )
    return config


def test_the_cli_renders_the_trunk_and_lets_its_address_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(TRUNK_PASSWORD_ENV, raising=False)
    config = _write(tmp_path, {**TRUNK, "port": 5070, "register": False})
    assert main(["--config", str(config), "asterisk-config", "--out", str(tmp_path / "run")]) == 0
    assert capsys.readouterr().out.startswith("asterisk -C ")
    pjsip = (tmp_path / "run" / "etc" / "pjsip.conf").read_text()
    assert "\npermit = 192.0.2.10/255.255.255.255\n" in pjsip
    assert "\npassword = provider-secret-1\n" in pjsip
    assert "\ncontact = sip:192.0.2.10:5070\n" in pjsip
    assert "\n[trunk-registration]\n" not in pjsip
    assert "@TRUNK@" not in pjsip


def test_the_trunk_password_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRUNK_PASSWORD_ENV, "from-the-environment")
    config = _write(tmp_path, {k: v for k, v in TRUNK.items() if k != "password"})
    assert main(["--config", str(config), "asterisk-config", "--out", str(tmp_path / "run")]) == 0
    pjsip = (tmp_path / "run" / "etc" / "pjsip.conf").read_text()
    assert "\npassword = from-the-environment\n" in pjsip
    assert "\n[trunk-registration]\n" in pjsip


@pytest.mark.parametrize(
    ("trunk", "message"),
    [
        ({**TRUNK, "secret": "x"}, "unknown [asterisk.trunk] keys: secret"),
        ({k: v for k, v in TRUNK.items() if k != "username"}, "trunk] username is required"),
        ({**TRUNK, "port": "5060"}, "trunk] port must be int"),
        ({**TRUNK, "register": 1}, "trunk] register must be bool"),
        ({**TRUNK, "domain": 3}, "trunk] domain must be a string"),
        ({**TRUNK, "password": "semi;colon"}, "trunk password: 1-128 printable"),
    ],
)
def test_the_cli_refuses_a_bad_trunk_table_without_echoing_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    trunk: dict[str, object],
    message: str,
) -> None:
    monkeypatch.delenv(TRUNK_PASSWORD_ENV, raising=False)
    config = _write(tmp_path, trunk)
    with pytest.raises(SystemExit) as caught:
        main(["--config", str(config), "asterisk-config", "--out", str(tmp_path / "run")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "provider-secret-1" not in err
    assert "semi;colon" not in err


def test_the_cli_refuses_a_trunk_that_is_not_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "voice.toml"
    config.write_text('[asterisk]\nari_password = "ari-secret-0123456"\ntrunk = "sip.example"\n')
    with pytest.raises(SystemExit):
        main(["--config", str(config), "asterisk-config", "--out", str(tmp_path / "run")])
    assert "[asterisk] trunk must be a table" in capsys.readouterr().err


def test_a_trunk_address_already_among_the_peers_is_listed_once(tmp_path: Path) -> None:
    settings = AsteriskSettings(
        run_dir=tmp_path,
        ari_user="voice",
        ari_password="ari-secret-0123456",
        sip_peers=("192.0.2.10",),
        trunk=SipTrunk(**TRUNK),  # type: ignore[arg-type]
    )
    pjsip = (render(settings).etc / "pjsip.conf").read_text()
    assert pjsip.count("permit = 192.0.2.10/") == 1


def test_a_trunk_by_name_is_matched_by_name_and_not_let_in_by_itself(tmp_path: Path) -> None:
    trunk = SipTrunk(**{**TRUNK, "host": "sip.provider.example"})  # type: ignore[arg-type]
    assert trunk.address is None
    text = pjsip_sections(trunk)
    assert "\nmatch = sip.provider.example" in text
    assert "\nclient_uri = sip:0972123456@sip.provider.example\n" in text
    settings = AsteriskSettings(
        run_dir=tmp_path, ari_user="voice", ari_password="ari-secret-0123456", trunk=trunk
    )
    assert "; no sip_peers: this machine only" in (render(settings).etc / "pjsip.conf").read_text()


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"host": "sip provider"}, "host"),
        ({"domain": "bad domain"}, "domain"),
        ({"port": 0}, "port"),
        ({"username": ""}, "username"),
        ({"password": "x" * 129}, "password"),
        ({"password": "back\\slash"}, "password"),
        ({"from_number": "12"}, "from_number"),
        ({"public_address": "not-an-address"}, "public_address"),
        ({"public_address": "10.1.2.3"}, "public_address"),
        ({"public_address": "127.0.0.1"}, "public_address"),
    ],
)
def test_each_bad_trunk_setting_is_named(change: dict[str, object], setting: str) -> None:
    values = {**TRUNK, **change}
    assert [name for name, _ in trunk_problems(values)] == [setting]
    with pytest.raises(ValueError, match=f"^trunk {setting}: "):
        SipTrunk(**values)  # type: ignore[arg-type]


def test_toml_strings_escape_what_toml_forbids() -> None:
    assert toml_string('a"b\\c\n\x7f\x01é') == '"a\\"b\\\\c\\n\\u007f\\u0001é"'
    with pytest.raises(ValueError, match="lone surrogate"):
        toml_string("\ud800")
    with pytest.raises(TypeError, match="no TOML form for dict"):
        toml_document({"voice": {"routes": {}}})
    assert toml_document({"t": {"f": 1.5, "b": False, "l": ["x"]}}) == (
        '[t]\n"f" = 1.5\n"b" = false\n"l" = ["x"]\n'
    )
