"""One story, normalised once and looked at by every candidate query.

Built eagerly, in one pass over the story's distinct words: each word's keys, and for every key
one representative word (the smallest, so every path reports the same word). Phrases are verified
by finding a start word in the word list (a C-speed `list.index`); the key → words map that needs
is built only when a phrase is verified.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.match.base import Document
from bot.match.text import SEEN, SPECIAL, keys_of, prepare, tokenise, written


class Field:
    """The title or the body: its case-folded words in order."""

    __slots__ = ("folded", "prepared", "words")

    def __init__(self, text: str) -> None:
        self.prepared = prepare(text)
        self.folded = self.prepared.casefold()
        self.words: list[str] = tokenise(self.folded)

    def starts(self, word: str) -> Iterator[int]:
        """Every position of `word`."""
        words = self.words
        i = -1
        while True:
            try:
                i = words.index(word, i + 1)
            except ValueError:
                return
            yield i


class Story:
    __slots__ = (
        "_written",
        "body",
        "distinct",
        "key_word",
        "special",
        "title",
    )

    def __init__(self, doc: Document) -> None:
        self.title = Field(doc.title)
        self.body = Field(doc.body)
        distinct = set(self.title.words)
        distinct.update(self.body.words)
        for w in distinct - SEEN:  # words never seen before: fold them once
            keys_of(w)
        self.distinct = distinct
        # Most words are their own key; the few that are not (plurals, accents, ё) are mapped
        # after, so a word that is itself the key is the one reported for it.
        key_word = dict(zip(distinct, distinct, strict=True))
        self.special = sorted(distinct & SPECIAL)
        for w in self.special:
            raw, derived = keys_of(w)
            key_word.setdefault(raw, w)
            key_word.setdefault(derived, w)
        self.key_word = key_word  # every key in the story → the word reported for it
        self._written: dict[str, str] = {}

    def words_with(self, key: str, *, exact: bool) -> list[str]:
        """The story's words whose raw key (or, unless `exact`, derived key) is `key`.

        A word that is not special has itself as both keys, so only `key` itself and the few
        special words can qualify: no map of every word by key is needed."""
        by_raw: list[str] = []
        by_derived: list[str] = []
        if key in self.distinct and key not in self.special:
            by_raw.append(key)
        for w in self.special:
            raw, derived = keys_of(w)
            if raw == key:
                by_raw.append(w)
            elif derived == key:
                by_derived.append(w)
        by_raw.sort()
        return by_raw if exact else by_raw + by_derived

    def keys(self, word: str) -> tuple[str, str]:
        return keys_of(word)

    def has(self, key: str) -> bool:
        return key in self.key_word

    def surface(self, key: str) -> str:
        """The one case-folded word reported for `key` (the same whichever way it was found)."""
        return self.key_word[key]

    def written(self, folded: str) -> str:
        """A case-folded word of the story as the story wrote it (title first)."""
        found = self._written.get(folded)
        if found is None:
            title = self.title
            field = title if folded in title.folded and folded in title.words else self.body
            found = self._written[folded] = written(field.prepared, field.folded, folded)
        return found
