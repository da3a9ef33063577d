"""The two XML feed libraries, each turned into a `ParsedFeed`: fastfeedparser (`read_fast`) and
feedparser (`read_slow`). Which one's answer is taken is decided in `bot.ingest.trust`.

Both get UTF-8 bytes that *we* decoded (`charset.as_utf8`), never a str or URL: both would fetch a
string that looks like a URL. Safety: see `bot.ingest.parse`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import fastfeedparser
import feedparser

from bot.domain import FeedEntry, ParsedFeed
from bot.errors import FeedParseError
from bot.ingest.charset import as_utf8
from bot.ingest.fields import absolute, from_struct, nonempty, parse_date

__all__ = ["read_fast", "read_slow"]


def read_fast(text: str, source: str) -> ParsedFeed:
    """fastfeedparser's reading; raises ValueError (its verdict on XML it cannot read)."""
    raw = fastfeedparser.parse(as_utf8(text))
    feed = raw.get("feed") or {}
    base = absolute(source, nonempty(feed.get("link"))) or source
    entries = []
    for item in raw.get("entries") or ():
        published = parse_date(item.get("published") or item.get("updated"))
        entries.append(_entry(item, base, summary_key="description", published=published))
    return ParsedFeed(title=nonempty(feed.get("title")), link=base, entries=tuple(entries))


def read_slow(text: str, source: str, content_type: str | None) -> ParsedFeed:
    """feedparser's reading; raises FeedParseError when it finds no feed at all."""
    headers = {"content-location": source}
    # Keep the media type (feedparser reads text/html differently) but not the charset: the
    # bytes handed over are UTF-8 whatever the server claimed.
    media = (content_type or "application/xml").split(";", 1)[0].strip() or "application/xml"
    headers["content-type"] = f"{media}; charset=utf-8"
    raw = feedparser.parse(io.BytesIO(as_utf8(text)), response_headers=headers)
    if not raw.get("version") and not raw.get("entries"):
        reason = raw.get("bozo_exception") or "no feed elements found"
        raise FeedParseError(source, f"not a feed: {reason}")
    feed = raw.get("feed") or {}
    base = absolute(source, nonempty(feed.get("link"))) or source
    entries = []
    for item in raw.get("entries") or ():
        published = from_struct(item.get("published_parsed") or item.get("updated_parsed"))
        entries.append(_entry(item, base, summary_key="summary", published=published))
    return ParsedFeed(title=nonempty(feed.get("title")), link=base, entries=tuple(entries))


def _entry(
    item: Mapping[str, Any], base: str, *, summary_key: str, published: datetime | None
) -> FeedEntry:
    """One entry of either library's result; they differ only in the summary's key and how
    they hand over dates. An item without a link of its own links to its enclosure (a podcast
    episode's audio, a video): that is the item, and an alert with nothing to open helps no one."""
    bodies = [nonempty(c.get("value")) or "" for c in item.get("content") or () if c]
    bodies.append(nonempty(item.get(summary_key)) or "")
    return FeedEntry(
        guid=nonempty(item.get("id")),
        link=absolute(base, nonempty(item.get("link")) or _enclosure(item)),
        title=nonempty(item.get("title")) or "",
        summary_html=max(bodies, key=len).strip(),
        published=published,
    )


def _enclosure(item: Mapping[str, Any]) -> str | None:
    for enclosure in item.get("enclosures") or ():
        if isinstance(enclosure, Mapping):
            found = nonempty(enclosure.get("href")) or nonempty(enclosure.get("url"))
            if found:
                return found
    return None
