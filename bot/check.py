"""`newsbot check`: read sources once and show what each topic would be alerted about.

Nothing is stored or sent. Used by operators to try a feed and a topic before configuring them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from bot.alerts.summary import summarise
from bot.domain import Article
from bot.errors import SourceError, TopicError
from bot.ingest.fetch import Fetcher, FetchResult, make_client, read_local
from bot.ingest.normalise import to_article
from bot.ingest.parse import parse_feed
from bot.match.base import Document, Matcher, Query
from bot.match.query import show_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Finding:
    topic: str
    article: Article

    def as_json(self) -> dict[str, str]:
        a = self.article
        return {
            "topic": self.topic,
            "title": a.title,
            "url": a.url,
            "summary": summarise(a.summary),
            "source": a.source_name,
            "published": a.published.isoformat(),
        }


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def read_articles(source: str, fetcher: Fetcher, now: datetime) -> list[Article]:
    fetched: FetchResult = await fetcher.fetch(source) if _is_url(source) else read_local(source)
    if fetched.content is None:
        return []
    feed = parse_feed(fetched.content, source=source, content_type=fetched.content_type)
    name = feed.title or source
    return [
        a
        for e in feed.entries
        if (a := to_article(e, source_url=source, source_name=name, fetched_at=now)) is not None
    ]


async def check(
    sources: Sequence[str],
    topics: Sequence[str],
    *,
    matcher: Matcher,
    out: TextIO,
    err: TextIO,
    as_json: bool,
) -> int:
    """Returns the exit status: 0, or 1 when any source could not be read."""
    queries: list[tuple[int, Query]] = []
    for i, topic in enumerate(topics):
        try:
            queries.append((i, matcher.parse(topic)))
        except TopicError as e:  # say which topic, and where in it
            shown = show_error(" ".join(topic.split()), e)
            raise TopicError(f"{topic!r}: {shown}", position=e.position) from e
    index = matcher.index(queries)
    seen: set[tuple[int, str]] = set()
    status = 0
    now = datetime.now(UTC)
    async with make_client() as client:
        fetcher = Fetcher(client)
        for source in sources:
            try:
                articles = await read_articles(source, fetcher, now)
            except SourceError as e:
                print(f"newsbot: cannot read {source}: {e.reason}", file=err)
                status = 1
                continue
            for article in articles:
                for hit in index.match(Document(article.title, article.summary)):
                    if (hit.query_id, article.key) in seen:
                        continue
                    seen.add((hit.query_id, article.key))
                    _print(Finding(queries[hit.query_id][1].text, article), out, as_json)
    return status


def _print(finding: Finding, out: TextIO, as_json: bool) -> None:
    if as_json:
        print(json.dumps(finding.as_json(), ensure_ascii=False), file=out)
        return
    data = finding.as_json()
    print(f"[{data['topic']}] {data['title']}", file=out)
    print(f"  {data['source']} · {data['published']}", file=out)
    print(f"  {data['url']}", file=out)
    if data["summary"]:
        print(f"  {data['summary']}", file=out)
