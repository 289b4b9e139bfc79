"""Home Assistant as a real process (the ha-next venv's release, with its frontend), and its API.

Shared by ``scripts/ui-screens`` and the demo: a config folder holding a copy of the integration
and the given ``configuration.yaml``, ``python -m homeassistant`` in its own session (stopped as a
group), onboarding through the HTTP API as the onboarding pages post it, config and subentry flows
through the REST flow API as the dialogs do, and websocket commands (registries, dashboards).
Only aiohttp and the standard library are used, so it imports in either of the dev root's venvs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import time
from typing import Any

import aiohttp

__all__ = [
    "INTEGRATION",
    "START_TIMEOUT",
    "STUB_MODULES",
    "HaClient",
    "HaSocket",
    "prepare_config",
    "start_home_assistant",
    "stop_home_assistant",
]

DOMAIN = "imaprotect"
INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN
START_TIMEOUT = 180.0
_STOP_GRACE = 30.0

# Voice pipeline libraries the ha-next venv lacks (no Python 3.14 wheels; building them needs a C++
# toolchain the dev root does not have). assist_pipeline imports them, and the frontend's service
# list imports assist_satellite, hence assist_pipeline: empty stand-ins let it load. No voice here.
STUB_MODULES = {
    "pymicro_vad": "class MicroVad:\n    pass\n",
    "pyspeex_noise": "class AudioProcessor:\n    pass\n",
}


def prepare_config(config: Path, configuration_yaml: str, integration: Path = INTEGRATION) -> Path:
    """Write ``configuration.yaml`` and a copy of the integration; return the stand-ins' folder."""
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(configuration_yaml, encoding="utf-8")
    shutil.copytree(
        integration,
        config / "custom_components" / DOMAIN,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    stubs = config / "stand-in-modules"
    stubs.mkdir()
    for module, source in STUB_MODULES.items():
        (stubs / f"{module}.py").write_text(source, encoding="utf-8")
    return stubs


def start_home_assistant(
    python: str | Path, config: Path, stubs: Path, log: Path, *, prefix: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """``python -m homeassistant -c config`` in its own session, its output appended to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")}
    env["PYTHONPATH"] = str(stubs)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            [*prefix, str(python), "-m", "homeassistant", "-c", str(config), "--skip-pip"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def stop_home_assistant(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its whole session, then SIGKILL after a grace period; safe to call twice."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class HaClient:
    """Home Assistant's HTTP API as the frontend uses it, with the owner's access token."""

    session: aiohttp.ClientSession
    base: str
    token: str = field(default="", repr=False)

    async def api(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        """One JSON request; its decoded answer, or ``RuntimeError`` with the status and text."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(
            method, f"{self.base}{path}", json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {text[:300]}")
            return json.loads(text) if text else None

    async def wait_up(
        self, process: subprocess.Popen[bytes], within: float = START_TIMEOUT
    ) -> None:
        """Until the HTTP server answers; ``RuntimeError`` at once if Home Assistant exits."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Home Assistant exited with {process.returncode}")
            with suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(
                    f"{self.base}/api/onboarding", timeout=aiohttp.ClientTimeout(2)
                ):
                    return
            await asyncio.sleep(0.5)
        raise TimeoutError("Home Assistant did not answer on http")

    async def onboard(self, user: Mapping[str, str], language: str) -> dict[str, Any]:
        """The four onboarding steps, as the onboarding pages post them; the frontend's tokens.

        ``user`` holds ``name``, ``username`` and ``password``: the owner, an administrator.
        """
        client_id = f"{self.base}/"
        created = await self.api(
            "POST",
            "/api/onboarding/users",
            {**user, "client_id": client_id, "language": language},
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

    async def flow(
        self,
        path: str,
        handler: Any,
        form: Mapping[str, Any],
        then: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Create a (sub)entry through the REST flow API, as the dialog would.

        ``then``: the forms of the steps that may follow, by step id (a home whose formula has a
        station asks for its link: ``{"station_link": {}}`` leaves it for later).
        """
        result = await self.api("POST", path, {"handler": handler})
        result = await self.api("POST", f"{path}/{result['flow_id']}", dict(form))
        while result.get("type") == "form" and result.get("step_id") in (then or {}):
            step = dict((then or {})[result["step_id"]])
            result = await self.api("POST", f"{path}/{result['flow_id']}", step)
        if result.get("type") != "create_entry":
            raise RuntimeError(f"{path} {handler} ended with {result}")
        return dict(result)

    async def template(self, template: str) -> str:
        """Render a template on the server."""
        async with self.session.post(
            f"{self.base}/api/template",
            json={"template": template},
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            resp.raise_for_status()
            return (await resp.text()).strip()

    async def state(self, entity_id: str) -> dict[str, Any]:
        """The entity's state object (``state``, ``attributes``...)."""
        found: dict[str, Any] = await self.api("GET", f"/api/states/{entity_id}")
        return found

    async def call(self, domain: str, service: str, data: Mapping[str, Any]) -> None:
        """Call an action and wait for it, as a logged-in user would."""
        await self.api("POST", f"/api/services/{domain}/{service}", dict(data))

    async def socket(self) -> HaSocket:
        """A websocket connection, authenticated with the owner's token."""
        ws = await self.session.ws_connect(f"{self.base}/api/websocket")
        socket = HaSocket(ws)
        await socket.authenticate(self.token)
        return socket


class HaSocket:
    """Home Assistant's websocket API, one command at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next = 0

    async def authenticate(self, token: str) -> None:
        """The auth handshake; ``RuntimeError`` when the token is refused."""
        await self._ws.receive_json()  # auth_required
        await self._ws.send_json({"type": "auth", "access_token": token})
        answer = await self._ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"websocket auth refused: {answer.get('type')}")

    async def command(self, kind: str, **data: Any) -> Any:
        """Send one command and return its result; ``RuntimeError`` with the server's error."""
        self._next += 1
        await self._ws.send_json({"id": self._next, "type": kind, **data})
        while True:
            answer = await self._ws.receive_json()
            if answer.get("id") == self._next and answer.get("type") == "result":
                break
        if not answer.get("success"):
            raise RuntimeError(f"{kind}: {answer.get('error')}")
        return answer.get("result")

    async def close(self) -> None:
        """Close the connection."""
        await self._ws.close()
