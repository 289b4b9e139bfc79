"""The demo's own rules: its home file, and what is built from it (settings, dashboard).

Also the log filter of ``scripts/demo --check`` and the LAN network of ``--lan``. The demo itself
runs end to end in ``scripts/test``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from testkit.demo.check import errors_about_us
from testkit.demo.dashboard import dashboard
from testkit.demo.home import SIMULATED, SOFTPHONE, BuiltHome, configuration_yaml, load_home
from testkit.demo.stack import lan_network

if TYPE_CHECKING:
    from pathlib import Path


def test_the_shipped_home_is_complete() -> None:
    home = load_home()

    assert len(home.zones) == 2
    assert any(d.entry_route for d in home.detectors)
    assert [p.line for p in home.callers()] == [SOFTPHONE, SIMULATED]
    simulated = home.person_on(SIMULATED)
    assert simulated is not None
    assert simulated.phone_code
    assert simulated.phone_code != simulated.code


def test_home_assistant_settings_simulate_every_detector() -> None:
    home = load_home()
    settings = yaml.safe_load(configuration_yaml(home, port=8123, hosts=("127.0.0.1",)))

    assert settings["http"] == {"server_host": ["127.0.0.1"], "server_port": 8123}
    assert settings["homeassistant"]["internal_url"] == "http://127.0.0.1:8123"
    sensors = settings["template"][0]["binary_sensor"]
    assert [s["default_entity_id"] for s in sensors] == [d.source_entity for d in home.detectors]
    for detector, sensor in zip(home.detectors, sensors, strict=True):
        assert f"demo_{detector.key}" in settings["input_boolean"]
        assert detector.switch_entity in sensor["state"]
    assert {s["device_class"] for s in sensors} >= {"door", "motion", "smoke"}


HOME_FILE = """[home]
name = "Maison"
[[zones]]
key = "rdc"
name = "RDC"
[[detectors]]
key = "porte"
name = "Porte"
type = "{type}"
zone = "{zone}"
switch = "Porte ouverte"
[[people]]
name = "Marie"
code = "1234"
line = "{line}"
"""
GOOD = {"type": "opening", "zone": "rdc", "line": "simulated"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zone": "garage"}, "detector 'porte' names unknown zone"),
        ({"type": "laser"}, "detector 'porte' has unknown type"),
        ({"line": "landline"}, "person 'Marie': line is one of"),
    ],
)
def test_a_wrong_home_file_is_refused_with_the_reason(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    path = tmp_path / "home.toml"
    path.write_text(HOME_FILE.format(**GOOD))
    assert load_home(path).detectors[0].zone == "rdc"
    path.write_text(HOME_FILE.format(**(GOOD | change)))

    with pytest.raises(ValueError, match=message):
        load_home(path)


def _built(home: Any, *, photo: bool) -> BuiltHome:
    built = BuiltHome("entry", zones={z.key: f"z-{z.key}" for z in home.zones})
    built.detectors = {d.key: f"d-{d.key}" for d in home.detectors}
    built.entities = {"panel": "alarm_control_panel.maison", "alert": "sensor.maison_alerte"}
    built.entities |= {"voice_server": "binary_sensor.vs", "alarm_event": "event.maison_alarme"}
    built.entities |= {f"d-{d.key}_state": f"binary_sensor.{d.key}" for d in home.detectors}
    for zone in home.zones:
        built.entities |= {
            f"z-{zone.key}_{w}": f"binary_sensor.{zone.key}_{w}" for w in ("armed", "alarm")
        }
    if photo:
        built.entities["d-porte_entree_photo"] = "image.porte_entree_photo"
    return built


def _cards(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [card for section in config["views"][0]["sections"] for card in section["cards"]]


@pytest.mark.parametrize("photo", [False, True])
def test_the_dashboard_shows_the_panel_twice_the_switches_and_photos_when_there_are(
    photo: bool,
) -> None:
    home = load_home()
    cards = _cards(dashboard(home, _built(home, photo=photo), {"Journal": "/logbook"}))

    by_type = {(c["type"], c.get("entity")) for c in cards}
    assert ("alarm-panel", "alarm_control_panel.maison") in by_type
    tile = next(c for c in cards if c["type"] == "tile" and c["entity"].startswith("alarm_"))
    assert tile["features"][0]["type"] == "alarm-modes"
    switches = next(c for c in cards if c.get("title") == "Ouvrez, bougez, enfumez")
    assert switches["entities"] == [d.switch_entity for d in home.detectors]
    assert (("picture-entity", "image.porte_entree_photo") in by_type) is photo
    people = next(c for c in cards if c["type"] == "markdown" and "Marie" in c["content"])
    assert all(p.code in people["content"] for p in home.people)


def test_the_check_reads_only_errors_about_the_integration() -> None:
    log = "\n".join(
        [
            "2026-12-02 19:01:44.771+00:00 ERROR (MainThread) [haffmpeg.core] FFmpeg fails",
            "Traceback (most recent call last):",
            '  File "/opt/imaprotect-ha-next/lib/python3.14/site-packages/haffmpeg/core.py"',
            "2026-12-02 19:01:45.000+00:00 WARNING (MainThread) [custom_components.imaprotect] x",
            "2026-12-02 19:01:46.000+00:00 ERROR (MainThread) [homeassistant.setup] oops",
            '  File "/cfg/custom_components/imaprotect/panel.py", line 3, in f',
            "2026-12-02 19:01:47.000+00:00 ERROR (MainThread) [homeassistant] Error setting up"
            " entry Maison for imaprotect",
        ]
    )

    errors = errors_about_us(log)

    assert len(errors) == 2
    assert "panel.py" in errors[0]
    assert "for imaprotect" in errors[1]


ROUTES = """Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
"""


def test_the_lan_network_is_the_narrowest_route_holding_the_address() -> None:
    assert lan_network("192.168.1.20", ROUTES) == "192.168.1.0/24"
    assert lan_network("192.168.7.3", ROUTES) == "192.168.0.0/16"
    assert lan_network("10.0.0.5", ROUTES) == "10.0.0.0/24"  # only the default route: its /24


def test_delays_are_shortened_for_the_checks_only() -> None:
    home = load_home()
    quick = home.with_delays(entry=5, exit_=3)

    assert (quick.settings["entry_delay"], quick.settings["exit_delay"]) == (5, 3)
    assert home.settings["entry_delay"] == 15
    assert replace(quick, settings=home.settings) == home
