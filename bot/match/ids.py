"""Subscription id → a value, in a sorted array of machine integers and a list beside it.

A million subscriptions in a dict cost ~75 bytes each (an int object for the key, and the slot);
here they cost 16. Ids come from the database in ascending order, so building is a run of appends;
an id added out of order, or removed, moves the tail of the arrays (one memmove, ~1 ms at a
million): subscribing and unsubscribing happen at the pace of people typing.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Generic, TypeVar

V = TypeVar("V")


class IdMap(Generic[V]):
    __slots__ = ("_ids", "_values")

    def __init__(self) -> None:
        self._ids: array[int] = array("q")
        self._values: list[V] = []

    def __len__(self) -> int:
        return len(self._ids)

    def _find(self, key: int) -> int:
        """The position of `key`, or -1."""
        ids = self._ids
        if not ids or key > ids[-1]:  # a new subscription: the common case while building
            return -1
        i = bisect_left(ids, key)
        return i if ids[i] == key else -1

    def get(self, key: int) -> V | None:
        i = self._find(key)
        return None if i < 0 else self._values[i]

    def set(self, key: int, value: V) -> None:
        ids = self._ids
        if not ids or key > ids[-1]:
            ids.append(key)
            self._values.append(value)
            return
        i = bisect_left(ids, key)
        if i < len(ids) and ids[i] == key:
            self._values[i] = value
        else:
            ids.insert(i, key)
            self._values.insert(i, value)

    def pop(self, key: int) -> V | None:
        i = self._find(key)
        if i < 0:
            return None
        value = self._values[i]
        del self._ids[i]
        del self._values[i]
        return value
