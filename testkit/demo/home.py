"""The demo's home: read from ``home.toml``, simulated in YAML, built through the flows.

``load_home`` reads the data file; ``configuration_yaml`` writes the Home Assistant settings that
simulate its detectors (an ``input_boolean`` a person flips from the dashboard, and a template
``binary_sensor`` following it, which the detector mirrors as it would a Zigbee contact);
``build_home`` creates the home, its zones, detectors and people through the REST flow API, as the
dialogs post them, and returns where each thing ended up (entity ids come from the registry,
never guessed from names). A new kind of thing (a station, photos) is a field here and a step there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
import json
from pathlib import Path
import tomllib
from typing import Any

from testkit.ha_process import HaClient, HaSocket

__all__ = [
    "HOME_FILE",
    "BuiltHome",
    "Detector",
    "Home",
    "Person",
    "Zone",
    "build_home",
    "configuration_yaml",
    "load_home",
]

HOME_FILE = Path(__file__).with_name("home.toml")
DOMAIN = "imaprotect"
SIMULATED = "simulated"
SOFTPHONE = "softphone"
LINES = (SIMULATED, SOFTPHONE)
_DEVICE_CLASSES = {
    "opening": "door",
    "motion": "motion",
    "image_motion": "motion",
    "smoke": "smoke",
    "flood": "moisture",
}
_SUBENTRY_FLOW = "/api/config/config_entries/subentries/flow"


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone of the home; ``partial``: also watched in partial mode."""

    key: str
    name: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Detector:
    """A simulated detector: ``input_boolean.demo_<key>`` drives ``binary_sensor.demo_<key>``."""

    key: str
    name: str
    type: str
    zone: str
    switch: str
    entry_route: bool = False
    device_class: str | None = None

    @property
    def switch_entity(self) -> str:
        """The switch a person flips on the dashboard."""
        return f"input_boolean.demo_{self.key}"

    @property
    def source_entity(self) -> str:
        """The binary sensor the detector mirrors."""
        return f"binary_sensor.demo_{self.key}"


@dataclass(frozen=True, slots=True)
class Person:
    """A person of the home; ``line`` says which phone answers their calls."""

    name: str
    code: str
    phone_code: str | None = None
    phone: str | None = None
    email: str | None = None
    call_position: int | None = None
    line: str = SIMULATED
    may_arm: bool = True
    may_disarm: bool = True


@dataclass(frozen=True, slots=True)
class Home:
    """The home's settings (the home form's fields) and what it holds."""

    settings: dict[str, Any]
    zones: tuple[Zone, ...]
    detectors: tuple[Detector, ...]
    people: tuple[Person, ...]

    @property
    def name(self) -> str:
        """The home's name (its entry's title)."""
        return str(self.settings["name"])

    def with_delays(self, *, entry: int | None = None, exit_: int | None = None) -> Home:
        """The same home with other entry and exit delays (the checks run with short ones)."""
        settings = dict(self.settings)
        if entry is not None:
            settings["entry_delay"] = entry
        if exit_ is not None:
            settings["exit_delay"] = exit_
        return replace(self, settings=settings)

    def person_on(self, line: str) -> Person | None:
        """The first caller on ``line`` (the simulated phone, the softphone), if any."""
        return next((p for p in self.callers() if p.line == line), None)

    def callers(self) -> list[Person]:
        """The people phoned, in call order."""
        called = [p for p in self.people if p.call_position is not None and p.phone]
        return sorted(called, key=lambda p: p.call_position or 0)


