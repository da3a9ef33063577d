"""A source URL that answers with an HTML page instead of a feed.

If the page advertises a feed (`<link rel="alternate" type="application/rss+xml|atom+xml|json">`),
the first one is read instead; otherwise the page is one story: its title, canonical URL and date
from the page's metadata, its extracted main text as the body (navigation, banners, captions,
related-story teasers, sidebars and footers left out; see `bot.ingest.extract`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.alerts.summary import summarise
from bot.domain import Article
from bot.errors import FeedParseError
from bot.ingest.extract import PageStory, decoded, feed_links, looks_like_html, page_story
from bot.ingest.fetch import FetchResult
from bot.ingest.normalise import to_article
from bot.ingest.parse import parse_feed

__all__ = ["article_from_page", "is_page", "read_page_source"]


def is_page(fetched: FetchResult) -> bool:
    return fetched.content is not None and looks_like_html(fetched.content, fetched.content_type)


def article_from_page(
    story: PageStory, *, source_url: str, source_name: str, fetched_at: datetime
) -> Article:
    return Article(
        # The same identity a feed item linking this URL gets, so the two are one story.
        key=hashlib.sha1(story.url.encode("utf-8")).hexdigest(),
        source_url=source_url,
        source_name=source_name,
        guid=None,
        url=story.url,
        title=story.title or story.url,
        summary=summarise(story.text),
        published=story.published or fetched_at,
        body=story.text,
    )


async def read_page_source(
    fetched: FetchResult,
    *,
    source_url: str,
    source_name: str,
    fetch: Callable[[str], Awaitable[FetchResult]],
    fetched_at: datetime,
) -> list[Article]:
    """The stories of a source whose URL gave the HTML page in `fetched`. `fetch` reads the feed
    the page advertises: the same (guarded or not) fetch that read the page."""
    content = fetched.content or b""
    links = feed_links(content, fetched.url)
    if links:
        feed_url = links[0]
        feed_fetch = await fetch(feed_url)
        if feed_fetch.content is None:
            return []
        feed = parse_feed(feed_fetch.content, source=feed_url, content_type=feed_fetch.content_type)
        return [
            a
            for e in feed.entries
            if (
                a := to_article(
                    e, source_url=source_url, source_name=source_name, fetched_at=fetched_at
                )
            )
            is not None
        ]
    page = decoded(content, fetched.content_type)
    story = await asyncio.to_thread(page_story, page, fetched.url)
    if story is None:
        raise FeedParseError(source_url, "an HTML page with no feed link and no article text in it")
    return [
        article_from_page(
            story, source_url=source_url, source_name=source_name, fetched_at=fetched_at
        )
    ]
