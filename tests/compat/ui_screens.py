"""Screenshots of the integration's dialogs, as a new user sees them in a real Home Assistant.

A dev tool, run by ``scripts/ui-screens`` (not by ``scripts/test`` or CI), with the Python of the
dev root's ha-next venv: Home Assistant as pinned in ``requirements/ha-next.lock``, with its web
frontend. The script starts ``python -m homeassistant`` in a temporary config folder (http on
127.0.0.1 and a free port, language fr, a copy of the integration in ``custom_components``, a few
template binary sensors for detectors to mirror), completes onboarding through the HTTP API, and
drives a headless Chromium, already started by the caller, over the Chrome DevTools Protocol to
screenshot the dialogs into ``--out``. Home Assistant is stopped at the end, whatever happens.

    python -m tests.compat.ui_screens --cdp-port PORT [--out DIR] [--keep-config]

Each screenshot is named after the dialog it shows; ``ui-screens.txt`` beside them lists what
was taken, what could not be and why, and every untranslated key seen in the page text.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import aiohttp

from testkit.cdp import STEP_TIMEOUT, Cdp, close_browser, open_page
from testkit.ha_process import (
    HaClient,
    prepare_config,
    start_home_assistant,
    stop_home_assistant,
)
from testkit.ports import PortPool

DOMAIN = "imaprotect"
REPO = pathlib.Path(__file__).resolve().parents[2]
HOME = "Maison"
USER = {"name": "Camille Martin", "username": "camille", "password": "ui-screens-only"}
WIDTH, HEIGHT = 1280, 1800

CONFIGURATION_YAML = """\
# Written by tests/compat/ui_screens.py for one run; deleted afterwards.
homeassistant:
  name: Maison de test
  # Latitude 0 / longitude 0: the onboarding weather (met) integration then adds nothing.
  latitude: 0
  longitude: 0
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  language: fr
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
recorder:
  purge_keep_days: 1
history:
logbook:
config:
input_boolean:
  porte_entree:
    name: Porte d'entrée ouverte
  mouvement_salon:
    name: Mouvement au salon
  fumee_cuisine:
    name: Fumée dans la cuisine
template:
  - binary_sensor:
      - name: Porte d'entrée
        unique_id: ui_screens_porte_entree
        device_class: door
        state: "{{{{ is_state('input_boolean.porte_entree', 'on') }}}}"
      - name: Mouvement salon
        unique_id: ui_screens_mouvement_salon
        device_class: motion
        state: "{{{{ is_state('input_boolean.mouvement_salon', 'on') }}}}"
      - name: Détecteur de fumée cuisine
        unique_id: ui_screens_fumee_cuisine
        device_class: smoke
        state: "{{{{ is_state('input_boolean.fumee_cuisine', 'on') }}}}"
"""


def say(text: str) -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


class Run(HaClient):
    """One Home Assistant, one browser page, the screenshots and the notes about them."""

    def __init__(self, session: aiohttp.ClientSession, base: str, out: pathlib.Path) -> None:
        super().__init__(session, base)
        self.out = out
        self.notes: list[str] = []
        self.keys_seen: set[str] = set()

    async def shot(
        self, cdp: Cdp, name: str, what: str, prepare: Callable[[], Awaitable[None]]
    ) -> None:
        """Take one screenshot; a failure is noted and the next one is tried."""
        path = self.out / f"{name}.png"
        try:
            await asyncio.wait_for(prepare(), STEP_TIMEOUT * 3)
            await cdp.screenshot(path)
            text = str(await cdp.js("window.__ui.pageText()") or "")
            (self.out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
            keys = sorted(
                {
                    word.strip(".,:;()«»\"'")
                    for word in text.split()
                    if word.startswith(("component.", "ui.", "config_subentries.", "config."))
                }
            )
            self.keys_seen.update(keys)
            self.notes.append(
                f"ok    {path.name}: {what}"
                + (f"\n      untranslated keys: {', '.join(keys)}" if keys else "")
            )
            say(f"  ok  {path.name}")
        except Exception as err:  # noqa: BLE001 - a dev tool: note it, take the next one
            with suppress(Exception):
                await cdp.screenshot(self.out / f"{name}-failed.png")
            self.notes.append(f"FAIL  {path.name}: {what}: {type(err).__name__}: {err}")
            say(f"  FAIL {path.name}: {type(err).__name__}: {err}")


async def open_dialog_from_entry_page(cdp: Cdp, run: Run, entry_id: str, button: str) -> None:
    """Open the integration page and click a subentry "Add …" action of the home's entry."""
    await cdp.goto(f"{run.base}/config/integrations/integration/{DOMAIN}")
    await cdp.wait_for(
        f"window.__ui.all().some((e) => window.__ui.text(e) === {json.dumps(HOME)})",
        "the home on the integration page",
    )
    await asyncio.sleep(1.0)
    if not await cdp.js(f"window.__ui.clickText({json.dumps(button)})"):
        # Recent frontends put the subentry actions in the entry's overflow menu.
        await cdp.js(
            "(() => { const m = window.__ui.all().filter((e) => e.localName === "
            "'ha-icon-button' && window.__ui.visible(e) && /menu|options|plus|Menu/i.test("
            "(e.getAttribute('label') || '') + (e.getAttribute('aria-label') || '')));"
            " if (m.length) { m[m.length - 1].click(); return true; } return false; })()"
        )
        await asyncio.sleep(0.5)
        await cdp.wait_for(f"window.__ui.clickText({json.dumps(button)})", f"the {button!r} action")
    await cdp.wait_for("!!window.__ui.dialog()", "the flow dialog")
    await wait_form(cdp)


