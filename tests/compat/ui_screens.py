"""Screenshots of the integration's dialogs, as a new user sees them in a real Home Assistant.

A dev tool, run by ``scripts/ui-screens`` (not by ``scripts/test`` or CI), with the Python of the
dev root's ha-next venv: Home Assistant as pinned in ``requirements/ha-next.lock``, with its web
frontend. The script starts ``python -m homeassistant`` in a temporary config folder (http on
127.0.0.1 and a free port, language fr, a copy of the integration in ``custom_components``, a few
template binary sensors for detectors to mirror), completes onboarding through the HTTP API, and
drives a headless Chromium, already started by the caller, over the Chrome DevTools Protocol to
screenshot the dialogs into ``--out``. Home Assistant is stopped at the end, whatever happens.

    python tests/compat/ui_screens.py --cdp-port PORT [--out DIR] [--keep-config]

Each screenshot is named after the dialog it shows; ``ui-screens.txt`` beside them lists what
was taken, what could not be and why, and every untranslated key seen in the page text.
"""

import argparse
import asyncio
import base64
from collections.abc import Awaitable, Callable
from contextlib import suppress
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

DOMAIN = "imaprotect"
REPO = pathlib.Path(__file__).resolve().parents[2]
HOME = "Maison"
USER = {"name": "Camille Martin", "username": "camille", "password": "ui-screens-only"}
START_TIMEOUT = 180.0
STEP_TIMEOUT = 30.0
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

# Voice pipeline libraries the ha-next venv lacks (no Python 3.14 wheels; building them needs a C++
# toolchain the dev root does not have). assist_pipeline imports them, and the frontend's service
# list imports assist_satellite, hence assist_pipeline: empty stand-ins let it load. No voice here.
STUB_MODULES = {
    "pymicro_vad": "class MicroVad:\n    pass\n",
    "pyspeex_noise": "class AudioProcessor:\n    pass\n",
}

# Walks every shadow root: Home Assistant's frontend is web components all the way down.
JS_HELPERS = r"""
window.__ui = {
  all(root) {
    const out = [];
    const walk = (node) => {
      for (const el of node.querySelectorAll('*')) {
        out.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(root || document);
    return out;
  },
  dialog() {
    const dialogs = this.all().filter((e) => e.localName === 'dialog-data-entry-flow');
    return dialogs.length ? dialogs[dialogs.length - 1] : null;
  },
  inDialog() {
    const d = this.dialog();
    return d && d.shadowRoot ? this.all(d.shadowRoot) : [];
  },
  visible(el) {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  },
  text(el) { return (el.textContent || '').replace(/\s+/g, ' ').trim(); },
  clickText(text, scope) {
    const els = (scope === 'dialog' ? this.inDialog() : this.all()).filter(
      (e) => this.visible(e) && this.text(e) === text);
    if (!els.length) return false;
    els[els.length - 1].click();
    return true;
  },
  pageText() {
    const parts = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
        else if (child.nodeType === Node.ELEMENT_NODE) {
          if (child.shadowRoot) walk(child.shadowRoot);
          walk(child);
          for (const attr of ['label', 'helper', 'placeholder', 'title', 'aria-label']) {
            const v = child.getAttribute(attr);
            if (v) parts.push(v);
          }
        }
      }
    };
    walk(document);
    return parts.map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
  },
};
true;
"""


def say(text: str) -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cdp:
    """One Chromium page over the DevTools protocol websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = self._pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        await self._ws.send_json({"id": self._next, "method": method, "params": params})
        reply = await asyncio.wait_for(future, STEP_TIMEOUT)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def js(self, expression: str) -> Any:
        """Evaluate in the page (the helpers defined first), awaiting a returned promise."""
        await self.send("Runtime.evaluate", expression=JS_HELPERS)
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, what: str, limit: float = STEP_TIMEOUT) -> Any:
        deadline = time.monotonic() + limit
        while True:
            with suppress(RuntimeError):
                if value := await self.js(expression):
                    return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.3)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('home-assistant')",
            f"page {url}",
        )

    async def dismiss_http_confirm(self) -> None:
        """Keep the http settings of configuration.yaml: HA asks once after they changed."""
        with suppress(TimeoutError):
            await self.wait_for(
                "window.__ui.all().some((e) => /serveur HTTP/.test(window.__ui.text(e)))"
                " && window.__ui.clickText('Confirmer')",
                "the http settings confirmation",
                limit=5,
            )
            await asyncio.sleep(1.0)

    async def screenshot(self, path: pathlib.Path) -> None:
        await asyncio.sleep(1.0)  # let animations and lazy translations settle
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        await self._ws.close()


class Run:
    """One Home Assistant, one browser page, the screenshots and the notes about them."""

    def __init__(self, session: aiohttp.ClientSession, base: str, out: pathlib.Path) -> None:
        self.session = session
        self.base = base
        self.out = out
        self.token = ""
        self.notes: list[str] = []
        self.keys_seen: set[str] = set()

    async def api(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(
            method, f"{self.base}{path}", json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {text[:300]}")
            return json.loads(text) if text else None

    async def onboard(self) -> dict[str, Any]:
        """The four onboarding steps, as the onboarding pages post them."""
        client_id = f"{self.base}/"
        created = await self.api(
            "POST",
            "/api/onboarding/users",
            {**USER, "client_id": client_id, "language": "fr"},
            auth=False,
        )
        async with self.session.post(
            f"{self.base}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            },
        ) as resp:
            resp.raise_for_status()
            tokens: dict[str, Any] = await resp.json()
        self.token = tokens["access_token"]
        await self.api("POST", "/api/onboarding/core_config", {})
        await self.api("POST", "/api/onboarding/analytics", {})
        await self.api(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{client_id}?auth_callback=1"},
        )
        return {
            "access_token": tokens["access_token"],
            "token_type": "Bearer",
            "expires_in": tokens["expires_in"],
            "refresh_token": tokens["refresh_token"],
            "hassUrl": self.base,
            "clientId": client_id,
            "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
        }

    async def flow(self, path: str, handler: Any, form: dict[str, Any]) -> dict[str, Any]:
        """Create a (sub)entry through the REST flow API, as the dialog would."""
        result = await self.api("POST", path, {"handler": handler})
        result = await self.api("POST", f"{path}/{result['flow_id']}", form)
        if result.get("type") != "create_entry":
            raise RuntimeError(f"{path} {handler} ended with {result}")
        return dict(result)

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
            input.focus();
            input.value = {json.dumps(value)};
            input.dispatchEvent(new Event('input', {{bubbles: true, composed: true}}));
            input.dispatchEvent(new Event('change', {{bubbles: true, composed: true}}));
            return true;
          }}
          return false;
        }})()"""
    )
    if not ok:
        raise RuntimeError(f"no text field {name!r} in the dialog")


