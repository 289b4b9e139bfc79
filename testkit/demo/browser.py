"""The demo's browser test: a person at the dashboard, in a real headless Chromium, in French.

Log in through Home Assistant's own login page (the owner's username and password), open the
home's dashboard, arm total from the alarm panel card's keypad with a person's code, watch the
tile read « Mise en marche », then « Marche totale » (the integration's state translations), flip
the front door's switch, watch « Délai d'entrée » then « Alarme », see the alert acknowledged by
the simulated phone, and disarm from the keypad (« Arrêt »). A screenshot of each moment goes to
the output folder, with ``browser.txt`` listing what each card read. The frontend is shadow DOM
all the way down: every lookup walks the shadow roots (``testkit.cdp.JS_HELPERS``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import shutil

import aiohttp

from testkit.cdp import Cdp, close_browser, open_page
from testkit.demo.check import Steps, story_people
from testkit.demo.stack import OWNER, Demo

__all__ = ["STATE_WORDS", "run_browser"]

#: What the panel's tile reads in French, by state (the integration's translations/fr.json).
STATE_WORDS = {
    "disarmed": "Arrêt",
    "arming": "Mise en marche",
    "armed_away": "Marche totale",
    "pending": "Délai d'entrée",
    "triggered": "Alarme",
}
ALERT_ACKNOWLEDGED = "Acquittée"
WIDTH, HEIGHT = 1400, 1300
_WAIT = 30.0

# Page-side helpers of this test, on top of window.__ui.
_JS = r"""
window.__demo = {
  card(tag, entity) {
    return window.__ui.named(tag).find((c) => c._config && c._config.entity === entity) || null;
  },
  tileState(entity) {
    const card = this.card('hui-tile-card', entity);
    if (!card) return null;
    const state = window.__ui.named('state-display', card.shadowRoot)[0];
    return state ? window.__ui.deepText(state) : null;
  },
  panelChip(entity) {
    const card = this.card('hui-alarm-panel-card', entity);
    if (!card) return null;
    const chip = window.__ui.named('ha-assist-chip', card.shadowRoot)[0];
    return chip ? (chip.label || window.__ui.deepText(chip)) : null;
  },
  keypad(entity, digits, action) {
    const card = this.card('hui-alarm-panel-card', entity);
    if (!card) return 'no alarm panel card';
    const inside = window.__ui.all(card.shadowRoot);
    for (const digit of digits) {
      const key = inside.find((e) => e.localName === 'ha-control-button' && e.value === digit);
      if (!key) return `no key ${digit}`;
      key.click();
    }
    const button = inside.find((e) => e.localName === 'ha-button' && e.action === action);
    if (!button) return `no ${action} button`;
    button.click();
    return 'ok';
  },
  toggle(entity) {
    const row = window.__ui.named('hui-toggle-entity-row').find(
      (r) => r._config && r._config.entity === entity);
    if (!row) return 'no row';
    const toggle = window.__ui.named('ha-entity-toggle', row.shadowRoot)[0];
    if (!toggle) return 'no toggle';
    const control = window.__ui.all(toggle.shadowRoot).find(
      (e) => e.localName === 'ha-switch' || e.localName === 'ha-icon-button');
    if (!control) return 'no switch';
    control.click();
    return 'ok';
  },
  login(username, password) {
    const inputs = window.__ui.all().filter(
      (e) => e.localName === 'input' && window.__ui.visible(e));
    const user = inputs.find((e) => e.type === 'text' || e.autocomplete === 'username');
    const pass = inputs.find((e) => e.type === 'password');
    if (!user || !pass) return false;
    window.__ui.typeInto(user, username);
    window.__ui.typeInto(pass, password);
    const button = window.__ui.all().find((e) => ['ha-button', 'mwc-button', 'button'].includes(
      e.localName) && window.__ui.visible(e) && /Se connecter|Log in/i.test(window.__ui.text(e)));
    if (!button) return false;
    button.click();
    return true;
  },
};
true;
"""


class Browser:
    """The page, the screenshots and the notes of what each card read."""

    def __init__(self, cdp: Cdp, out: Path) -> None:
        self.cdp = cdp
        self.out = out
        self.notes: list[str] = []
        self.shots = 0
        self.seen = ""
        """What the cards read when the last wait ended, for the next screenshot's note."""

    async def js(self, expression: str) -> object:
        """Evaluate with this test's helpers defined."""
        return await self.cdp.js(f"{_JS}\n{expression}")

    async def wait(self, expression: str, what: str, limit: float = _WAIT) -> object:
        """Poll until the expression (helpers defined) is truthy."""
        return await self.cdp.wait_for(f"{_JS}\n{expression}", what, limit)

    async def shot(self, name: str, what: str) -> None:
        """A screenshot, numbered in order, and a note of what the panel's cards read."""
        self.shots += 1
        path = self.out / f"{self.shots:02d}-{name}.png"
        await self.cdp.screenshot(path)
        self.notes.append(f"{path.name}: {what}{self.seen}")

    async def keypad(self, entity: str, code: str, action: str) -> None:
        """Type ``code`` on the alarm panel card's keypad, then press its ``action`` button."""
        answer = await self.js(
            f"window.__demo.keypad({json.dumps(entity)}, {json.dumps(code)}, {json.dumps(action)})"
        )
        if answer != "ok":
            raise RuntimeError(f"keypad: {answer}")

    async def toggle(self, entity: str) -> None:
        """Click the switch of ``entity``'s row."""
        answer = await self.js(f"window.__demo.toggle({json.dumps(entity)})")
        if answer != "ok":
            raise RuntimeError(f"toggle of {entity}: {answer}")

    async def tile_reads(self, entity: str, words: str, limit: float = _WAIT) -> None:
        """Until the entity's tile shows ``words`` as its state."""
        await self.wait(
            f"(window.__demo.tileState({json.dumps(entity)}) || '').includes({json.dumps(words)})",
            f"the tile of {entity} to read « {words} »",
            limit,
        )
        self.seen = f"; the tile reads « {words} »"
        chip = await self.js(f"window.__demo.panelChip({json.dumps(entity)})")
        if chip is not None:
            self.seen += f", the alarm panel card's chip « {chip} » (Home Assistant's words)"


