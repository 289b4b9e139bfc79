"""The add-on's options, checked (``addon_options``) and rendered (``addon_render``).

The samples in ``samples/`` are options files as the Supervisor writes them; the rendered TOML is
read back with the voice server's own ``load_config`` and the rendered Asterisk files are read as
Asterisk will. No DNS is asked: the resolver and this machine's address are given.
"""

from __future__ import annotations

import json
from pathlib import Path
import stat
import tomllib
from typing import Any

import pytest

from tests.addon.conftest import SAMPLES
from voice_server.addon_options import AddonOptions, OptionsError, parse_options
from voice_server.addon_render import (
    AddonLayout,
    Rendered,
    render_addon,
    resolve_ipv4,
    source_address,
)
from voice_server.config import load_config
from voice_server.sip_trunk import SipTrunk

ARI_SECRET = "ari-secret-for-the-test-0123"
#: Every secret of the samples: none may reach an error text.
SECRETS = (
    "short-secret",
    "has;semicolon-secret",
    "smtp-secret-value",
    "full-token-0123456789abcdef",
    "Tr#nk-P@ss=word",
    'smtp "quoted" pass',
)


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"options-{name}.json").read_text())
    return data


def no_route(peer: str) -> str:
    raise AssertionError(f"no address towards {peer} should be needed")


def no_dns(host: str) -> tuple[str, ...]:
    raise AssertionError(f"{host} should not be looked up")


def fake_dns(host: str) -> tuple[str, ...]:
    return {"sip.provider.example": ("192.0.2.10", "192.0.2.11")}.get(host, ())


def _layout(tmp_path: Path) -> AddonLayout:
    ssl = tmp_path / "ssl"
    ssl.mkdir()
    (ssl / "fullchain.pem").write_text("CERT")
    (ssl / "privkey.pem").write_text("KEY")
    return AddonLayout(data=tmp_path / "data", ssl=ssl)


def _render(tmp_path: Path, raw: dict[str, Any], **kwargs: Any) -> tuple[AddonLayout, Rendered]:
    layout = _layout(tmp_path)
    layout.data.mkdir()
    kwargs.setdefault("resolve", fake_dns)
    kwargs.setdefault("local_address", lambda peer: "192.168.1.5")
    return layout, render_addon(parse_options(raw), layout, ari_password=ARI_SECRET, **kwargs)


def test_minimal_options_take_every_default() -> None:
    options = parse_options(sample("minimal"))
    assert options == AddonOptions(voice_token="minimal-token-0123456789")
    assert (options.api_listen, options.api_port, options.ari_port) == ("127.0.0.1", 8099, 18088)
    assert (options.trunk, options.smtp, options.station, options.routes) == (None, None, None, ())


def test_empty_groups_as_the_form_sends_them_mean_no_trunk_and_no_mail() -> None:
    raw = {
        **sample("minimal"),
        "sip_trunk": {"host": "", "port": 5060, "username": "", "password": "", "register": True},
        "smtp": {"host": "", "port": 587, "security": "starttls", "sender": ""},
        "station": "",
    }
    options = parse_options(raw)
    assert (options.trunk, options.smtp, options.station) == (None, None, None)


def test_full_options_are_read_into_typed_settings() -> None:
    options = parse_options(sample("full"))
    assert options.trunk == SipTrunk(
        host="sip.provider.example",
        port=5062,
        username="0972123456",
        password="Tr#nk-P@ss=word",
        from_number="+33972123456",
        domain="provider.example",
        register=True,
        public_address="203.0.113.7",
    )
    assert options.smtp is not None
    assert (options.smtp.host, options.smtp.port, options.smtp.security) == (
        "smtp.example.org", 587, "starttls",
    )  # fmt: skip
    assert options.station == "sip:arc@192.0.2.30:5070"
    assert [(r.number, r.sip_uri) for r in options.routes] == [
        ("+33612345678", "sip:desk@192.168.1.20")
    ]
    assert (options.language, options.allowed_regions) == ("en", ("FR", "BE"))
    assert (options.certfile, options.keyfile, options.log_level) == (
        "fullchain.pem", "privkey.pem", "debug",
    )  # fmt: skip


