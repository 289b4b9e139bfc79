"""Load check: the integration sets up, arms and unloads on the current Home Assistant release.

Run by ``scripts/test`` with the Python of the dev root's ha-next venv (``/opt/imaprotect-ha-next``,
Home Assistant as pinned in ``requirements/ha-next.lock``), not by pytest: the file name does not
match ``test_*.py``, and the main venv holds the older Home Assistant the test harness pins.

It starts a real Home Assistant core (no mocks, no test harness) in a temporary config folder, with
a copy of the integration in ``<config>/custom_components/imaprotect``; creates a home through the
config flow and a zone, a detector and a person through the subentry flows; checks that the entry is
loaded, the panel exists disarmed and arms away into ``arming``, and that nothing about imaprotect
was logged at error level or with a traceback; then unloads the entry and stops Home Assistant.
It exits 0 when all holds, 1 with the reason otherwise.

    python tests/compat/load_on_ha_next.py [--integration DIR]

``--integration`` loads another copy of the integration (default: the repository's), e.g. a
deliberately broken one to see the check fail.
"""

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
import logging
import pathlib
import shutil
import socket
import sys
import tempfile
import time
import traceback
from typing import Any

from homeassistant import block_async_io, bootstrap, const as ha_const, loader
from homeassistant.config_entries import ConfigEntries, ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify

HA_VERSION = ha_const.__version__
DOMAIN = "imaprotect"
REPO = pathlib.Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "ha-next.lock"
HOME = "Maison"
DOOR = "binary_sensor.front_door"
TIME_LIMIT = 60.0


class CheckFailedError(Exception):
    """A check did not hold; the message says which."""


def say(text: str) -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailedError(message)


class Recorder(logging.Handler):
    """Keep every record at warning level or above, and each one that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.exc_info:
            self.records.append(record)

    def about_us(self) -> Iterator[tuple[logging.LogRecord, str]]:
        """Records from the integration's loggers or naming it, with their full text."""
        for record in self.records:
            text = self.format(record)
            if record.name.startswith(f"custom_components.{DOMAIN}") or DOMAIN in text:
                yield record, text

    def failures(self) -> list[str]:
        """Error-level records and tracebacks about the integration."""
        return [
            text
            for record, text in self.about_us()
            if record.levelno >= logging.ERROR or record.exc_info or "Traceback" in text
        ]


