"""The table from word key to word class: a dict, or its C twin that looks up many keys at once.

A story's words (~600) are all looked up in a table of hundreds of thousands of keys. In a dict
those look-ups are chains of cache misses paid one after another; the C `KeyTable`
(`speedups_c/keytable.c`) takes the whole list in one call and overlaps them, several times
faster at a million topics. `KeyTableReference` is its specification, and the fallback where the
extension was not built."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from itertools import compress, count, pairwise, repeat
from operator import index

from bot.match import speedups

# The value of a key that is in several classes (the index keeps their list beside the table).
SEVERAL = -2
# A value is a class id, SEVERAL or another small int, so that two class ids make a pair
# `a << 32 | b`; a class id is at most CLASS_MAX.
VALUE_MIN, VALUE_MAX = -(2**31), 2**31 - 1
CLASS_MAX = VALUE_MAX


class KeyTableReference(dict[str, int]):
    """The specification of the C `KeyTable`, including what it does with unusual input: a value
    goes through `__index__` and must be in VALUE_MIN..VALUE_MAX (OverflowError), a class id in
    `odd` must be an int in 0..CLASS_MAX (ValueError), and a method reads its `fields` once,
    before it looks at anything else. A key that is a str subclass is read as its text."""

    def __setitem__(self, key: str, value: int) -> None:
        value = index(value)
        if not VALUE_MIN <= value <= VALUE_MAX:
            raise OverflowError("a KeyTable value is an int in -2**31..2**31-1")
        if not isinstance(key, str):
            raise TypeError("KeyTable keys are str")
        super().__setitem__(key, value)

    def get_many(self, keys: Sequence[str], default: int, /) -> list[int]:
        """`[self.get(k, default) for k in keys]`."""
        return list(map(self.get, keys, repeat(default)))

    def classes_and_pairs(
        self, fields: Sequence[Sequence[str]], firsts: bytes | bytearray, /
    ) -> tuple[set[int], set[int], dict[int, str], set[str], dict[int, list[str]]]:
        """For a story's title and body words (`fields`): the values (≥ 0) of its keys; the pair
        `a << 32 | b` of every two adjacent keys of a field with values a and b where
        `firsts[a]` is set (a class that begins some phrase: see `pairs.py`); each value with
        the first key that has it; the keys whose value is `SEVERAL`; and each value that
        several different keys have with the others, in order."""
        words: dict[int, str] = {}
        more: dict[int, list[str]] = {}
        pairs: set[int] = set()
        several: set[str] = set()
        for keys in list(fields):
            found = self.get_many(keys, -1)
            for cid, key in zip(found, keys, strict=True):
                if cid >= 0:
                    first = words.setdefault(cid, key)
                    if key != first and key not in more.get(cid, ()):
                        more.setdefault(cid, []).append(key)
                elif cid == SEVERAL:
                    several.add(key)
            for a, b in pairwise(found):
                if a >= 0 and b >= 0 and a < len(firsts) and firsts[a]:
                    pairs.add(a << 32 | b)
        return set(words), pairs, words, several, more

    def odd_pairs(
        self, fields: Sequence[list[str]], odd: dict[str, list[int]], pairs: set[int], /
    ) -> None:
        """Add to `pairs`, at every place in `fields` where a word of `odd` stands (its value:
        the word's classes), the pair `a << 32 | b` of each class a of the word before it and
        each class b of it, and of each class of it and each class of the word after it. A
        word's classes are its list in `odd`, else its value here where that is ≥ 0."""
        for words in _fields(fields):
            last = len(words) - 1
            for i in compress(count(), map(odd.__contains__, words)):
                for at in (i - 1, i):  # the pair the odd word ends, and the one it begins
                    if at < 0 or at == last:
                        continue
                    for a in self._classes_of(words[at], odd):
                        for b in self._classes_of(words[at + 1], odd):
                            pairs.add(a << 32 | b)

    def adjacent(
        self,
        fields: Sequence[list[str]],
        starts: set[str],
        odd: dict[str, list[int]],
        a: int,
        b: int,
        /,
    ) -> list[tuple[str, str]]:
        """Each two adjacent words of a field, in order, where the first is in `starts` and has
        class a, and the second has class b (classes as in `odd_pairs`)."""
        a, b = index(a), index(b)
        return [
            (w, after)
            for words in _fields(fields)
            for w, after in pairwise(words)
            if w in starts and a in self._classes_of(w, odd) and b in self._classes_of(after, odd)
        ]

    def _classes_of(self, word: str, odd: dict[str, list[int]]) -> Sequence[int]:
        found = odd.get(word)
        if found is not None:
            if not isinstance(found, list):
                raise TypeError("odd maps a word to a list of class ids")
            classes = [index(c) for c in tuple(found)]
            if not all(0 <= c <= CLASS_MAX for c in classes):
                raise ValueError("a class id is an int in 0..2**31-1")
            return classes
        cid = self.get(word, -1)
        return () if cid < 0 else (cid,)


def _fields(fields: Iterable[list[str]]) -> list[list[str]]:
    """The fields, read once, each a list (of str: the C twin checks that, this one does not)."""
    read = list(fields)
    if not all(isinstance(words, list) for words in read):
        raise TypeError("a field is a list of str")
    return read


KeyTable = KeyTableReference
if speedups.wanted():
    # built without a C compiler: the same, slower
    with contextlib.suppress(ImportError):
        from bot.match._speedups import KeyTable as KeyTable  # type: ignore[assignment]