async def drive(run: Run, cdp: Cdp, tokens: dict[str, Any]) -> None:
    await cdp.send("Page.enable")
    await cdp.send("Runtime.enable")
    await cdp.send(
        "Emulation.setDeviceMetricsOverride",
        width=WIDTH,
        height=HEIGHT,
        deviceScaleFactor=1,
        mobile=False,
    )
    await cdp.send("Emulation.setLocaleOverride", locale="fr-FR")
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

    device_id = await run_template(run, "{{ device_id('alarm_control_panel.maison') }}")

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


async def run_template(run: Run, template: str) -> str:
    async with run.session.post(
        f"{run.base}/api/template",
        json={"template": template},
        headers={"Authorization": f"Bearer {run.token}"},
    ) as resp:
        resp.raise_for_status()
        return (await resp.text()).strip()


async def wait_up(session: aiohttp.ClientSession, base: str, ha: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if ha.poll() is not None:
            raise RuntimeError(f"Home Assistant exited with {ha.returncode}")
        with suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(f"{base}/api/onboarding", timeout=aiohttp.ClientTimeout(2)):
                return
        await asyncio.sleep(0.5)
    raise TimeoutError("Home Assistant did not answer on http")


async def close_browser(session: aiohttp.ClientSession, cdp_port: int) -> None:
    """Ask Chromium to quit, so its helper processes end before the caller stops it."""
    with suppress(aiohttp.ClientError, TimeoutError, RuntimeError, KeyError):
        async with session.get(f"http://127.0.0.1:{cdp_port}/json/version") as resp:
            version = await resp.json(content_type=None)
        ws = await session.ws_connect(version["webSocketDebuggerUrl"])
        browser = Cdp(ws)
        with suppress(aiohttp.ClientError, TimeoutError, RuntimeError):
            await asyncio.wait_for(browser.send("Browser.close"), 5)
        await browser.close()


def prepare(config: pathlib.Path, out: pathlib.Path, port: int) -> pathlib.Path:
    """Write the config folder and empty the output one; return the stand-in modules' folder."""
    (config / "configuration.yaml").write_text(
        CONFIGURATION_YAML.format(port=port), encoding="utf-8"
    )
    shutil.copytree(
        REPO / "custom_components" / DOMAIN,
        config / "custom_components" / DOMAIN,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    stubs = config / "ui-screens-stubs"
    stubs.mkdir()
    for module, source in STUB_MODULES.items():
        (stubs / f"{module}.py").write_text(source, encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.png"), *out.glob("*.txt")]:
        old.unlink()
    return stubs


async def screens(ha: subprocess.Popen[bytes], base: str, cdp_port: int, out: pathlib.Path) -> int:
    async with aiohttp.ClientSession() as session:
        await wait_up(session, base, ha)
        run = Run(session, base, out)
        tokens = await run.onboard()
        say("onboarded; driving Chromium")
        async with session.put(f"http://127.0.0.1:{cdp_port}/json/new?about:blank") as resp:
            target = await resp.json(content_type=None)
        ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        cdp = Cdp(ws)
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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        stubs = prepare(config, out, port)
        say(f"starting Home Assistant on {base} (config {config})")
        with (out / "home-assistant.log").open("wb") as log:
            ha = subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(stubs)},
                start_new_session=True,
            )
            try:
                return asyncio.run(screens(ha, base, args.cdp_port, out))
            finally:
                with suppress(ProcessLookupError):
                    os.killpg(ha.pid, signal.SIGTERM)
                try:
                    ha.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(ha.pid, signal.SIGKILL)
                    ha.wait()
    finally:
        if args.keep_config:
            say(f"kept {config}")
        else:
            shutil.rmtree(config, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
