"""Boolean groups decided by look-ups, not by testing each one: `drone AND Kyiv`, `a OR b`, `a -b`.

A query of single words is an OR of AND-groups of word classes, some negated. Each group is filed
under one of its classes, its anchor, by what else it needs: nothing more (`a OR b`, `a -b`), one
more class (`drone AND Kyiv`), or several. A story looks only at the groups filed under classes it
has; of those, the one-more-class groups are found by intersecting the story's classes with the
classes they need, so a group that does not match is never touched. Negations are tested on the
few groups left.

The three shelves are lists indexed by anchor (class ids are dense), so that the C twin of
`match_groups_reference` can prefetch a whole story's shelves before it tests any.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from operator import index
from typing import Any, Generic, TypeVar

from bot.match import speedups

E = TypeVar("E", bound=Hashable)

# A filed group: (entry, the classes it requires, the classes it must not have)
Record = tuple[Any, tuple[int, ...], tuple[int, ...]]


def match_groups_reference(
    now: list[list[Record] | None],
    after: list[dict[int, list[Record]] | None],
    rest: list[list[Record] | None],
    present: set[int],
    ids: Sequence[int],
    /,
) -> list[Record]:
    """The records filed under the anchors `ids` (those in range) that match a story with
    classes `present`: in `now[a]` when none of their negated classes is present, in
    `after[a][b]` when b is present too, in `rest[a]` when all they require is present too."""
    out: list[Record] = []
    ids = [index(a) for a in tuple(ids)]  # read first, as the C twin does
    size = len(now)
    for a in ids:
        if not 0 <= a < size:
            continue
        shelf = now[a]
        if shelf is not None:
            out.extend(r for r in shelf if present.isdisjoint(r[2]))
        others = after[a]
        if others is not None:
            for b in others.keys() & present:
                out.extend(r for r in others[b] if present.isdisjoint(r[2]))
        many = rest[a]
        if many is not None:
            out.extend(r for r in many if present.issuperset(r[1]) and present.isdisjoint(r[2]))
    return out


match_groups = match_groups_reference
if speedups.wanted():
    # ImportError: built without a C compiler
    with contextlib.suppress(ImportError):
        from bot.match._speedups import match_groups as match_groups


class GroupIndex(Generic[E]):
    def __init__(self) -> None:
        self._now: list[list[Record] | None] = []  # anchor → groups that need nothing more
        self._after: list[dict[int, list[Record]] | None] = []  # anchor → other class → groups
        self._rest: list[list[Record] | None] = []  # anchor → groups that need several more

    def _reserve(self, anchor: int) -> None:
        grow = anchor + 1 - len(self._now)
        if grow > 0:
            for shelves in (self._now, self._after, self._rest):
                shelves.extend([None] * grow)

    def add(
        self, anchor: int, entry: E, required: tuple[int, ...], negative: tuple[int, ...]
    ) -> None:
        """File a group of `entry`: it matches when every class in `required` (which includes
        `anchor`) is present and none in `negative` is."""
        self._reserve(anchor)
        record: Record = (entry, required, negative)
        others = tuple(c for c in dict.fromkeys(required) if c != anchor)
        if not others:
            shelf = self._now[anchor]
            if shelf is None:
                shelf = self._now[anchor] = []
            shelf.append(record)
        elif len(others) == 1:
            after = self._after[anchor]
            if after is None:
                after = self._after[anchor] = {}
            after.setdefault(others[0], []).append(record)
        else:
            many = self._rest[anchor]
            if many is None:
                many = self._rest[anchor] = []
            many.append(record)

    def remove(self, anchor: int, entry: E) -> None:
        """Forget every group of `entry` filed under `anchor`."""
        if anchor >= len(self._now):
            return
        shelf = self._now[anchor]
        if shelf is not None:
            self._now[anchor] = [r for r in shelf if r[0] != entry] or None
        after = self._after[anchor]
        if after is not None:
            for other in list(after):
                kept = [r for r in after[other] if r[0] != entry]
                if kept:
                    after[other] = kept
                else:
                    del after[other]
            self._after[anchor] = after or None
        many = self._rest[anchor]
        if many is not None:
            self._rest[anchor] = [r for r in many if r[0] != entry] or None

    def matching(self, present: set[int], ids: Sequence[int]) -> list[Record]:
        """The filed groups that match a story with classes `present`, looking under the
        anchors `ids` (the story's classes, as a list). An entry appears once per group that
        matches."""
        return match_groups(self._now, self._after, self._rest, present, ids)