def load_home(path: Path = HOME_FILE) -> Home:
    """Read the data file; ``ValueError`` naming what is wrong in it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    zones = tuple(Zone(**z) for z in data.get("zones", []))
    detectors = tuple(Detector(**d) for d in data.get("detectors", []))
    people = tuple(Person(**p) for p in data.get("people", []))
    keys = {z.key for z in zones}
    for detector in detectors:
        if detector.zone not in keys:
            raise ValueError(f"{path}: detector {detector.key!r} names unknown zone")
        if detector.type not in _DEVICE_CLASSES:
            raise ValueError(f"{path}: detector {detector.key!r} has unknown type")
    for person in people:
        if person.line not in LINES:
            raise ValueError(f"{path}: person {person.name!r}: line is one of {LINES}")
    return Home(dict(data["home"]), zones, detectors, people)


@dataclass
class BuiltHome:
    """Where the home ended up in Home Assistant."""

    entry_id: str
    zones: dict[str, str] = field(default_factory=dict)
    """Zone key → subentry id."""
    detectors: dict[str, str] = field(default_factory=dict)
    """Detector key → subentry id."""
    entities: dict[str, str] = field(default_factory=dict)
    """The integration's unique id suffix (``panel``, ``alert``, ``<subentry>_state``…) → id."""

    def entity(self, suffix: str) -> str:
        """The entity id of the integration's ``<entry_id>_<suffix>`` entity."""
        try:
            return self.entities[suffix]
        except KeyError:
            raise LookupError(f"no {DOMAIN} entity {suffix!r} in the registry") from None

    @property
    def panel(self) -> str:
        """The home's alarm panel."""
        return self.entity("panel")

    @property
    def alert(self) -> str:
        """The home's *Alert* sensor (the call-out's status)."""
        return self.entity("alert")

    def detector_entity(self, key: str, what: str = "state") -> str:
        """A detector's own entity (``state``) or its ``fault`` flag."""
        return self.entity(f"{self.detectors[key]}_{what}")

    def zone_entity(self, key: str, what: str) -> str:
        """A zone's ``armed`` or ``alarm`` binary sensor."""
        return self.entity(f"{self.zones[key]}_{what}")


def _yaml(value: object) -> str:
    """A scalar as YAML: JSON's strings, numbers and booleans are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def configuration_yaml(home: Home, *, port: int, hosts: tuple[str, ...]) -> str:
    """Home Assistant's settings: on ``hosts`` and ``port``, in French, the detectors simulated."""
    lines = [
        "# Written by scripts/demo (testkit/demo/home.py) at each start; edits are lost.",
        "homeassistant:",
        f"  name: {_yaml(f'{home.name} (démo imaprotect)')}",
        "  # Latitude 0 / longitude 0: the onboarding weather integration then adds nothing.",
        "  latitude: 0",
        "  longitude: 0",
        "  elevation: 35",
        "  unit_system: metric",
        "  time_zone: Europe/Paris",
        "  country: FR",
        "  language: fr",
        "  currency: EUR",
        # The voice server's callbacks reach the home's webhook here.
        f"  internal_url: {_yaml(f'http://127.0.0.1:{port}')}",
        "http:",
        f"  server_host: {_yaml(list(hosts))}",
        f"  server_port: {port}",
        "logger:",
        "  default: warning",
        "  logs:",
        "    custom_components.imaprotect: info",
        "recorder:",
        "  purge_keep_days: 1",
        "  commit_interval: 1",
        "frontend:",
        "config:",
        "history:",
        "logbook:",
        "input_boolean:",
    ]
    for detector in home.detectors:
        lines += [
            f"  demo_{detector.key}:",
            f"    name: {_yaml(detector.switch)}",
        ]
    lines += ["template:", "  - binary_sensor:"]
    for detector in home.detectors:
        device_class = detector.device_class or _DEVICE_CLASSES[detector.type]
        lines += [
            f"      - name: {_yaml(f'{detector.name} (simulé)')}",
            f"        unique_id: demo_{detector.key}",
            f"        default_entity_id: {detector.source_entity}",
            f"        device_class: {device_class}",
            f"        state: {_yaml(f"{{{{ is_state('{detector.switch_entity}', 'on') }}}}")}",
        ]
    return "\n".join(lines) + "\n"


