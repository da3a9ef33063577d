"""The table from word key to word class: a dict, or its C twin that looks up many keys at once.

A story's distinct words (~350) are all looked up in a table of hundreds of thousands of keys.
In a dict those look-ups are chains of cache misses paid one after another; the C `KeyTable`
(`_speedups.c`) takes the whole list in one call and overlaps them, several times faster at a
million topics. `KeyTableReference` is its specification, and the fallback where the extension
was not built."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat


class KeyTableReference(dict[str, int]):
    def get_many(self, keys: Sequence[str], default: int, /) -> list[int]:
        """`[self.get(k, default) for k in keys]`."""
        return list(map(self.get, keys, repeat(default)))


try:
    from bot.match._speedups import KeyTable as KeyTable
except ImportError:  # built without a C compiler: the same, slower
    KeyTable = KeyTableReference  # type: ignore[misc,assignment]
