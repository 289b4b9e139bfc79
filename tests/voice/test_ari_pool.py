"""ARI requests queued behind the connection pool do not time out while they wait.

Under an avalanche every pooled connection is busy; a request that waits for one must not have
that wait counted as its own time, or originates time out unsent, are sent again, and a contact
is skipped or called twice (seen by ``bench/run --only avalanche``). Each request keeps its own
limit on connecting and reading. A slow ARI stand-in on 127.0.0.1 and a pool of one connection
make the wait longer than the request timeout.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
import pytest

from voice_server import ari as ari_module
from voice_server.ari import AriClient

ANSWER_DELAY = 0.15  # each request alone is well within the timeout
TIMEOUT = 0.25  # but the third one waits about 0.3 s for the single connection


async def test_a_request_waiting_for_a_pooled_connection_does_not_time_out(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(ANSWER_DELAY)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_delete("/ari/channels/{channel}", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setattr(ari_module, "MAX_CONNECTIONS", 1)
    client = AriClient(f"http://127.0.0.1:{port}", "u", "p", "app", request_timeout=TIMEOUT)
    client.start()
    try:
        results = await asyncio.gather(
            *(client.hangup(f"chan-{n}") for n in range(3)), return_exceptions=True
        )
    finally:
        await client.close()
        await runner.cleanup()
    assert [r for r in results if isinstance(r, BaseException)] == []
