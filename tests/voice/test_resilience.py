"""Crash safety: ``kill -9`` of the voice server and an Asterisk restart during a campaign."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING
import uuid

import aiohttp
import pytest

from tests.voice.conftest import (
    ARI_PASSWORD,
    ARI_USER,
    LOOPBACK,
    asterisk_settings,
    launch_asterisk,
    stop_asterisk,
)
from tests.voice.harness import (
    NUMBERS,
    TOKEN,
    VoiceApi,
    alert_body,
    contact,
    finished,
    first_answered,
    outcomes,
    site_body,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.voice.conftest import (
        AsteriskInstance,
        PortPool,
        SippFactory,
        VoiceFactory,
    )
    from tests.voice.harness import CallbackSink

pytestmark = pytest.mark.voice
REPO = Path(__file__).resolve().parents[2]
FIRST = {"id": "c0", "name": "Contact 0"}


class ServerProcess:
    """``python -m voice_server --config FILE`` as a real process."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voice_server", "--config", str(self.config)],
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in os.environ.items() if not k.startswith("IMAPROTECT_")},
            )

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def server_process(tmp_path: Path, prompt_dir: Path) -> Iterator[list[ServerProcess]]:
    """Keeps track of the server processes a test starts, and stops them."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


async def _healthy(api: VoiceApi, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            async with api.session.get(api.base + "/healthz") as resp:
                if (await resp.json())["status"] == "ok":
                    return
        except aiohttp.ClientError:
            pass
        assert time.monotonic() < deadline, "voice server never became healthy"
        await asyncio.sleep(0.1)


def _toml(values: dict[str, object]) -> str:
    def value(v: object) -> str:
        return f'"{v}"' if isinstance(v, str | Path) else str(v)

    return "\n".join(f"{k} = {value(v)}" for k, v in values.items())


async def test_kill_9_during_campaign_then_resume(
    asterisk: AsteriskInstance,
    sipp_phone: SippFactory,
    server_process: list[ServerProcess],
    *,
    port_pool: PortPool,
    tmp_path: Path,
    prompt_dir: Path,
    callback_sink: CallbackSink,
) -> None:
    ringing = sipp_phone("uas_noanswer", name="ringing")
    right = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
    port = port_pool.take()
    config = tmp_path / "voice.toml"
    config.write_text(
        "[asterisk]\n"
        + _toml(
            {
                "ari_user": ARI_USER,
                "ari_password": ARI_PASSWORD,
                "http_port": asterisk.settings.http_port,
            }
        )
        + "\n[voice]\n"
        + _toml(
            {
                "token": TOKEN,
                "database": tmp_path / "voice.db",
                "prompts_dir": prompt_dir,
                "listen": LOOPBACK,
                "port": port,
                "ari_app": f"imaprotect-{uuid.uuid4().hex[:8]}",
                "ring_timeout": 4.0,
                "rounds": 1,
                "reconnect_max": 0.5,
            }
        )
        + "\n[voice.routes]\n"
        + _toml({f'"{NUMBERS[0]}"': ringing.endpoint, f'"{NUMBERS[1]}"': right.endpoint})
        + "\n"
    )
    server = ServerProcess(config, tmp_path / "voice.log")
    server_process.append(server)
    server.start()
    async with aiohttp.ClientSession() as session:
        api = VoiceApi(f"http://{LOOPBACK}:{port}", session)
        await _healthy(api)
        body = site_body([contact(0), contact(1)], callback_url=callback_sink.url)
        await api.put_site("home", body)
        assert (await api.post_alert("home", alert_body("k-1")))[0] == 201
        await api.wait_alert("k-1", lambda a: a["current_contact"] == FIRST)
        await asyncio.sleep(0.3)  # c0's phone is ringing
        server.kill()

        server.start()
        await _healthy(api)
        alert = await api.wait_alert("k-1", finished, within=20)
        assert alert["status"] == "acknowledged"
        assert outcomes(alert) == [("c0", "unreachable"), ("c1", "acknowledged")]
        # The ringing call the dead process left behind was hung up at restart.
        log = ringing.log_dir / "messages.log"
        deadline = time.monotonic() + 5
        while "CANCEL" not in log.read_text():
            assert time.monotonic() < deadline, "stale call never cancelled"
            await asyncio.sleep(0.1)

        # Once acknowledged, a crash and a restart call nobody again.
        server.kill()
        server.start()
        await _healthy(api)
        await asyncio.sleep(1.0)
        assert outcomes(await api.alert("k-1")) == outcomes(alert)
        assert (await api.post_alert("home", alert_body("k-1")))[0] == 200
        # The attempt the dead process left open ends at restart; each status change is told
        # once (repeats of the same delivery aside), and nothing more after the last restart.
        assert callback_sink.events("k-1") == [
            ("alert_status", "calling", None, None),
            ("attempt_started", "calling", "c0", None),
            ("attempt_ended", "calling", "c0", "unreachable"),
            ("attempt_started", "calling", "c1", None),
            ("alert_status", "acknowledged", "c1", "acknowledged"),
            ("attempt_ended", "acknowledged", "c1", "acknowledged"),
        ]
    assert (tmp_path / "voice.log").read_text().count("listening on") == 3


async def test_asterisk_restart_during_campaign(
    sipp_phone: SippFactory,
    voice: VoiceFactory,
    port_pool: PortPool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = asterisk_settings(tmp_path_factory.mktemp("ast-restart"), port_pool)
    instance: AsteriskInstance = launch_asterisk(settings)
    try:
        silent = sipp_phone("uas_dtmf", digits="1", delay_ms=20000, name="silent")
        right = sipp_phone("uas_dtmf", digits="4321#", delay_ms=300, name="right")
        running = await voice(
            asterisk=instance,
            routes={NUMBERS[0]: silent.endpoint, NUMBERS[1]: right.endpoint},
            digit_timeout=20.0,
        )
        api = running.api
        await api.put_site("home", site_body([contact(0), contact(1)]))
        await api.post_alert("home", alert_body("r-1"))
        await api.wait_alert("r-1", first_answered)

        stop_asterisk(instance)
        deadline = time.monotonic() + 5
        while (await api.call("GET", "/healthz"))[1]["status"] != "degraded":
            assert time.monotonic() < deadline, "health never degraded"
            await asyncio.sleep(0.05)
        assert (await api.call("GET", "/healthz")) == (
            200,
            {"status": "degraded", "asterisk": False, "dead_letters": 0},
        )
        alert = await api.wait_alert("r-1", lambda a: a["attempts"][0]["ended_at"] is not None)
        assert outcomes(alert) == [("c0", "unreachable")]
        await asyncio.sleep(0.5)
        assert len((await api.alert("r-1"))["attempts"]) == 1  # nobody called while away

        instance = launch_asterisk(settings)
        alert = await api.wait_alert("r-1", finished, within=20)
        assert outcomes(alert) == [("c0", "unreachable"), ("c1", "acknowledged")]
        assert (await api.call("GET", "/healthz"))[1]["status"] == "ok"
    finally:
        stop_asterisk(instance)