def pinned_version() -> str:
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.startswith("homeassistant=="):
            return line.split("==", 1)[1].strip()
    raise CheckFailedError(f"no homeassistant pin in {LOCK}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def step(name: str) -> Iterator[None]:
    """Name the step in the failure message of anything raised inside it."""
    start = time.monotonic()
    try:
        yield
    except CheckFailedError as err:
        raise CheckFailedError(f"{name}: {err}") from err
    except Exception as err:
        trace = traceback.format_exc().rstrip().replace("\n", "\n      ")
        raise CheckFailedError(f"{name}: {type(err).__name__}: {err}\n      {trace}") from err
    say(f"  ok  {name} ({time.monotonic() - start:.1f} s)")


async def start_core(config_dir: pathlib.Path) -> HomeAssistant:
    """Start a bare Home Assistant core the way bootstrap does, without its default integrations."""
    hass = HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True  # the ha-next venv already holds every requirement
    block_async_io.enable()  # as in a real start: blocking calls in the event loop are reported
    hass.config_entries = ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    check(await bootstrap.async_load_base_functionality(hass), "registries did not load")
    for domain in sorted(bootstrap.CORE_INTEGRATIONS):
        check(await async_setup_component(hass, domain, {}), f"core integration {domain} failed")
    await async_process_ha_core_config(
        hass,
        {
            "name": "imaprotect load check",
            "latitude": 48.8566,
            "longitude": 2.3522,
            "elevation": 35,
            "unit_system": "metric",
            "time_zone": "Europe/Paris",
            "country": "FR",
            "language": "fr",
            "currency": "EUR",
        },
    )
    http = {"http": {"server_host": "127.0.0.1", "server_port": free_port()}}
    check(await async_setup_component(hass, "http", http), "http failed to set up")
    await hass.async_start()
    return hass


async def add_subentry(
    hass: HomeAssistant, entry: ConfigEntry, kind: str, form: dict[str, Any]
) -> None:
    """Fill one subentry form, as the UI does."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": "user"}
    )
    check(result["type"] == "form", f"{kind} flow opened with {result['type']}: {result}")
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    check(
        result["type"] == "create_entry",
        f"{kind} flow ended with {result['type']}, errors {result.get('errors')}",
    )
    await hass.async_block_till_done()


async def run(hass: HomeAssistant) -> None:
    with step("create the home through the config flow"):
        hass.states.async_set(DOOR, "off", {"device_class": "door"})
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        check(result["type"] == "form", f"flow opened with {result['type']}: {result}")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                "name": HOME,
                "formula": "a_la_carte",
                "entry_delay": 30,
                "exit_delay": 30,
                "alarm_duration": 180,
                "code_arm_required": False,
            },
        )
        check(result.get("step_id") == "station_link", f"no station link step: {result}")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})  # none
        check(
            result["type"] == "create_entry",
            f"flow ended with {result['type']}, errors {result.get('errors')}",
        )
        await hass.async_block_till_done()
        entry: ConfigEntry = result["result"]
        check(entry.state is ConfigEntryState.LOADED, f"entry is {entry.state}, not loaded")

    with step("add a zone, a detector and a person through the subentry flows"):
        await add_subentry(hass, entry, "zone", {"name": "Rez-de-chaussée", "partial": False})
        zone = next(s.subentry_id for s in entry.subentries.values() if s.subentry_type == "zone")
        await add_subentry(
            hass,
            entry,
            "detector",
            {
                "name": "Porte",
                "detector_type": "opening",
                "source_entity": DOOR,
                "zone": zone,
                "entry_route": True,
                "supervision": {},
            },
        )
        await add_subentry(
            hass,
            entry,
            "person",
            {"name": "Marie", "code": "4821", "may_arm": True, "may_disarm": True},
        )
        check(len(entry.subentries) == 3, f"{len(entry.subentries)} subentries, not 3")
        # Each subentry reloads the home.
        check(entry.state is ConfigEntryState.LOADED, f"entry is {entry.state} after the reloads")
        entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        unavailable = sorted(
            e.entity_id
            for e in entities
            if (s := hass.states.get(e.entity_id)) is None or s.state == "unavailable"
        )
        check(not unavailable, f"entities without a state or unavailable: {unavailable}")
        say(f"      {len(entities)} entities for the home")

    panel = f"alarm_control_panel.{slugify(HOME)}"
    with step(f"{panel} is disarmed, then arming after alarm_arm_away"):
        state = hass.states.get(panel)
        check(state is not None, f"{panel} does not exist")
        assert state is not None
        check(state.state == "disarmed", f"{panel} is {state.state}, not disarmed")
        await hass.services.async_call(
            "alarm_control_panel", "alarm_arm_away", {"entity_id": panel}, blocking=True
        )
        await hass.async_block_till_done()
        state = hass.states.get(panel)
        assert state is not None
        check(state.state == "arming", f"{panel} is {state.state} after arming, not arming")

    with step("unload the home"):
        check(await hass.config_entries.async_unload(entry.entry_id), "unload returned False")
        await hass.async_block_till_done()
        check(entry.state is ConfigEntryState.NOT_LOADED, f"entry is {entry.state} after unload")


async def check_home_assistant(config_dir: pathlib.Path) -> None:
    with step("start Home Assistant"):
        hass = await start_core(config_dir)
    try:
        await run(hass)
    finally:
        with step("stop Home Assistant"):
            await hass.async_stop()


def check_integration(integration: pathlib.Path) -> None:
    """Copy the integration into a fresh config folder (outside the event loop) and check it."""
    check((integration / "manifest.json").is_file(), f"no integration in {integration}")
    with tempfile.TemporaryDirectory(prefix="ha-next-check-") as tmp:
        config_dir = pathlib.Path(tmp)
        shutil.copytree(
            integration,
            config_dir / "custom_components" / DOMAIN,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        asyncio.run(asyncio.wait_for(check_home_assistant(config_dir), TIME_LIMIT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--integration",
        type=pathlib.Path,
        default=REPO / "custom_components" / DOMAIN,
        help="folder of the integration to load (default: the repository's)",
    )
    args = parser.parse_args()

    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    root.setLevel(logging.INFO)

    start = time.monotonic()
    failure: str | None = None
    try:
        expected = pinned_version()
        say(f"  Home Assistant {HA_VERSION} (ha-next.lock pins {expected}), {sys.executable}")
        check(expected == HA_VERSION, f"running Home Assistant {HA_VERSION}, not {expected}")
        check_integration(args.integration)
    except CheckFailedError as err:
        failure = str(err)
    except TimeoutError:
        failure = f"did not finish within {TIME_LIMIT:.0f} s"

    for record, text in recorder.about_us():
        if record.levelno < logging.ERROR:
            say(f"  log {text.splitlines()[0]}")
    if errors := recorder.failures():
        for text in errors:
            say("  log " + text.replace("\n", "\n      "))
        failure = failure or f"{len(errors)} error(s) or traceback(s) about {DOMAIN} were logged"
    with suppress(ValueError):
        root.removeHandler(recorder)

    elapsed = time.monotonic() - start
    if failure is not None:
        say(f"FAIL: {DOMAIN} on Home Assistant {HA_VERSION}: {failure} ({elapsed:.1f} s)")
        return 1
    say(f"PASS: {DOMAIN} loads, arms and unloads on Home Assistant {HA_VERSION} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