async def wait_form(cdp: Cdp) -> None:
    await cdp.wait_for(
        "window.__ui.inDialog().some((e) => e.localName === 'ha-form')", "the dialog's form"
    )
    await asyncio.sleep(1.0)


async def expand_sections(cdp: Cdp) -> None:
    await cdp.js(
        "window.__ui.inDialog().filter((e) => e.localName === 'ha-expansion-panel')"
        ".forEach((p) => { p.expanded = true; }); true"
    )
    await asyncio.sleep(0.5)


async def fill_field(cdp: Cdp, name: str, value: str) -> None:
    """Type into the dialog's text field ``name`` (the selector's inner input)."""
    ok = await cdp.js(
        f"""(() => {{
          const sels = window.__ui.inDialog().filter((e) => e.localName === 'ha-selector-text'
            || e.localName === 'ha-form-string');
          for (const sel of sels) {{
            const n = (sel.schema && sel.schema.name) || sel.name
              || (sel.parentNode && sel.parentNode.host && sel.parentNode.host.schema
                  && sel.parentNode.host.schema.name);
            if (n !== {json.dumps(name)}) continue;
            const input = window.__ui.all(sel.shadowRoot || sel).find(
              (e) => e.localName === 'input');
            if (!input) continue;
            window.__ui.typeInto(input, {json.dumps(value)});
            return true;
          }}
          return false;
        }})()"""
    )
    if not ok:
        raise RuntimeError(f"no text field {name!r} in the dialog")


