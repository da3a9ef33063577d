"""At most N requests in flight to one host at a time (politeness: `polling.per_host`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from bot.ingest.fetch import FetchResult
from bot.ingest.poll import ConditionalFetch


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url


class HostGate:
    def __init__(self, per_host: int = 1) -> None:
        self._per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = host_of(url)
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            # Forget idle hosts, so thousands of chat-added hosts do not pile up semaphores.
            self._users[host] -= 1
            if self._users[host] == 0:
                del self._users[host], self._slots[host]


def gated(fetch: ConditionalFetch, gate: HostGate) -> ConditionalFetch:
    """`fetch` that waits for its host's slot: feed discovery shares the pollers' per-host limit."""

    async def fetch_in_turn(
        url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        async with gate.slot(url):
            return await fetch(url, etag=etag, last_modified=last_modified)

    return fetch_in_turn
