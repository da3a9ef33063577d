"""One story, normalised once and looked at by every candidate query.

Built eagerly with C-level passes over the story's words: the distinct words (most are their own
keys), and the few special words with other keys (plurals, accents, ё), each other key mapped to
one representative word (the smallest, so every path reports the same word). Phrases are verified
by finding a start word in the word list (a C-speed `list.index`).
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.match.base import Document
from bot.match.text import keys_of, prepare, scan


class Field:
    """The title or the body: its case-folded words in order, and how they were written."""

    __slots__ = ("maybe_special", "shown", "words")

    def __init__(self, text: str) -> None:
        # maybe_special: the words that may have keys other than themselves (plurals, accents, ё)
        self.words, self.shown, self.maybe_special = scan(prepare(text))

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
    __slots__ = ("body", "distinct", "special", "special_keys", "title")

    def __init__(self, doc: Document) -> None:
        self.title = title = Field(doc.title)
        self.body = body = Field(doc.body)
        distinct = set(title.words)
        distinct.update(body.words)
        self.distinct = distinct
        # Most words are their own keys: only the few the scan found may not be, so the memo of
        # keys is asked about those alone.
        maybe = set(title.maybe_special)
        maybe.update(body.maybe_special)
        self.special = sorted(w for w in maybe if keys_of(w) != (w, w))
        # the other keys the special words have, each → the word reported for it: a word that is
        # itself the key is reported as itself, else the smallest special word with that key
        special_keys: dict[str, str] = {}
        for w in self.special:
            for key in keys_of(w):
                if key not in distinct:
                    special_keys.setdefault(key, w)
        self.special_keys = special_keys

    def keys_present(self) -> set[str]:
        """Every key the story has."""
        return self.distinct | self.special_keys.keys()

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
        return key in self.distinct or key in self.special_keys

    def surface(self, key: str) -> str:
        """The one case-folded word reported for `key` (the same whichever way it was found)."""
        return key if key in self.distinct else self.special_keys[key]

    def written(self, folded: str) -> str:
        """A case-folded word of the story as the story wrote it: its first occurrence written
        otherwise (capitalised, say), title first, or else the word itself."""
        found = self.title.shown.get(folded)
        if found is None:
            found = self.body.shown.get(folded, folded)
        return found
