"""First matcher: a topic is a phrase that must appear as whole consecutive words.

Case, accents on Latin letters, punctuation, hyphens and English plurals are ignored on both sides
(see `bot.match.text`). The full query language replaces this module wholesale through the
`Matcher` protocol in `base.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import TopicError
from bot.match.base import Document, Hit, Query
from bot.match.text import tokens, words

MAX_TOPIC_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    words: tuple[str, ...]

    @property
    def key(self) -> str:
        return " ".join(self.words)


class PhraseIndex:
    """Phrases grouped by first word: a story only checks phrases that can start on its words."""

    def __init__(self, queries: Iterable[tuple[int, Query]]) -> None:
        self._by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        for query_id, query in queries:
            phrase_words = tuple(query.key.split())
            if phrase_words:
                self._by_first[phrase_words[0]].append((query_id, phrase_words))

    def match(self, doc: Document) -> list[Hit]:
        found: dict[int, list[str]] = {}
        for text in (doc.title, doc.body):
            nfc, toks = tokens(text)
            folded = [f for f, _, _ in toks]
            for i, word in enumerate(folded):
                for query_id, phrase in self._by_first.get(word, ()):
                    if tuple(folded[i : i + len(phrase)]) == phrase:
                        written = nfc[toks[i][1] : toks[i + len(phrase) - 1][2]]
                        terms = found.setdefault(query_id, [])
                        if written not in terms:
                            terms.append(written)
        return [Hit(query_id, tuple(terms)) for query_id, terms in found.items()]


class PhraseMatcher:
    def parse(self, topic: str) -> Phrase:
        text = " ".join(topic.split())
        if len(text) > MAX_TOPIC_LENGTH:
            raise TopicError(
                f"A topic can be at most {MAX_TOPIC_LENGTH} characters; this one has {len(text)}.",
                position=MAX_TOPIC_LENGTH,
            )
        phrase_words = tuple(words(text))
        if not phrase_words:
            raise TopicError("A topic needs at least one word, e.g. /subscribe Sumy Oblast.")
        return Phrase(text=text, words=phrase_words)

    def index(self, queries: Iterable[tuple[int, Query]]) -> PhraseIndex:
        return PhraseIndex(queries)
