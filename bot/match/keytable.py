"""The table from word key to word class: a dict, or its C twin that looks up many keys at once.

A story's words (~600) are all looked up in a table of hundreds of thousands of keys. In a dict
those look-ups are chains of cache misses paid one after another; the C `KeyTable`
(`speedups_c/keytable.c`) takes the whole list in one call and overlaps them, several times
faster at a million topics. `KeyTableReference` is its specification, and the fallback where the
extension was not built."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from itertools import pairwise, repeat

from bot.match import speedups

# The value of a key that is in several classes (the index keeps their list beside the table).
SEVERAL = -2


class KeyTableReference(dict[str, int]):
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
        for keys in fields:
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


KeyTable = KeyTableReference
if speedups.wanted():
    # built without a C compiler: the same, slower
    with contextlib.suppress(ImportError):
        from bot.match._speedups import KeyTable as KeyTable  # type: ignore[assignment]
