"""One story, normalised once and looked at by every candidate query.

The cheap part (the set of keys in the story) is built eagerly; word positions, needed only to
verify phrases, are built on first use.
"""

from __future__ import annotations

from bot.match.base import Document
from bot.match.text import WORD, keys_of, prepare, written


class Field:
    """The title or the body: its words in order and, on demand, where each key occurs."""

    __slots__ = ("_derived_pos", "_raw_pos", "folded", "keys", "prepared", "words")

    def __init__(self, text: str) -> None:
        self.prepared = prepare(text)
        self.folded = self.prepared.casefold()
        self.words: list[str] = WORD.findall(self.folded)
        self.keys: list[tuple[str, str]] | None = None
        self._raw_pos: dict[str, list[int]] | None = None
        self._derived_pos: dict[str, list[int]] = {}

    def positions(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """(raw key → positions, derived key → positions where it differs from the raw key)."""
        if self._raw_pos is None:
            self.keys = [keys_of(w) for w in self.words]
            raw_pos: dict[str, list[int]] = {}
            derived_pos: dict[str, list[int]] = {}
            for i, (raw, derived) in enumerate(self.keys):
                raw_pos.setdefault(raw, []).append(i)
                if derived != raw:
                    derived_pos.setdefault(derived, []).append(i)
            self._raw_pos, self._derived_pos = raw_pos, derived_pos
        return self._raw_pos, self._derived_pos


class Story:
    __slots__ = ("_written", "body", "surface", "title")

    def __init__(self, doc: Document) -> None:
        self.title = Field(doc.title)
        self.body = Field(doc.body)
        # key → the first case-folded word that has it; the keys of the whole story
        surface: dict[str, str] = {}
        for w in {*self.title.words, *self.body.words}:
            raw, derived = keys_of(w)
            if raw not in surface or w < surface[raw]:
                surface[raw] = w
            if derived != raw and (derived not in surface or w < surface[derived]):
                surface[derived] = w
        self.surface = surface
        self._written: dict[str, str] = {}

    def written(self, folded: str) -> str:
        """A case-folded word of the story as the story wrote it (title first)."""
        found = self._written.get(folded)
        if found is None:
            for f in (self.title, self.body):
                if folded in f.words:
                    found = written(f.prepared, f.folded, folded)
                    break
            else:
                found = folded
            self._written[folded] = found
        return found
