"""The callback server hubs talk to (aiohttp, on the bot's own event loop).

`GET <path>/<id>`  the hub verifies intent (WebSub §5.3): the challenge is echoed only when `<id>`
                   is a subscription we asked for, pending or active, for that topic and mode;
                   404 otherwise. `hub.mode=denied` records the refusal (§5.2).
`POST <path>/<id>` content (§7): checked against the subscription's secret (X-Hub-Signature), then
                   answered 202 at once and queued for the same ingest as a poll. A missing or
                   wrong signature gets 403 and nothing is stored; an unknown or ended
                   subscription gets 410 Gone, which tells the hub to drop it.

The queue is held in memory, bounded by bytes (`max_pending_bytes`; beyond it a hub gets 503 and
retries later), and worked by a few tasks so that pushes never take every database connection.
What is queued when the bot stops gets `DRAIN_SECONDS` to be stored; anything left is lost to
push, not to the bot: the next poll of its source reads it.

Bodies above `[fetch] max_bytes` get 413 unread. Nothing a caller sends can stop the server: a
request that trips anything unexpected gets a 5xx and is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from aiohttp import web

from bot.errors import ConfigError, SourceError
from bot.ingest.fetch import FetchResult
from bot.push.policy import PushTiming, renew_at
from bot.push.ports import PushStore, PushSubscription
from bot.push.signature import signature_problem

log = logging.getLogger(__name__)

MAX_ID = 128  # our ids are 43 characters; anything much longer is not one of ours
DRAIN_SECONDS = 5.0  # how long a stop waits for pushed content being stored (SIGTERM: 10 s)


class Ingest(Protocol):
    """`Poller.take`: what a poll does once it has the content."""

    async def __call__(
        self, url: str, name: str, fetched: FetchResult, *, untrusted: bool = False
    ) -> object: ...


class PushReceiver:
    def __init__(
        self,
        *,
        store: PushStore,
        ingest: Ingest,
        public_url: str,
        listen: str,
        port: int,
        max_bytes: int,
        clock: Callable[[], datetime],
        timing: PushTiming | None = None,
        max_pending_bytes: int = 64 * 1024 * 1024,
        workers: int = 4,
    ) -> None:
        self._store = store
        self._ingest = ingest
        self._listen = listen
        self._port = port
        self._max_bytes = max_bytes
        self._clock = clock
        self._timing = timing or PushTiming()
        self._max_pending = max_pending_bytes
        self._path = urlsplit(public_url).path.rstrip("/")
        self._runner: web.AppRunner | None = None
        self._queue: asyncio.Queue[tuple[PushSubscription, FetchResult]] = asyncio.Queue()
        self._pending_bytes = 0
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"websub-ingest-{n}")
            for n in range(self._workers)
        ]
        app = web.Application(client_max_size=self._max_bytes)
        route = f"{self._path}/{{callback_id}}"
        app.router.add_get(route, self._verify, allow_head=False)
        app.router.add_post(route, self._content)
        self._runner = web.AppRunner(app, access_log=None)  # callback URLs are capabilities
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._listen, self._port).start()
        except OSError as e:
            # The operator's to fix (a port taken by another listener, an address not ours):
            # one line naming the setting, not a traceback.
            key = "websub.port" if e.errno in (errno.EADDRINUSE, errno.EACCES) else "websub.listen"
            reason = os.strerror(e.errno) if e.errno else str(e)
            raise ConfigError(key, f"cannot listen on {self._listen}:{self._port}: {reason}") from e
        log.info("websub: callbacks served on %s:%d%s/", self._listen, self._port, self._path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await self._queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _find(self, request: web.Request) -> PushSubscription | None:
        callback_id = request.match_info["callback_id"]
        if not callback_id or len(callback_id) > MAX_ID:
            return None
        return await self._store.push_by_callback(callback_id)

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        sub = await self._find(request)
        if sub is None or topic != sub.topic:
            return _not_found()
        now = self._clock()
        if mode == "denied" and sub.state != "unsubscribing":
            reason = " ".join(query.get("hub.reason", "").split())[:300]
            log.warning("websub: hub %s denied %s: %s", sub.hub, sub.topic, reason or "-")
            await self._store.push_denied(sub.callback_id, reason, at=now)
            return web.Response(status=200)
        challenge = query.get("hub.challenge", "")
        if not challenge:
            return _not_found()
        if mode == "subscribe" and sub.state in ("requested", "active") and sub.source_active:
            lease = query.get("hub.lease_seconds", "")
            # Required for subscribe (§5.3); a hub that gives none gets no subscription.
            if not (lease.isascii() and lease.isdigit()) or int(lease) < 1:
                return _not_found()
            seconds = int(lease)
            if await self._store.push_verified(
                sub.callback_id, seconds, at=now, renew_at=renew_at(now, seconds, self._timing)
            ):
                log.info("websub: subscribed to %s for %ds", sub.topic, seconds)
                return _echo(challenge)
        if mode == "unsubscribe" and sub.state == "unsubscribing":
            await self._store.push_removed(sub.callback_id, at=now)
            log.info("websub: unsubscribed from %s", sub.topic)
            return _echo(challenge)
        return _not_found()

    async def _content(self, request: web.Request) -> web.Response:
        sub = await self._find(request)
        if sub is None or sub.state == "unsubscribing" or not sub.source_active:
            return web.Response(status=410, text="no such subscription")
        body = await request.read()  # over client_max_size: 413, raised by aiohttp
        problem = signature_problem(request.headers.get("X-Hub-Signature"), body, sub.secret)
        if problem is not None:
            log.warning("websub: content for %s refused: %s", sub.source_url, problem)
            return web.Response(status=403, text="signature refused")
        if self._pending_bytes + len(body) > self._max_pending:
            return web.Response(status=503, headers={"Retry-After": "5"}, text="busy")
        fetched = FetchResult(
            url=sub.topic,
            status=200,
            content=body,
            content_type=request.headers.get("Content-Type"),
            etag=None,
            last_modified=None,
        )
        self._pending_bytes += len(body)
        self._queue.put_nowait((sub, fetched))
        return web.Response(status=202)

    async def _work(self) -> None:
        while True:
            sub, fetched = await self._queue.get()
            try:
                await self._take(sub, fetched)
            finally:
                self._pending_bytes -= len(fetched.content or b"")
                self._queue.task_done()

    async def _take(self, sub: PushSubscription, fetched: FetchResult) -> None:
        try:
            await self._ingest(sub.source_url, sub.source_name, fetched, untrusted=not sub.trusted)
        except SourceError as e:
            log.warning("websub: content pushed for %s unreadable: %s", sub.source_url, e.reason)
        except Exception:
            log.exception("websub: storing content pushed for %s failed", sub.source_url)


def _not_found() -> web.Response:
    return web.Response(status=404, text="not found")


def _echo(challenge: str) -> web.Response:
    return web.Response(status=200, text=challenge, content_type="text/plain")
