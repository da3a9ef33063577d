"""One distinct query in the index, with the subscriptions that share it.

Identical topics are stored once: an `Entry` holds the query's kind (`plan.py`), the anchors it is
filed under, what its groups need in class ids, and its subscribers' ids.
"""

from __future__ import annotations

from array import array

from bot.match.compile import CompiledQuery
from bot.match.plan import EVALUATE, ONE, PRESENCE

_NO_SUBS: array[int] = array("q")  # shared, never appended to: one-word topics need no array

# Per group: per required term, per alternative, the class ids that must all be in the story;
# and the class ids of its single-word negations (which must all be absent).
Need = tuple[tuple[tuple[tuple[int, ...], ...], ...], tuple[int, ...]]
Anchor = int | tuple[int, int]  # a class id, or a pair of class ids of adjacent words


class Entry:
    __slots__ = ("anchors", "count", "flat", "key", "kind", "need", "query", "subs")

    def __init__(self, query: CompiledQuery, kind: int) -> None:
        self.key = query.key
        self.kind = kind
        self.query = query if kind == EVALUATE else None  # kept only where it is evaluated
        # subscription ids as machine integers (8 bytes each, not a 36-byte int object and pointer);
        # shared and empty for a one-word topic: see PercolatorIndex._word_subs
        self.subs: array[int] = _NO_SUBS
        self.count = 0
        self.need: tuple[Need, ...] = ()
        # the same, when no term has alternatives: per group (required ids, negated ids)
        self.flat: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] | None = None
        self.anchors: tuple[Anchor, ...] = ()

    def matched_groups(self, present: set[int]) -> list[int]:
        """Indexes of the groups whose words are all present and whose negations are absent."""
        if self.flat is not None:  # two C-level set tests per group
            return [
                i
                for i, (required, negative) in enumerate(self.flat)
                if present.issuperset(required) and present.isdisjoint(negative)
            ]
        return [
            i
            for i, (terms, negative) in enumerate(self.need)
            if all(any(present.issuperset(alt) for alt in term) for term in terms)
            and present.isdisjoint(negative)
        ]


def is_one_word(entry: Entry) -> bool:
    return entry.kind == ONE and len(entry.anchors) == 1


def in_groups(entry: Entry) -> bool:
    return entry.kind == PRESENCE and entry.flat is not None