def test_bad_options_name_every_problem_and_never_a_secret() -> None:
    with pytest.raises(OptionsError) as caught:
        parse_options(sample("bad"))
    problems = caught.value.problems
    names = sorted({problem.split(":")[0] for problem in problems})
    assert names == [
        "allowed_regions", "api_port", "certfile", "keyfile", "language", "log_level",
        "ring_timeout", "rounds", "routes.0.number", "routes.0.sip_uri", "sip_port",
        "sip_trunk.from_number", "sip_trunk.host", "sip_trunk.password", "sip_trunk.port",
        "sip_trunk.register", "smtp.security", "smtp.sender", "station", "typo_option",
        "voice_token",
    ]  # fmt: skip
    text = str(caught.value)
    assert text == "\n".join(problems)
    for secret in SECRETS:
        assert secret not in text
    assert "sip_port: outside the RTP range" in text
    assert "smtp.security: starttls or tls with a username" in text
    assert "typo_option: no such option" in text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"voice_token": "x" * 15}, "voice_token: 16 to 256 characters"),
        ({"voice_token": "with a space 0123456"}, "voice_token: 16 to 256 characters"),
        ({"voice_token": None}, "voice_token: 16 to 256 characters"),
        ({"sip_trunk": {"host": "sip.example", "username": "u", "password": "p"}},
         "sip_trunk.from_number: required with a trunk host"),
        ({"sip_trunk": {"host": "sip.example", "username": "u", "password": " padded ",
                        "from_number": "0972123456"}}, "sip_trunk.password: 1-128 printable"),
        ({"sip_trunk": {"host": "sip.example", "username": "u", "password": "p",
                        "from_number": "0972123456", "public_address": "192.168.1.1"}},
         "sip_trunk.public_address: the router's public IPv4 address"),
        ({"sip_trunk": {"host": "sip.example", "username": "u@x", "password": "p",
                        "from_number": "0972123456"}}, "sip_trunk.username: 1-64 letters"),
        ({"sip_trunk": "sip.example"}, "sip_trunk: a group of options"),
        ({"smtp": {"host": "smtp.example.org", "sender": "a@example.org", "username": "u"}},
         "smtp.password: username and password go together"),
        ({"smtp": {"host": "smtp.example.org", "sender": "a@example.org", "password": "p"}},
         "smtp.username: username and password go together"),
        ({"smtp": {"host": "smtp example", "sender": "a@example.org"}},
         "smtp.host: a host name or an IPv4 address"),
        ({"routes": "sip:desk@192.168.1.20"}, "routes: a list of groups of options"),
        ({"routes": [{"number": "0612345678"}]}, "routes.0.sip_uri: a SIP address"),
        ({"allowed_regions": []}, "allowed_regions: a list of country codes"),
        ({"api_listen": "localhost"}, "api_listen: an IPv4 address of this machine"),
        ({"sip_address": "0.0.0.0"}, "sip_address: an IPv4 address of this machine"),  # noqa: S104
        ({"sip_address": "224.0.0.1"}, "sip_address: an IPv4 address of this machine"),
        ({"station": "line\nbreak"}, "station: text (a single line of text)"),
        ({"rtp_start": 30000, "rtp_end": 30001}, "rtp_end: at least 2 above rtp_start"),
        ({"api_port": 5060}, "api_port: api_port, sip_port and ari_port must differ"),
        ({"ssl": True, "certfile": "", "keyfile": "k.pem"}, "certfile: a file name in /ssl"),
        ({"ssl": True, "certfile": "c.pem", "keyfile": "/etc/k.pem"}, "keyfile: a file name in"),
        ({"rounds": True}, "rounds: a whole number from 1 to 5"),
        ({"ring_timeout": 30.5}, "ring_timeout: a whole number from 10 to 120"),
    ],
)  # fmt: skip
def test_each_bad_option_is_named(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError) as caught:
        parse_options({**sample("minimal"), **change})
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(problem)


@pytest.mark.parametrize("raw", [[], "options", None, 3])
def test_options_that_are_not_an_object_are_refused(raw: object) -> None:
    with pytest.raises(OptionsError, match="the options must be a JSON object"):
        parse_options(raw)


