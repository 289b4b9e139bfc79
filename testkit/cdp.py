"""One page of a headless Chromium, driven over the Chrome DevTools Protocol (CDP) websocket.

Shared by ``scripts/ui-screens`` (dialog screenshots) and the demo's browser test: both start the
host's Chromium with a debugging port on 127.0.0.1 and drive Home Assistant's frontend through it.
Only aiohttp is needed, so it imports in either of the dev root's venvs. The frontend is web
components all the way down: ``JS_HELPERS`` (``window.__ui``) walks every shadow root to find an
element, its text, or a button to click.
"""

from __future__ import annotations

import asyncio
import base64
from contextlib import suppress
import json
from pathlib import Path
import time
from typing import Any

import aiohttp

__all__ = ["JS_HELPERS", "STEP_TIMEOUT", "Cdp", "close_browser", "open_page"]

STEP_TIMEOUT = 30.0

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
  named(name, root) { return this.all(root).filter((e) => e.localName === name); },
  dialog() {
    const dialogs = this.named('dialog-data-entry-flow');
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
  texts(root, attributes) {
    const parts = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
        else if (child.nodeType === Node.ELEMENT_NODE) {
          if (child.shadowRoot) walk(child.shadowRoot);
          walk(child);
          for (const attr of attributes || []) {
            const v = child.getAttribute(attr);
            if (v) parts.push(v);
          }
        }
      }
    };
    if (root.shadowRoot) walk(root.shadowRoot);
    walk(root);
    return parts;
  },
  deepText(el) { return this.texts(el).join(' ').replace(/\s+/g, ' ').trim(); },
  clickText(text, scope) {
    const els = (scope === 'dialog' ? this.inDialog() : this.all()).filter(
      (e) => this.visible(e) && this.text(e) === text);
    if (!els.length) return false;
    els[els.length - 1].click();
    return true;
  },
  typeInto(input, value) {
    input.focus();
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
    input.dispatchEvent(new Event('change', {bubbles: true, composed: true}));
  },
  pageText() {
    return this.texts(document, ['label', 'helper', 'placeholder', 'title', 'aria-label'])
      .map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
  },
};
true;
"""


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
        """One CDP command; its result, or ``RuntimeError`` with the browser's error."""
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
        """Poll ``expression`` until truthy; its value, or ``TimeoutError`` naming ``what``."""
        deadline = time.monotonic() + limit
        while True:
            with suppress(RuntimeError):
                if value := await self.js(expression):
                    return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.3)

    async def goto(self, url: str) -> None:
        """Open ``url`` and wait until Home Assistant's app element is there."""
        await self.send("Page.navigate", url=url)
        await self.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('home-assistant')",
            f"page {url}",
        )

    async def setup(self, *, width: int, height: int, locale: str) -> None:
        """Page and runtime events, the window size and the browser's language."""
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.send("Emulation.setLocaleOverride", locale=locale)

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

    async def screenshot(self, path: Path) -> None:
        """A PNG of the page, once animations and lazy translations have settled."""
        await asyncio.sleep(1.0)
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        """Stop reading and close the websocket."""
        self._reader.cancel()
        await self._ws.close()


async def open_page(session: aiohttp.ClientSession, cdp_port: int) -> Cdp:
    """A new blank page (tab) of the Chromium listening on ``cdp_port``."""
    async with session.put(f"http://127.0.0.1:{cdp_port}/json/new?about:blank") as resp:
        target = await resp.json(content_type=None)
    ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
    return Cdp(ws)


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
