"""A story's word classes, found through the key table, and the story words in each.

One call to the key table (`KeyTable.classes_and_pairs`) maps every word of the story to its
class, pairs neighbours for phrases, and names each class's words; the few words the table cannot
answer alone are added here: keys in several classes (listed beside the table), and the other
keys of special words (plurals, accents, ё). So the words a class has in the story are known from
the story's side, without reading the class's forms (which, for a Ukrainian word, are dozens of
strings scattered in memory).
"""

from __future__ import annotations

from itertools import compress

from bot.match.keytable import SEVERAL, KeyTable
from bot.match.story import Story
from bot.match.text import keys_of


class StoryClasses:
    """`cids`: the classes the story has. `odd`: its words in several classes, and its words with
    other keys, each with all their classes (see `KeyTable.odd_pairs`). `pairs`: the `pair_key` of
    every two adjacent words that are not odd where the first word's class begins a phrase.
    `first`: each class with its first word in the story; `not_one`: the classes that have words
    besides that one (so a class's one word, where it has one, is `first[cid]` when
    `cid not in not_one`)."""

    __slots__ = ("_extra", "_more", "cids", "first", "not_one", "odd", "pairs")

    def __init__(
        self,
        story: Story,
        key_cid: KeyTable,
        key_cids: dict[str, list[int]],
        firsts: bytes | bytearray,
    ) -> None:
        """`firsts`: a flag per class, set where the class begins some phrase."""
        fields = (story.title.words, story.body.words)
        cids, self.pairs, self.first, several, self._more = key_cid.classes_and_pairs(
            fields, firsts
        )
        # class → story words the table's answer for the fields leaves out
        extra: dict[int, list[str]] = {}
        special_keys = story.special_keys
        if special_keys:
            keys = list(special_keys)
            found = key_cid.get_many(keys, -1)
            for key, cid in zip(keys, found, strict=True):
                if cid >= 0:
                    extra.setdefault(cid, []).append(special_keys[key])
            cids.update(found)
            cids.difference_update((-1, SEVERAL))
            several.update(compress(keys, map(SEVERAL.__eq__, found)))
        odd: dict[str, list[int]] = {}
        for k in several:
            in_classes = odd[k] = key_cids[k]
            cids.update(in_classes)
            word = k if k in story.distinct else special_keys[k]
            for cid in in_classes:
                extra.setdefault(cid, []).append(word)
        for w in story.special:
            raw, derived = keys_of(w)
            both = _cids_of_key(raw, key_cid, key_cids)
            if derived != raw:
                both = [*both, *_cids_of_key(derived, key_cid, key_cids)]
            if both:
                odd[w] = both
            else:
                odd.pop(w, None)
        self.cids = cids
        self.odd = odd
        self._extra = extra
        self.not_one = self._more.keys() | extra.keys()

    def words(self, cid: int) -> set[str]:
        """The story's words in class `cid` (case-folded; for another key, the special word
        that has it)."""
        found = set(self._more.get(cid, ()))
        word = self.first.get(cid)
        if word is not None:
            found.add(word)
        found.update(self._extra.get(cid, ()))
        return found


class ClassTerms(dict[int, tuple[str, ...]]):
    """Class → the story's words in it as the story wrote them, sorted: what a hit on the class
    shows, made once a story and shared by every hit on it (a popular word is in a one-word topic
    and many boolean ones). The classes of one word, most of them, are made all at once by
    C-level passes; a class of several words when it is first asked for."""

    __slots__ = ("_found", "_story")

    def __init__(self, story: Story, found: StoryClasses) -> None:
        first = found.first
        shown = story.body.shown | story.title.shown  # as `Story.written`: the title's first
        words = first.values()
        # zip of one iterable: the 1-tuples (word as written,)
        super().__init__(
            zip(first.keys(), zip(map(shown.get, words, words), strict=True), strict=True)
        )
        for cid in found.not_one:
            self.pop(cid, None)
        self._story = story
        self._found = found

    def __missing__(self, cid: int) -> tuple[str, ...]:
        terms = self[cid] = tuple(sorted(map(self._story.written, self._found.words(cid))))
        return terms


def _cids_of_key(key: str, key_cid: KeyTable, key_cids: dict[str, list[int]]) -> list[int]:
    found = key_cids.get(key)
    if found is not None:
        return found
    cid = key_cid.get(key)
    return [] if cid is None else [cid]
