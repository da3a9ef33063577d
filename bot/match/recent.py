"""An in-memory inverted index of recent stories, for `/latest TOPIC` and `/test QUERY`.

Stories are numbered in the order they arrive (newest has the highest number); each word key
points to the numbers of the stories that have it, in arrays of machine integers (8 bytes a
posting). A query is answered by set algebra on the postings of its words (with all their
forms): a query decided by which words a story has (`Kyiv`, `drone AND Kyiv NOT exercise`) needs
nothing else; any other (phrases, `title:`) evaluates only the stories that have all its words,
newest first.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Article
from bot.match.base import Document, Query
from bot.match.compile import CompiledQuery, Term, WordClass
from bot.match.plan import ONE, PRESENCE, as_compiled, kind_of
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
            for key in story.keys_present():
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

    def _class_postings(self, c: WordClass) -> set[int]:
        found: set[int] = set()
        for form in c.forms:
            found.update(self._postings.get(form, ()))
        return found

    def _term_postings(self, term: Term) -> set[int]:
        """Stories that have every word of one of the term's alternatives (a superset of the
        stories where the term occurs, exact for a term of single words)."""
        found: set[int] = set()
        for alt in term.alternatives:
            sets = sorted((self._class_postings(c) for c in alt), key=len)
            found |= sets[0].intersection(*sets[1:])
        return found

    def _candidates(self, query: CompiledQuery, exact: bool) -> set[int]:
        """With `exact` (a query decided by which words a story has), exactly the matches."""
        found: set[int] = set()
        for group in query.groups:
            sets = sorted((self._term_postings(t) for t in group.positive), key=len)
            stories = sets[0].intersection(*sets[1:])
            if exact:
                for term in group.negative:
                    stories -= self._term_postings(term)
            found |= stories
        return found

    def search(
        self, query: Query, *, limit: int, since: datetime | None = None, count: bool = False
    ) -> SearchResult:
        """The `limit` newest stories (published after `since`) that match, newest first.

        With `count`, also counts every match. A query decided by which words a story has is
        answered from the postings alone; others evaluate the stories that have all their
        words, newest first."""
        compiled = as_compiled(query)
        exact = kind_of(compiled) in (ONE, PRESENCE)
        found: list[Found] = []
        total = 0
        for n in sorted(self._candidates(compiled, exact), reverse=True):
            article = self._articles.get(n)
            if article is None or (since is not None and article.published < since):
                continue
            if len(found) >= limit:
                if not count:
                    break
                if exact:
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
