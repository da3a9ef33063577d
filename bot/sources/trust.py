"""Fetching a URL a chat user chose: the one seam every untrusted fetch goes through.

SEAM for the fetch-safety work (issue 8, the guard): when `Fetcher.fetch(url, untrusted=True)`
exists, `untrusted_fetch` passes the flag on (see the marked line) and the guard refuses private,
loopback and other internal addresses there. Until then this layer only insists on http(s), so a
chat can never make the bot read a local file.
"""

from __future__ import annotations

from bot.errors import FetchError
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.poll import ConditionalFetch
from bot.sources.urls import web_url_problem


def untrusted_fetch(fetcher: Fetcher) -> ConditionalFetch:
    async def fetch(
        url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        problem = web_url_problem(url)
        if problem is not None:
            raise FetchError(url, problem)
        # Guard seam: becomes fetcher.fetch(url, untrusted=True, ...) once the guard lands.
        return await fetcher.fetch(url, etag=etag, last_modified=last_modified)

    return fetch
