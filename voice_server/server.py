"""Wiring of the running voice server: database, ARI, outbox, call trees and the HTTP API.

The HTTP API starts at once, whether Asterisk is there or not: alerts are accepted and kept, and
their calls start as soon as Asterisk is back and fully booted (/healthz says ``degraded`` until
then). Unfinished alerts of a previous run are resumed at start, and the armed homes' heartbeats are
watched again (home_watch.py): a home silent for its grace after the start is reported.

Retention runs at start and every hour: finished alerts older than ``retention_days``, delivered
and dead outbox rows older than a week and prompts unused for a week are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from voice_server import outbox
from voice_server.api import ApiContext, build_app
from voice_server.ari import AriClient, AriError
from voice_server.campaign import Campaigns
from voice_server.config import ConfigError
from voice_server.home_watch import HomeWatch
from voice_server.metrics import Metrics
from voice_server.notices import Notices
from voice_server.outbox import OutboxWorker
from voice_server.photos import AlertPhotos
from voice_server.prompts import PromptCache, fixed_texts
from voice_server.store import Store

if TYPE_CHECKING:
    from collections.abc import Coroutine, Mapping

    from voice_server.config import VoiceConfig

__all__ = ["VoiceServer", "serve"]

_LOGGER = logging.getLogger(__name__)

#: Modules a call needs; when ARI reports them running, Asterisk has finished booting them.
REQUIRED_MODULES = (
    "chan_pjsip.so",
    "res_stasis_playback.so",
    "bridge_softmix.so",
    "format_wav.so",
)
_BOOT_POLL = 0.2
_RETENTION_EVERY = 3600.0
_TRUNK_POLL = 15.0  # how often the trunk's endpoint state is read while Asterisk is up
TRUNK_ENDPOINT = ("PJSIP", "trunk")  # the endpoint contacts are dialled through (sip_trunk.py)
#: How long the trunk must stay offline before it is reported so: Asterisk shows it offline until
#: its first qualify (within ``qualify_frequency``, 60 s, plus the answer's timeout).
TRUNK_GRACE = 90.0


class VoiceServer:
    """One voice server; ``start()`` then ``stop()``."""

    def __init__(self, config: VoiceConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self.ready = asyncio.Event()
        self.store = Store(config.database)
        self.metrics.watch(
            self.store.conn,
            asterisk_up=self.ready.is_set,
            campaigns_running=self._running,
            calls_waiting=self._calls_waiting,
        )
        self.ari = AriClient(
            config.ari_url,
            config.ari_user,
            config.ari_password,
            config.ari_app,
            reconnect_delays=(min(0.2, config.reconnect_max), config.reconnect_max),
        )
        self.prompts = PromptCache(config.prompt_cache.resolve())
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.outbox: OutboxWorker | None = None
        self.campaigns: Campaigns | None = None
        self.homes: HomeWatch | None = None
        self.photos: AlertPhotos | None = None
        self.port: int | None = None
        #: The trunk's endpoint state ("online", "offline"); None without one or Asterisk away.
        self.trunk: str | None = None
        self._trunk_offline_since: float | None = None  # monotonic time it was first seen so

    async def start(self) -> None:
        """Open everything, resume unfinished alerts and listen."""
        self._session = aiohttp.ClientSession()
        self.outbox = OutboxWorker(self.store.conn, smtp=self.config.smtp, session=self._session)
        self.ari.start()
        self.campaigns = Campaigns(
            self.store,
            self.ari,
            prompts=self.prompts,
            dialer=self.config.dialer(),
            settings=self.config.calls,
            metrics=self.metrics,
            ready=self.ready,
            wake_outbox=self.outbox.wake,
        )
        self._spawn(self.outbox.run(), "outbox")
        self._spawn(self._watch_asterisk(), "asterisk-watch")
        self._spawn(self._watch_trunk(), "trunk-watch")
        self._spawn(self._warm_prompts(), "prompts")
        self.campaigns.resume()
        self.homes = HomeWatch(self.store, self.campaigns, self.metrics, self.outbox.wake)
        self.photos = AlertPhotos(
            self.store, self.config.database.resolve().parent / "photos", self.outbox.wake
        )
        self._spawn(self.homes.run(), "home-watch")
        await self.retention()
        self._spawn(self._retention_loop(), "retention")
        context = ApiContext(
            token=self.config.token,
            store=self.store,
            campaigns=self.campaigns,
            homes=self.homes,
            metrics=self.metrics,
            allowed_regions=self.config.allowed_regions,
            health=self._health,
            notices=Notices(self.store, self.outbox.wake),
            photos=self.photos,
        )
        self._runner = web.AppRunner(build_app(context), access_log=None, handle_signals=False)
        await self._runner.setup()
        tls = self._tls()
        site = web.TCPSite(self._runner, self.config.listen, self.config.port, ssl_context=tls)
        await site.start()
        server = site._server  # noqa: SLF001 - the only way to learn the port when 0 was asked
        if isinstance(server, asyncio.Server) and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        scheme = "https" if tls else "http"
        _LOGGER.info("voice server listening on %s://%s:%s", scheme, self.config.listen, self.port)

    def _tls(self) -> ssl.SSLContext | None:
        """The server's TLS context when a certificate and key are set (TLS 1.2 or newer)."""
        if self.config.tls_cert is None or self.config.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        except (OSError, ssl.SSLError) as err:
            raise ConfigError(f"voice.tls_cert / voice.tls_key: {type(err).__name__}") from None
        return context

    async def stop(self) -> None:
        """Stop calls (they resume at the next start), the API, the outbox and ARI."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self.campaigns is not None:
            await self.campaigns.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.prompts.close()
        await self.ari.close()
        if self._session is not None:
            await self._session.close()
        self.store.close()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def retention(self) -> None:
        """Delete what is kept no longer (see the module doc); errors are logged, not raised."""
        try:
            alerts, rows = self.store.purge(retention_days=self.config.retention_days)
            if self.photos is not None:
                rows += self.photos.purge()
            prompts = await asyncio.to_thread(self.prompts.prune)
        except Exception:
            _LOGGER.exception("retention failed")
            return
        if alerts or rows or prompts:
            _LOGGER.info(
                "retention: deleted %d alerts, %d outbox rows, %d prompts", alerts, rows, prompts
            )

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(_RETENTION_EVERY)
            await self.retention()

    def _health(self) -> Mapping[str, Any]:
        """Degraded only while Asterisk is away; dead letters are counted, not a degradation.

        Calls still work without the callbacks and emails, and dead letters stay a week (until
        retention deletes them), so "degraded" would hide Asterisk's real state all that time.
        """
        up = self.ready.is_set()
        dead = sum(outbox.dead_counts(self.store.conn).values())
        health: dict[str, Any] = {
            "status": "ok" if up else "degraded",
            "asterisk": up,
            "dead_letters": dead,
        }
        if up and self.trunk is not None:
            health["trunk"] = self.trunk
        smtp_ok = self.outbox.smtp_ok if self.outbox is not None else None
        if smtp_ok is not None:
            health["smtp"] = "ok" if smtp_ok else "failing"
        return health

    async def check_trunk(self) -> str | None:
        """Read the trunk's endpoint state from ARI now (None: no trunk, or not known)."""
        try:
            state = await self.ari.endpoint_state(*TRUNK_ENDPOINT)
        except AriError, aiohttp.ClientError, OSError, TimeoutError, RuntimeError:
            state = None
        trunk = state if state in ("online", "offline") else None
        now = time.monotonic()
        if trunk == "offline":
            since = self._trunk_offline_since = self._trunk_offline_since or now
            if now - since < TRUNK_GRACE:
                trunk = None  # maybe not qualified yet: not known
        else:
            self._trunk_offline_since = None
        if trunk != self.trunk:
            level = logging.WARNING if trunk == "offline" else logging.INFO
            _LOGGER.log(level, "SIP trunk: %s", trunk or "not known")
        self.trunk = trunk
        return trunk

    async def _watch_trunk(self) -> None:
        """Follow the trunk's state while Asterisk is up (its provider answers qualify, or not)."""
        while True:
            await self.ready.wait()
            await self.check_trunk()
            await asyncio.sleep(_TRUNK_POLL)

    def _running(self) -> int:
        """Call trees in progress, for /metrics."""
        return self.campaigns.running if self.campaigns else 0

    def _calls_waiting(self) -> int:
        """Contacts' calls waiting for Asterisk, for /metrics."""
        return self.campaigns.calls_waiting if self.campaigns else 0

    async def _watch_asterisk(self) -> None:
        """Keep ``ready`` set exactly while ARI is connected and Asterisk is fully booted."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self.ari.wait_connected(within=3600)
            if not await self._wait_booted():
                continue
            self.ready.set()
            _LOGGER.info("Asterisk is up")
            await self.ari.wait_disconnected()
            self.ready.clear()
            _LOGGER.warning("Asterisk is away: health degraded, calls wait")

    async def _wait_booted(self) -> bool:
        """Poll until the modules run; False if ARI dropped meanwhile."""
        while self.ari.connected:
            if await self._booted():
                return True
            await asyncio.sleep(_BOOT_POLL)
        return False

    async def _booted(self) -> bool:
        try:
            for module in REQUIRED_MODULES:
                if not await self.ari.module_running(module):
                    return False
        except AriError, aiohttp.ClientError, OSError, TimeoutError:
            return False
        return True

    async def _warm_prompts(self) -> None:
        """Synthesise the fixed sentences ahead, so they never wait on espeak-ng in a call."""
        for language, text in fixed_texts():
            try:
                await self.prompts.get(language, text)
            except OSError, RuntimeError, TimeoutError:
                _LOGGER.exception("prompt synthesis failed")
                return


async def serve(config: VoiceConfig) -> None:
    """Run until SIGTERM or SIGINT."""
    server = VoiceServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        await stop.wait()
    finally:
        _LOGGER.info("stopping")
        await server.stop()
