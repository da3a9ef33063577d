"""Boolean groups decided by look-ups, not by testing each one: `drone AND Kyiv`, `a OR b`, `a -b`.

A query of single words is an OR of AND-groups of word classes, some negated. Each group is filed
under one of its classes, its anchor, by what else it needs: nothing more (`a OR b`, `a -b`), one
more class (`drone AND Kyiv`), or several. A story looks only at the groups filed under classes it
has; of those, the one-more-class groups are found by intersecting the story's classes with the
classes they need, so a group that does not match is never touched. Negations are tested on the
few groups left.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

E = TypeVar("E", bound=Hashable)


class _Shelf(Generic[E]):
    """The groups filed under one anchor (each part made only when used: memory)."""

    __slots__ = ("after", "now", "rest")

    def __init__(self) -> None:
        self.now: list[tuple[E, tuple[int, ...]]] | None = None  # (entry, negated)
        self.after: dict[int, list[tuple[E, tuple[int, ...]]]] | None = None  # other class → …
        self.rest: list[tuple[E, tuple[int, ...], tuple[int, ...]]] | None = None  # + required

    def __bool__(self) -> bool:
        return bool(self.now or self.after or self.rest)


class GroupIndex(Generic[E]):
    def __init__(self) -> None:
        self._shelves: dict[int, _Shelf[E]] = {}

    def add(
        self, anchor: int, entry: E, required: tuple[int, ...], negative: tuple[int, ...]
    ) -> None:
        """File a group of `entry`: it matches when every class in `required` (which includes
        `anchor`) is present and none in `negative` is."""
        shelf = self._shelves.get(anchor)
        if shelf is None:
            shelf = self._shelves[anchor] = _Shelf()
        others = tuple(c for c in dict.fromkeys(required) if c != anchor)
        if not others:
            if shelf.now is None:
                shelf.now = []
            shelf.now.append((entry, negative))
        elif len(others) == 1:
            if shelf.after is None:
                shelf.after = {}
            shelf.after.setdefault(others[0], []).append((entry, negative))
        else:
            if shelf.rest is None:
                shelf.rest = []
            shelf.rest.append((entry, others, negative))

    def remove(self, anchor: int, entry: E) -> None:
        """Forget every group of `entry` filed under `anchor`."""
        shelf = self._shelves.get(anchor)
        if shelf is None:
            return
        if shelf.now is not None:
            shelf.now = [g for g in shelf.now if g[0] != entry] or None
        if shelf.after is not None:
            for other in list(shelf.after):
                kept = [g for g in shelf.after[other] if g[0] != entry]
                if kept:
                    shelf.after[other] = kept
                else:
                    del shelf.after[other]
            shelf.after = shelf.after or None
        if shelf.rest is not None:
            shelf.rest = [g for g in shelf.rest if g[0] != entry] or None
        if not shelf:
            del self._shelves[anchor]

    def matching(self, present: set[int]) -> dict[E, None]:
        """The entries with at least one group that matches a story with classes `present`."""
        out: dict[E, None] = {}
        shelves = self._shelves
        for anchor in shelves.keys() & present:  # the view first: it iterates the story's side
            shelf = shelves[anchor]
            if shelf.now is not None:
                for entry, negative in shelf.now:
                    if not negative or present.isdisjoint(negative):
                        out[entry] = None
            after = shelf.after
            if after is not None:
                for other in after.keys() & present:
                    for entry, negative in after[other]:
                        if not negative or present.isdisjoint(negative):
                            out[entry] = None
            if shelf.rest is not None:
                for entry, required, negative in shelf.rest:
                    if present.issuperset(required) and present.isdisjoint(negative):
                        out[entry] = None
        return out
