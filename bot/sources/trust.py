"""Fetching a URL a chat user chose: the one seam every untrusted fetch goes through.

The fetcher's guarded client (`bot.ingest.guard`) refuses private, loopback and other internal
addresses on every hop; this layer also insists on http(s), so a chat can never make the bot
read a local file.
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
            raise FetchError(url, problem, kind="refused")
        return await fetcher.fetch(url, etag=etag, last_modified=last_modified, untrusted=True)

    return fetch
