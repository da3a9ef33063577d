"""The table from word key to word class: a dict, or its C twin that looks up many keys at once.

A story's distinct words (~350) are all looked up in a table of hundreds of thousands of keys.
In a dict those look-ups are chains of cache misses paid one after another; the C `KeyTable`
(`_speedups.c`) takes the whole list in one call and overlaps them, several times faster at a
million topics. `KeyTableReference` is its specification, and the fallback where the extension
was not built."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from itertools import pairwise, repeat

from bot.match import speedups


class KeyTableReference(dict[str, int]):
    def get_many(self, keys: Sequence[str], default: int, /) -> list[int]:
        """`[self.get(k, default) for k in keys]`."""
        return list(map(self.get, keys, repeat(default)))

    def classes_and_pairs(
        self, fields: Sequence[Sequence[str]], firsts: bytes | bytearray, /
    ) -> tuple[set[int], set[int]]:
        """The values of the keys in `fields` (a story's title and body words), and the pair
        `a << 32 | b` of every two adjacent keys of a field with values a and b where
        `firsts[a]` is set (a class that begins some phrase: see `pairs.py`)."""
        cids: set[int] = set()
        pairs: set[int] = set()
        for words in fields:
            found = self.get_many(words, -1)
            cids.update(found)
            for a, b in pairwise(found):
                if a >= 0 and b >= 0 and a < len(firsts) and firsts[a]:
                    pairs.add(a << 32 | b)
        cids.discard(-1)
        return cids, pairs


KeyTable = KeyTableReference
if speedups.wanted():
    # built without a C compiler: the same, slower
    with contextlib.suppress(ImportError):
        from bot.match._speedups import KeyTable as KeyTable  # type: ignore[assignment]