async def drive(run: Run, cdp: Cdp, tokens: dict[str, Any]) -> None:
    await cdp.setup(width=WIDTH, height=HEIGHT, locale="fr-FR")
    await cdp.send(
        "Page.addScriptToEvaluateOnNewDocument",
        source=(
            f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
            "localStorage.setItem('selectedLanguage', '\"fr\"');"
        ),
    )

    async def home_dialog() -> None:
        await cdp.goto(f"{run.base}/config/integrations/dashboard")
        await cdp.dismiss_http_confirm()
        await cdp.goto(f"{run.base}/config/integrations/dashboard/add?domain={DOMAIN}")
        # "Voulez-vous configurer imaprotect ?" comes first when the flow is opened by URL.
        await cdp.wait_for(
            "!!window.__ui.dialog() || window.__ui.clickText('OK')", "the config flow dialog"
        )
        await cdp.wait_for("!!window.__ui.dialog()", "the config flow dialog")
        await wait_form(cdp)
        await expand_sections(cdp)

    await run.shot(
        cdp, "01-home-dialog", "add integration → imaprotect (call-out open)", home_dialog
    )

    home = await run.flow(
        "/api/config/config_entries/flow",
        DOMAIN,
        {
            "name": HOME,
            "formula": "a_la_carte",
            "entry_delay": 30,
            "exit_delay": 30,
            "alarm_duration": 180,
            "code_arm_required": False,
        },
        then={"station_link": {}},  # A LA CARTE asks for the station link: left for later
    )
    entry_id = home["result"]["entry_id"]
    sub = "/api/config/config_entries/subentries/flow"

    async def zone_dialog() -> None:
        await open_dialog_from_entry_page(cdp, run, entry_id, "Ajouter une zone")

    await run.shot(cdp, "02-zone-dialog", "zone subentry dialog", zone_dialog)

    await run.flow(sub, [entry_id, "zone"], {"name": "Rez-de-chaussée", "partial": False})

    async def detector_dialog() -> None:
        await open_dialog_from_entry_page(cdp, run, entry_id, "Ajouter un détecteur")
        await expand_sections(cdp)

    await run.shot(cdp, "03-detector-dialog", "detector subentry dialog", detector_dialog)

    # The zone's id is in the detector form's zone list, as the dialog gets it.
    opened = await run.api("POST", sub, {"handler": [entry_id, "detector"]})
    zone_field = next(f for f in opened["data_schema"] if f["name"] == "zone")
    detector = await run.api(
        "POST",
        f"{sub}/{opened['flow_id']}",
        {
            "name": "Porte d'entrée",
            "detector_type": "opening",
            "source_entity": "binary_sensor.porte_d_entree",
            "zone": zone_field["selector"]["select"]["options"][0]["value"],
            "entry_route": True,
            "supervision": {},
        },
    )
    if detector.get("type") != "create_entry":
        raise RuntimeError(f"detector flow ended with {detector}")

    async def person_dialog() -> None:
        await open_dialog_from_entry_page(cdp, run, entry_id, "Ajouter une personne")
        await fill_field(cdp, "name", "Camille")
        await fill_field(cdp, "code", "48a1")
        await asyncio.sleep(0.3)
        await cdp.wait_for(
            "window.__ui.inDialog().some((e) => ["
            "'ha-button', 'mwc-button'].includes(e.localName) && window.__ui.visible(e) && "
            "/Valider|Suivant|Soumettre|Envoyer/.test(window.__ui.text(e)) && (e.click(), true))",
            "the submit button",
        )
        await cdp.wait_for(
            "window.__ui.inDialog().some((e) => e.localName === 'ha-alert' || "
            "/error/i.test(e.getAttribute('class') || ''))",
            "the form error",
        )
        await asyncio.sleep(1.0)

    await run.shot(cdp, "04-person-error", "person dialog with code 48a1", person_dialog)

    device_id = await run.template("{{ device_id('alarm_control_panel.maison') }}")

    async def device_page() -> None:
        await cdp.goto(f"{run.base}/config/devices/device/{device_id}")
        await cdp.wait_for(
            f"window.__ui.all().some((e) => window.__ui.text(e) === {json.dumps(HOME)})",
            "the device page",
        )
        await asyncio.sleep(2.0)

    await run.shot(cdp, "05-device-page", f"the home's device page ({device_id})", device_page)

    async def more_info() -> None:
        await cdp.goto(f"{run.base}/config/entities")
        await asyncio.sleep(1.0)
        await cdp.js(
            "document.querySelector('home-assistant').dispatchEvent(new CustomEvent("
            "'hass-more-info', {detail: {entityId: 'alarm_control_panel.maison'},"
            " bubbles: true, composed: true})); true"
        )
        await cdp.wait_for(
            "window.__ui.all().some((e) => e.localName === 'ha-more-info-dialog')",
            "the more-info dialog",
        )
        await asyncio.sleep(2.0)

    await run.shot(cdp, "06-panel-more-info", "alarm panel more-info dialog", more_info)


def prepare(config: pathlib.Path, out: pathlib.Path, port: int) -> pathlib.Path:
    """Write the config folder and empty the output one; return the stand-in modules' folder."""
    stubs = prepare_config(config, CONFIGURATION_YAML.format(port=port))
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.png"), *out.glob("*.txt")]:
        old.unlink()
    return stubs


async def screens(ha: subprocess.Popen[bytes], base: str, cdp_port: int, out: pathlib.Path) -> int:
    async with aiohttp.ClientSession() as session:
        run = Run(session, base, out)
        await run.wait_up(ha)
        tokens = await run.onboard(USER, "fr")
        say("onboarded; driving Chromium")
        cdp = await open_page(session, cdp_port)
        try:
            await drive(run, cdp, tokens)
        finally:
            await cdp.close()
            await close_browser(session, cdp_port)
        failed = sum(note.startswith("FAIL") for note in run.notes)
        notes = "\n".join(run.notes) + "\n"
        await asyncio.to_thread((out / "ui-screens.txt").write_text, notes, encoding="utf-8")
        say(f"{len(run.notes) - failed} screenshots, {failed} failed, in {out}")
        return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdp-port", type=int, required=True, help="Chromium's debugging port")
    parser.add_argument("--out", type=pathlib.Path, default=REPO / ".run" / "ui-screens")
    parser.add_argument("--keep-config", action="store_true", help="keep the HA config folder")
    args = parser.parse_args()
    config = pathlib.Path(tempfile.mkdtemp(prefix="imaprotect-ui-"))
    out: pathlib.Path = args.out
    port = PortPool().take()
    base = f"http://127.0.0.1:{port}"
    try:
        stubs = prepare(config, out, port)
        say(f"starting Home Assistant on {base} (config {config})")
        ha = start_home_assistant(sys.executable, config, stubs, out / "home-assistant.log")
        try:
            return asyncio.run(screens(ha, base, args.cdp_port, out))
        finally:
            stop_home_assistant(ha)
    finally:
        if args.keep_config:
            say(f"kept {config}")
        else:
            shutil.rmtree(config, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
