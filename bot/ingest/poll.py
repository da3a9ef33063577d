"""One poll of one source: fetch (conditionally), parse, normalise, match, store + queue alerts.

Everything a poll writes goes through `Store.ingest` in one transaction, so a crash never leaves a
story stored without its alerts (which would make it "seen" and lose them for good).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Article, Subscription
from bot.errors import SourceError, TopicError
from bot.ingest.fetch import Fetcher, read_local
from bot.ingest.normalise import to_article
from bot.ingest.parse import parse_feed
from bot.match.base import Document, Matcher, Query, TopicIndex
from bot.store.ports import AlertPlanner, NewAlert, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source: str
    not_modified: bool = False
    new_articles: int = 0
    alerts_queued: int = 0
    error: str | None = None


class Poller:
    def __init__(
        self,
        *,
        fetcher: Fetcher,
        store: Store,
        topics: TopicIndex,
        clock: Callable[[], datetime],
        on_alerts: Callable[[], None] = lambda: None,
        on_stored: Callable[[Sequence[Article]], None] = lambda articles: None,
    ) -> None:
        self._fetcher = fetcher
        self._store = store
        self._topics = topics  # long-lived, kept current by the (un)subscribe commands
        self._clock = clock
        self._on_alerts = on_alerts  # wakes delivery when something was queued
        self._on_stored = on_stored  # feeds the recent-stories index behind /latest and /test

    async def poll(self, url: str, name: str) -> PollOutcome:
        """Never raises for a bad source: the error is logged and recorded on the source."""
        try:
            return await self._poll(url, name)
        except SourceError as e:
            log.warning("source %s: %s", url, e.reason)
            await self._store.record_poll_error(url, e.reason, at=self._clock())
            return PollOutcome(url, error=e.reason)

    async def _poll(self, url: str, name: str) -> PollOutcome:
        state = await self._store.source_state(url)
        if _is_local(url):
            fetched = read_local(url)
        else:
            fetched = await self._fetcher.fetch(
                url, etag=state.etag, last_modified=state.last_modified
            )
        if fetched.not_modified or fetched.content is None:
            log.debug("source %s: not modified", url)
            return PollOutcome(url, not_modified=True)
        feed = parse_feed(fetched.content, source=url, content_type=fetched.content_type)
        now = self._clock()
        articles = [
            a
            for e in feed.entries
            if (a := to_article(e, source_url=url, source_name=name, fetched_at=now)) is not None
        ]
        result = await self._store.ingest(
            url,
            articles,
            _planner(self._topics),
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            at=now,
        )
        if not state.baselined:
            log.info(
                "source %s: first poll, recorded %d stories without alerting",
                url,
                len(result.new_articles),
            )
        elif result.new_articles:
            log.info(
                "source %s: %d new stories, %d alert(s) queued",
                url,
                len(result.new_articles),
                result.alerts_queued,
            )
        if result.new_articles:
            self._on_stored(result.new_articles)
        if result.alerts_queued:
            self._on_alerts()
        return PollOutcome(
            url, new_articles=len(result.new_articles), alerts_queued=result.alerts_queued
        )


def _is_local(url: str) -> bool:
    """A source given as a file path (or file: URL) is read from disk, not fetched."""
    return "://" not in url or url.startswith("file:")


def _planner(topics: TopicIndex) -> AlertPlanner:
    def plan(article: Article) -> list[NewAlert]:
        hits = topics.match(Document(article.title, article.summary))
        return [NewAlert(h.query_id, h.terms) for h in hits]

    return plan


def index_subscriptions(matcher: Matcher, subs: Sequence[Subscription]) -> TopicIndex:
    """The topic index, built from the saved subscriptions (at start)."""
    queries: list[tuple[int, Query]] = []
    for sub in subs:
        try:
            queries.append((sub.id, matcher.parse(sub.topic)))
        except TopicError as e:  # saved under older rules; skip it rather than stall the bot
            log.warning("chat %s: topic %r no longer parses: %s", sub.chat, sub.topic, e.message)
    return matcher.index(queries)