async def run_browser(demo: Demo, steps: Steps, cdp_port: int, out: Path) -> None:
    """The browser test on the running demo; screenshots and notes into ``out`` (emptied)."""
    await asyncio.to_thread(shutil.rmtree, out, ignore_errors=True)
    await asyncio.to_thread(out.mkdir, parents=True)
    async with aiohttp.ClientSession() as session:
        cdp = await open_page(session, cdp_port)
        browser = Browser(cdp, out)
        try:
            await cdp.setup(width=WIDTH, height=HEIGHT, locale="fr-FR")
            await _story(demo, steps, browser)
        except BaseException:
            await asyncio.shield(_failed_shot(browser))
            raise
        finally:
            notes = "\n".join(browser.notes) + "\n"
            await asyncio.to_thread((out / "browser.txt").write_text, notes, encoding="utf-8")
            await cdp.close()
            await close_browser(session, cdp_port)


async def _failed_shot(browser: Browser) -> None:
    try:
        await browser.shot("failed", "the page when the test failed")
    except Exception as err:  # noqa: BLE001 - the test's own failure is what matters
        browser.notes.append(f"no screenshot of the failure: {err}")


async def _story(demo: Demo, steps: Steps, browser: Browser) -> None:
    built = demo.built
    panel = built.panel
    arming, answering, door = story_people(demo)
    panel_js = json.dumps(panel)

    with steps.step("log in on Home Assistant's login page and open the dashboard"):
        await browser.cdp.send("Page.navigate", url=demo.dashboard_url)
        await browser.wait(
            f"window.__demo.login({json.dumps(OWNER['username'])}, {json.dumps(demo.password)})",
            "the login form",
        )
        await browser.wait(
            f"!!window.__demo.card('hui-alarm-panel-card', {panel_js})", "the alarm panel card"
        )
        await browser.tile_reads(panel, STATE_WORDS["disarmed"])
        await browser.shot("dashboard", "the home's dashboard, disarmed")

    with steps.step(f"arm from the alarm panel card's keypad with {arming.name}'s code"):
        await browser.keypad(panel, arming.code, "arm_away")
        await browser.tile_reads(panel, STATE_WORDS["arming"])
        await browser.shot("arming", "the exit delay")
        await browser.tile_reads(panel, STATE_WORDS["armed_away"])
        await browser.shot("armed-total", "armed total")

    with steps.step(f"flip « {door.switch} » on the dashboard: the entry delay"):
        await browser.toggle(door.switch_entity)
        await browser.tile_reads(panel, STATE_WORDS["pending"])
        await browser.shot("entry-delay", "the entry delay")

    with steps.step("the dashboard shows the alarm, then the alert acknowledged"):
        await browser.tile_reads(panel, STATE_WORDS["triggered"])
        await browser.shot("alarm", "the alarm")
        await browser.tile_reads(built.alert, ALERT_ACKNOWLEDGED, limit=90)
        await browser.shot("acknowledged", f"the alert acknowledged by {answering.name}")

    with steps.step(f"disarm from the keypad with {arming.name}'s code"):
        await browser.toggle(door.switch_entity)
        await browser.keypad(panel, arming.code, "disarm")
        await browser.tile_reads(panel, STATE_WORDS["disarmed"])
        await browser.shot("disarmed", "disarmed")
