"""JSON Feed 1.0/1.1 text → `ParsedFeed`, with the stdlib.

feedparser 6 reads no JSON Feed, and it is a dozen fields we want to pick ourselves: integer ids,
content_html over content_text over summary, RFC 822 dates some publishers put there. An item's
`id` is never taken as its link (the spec: it may be a URL, but need not lead to the item).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.domain import FeedEntry, ParsedFeed
from bot.errors import FeedParseError
from bot.ingest.fields import absolute, nonempty, parse_date

__all__ = ["parse_json_feed"]


def parse_json_feed(text: str, source: str) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(source, f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError(source, "JSON is not a JSON Feed (no 'items' list)")
    base = absolute(source, nonempty(doc.get("home_page_url"))) or source
    entries = []
    for item in doc["items"]:
        if not isinstance(item, Mapping):
            continue
        guid = item.get("id")
        bodies = [nonempty(item.get(k)) or "" for k in ("content_html", "content_text", "summary")]
        entries.append(
            FeedEntry(
                guid=str(guid) if isinstance(guid, str | int) and str(guid) else None,
                link=absolute(
                    base, nonempty(item.get("url")) or nonempty(item.get("external_url"))
                ),
                title=nonempty(item.get("title")) or "",
                summary_html=next((b.strip() for b in bodies if b.strip()), ""),
                published=parse_date(item.get("date_published") or item.get("date_modified")),
            )
        )
    return ParsedFeed(title=nonempty(doc.get("title")), link=base, entries=tuple(entries))