async def build_home(
    client: HaClient, home: Home, *, voice_url: str | None, voice_token: str | None
) -> BuiltHome:
    """Create the home and everything in it through the flows; where each thing ended up."""
    call_out = {"voice_url": voice_url, "voice_token": voice_token} if voice_url else {}
    created = await client.flow(
        "/api/config/config_entries/flow",
        DOMAIN,
        {**home.settings, "call_out": call_out},
        then={"station_link": {}},  # the demo has no station: its link is left for later
    )
    built = BuiltHome(entry_id=created["result"]["entry_id"])
    for zone in home.zones:
        await client.flow(
            _SUBENTRY_FLOW, [built.entry_id, "zone"], {"name": zone.name, "partial": zone.partial}
        )
    for detector in home.detectors:
        await _add_detector(client, built, home, detector)
    for person in home.people:
        form: dict[str, Any] = {
            "name": person.name,
            "code": person.code,
            "may_arm": person.may_arm,
            "may_disarm": person.may_disarm,
        }
        optional = {
            "phone": person.phone,
            "email": person.email,
            "call_position": person.call_position,
            "phone_code": person.phone_code,
        }
        form |= {k: v for k, v in optional.items() if v is not None}
        await client.flow(_SUBENTRY_FLOW, [built.entry_id, "person"], form)
    socket = await client.socket()
    try:
        await _settled(socket, built.entry_id)
        await _find_entities(socket, built, home)
    finally:
        await socket.close()
    return built


async def _settled(socket: HaSocket, entry_id: str, within: float = 30.0) -> None:
    """Until the home is loaded again: each subentry reloads it (its update listener).

    The reload starts before the flow answers (an eager task), so "loaded" now means the last
    reload is over; a command sent during a reload could reach the panel being unloaded.
    """
    deadline = asyncio.get_running_loop().time() + within
    state = None
    while asyncio.get_running_loop().time() < deadline:
        found = await socket.command("config_entries/get_single", entry_id=entry_id)
        if (state := found["config_entry"]["state"]) == "loaded":
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the home is {state!r}, not loaded, {within:g} s after its last flow")


async def _add_detector(client: HaClient, built: BuiltHome, home: Home, detector: Detector) -> None:
    """One detector, its zone picked from the form's own list, as the dialog shows it."""
    opened = await client.api("POST", _SUBENTRY_FLOW, {"handler": [built.entry_id, "detector"]})
    zone_field = next(f for f in opened["data_schema"] if f["name"] == "zone")
    options = {o["label"]: o["value"] for o in zone_field["selector"]["select"]["options"]}
    zone = next(z for z in home.zones if z.key == detector.zone)
    result = await client.api(
        "POST",
        f"{_SUBENTRY_FLOW}/{opened['flow_id']}",
        {
            "name": detector.name,
            "detector_type": detector.type,
            "source_entity": detector.source_entity,
            "zone": options[zone.name],
            "entry_route": detector.entry_route,
            "supervision": {},
        },
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"detector {detector.key} flow ended with {result}")


async def _find_entities(socket: HaSocket, built: BuiltHome, home: Home) -> None:
    """Read the entity registry: the home's entities and the detectors' subentry ids."""
    entries = await socket.command("config_entries/subentries/list", entry_id=built.entry_id)
    by_title = {(e["subentry_type"], e["title"]): e["subentry_id"] for e in entries}
    for zone in home.zones:
        built.zones[zone.key] = by_title[("zone", zone.name)]
    for detector in home.detectors:
        built.detectors[detector.key] = by_title[("detector", detector.name)]
    prefix = f"{built.entry_id}_"
    for entity in await socket.command("config/entity_registry/list"):
        if entity.get("platform") == DOMAIN and str(entity.get("unique_id")).startswith(prefix):
            built.entities[str(entity["unique_id"]).removeprefix(prefix)] = entity["entity_id"]
