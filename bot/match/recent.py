"""An in-memory inverted index of recent stories, for `/latest TOPIC` and `/test QUERY`.

Stories are numbered in the order they arrive (newest has the highest number); each word key
points to the numbers of the stories that have it, in arrays of machine integers (8 bytes a
posting). A query looks up the postings of the same anchors the percolator indexes it under,
newest first, and evaluates only those stories, so answering is proportional to the stories
that share the query's rarest word, not to the stories stored.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Article
from bot.match.base import Document, Query
from bot.match.compile import CompiledQuery
from bot.match.engine import as_compiled, group_anchors, is_direct
from bot.match.story import Story

RECENT_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Found:
    article: Article
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    count: int  # stories matched (only counted when asked for: see `search`)
    newest: tuple[Found, ...]


class RecentStories:
    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self._limit = limit
        self._articles: dict[int, Article] = {}
        self._seen: set[str] = set()
        self._postings: dict[str, array[int]] = {}
        self._next = 0
        self._stale = 0

    def __len__(self) -> int:
        return len(self._articles)

    def add(self, articles: Iterable[Article]) -> None:
        """Add stories oldest first; a story already held is skipped; the oldest are evicted."""
        for article in articles:
            if article.key in self._seen:
                continue
            n = self._next
            self._next += 1
            self._articles[n] = article
            self._seen.add(article.key)
            postings = self._postings
            story = Story(Document(article.title, article.summary))
            for key in (*story.by_raw, *story.by_derived):
                found = postings.get(key)
                if found is None:
                    postings[key] = array("q", (n,))
                else:
                    found.append(n)
            if len(self._articles) > self._limit:
                oldest = n - self._limit
                gone = self._articles.pop(oldest, None)
                if gone is not None:
                    self._seen.discard(gone.key)
                    self._stale += 1
        if self._stale > self._limit:
            self._compact()

    def _compact(self) -> None:
        floor = self._next - self._limit
        for key in list(self._postings):
            kept = array("q", (n for n in self._postings[key] if n >= floor))
            if kept:
                self._postings[key] = kept
            else:
                del self._postings[key]
        self._stale = 0

    def _candidates(self, query: CompiledQuery) -> list[int]:
        numbers: set[int] = set()
        for group in query.groups:
            for anchor in group_anchors(group):
                for form in anchor.forms:
                    numbers.update(self._postings.get(form, ()))
        return sorted(numbers, reverse=True)

    def search(
        self, query: Query, *, limit: int, since: datetime | None = None, count: bool = False
    ) -> SearchResult:
        """The `limit` newest stories (published after `since`) that match, newest first.

        With `count`, also counts every match (evaluating every candidate; a one-word topic is
        counted from its postings without evaluation)."""
        compiled = as_compiled(query)
        direct = is_direct(compiled)
        found: list[Found] = []
        total = 0
        for n in self._candidates(compiled):
            article = self._articles.get(n)
            if article is None or (since is not None and article.published < since):
                continue
            if len(found) >= limit:
                if not count:
                    break
                if direct:
                    total += 1
                    continue
            terms = compiled.evaluate(Story(Document(article.title, article.summary)))
            if terms is None:
                continue
            total += 1
            if len(found) < limit:
                found.append(Found(article, terms))
        found.sort(key=lambda f: f.article.published, reverse=True)
        return SearchResult(total, tuple(found))
