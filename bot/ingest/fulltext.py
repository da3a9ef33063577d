"""Full text: fetch the article pages of new stories and keep their main text as the story's body.

Per source, `full_text` is true (always), false (never: the feed's text only) or "auto": only when
the feed's text is shorter than AUTO_MIN_CHARS (400 characters: about two sentences, what a
teaser feed gives; a feed that carries whole articles is left alone).

A page that cannot be fetched (HTTP error, timeout, not HTML) or gives no usable text (a paywall or
consent page: fewer than MIN_BODY_WORDS words, or less text than the feed had) leaves the story
with the feed's text. The pages of one poll are fetched one at a time (a feed's pages are mostly
on its own host, and the poll holds that host's slot: politeness allows one request at a time per
host) and within PAGE_BUDGET seconds in all: whatever is not done by then keeps the feed's text,
so alerts are never held back long. Pages go through the same `Fetcher` as feeds (its size and
time caps).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.config import FullText
from bot.domain import Article
from bot.errors import SourceError
from bot.ingest.extract import decoded, looks_like_html, main_text
from bot.ingest.fetch import Fetcher

log = logging.getLogger(__name__)

AUTO_MIN_CHARS = 400
MIN_BODY_WORDS = 40
MAX_PAGES_PER_POLL = 20
PAGE_CONCURRENCY = 1  # politeness: one request at a time per host, and pages mostly share one
PAGE_BUDGET = 30.0


def wants_page(article: Article, mode: FullText) -> bool:
    if mode is False or not article.url or article.body:
        return False  # no page to read, or read already (a page source)
    return mode is True or len(article.summary) < AUTO_MIN_CHARS


def usable(body: str, feed_text: str) -> bool:
    return len(body.split()) >= MIN_BODY_WORDS and len(body) >= len(feed_text)


class PageReader:
    def __init__(
        self,
        fetcher: Fetcher,
        *,
        budget: float = PAGE_BUDGET,
        concurrency: int = PAGE_CONCURRENCY,
        max_pages: int = MAX_PAGES_PER_POLL,
    ) -> None:
        self._fetcher = fetcher
        self._budget = budget
        self._limit = asyncio.Semaphore(concurrency)
        self._max_pages = max_pages

    async def body(self, url: str) -> str:
        """The page's main text, or "" when it cannot be had (the reason is logged)."""
        async with self._limit:
            try:
                fetched = await self._fetcher.fetch(url)
            except SourceError as e:
                log.info("page %s: %s; keeping the feed's text", url, e.reason)
                return ""
        if fetched.content is None or not looks_like_html(fetched.content, fetched.content_type):
            log.info("page %s: not an HTML page; keeping the feed's text", url)
            return ""
        # Extraction is CPU work (tens of ms a page): off the event loop.
        page = decoded(fetched.content, fetched.content_type)
        return await asyncio.to_thread(main_text, page, fetched.url)

    async def enrich(self, articles: Sequence[Article], mode: FullText) -> list[Article]:
        """The articles, each with its page's text as `body` where that worked."""
        wanted = [i for i, a in enumerate(articles) if wants_page(a, mode)][: self._max_pages]
        if not wanted:
            return list(articles)
        tasks = {i: asyncio.create_task(self.body(articles[i].url)) for i in wanted}
        done, pending = await asyncio.wait(tasks.values(), timeout=self._budget)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)  # let the cancelled fetches close their connections
            log.warning("pages: %d not read within %gs; feed text kept", len(pending), self._budget)
        result = list(articles)
        for i, task in tasks.items():
            if task not in done or task.cancelled() or task.exception() is not None:
                if task in done and not task.cancelled() and task.exception() is not None:
                    log.warning("page %s: %r", articles[i].url, task.exception())
                continue
            body = task.result()
            if body and usable(body, articles[i].summary):
                result[i] = replace(articles[i], body=body)
            elif body:
                log.info("page %s: too little text (paywall?); keeping the feed's", articles[i].url)
        return result
