"""The entries filed under one anchor (a word class, or a pair of them), in a dict of buckets.

Most anchors have one entry: a tuple of one is ~40 bytes smaller than a list, which adds up over a
few hundred thousand anchors at a million topics; a bucket that grows past a few becomes a list,
so adding to a popular anchor stays O(1).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeAlias, TypeVar

E = TypeVar("E")
K = TypeVar("K", bound=Hashable)
Bucket: TypeAlias = tuple[E, ...] | list[E]
SMALL = 8


def put(table: dict[K, Bucket[E]], anchor: K, entry: E) -> None:
    bucket = table.get(anchor, ())
    if isinstance(bucket, list):
        bucket.append(entry)
    elif len(bucket) < SMALL:
        table[anchor] = (*bucket, entry)
    else:
        table[anchor] = [*bucket, entry]


def drop(table: dict[K, Bucket[E]], anchor: K, entry: E) -> None:
    bucket: Bucket[E] = table[anchor]
    if isinstance(bucket, list):
        bucket.remove(entry)
    else:
        bucket = tuple(e for e in bucket if e is not entry)
        table[anchor] = bucket
    if not bucket:
        del table[anchor]
