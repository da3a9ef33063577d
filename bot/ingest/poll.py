"""One poll of one source: fetch (conditionally), parse, normalise, match, store + queue alerts.

Everything a poll writes goes through `Store.ingest` in one transaction, so a crash never leaves a
story stored without its alerts (which would make it "seen" and lose them for good).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.config import FullText
from bot.domain import Article, Subscription
from bot.errors import FetchError, SourceError, TopicError
from bot.ingest.fetch import Fetcher, FetchResult, read_local
from bot.ingest.fulltext import PageReader
from bot.ingest.normalise import to_article
from bot.ingest.observe import error_kind
from bot.ingest.pages import is_page, read_page_source
from bot.ingest.parse import parse_feed
from bot.match.base import Document, Hit, Matcher, Query, TopicIndex
from bot.store.ports import AlertPlanner, NewAlert, SourceState, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source: str
    not_modified: bool = False
    new_articles: int = 0
    alerts_queued: int = 0
    error: str | None = None
    status: int | None = None  # the HTTP status of a failed fetch, if it got that far
    retry_after: float | None = None  # what the server asked for (429/503 Retry-After)
    error_kind: str | None = None  # the error in a word, for figures (bot.ingest.observe)
    # Alerts queued, per chat platform: (platform, count) pairs.
    queued_by_platform: tuple[tuple[str, int], ...] = ()


class ConditionalFetch(Protocol):
    """How a source is fetched; chat-added (untrusted) sources go through the guarded one."""

    async def __call__(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


# (source URL, what was read, untrusted): called for every content a poll or push read.
ContentHook = Callable[[str, FetchResult, bool], None]


class Poller:
    def __init__(
        self,
        *,
        fetcher: Fetcher,
        store: Store,
        topics: TopicIndex,
        clock: Callable[[], datetime],
        on_alerts: Callable[[], None] = lambda: None,
        fetch_untrusted: ConditionalFetch | None = None,
        full_text: Mapping[str, FullText] | None = None,
        on_stored: Callable[[Sequence[Article]], None] = lambda articles: None,
        on_content: ContentHook | None = None,
    ) -> None:
        self._fetcher = fetcher
        # Without a guarded fetch, untrusted sources are refused rather than fetched unguarded.
        self._fetch_untrusted = fetch_untrusted
        self._full_text = dict(full_text or {})  # source URL → its setting; default False
        self._pages = PageReader(fetcher)
        self._store = store
        self._topics = topics  # long-lived, kept current by the (un)subscribe commands
        self._clock = clock
        self._on_alerts = on_alerts  # wakes delivery when something was queued
        self._on_stored = on_stored  # feeds the recent-stories index behind /latest and /test
        self._on_content = on_content  # sees every content read (WebSub discovery: bot.push)

    async def poll(self, url: str, name: str, *, untrusted: bool = False) -> PollOutcome:
        """Never raises for a bad source: the error is logged and recorded on the source.
        `untrusted` (a source a chat added): fetched only through `fetch_untrusted`."""
        try:
            return await self._poll(url, name, untrusted)
        except SourceError as e:
            log.warning("source %s: %s", url, e.reason)
            await self._store.record_poll_error(url, e.reason, at=self._clock())
            kind = error_kind(e)
            if isinstance(e, FetchError):
                return PollOutcome(
                    url,
                    error=e.reason,
                    status=e.status,
                    retry_after=e.retry_after,
                    error_kind=kind,
                )
            return PollOutcome(url, error=e.reason, error_kind=kind)

    async def _poll(self, url: str, name: str, untrusted: bool) -> PollOutcome:
        state = await self._store.source_state(url)
        if _is_local(url) and not untrusted:
            fetched = read_local(url)
        else:
            fetch = self._fetch_for(url, untrusted)
            fetched = await fetch(url, etag=state.etag, last_modified=state.last_modified)
        return await self.take(url, name, fetched, untrusted=untrusted, state=state)

    async def take(
        self,
        url: str,
        name: str,
        fetched: FetchResult,
        *,
        untrusted: bool = False,
        state: SourceState | None = None,
    ) -> PollOutcome:
        """Everything a poll does once the source's content is in hand, whoever fetched it (our
        poll, or a hub that pushed it): parse, normalise, store the new stories with their alerts,
        wake delivery. `state`: the source's, if the caller already read it. Raises SourceError
        for content it cannot read; recording that is the caller's business."""
        if state is None:
            state = await self._store.source_state(url)
        fetch = self._fetch_for(url, untrusted)  # pages and full text fetch more
        if fetched.not_modified or fetched.content is None:
            log.debug("source %s: not modified", url)
            return PollOutcome(url, not_modified=True)
        if self._on_content is not None:
            self._on_content(url, fetched, untrusted)
        now = self._clock()
        if is_page(fetched):
            articles = await read_page_source(
                fetched, source_url=url, source_name=name, fetch=fetch, fetched_at=now
            )
        else:
            feed = parse_feed(fetched.content, source=url, content_type=fetched.content_type)
            articles = [
                a
                for e in feed.entries
                if (a := to_article(e, source_url=url, source_name=name, fetched_at=now))
                is not None
            ]
        mode = self._full_text.get(url, False)
        if mode is not False and state.baselined and articles:
            # Only new stories' pages: known ones were read (or not) when they were new.
            new_keys = await self._store.unseen_keys(url, articles)
            fresh = await self._pages.enrich([a for a in articles if a.key in new_keys], mode)
            by_key = {a.key: a for a in fresh}
            articles = [by_key.get(a.key, a) for a in articles]
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
        if result.alerts_queued or result.edits_queued:
            self._on_alerts()
        return PollOutcome(
            url,
            new_articles=len(result.new_articles),
            alerts_queued=result.alerts_queued,
            queued_by_platform=tuple(sorted(result.queued_by_platform.items())),
        )

    def _fetch_for(self, url: str, untrusted: bool) -> ConditionalFetch:
        if not untrusted:
            return self._fetcher.fetch
        if self._fetch_untrusted is None:
            raise FetchError(url, "no guarded fetcher for sources added in chat", kind="refused")
        return self._fetch_untrusted


def _is_local(url: str) -> bool:
    """A source given as a file path (or file: URL) is read from disk, not fetched."""
    return "://" not in url or url.startswith("file:")


def story_text(article: Article) -> str:
    """What topics are matched against besides the title: the feed's text and the page's."""
    return f"{article.summary}\n{article.body}" if article.body else article.summary


def _planner(topics: TopicIndex) -> AlertPlanner:
    def plan(article: Article) -> list[NewAlert]:
        title = article.title
        about: dict[tuple[str, ...], bool] = {}  # hits share terms: test each tuple once

        def deep(hit: Hit) -> bool:
            found = about.get(hit.terms)
            if found is None:
                found = about[hit.terms] = any(t in title for t in hit.terms)
            return not found

        # A chat gets one alert per story, under the first of its topics listed here: prefer one
        # the title is about over one found deep in the text.
        hits = sorted(topics.match(Document(title, story_text(article))), key=deep)
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