def test_names_lose_their_spaces_but_a_password_is_kept_exactly() -> None:
    trunk = {
        "host": " sip.example ", "username": "u", "password": "p w", "from_number": "0972123456",
    }  # fmt: skip
    options = parse_options({**sample("minimal"), "sip_trunk": trunk})
    assert options.trunk is not None
    assert (options.trunk.host, options.trunk.password) == ("sip.example", "p w")


def test_full_options_render_the_voice_servers_own_settings(tmp_path: Path) -> None:
    layout, rendered = _render(tmp_path, sample("full"))
    assert rendered.settings == layout.settings == tmp_path / "data" / "voice.toml"
    assert stat.S_IMODE(layout.settings.stat().st_mode) == 0o600
    config = load_config(layout.settings, environ={})
    assert config.token == "full-token-0123456789abcdef"
    assert (config.listen, config.port) == ("0.0.0.0", 8100)  # noqa: S104 - the option given
    assert (config.ari_user, config.ari_password, config.ari_url) == (
        "imaprotect", ARI_SECRET, "http://127.0.0.1:18090",
    )  # fmt: skip
    assert config.database == layout.voice / "voice.db"
    assert config.prompt_cache == layout.voice / "prompts"
    assert config.allowed_regions == ("FR", "BE")
    assert (config.calls.ring_timeout, config.calls.rounds) == (45.0, 3)
    assert config.calls.caller_id == "+33972123456"
    assert config.dialer().endpoint("+33612345678") == "PJSIP/direct/sip:desk@192.168.1.20"
    assert config.dialer().endpoint("+33612345679") == "PJSIP/+33612345679@trunk"
    assert config.smtp is not None
    assert (config.smtp.host, config.smtp.port, config.smtp.sender) == (
        "smtp.example.org", 587, "alarme@example.org",
    )  # fmt: skip
    assert (config.smtp.username, config.smtp.password) == ("alarme", 'smtp "quoted" pass')
    assert (config.smtp.starttls, config.smtp.tls) == (True, False)
    assert config.tls_cert == layout.voice / "tls" / "fullchain.pem"
    assert config.tls_key is not None
    assert config.tls_key.read_text() == "KEY"
    assert stat.S_IMODE(config.tls_key.stat().st_mode) == 0o600
    assert rendered.log_level == "debug"


def test_full_options_render_asterisk_with_the_trunk_and_every_peer(tmp_path: Path) -> None:
    _, rendered = _render(tmp_path, sample("full"))
    etc = rendered.asterisk.etc
    pjsip = (etc / "pjsip.conf").read_text()
    assert "bind = 192.168.1.5:5080" in pjsip
    assert "media_address = 192.168.1.5" in pjsip
    # The trunk's two DNS addresses, the station's and the network phone's; nothing else.
    permits = [line for line in pjsip.splitlines() if line.startswith("permit = ")]
    assert permits == [
        "permit = 127.0.0.1/255.255.255.255",
        "permit = 192.0.2.10/255.255.255.255",
        "permit = 192.0.2.11/255.255.255.255",
        "permit = 192.0.2.30/255.255.255.255",
        "permit = 192.168.1.20/255.255.255.255",
    ]
    for line in (
        "[trunk-auth]", "password = Tr#nk-P@ss=word", "username = 0972123456",
        "server_uri = sip:sip.provider.example:5062",
        "client_uri = sip:0972123456@provider.example",
        "[trunk](endpoint-common)", "from_user = +33972123456", "from_domain = provider.example",
        "contact = sip:sip.provider.example:5062", "match = sip.provider.example",
        "[transport-udp](+)", "external_media_address = 203.0.113.7",
        "external_signaling_address = 203.0.113.7", "local_net = 192.168.0.0/16",
    ):  # fmt: skip
        assert f"\n{line}\n" in pjsip, line
    assert "rtpstart = 22000\nrtpend = 22099" in (etc / "rtp.conf").read_text()
    assert "bindport = 18090" in (etc / "http.conf").read_text()
    assert "defaultlanguage = en" in (etc / "asterisk.conf").read_text()
    holders = sorted(p.name for p in etc.iterdir() if "Tr#nk-P@ss=word" in p.read_text())
    assert holders == ["pjsip.conf"]
    assert sorted(p.name for p in etc.iterdir() if ARI_SECRET in p.read_text()) == ["ari.conf"]


