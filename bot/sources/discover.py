"""Finding the feeds behind an address a chat user gave: the `SourceProbe` behind /addsource.

The address may be a feed itself, or a site's page: then its `<link rel="alternate">` feeds, or
failing those the usual paths (/feed, /rss, /atom.xml ...), each checked by fetching and parsing
it. Every fetch goes through the untrusted (guarded) fetch, one at a time.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.domain import FoundFeed
from bot.errors import FeedParseError, SourceError
from bot.ingest.fetch import FetchResult
from bot.ingest.parse import parse_feed
from bot.ingest.poll import ConditionalFetch

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
        "text/xml",
        "application/xml",
    }
)
COMMON_PATHS = ("/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml", "/index.xml")
MAX_CANDIDATES = 5  # links from one page that are checked; a page may list hundreds


class _FeedLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # href, title

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and values.get("href", "").strip():
            self.links.append((values["href"].strip(), values.get("title", "").strip()))


def _looks_like_html(result: FetchResult) -> bool:
    kind = (result.content_type or "").lower()
    if "html" in kind:
        return True
    head = (result.content or b"")[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


class FeedProbe:
    def __init__(self, fetch: ConditionalFetch) -> None:
        self._fetch = fetch

    async def probe(self, url: str) -> list[FoundFeed]:
        """The feeds at `url`; [] if none. Raises SourceError (with a readable reason) if `url`
        itself cannot be fetched."""
        page = await self._fetch(url)
        if not _looks_like_html(page):
            feed = self._as_feed(page)
            if feed is not None:
                return [feed]
        found: list[FoundFeed] = []
        for href, title in self._links(page)[:MAX_CANDIDATES]:
            feed = await self._check(urljoin(page.url, href), title)
            if feed is not None and feed.url not in {f.url for f in found}:
                found.append(feed)
        if found:
            return found
        parts = urlsplit(page.url)
        for path in COMMON_PATHS:
            feed = await self._check(urlunsplit((parts.scheme, parts.netloc, path, "", "")), "")
            if feed is not None:
                found.append(feed)
        return found

    def _links(self, page: FetchResult) -> list[tuple[str, str]]:
        if not page.content:
            return []
        parser = _FeedLinks()
        try:
            parser.feed(page.content.decode("utf-8", errors="replace"))
            parser.close()
        except (AssertionError, ValueError):  # HTMLParser on hostile markup
            pass
        return parser.links

    async def _check(self, url: str, title: str) -> FoundFeed | None:
        try:
            result = await self._fetch(url)
        except SourceError:
            return None
        if _looks_like_html(result):
            return None
        feed = self._as_feed(result)
        if feed is None:
            return None
        return FoundFeed(
            feed.url, feed.title if feed.title != _host(feed.url) else title or feed.title
        )

    def _as_feed(self, result: FetchResult) -> FoundFeed | None:
        if not result.content:
            return None
        try:
            parsed = parse_feed(result.content, source=result.url, content_type=result.content_type)
        except FeedParseError:
            return None
        if parsed.title is None and not parsed.entries:
            return None  # some XML, but nothing of a feed in it
        title = " ".join((parsed.title or "").split())[:100] or _host(result.url)
        return FoundFeed(result.url, title)
