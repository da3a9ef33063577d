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

from bot.alerts.same_story import StoryPrint, best_match, story_print
from bot.alerts.summary import summarise_about
from bot.domain import Article
from bot.errors import SourceError, TopicError, UnsafeURL
from bot.ingest.fetch import Fetcher, FetchResult, make_client, make_guarded_client, read_local
from bot.ingest.normalise import to_article
from bot.ingest.pages import is_page, read_page_source
from bot.ingest.parse import parse_feed
from bot.ingest.poll import story_text
from bot.match.base import Document, Matcher, Query
from bot.match.query import show_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Finding:
    topic: str
    article: Article
    terms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # every source that carried the story, first one first

    def as_json(self) -> dict[str, object]:
        a = self.article
        return {
            "topic": self.topic,
            "title": a.title,
            "url": a.url,
            "summary": summarise_about(a.title, a.body or a.summary, self.terms),
            "source": a.source_name,
            "published": a.published.isoformat(),
            "sources": list(self.sources or (a.source_name,)),
        }


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def read_articles(
    source: str, fetcher: Fetcher, now: datetime, *, untrusted: bool = False
) -> list[Article]:
    fetched: FetchResult
    if untrusted:
        if not _is_url(source):
            raise UnsafeURL(source, "only http and https URLs are allowed")
        fetched = await fetcher.fetch(source, untrusted=True)
    else:
        fetched = await fetcher.fetch(source) if _is_url(source) else read_local(source)
    if fetched.content is None:
        return []
    if is_page(fetched):

        async def fetch(url: str) -> FetchResult:
            return await fetcher.fetch(url, untrusted=untrusted)

        return await read_page_source(
            fetched, source_url=source, source_name=source, fetch=fetch, fetched_at=now
        )
    feed = parse_feed(fetched.content, source=source, content_type=fetched.content_type)
    name = feed.title or source
    return [
        a
        for e in feed.entries
        if (a := to_article(e, source_url=source, source_name=name, fetched_at=now)) is not None
    ]


@dataclass
class _Story:
    """The reports of one story across the sources read, first one first."""

    reports: list[Article]
    print_: StoryPrint

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.source_name for a in self.reports))


def _stories(articles: Sequence[Article]) -> list[_Story]:
    """Group the articles into stories: the same canonical URL, or a near-identical report."""
    stories: list[_Story] = []
    by_url: dict[str, _Story] = {}
    for article in articles:
        found = by_url.get(article.url) if article.url else None
        if found is None:
            mine = story_print(article.title, article.summary or article.body, article.published)
            best = best_match(mine, ((i, s.print_) for i, s in enumerate(stories)))
            if best is None:
                found = _Story([], mine)
                stories.append(found)
            else:
                found = stories[best]
        found.reports.append(article)
        if article.url:
            by_url.setdefault(article.url, found)
    return stories


async def check(
    sources: Sequence[str],
    topics: Sequence[str],
    *,
    matcher: Matcher,
    out: TextIO,
    err: TextIO,
    as_json: bool,
    untrusted: bool = False,
) -> int:
    """Returns the exit status: 0, or 1 when any source could not be read. Prints one finding per
    (topic, story), once every source is read, so each names all the sources that carried it.

    `untrusted`: read each source as if a chat user had added it, through the guard."""
    queries: list[tuple[int, Query]] = []
    for i, topic in enumerate(topics):
        try:
            queries.append((i, matcher.parse(topic)))
        except TopicError as e:  # say which topic, and where in it
            shown = show_error(" ".join(topic.split()), e, example='--topic "{}"')
            raise TopicError(f"{topic!r}: {shown}", position=e.position) from e
    index = matcher.index(queries)
    status = 0
    now = datetime.now(UTC)
    articles: list[Article] = []
    async with make_client() as client, make_guarded_client() as guarded:
        fetcher = Fetcher(client, untrusted_client=guarded)
        for source in sources:
            try:
                read = await read_articles(source, fetcher, now, untrusted=untrusted)
            except SourceError as e:
                print(f"newsbot: cannot read {source}: {e.reason}", file=err)
                status = 1
                continue
            print(f"newsbot: read {_stories_count(len(read))} from {source}", file=err)
            articles.extend(read)
    matched = [0] * len(queries)
    for story in _stories(articles):
        done: set[int] = set()
        for article in story.reports:
            for hit in index.match(Document(article.title, story_text(article))):
                if hit.query_id in done:
                    continue
                done.add(hit.query_id)
                matched[hit.query_id] += 1
                topic = queries[hit.query_id][1].text
                _print(Finding(topic, article, hit.terms, story.sources), out, as_json)
    # On stderr, so that "nothing matched" is said, and the findings on stdout stay clean.
    for (_, query), count in zip(queries, matched, strict=True):
        print(f"newsbot: “{query.text}” matched {_stories_count(count)}", file=err)
    return status


def _stories_count(n: int) -> str:
    return f"{n} stor{'y' if n == 1 else 'ies'}"


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
    if len(finding.sources) > 1:
        print(f"  Also: {', '.join(finding.sources[1:])}", file=out)