def test_minimal_options_render_asterisk_on_this_machine_only(tmp_path: Path) -> None:
    layout, rendered = _render(tmp_path, sample("minimal"), resolve=no_dns, local_address=no_route)
    pjsip = (rendered.asterisk.etc / "pjsip.conf").read_text()
    assert "bind = 127.0.0.1:5060" in pjsip
    assert "; no sip_peers: this machine only" in pjsip
    assert "; no SIP trunk configured" in pjsip
    assert "\n[trunk-auth]\n" not in pjsip
    config = load_config(layout.settings, environ={})
    assert (config.smtp, config.tls_cert, config.calls.caller_id) == (None, None, None)
    assert not (layout.voice / "tls").exists()


def test_a_trunk_given_by_address_is_let_in_without_dns_and_sets_the_sip_address(
    tmp_path: Path,
) -> None:
    trunk = {
        "host": "192.0.2.50", "username": "line", "password": "pw-0123",
        "from_number": "0972000000", "register": False,
    }  # fmt: skip
    seen: list[str] = []
    _, rendered = _render(
        tmp_path,
        {**sample("minimal"), "sip_trunk": trunk},
        resolve=no_dns,
        local_address=lambda peer: seen.append(peer) or "10.0.0.4",
    )
    pjsip = (rendered.asterisk.etc / "pjsip.conf").read_text()
    assert seen == ["192.0.2.50"]
    assert "bind = 10.0.0.4:5060" in pjsip
    assert "permit = 192.0.2.50/255.255.255.255" in pjsip
    assert "\n[trunk-registration]\n" not in pjsip


def test_a_host_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    raw = {**sample("full"), "station": "sip:arc@arc.invalid"}
    with pytest.raises(OptionsError) as caught:
        _render(tmp_path, raw, resolve=lambda host: ())
    assert caught.value.problems == (
        "sip_trunk.host: its host name does not resolve to an IPv4 address",
        "station: its host name does not resolve to an IPv4 address",
    )


def test_a_missing_certificate_is_named(tmp_path: Path) -> None:
    raw = {**sample("full"), "keyfile": "missing.pem"}
    with pytest.raises(OptionsError, match=r"^keyfile: no such file in .*ssl$"):
        _render(tmp_path, raw)


@pytest.mark.parametrize(
    ("security", "port", "expected"),
    [("tls", None, (465, True, None)), ("starttls", 2525, (2525, False, True)),
     ("none", 25, (25, False, False))],
)  # fmt: skip
def test_smtp_security_becomes_the_servers_tls_settings(
    tmp_path: Path, security: str, port: int | None, expected: tuple[int, bool, bool | None]
) -> None:
    smtp: dict[str, Any] = {"host": "relay.lan", "security": security, "sender": "a@example.org"}
    if port is not None:
        smtp["port"] = port
    layout, _ = _render(tmp_path, {**sample("minimal"), "smtp": smtp})
    config = load_config(layout.settings, environ={})
    assert config.smtp is not None
    assert (config.smtp.port, config.smtp.tls, config.smtp.starttls) == expected


def test_rendering_again_replaces_the_settings(tmp_path: Path) -> None:
    layout, _ = _render(tmp_path, sample("full"))
    options = parse_options(sample("minimal"))
    render_addon(options, layout, ari_password="another-ari-secret-456", resolve=no_dns)
    text = layout.settings.read_text()
    assert "another-ari-secret-456" in text
    assert ARI_SECRET not in text
    assert "full-token" not in text
    assert tomllib.loads(text)["voice"]["token"] == "minimal-token-0123456789"


def test_the_lookups_stay_on_this_machine() -> None:
    # The harness refuses DNS; a name is resolved in test_addon_run (a process of its own).
    assert resolve_ipv4("127.0.0.1") == ("127.0.0.1",)
    assert source_address("127.0.0.1") == "127.0.0.1"
