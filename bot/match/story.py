"""One story, normalised once and looked at by every candidate query.

Built eagerly: the distinct words and which words have each key (what the index looks up).
Phrases are verified by finding a start word in the word list (a C-speed `list.index`), so word
positions are never tabulated for the whole story.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.match.base import Document
from bot.match.text import WORD, keys_of, prepare, written


class Field:
    """The title or the body: its case-folded words in order."""

    __slots__ = ("folded", "prepared", "words")

    def __init__(self, text: str) -> None:
        self.prepared = prepare(text)
        self.folded = self.prepared.casefold()
        self.words: list[str] = WORD.findall(self.folded)

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
    __slots__ = ("_surface", "_written", "body", "by_derived", "by_raw", "title")

    def __init__(self, doc: Document) -> None:
        self.title = Field(doc.title)
        self.body = Field(doc.body)
        by_raw: dict[str, list[str]] = {}
        by_derived: dict[str, list[str]] = {}  # only where the derived key differs from the raw
        for w in {*self.title.words, *self.body.words}:
            raw, derived = keys_of(w)
            found = by_raw.get(raw)
            if found is None:
                by_raw[raw] = [w]
            else:
                found.append(w)
            if derived != raw:
                found = by_derived.get(derived)
                if found is None:
                    by_derived[derived] = [w]
                else:
                    found.append(w)
        self.by_raw = by_raw
        self.by_derived = by_derived
        self._surface: dict[str, str] = {}
        self._written: dict[str, str] = {}

    def has(self, key: str) -> bool:
        return key in self.by_raw or key in self.by_derived

    def surface(self, key: str) -> str:
        """The one case-folded word reported for `key` (the same whichever way it was found)."""
        found = self._surface.get(key)
        if found is None:
            found = self._surface[key] = min(
                [*self.by_raw.get(key, ()), *self.by_derived.get(key, ())]
            )
        return found

    def written(self, folded: str) -> str:
        """A case-folded word of the story as the story wrote it (title first)."""
        found = self._written.get(folded)
        if found is None:
            title = self.title
            field = title if folded in title.words else self.body
            found = self._written[folded] = written(field.prepared, field.folded, folded)
        return found
