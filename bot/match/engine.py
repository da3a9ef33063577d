"""The matching engine: a percolator (the design of Lucene Monitor and Elasticsearch's percolator).

Each distinct query (by key) is stored once with the list of subscriptions that share it. Every
AND-group of a query is indexed under one word class of its rarest required phrase; a story looks
up the keys of its words, and only the queries found that way are evaluated. A query that is one
word (or one place name whose names are single words) needs no evaluation at all: finding its
word is the match. The index is long-lived: `add` and `remove` update it in place.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TypeVar

from bot.match.base import Document, Hit, Query
from bot.match.compile import STOP_WORDS, CompiledQuery, Group, Term, WordClass, compile_topic
from bot.match.story import Story

_T = TypeVar("_T")

# Per group, per required term, per alternative: the class ids that must all be in the story.
_Need = tuple[tuple[tuple[int, ...], ...], ...]


class _Entry:
    __slots__ = ("direct", "need", "query", "subs")

    def __init__(self, query: CompiledQuery, direct: bool) -> None:
        self.query = query
        self.subs: list[int] = []
        self.direct = direct
        self.need: tuple[_Need, ...] = ()

    def may_match(self, present: set[int]) -> bool:
        """A cheap necessary condition: some group has every word of a required term."""
        return any(
            all(any(present.issuperset(alt) for alt in term) for term in group)
            for group in self.need
        )


@functools.cache
def class_cost(c: WordClass) -> int:
    """Static rarity estimate: stop-words are everywhere, short words are common, long are rare."""
    if c.forms & STOP_WORDS:
        return 1000
    return 40 - min(map(len, c.forms))


def anchors(term: Term) -> list[WordClass]:
    """One class per alternative: a story that has the term has one of these."""
    return [min(alt, key=class_cost) for alt in term.alternatives]


def term_cost(term: Term) -> int:
    return sum(class_cost(c) for c in anchors(term))


def anchor_term_of(group: Group) -> Term:
    """The group's rarest required term: the group is indexed under it."""
    return min(group.positive, key=lambda t: (term_cost(t), t.key))


def group_anchors(group: Group) -> list[WordClass]:
    return anchors(anchor_term_of(group))


def is_direct(query: CompiledQuery) -> bool:
    if len(query.groups) != 1:
        return False
    group = query.groups[0]
    if group.negative or len(group.positive) != 1:
        return False
    term = group.positive[0]
    return not term.title_only and all(
        len(alt) == 1 and not alt[0].exact for alt in term.alternatives
    )


def as_compiled(query: Query) -> CompiledQuery:
    return query if isinstance(query, CompiledQuery) else compile_topic(query.text)


class PercolatorIndex:
    """`TopicIndex` over subscription ids; `Hit.query_id` is the subscription id."""

    def __init__(self, queries: Iterable[tuple[int, Query]] = ()) -> None:
        self._entries: dict[str, _Entry] = {}  # query key → entry
        self._sub_key: dict[int, str] = {}  # subscription id → query key
        self._class_ids: dict[WordClass, int] = {}
        self._classes: list[WordClass] = []
        self._key_classes: dict[str, list[int]] = {}  # story word key → class ids
        self._direct: dict[int, dict[str, _Entry]] = {}  # class id → entries matched outright
        # class id → entries to evaluate, each with a second class id the story must also have
        # (-1: none), a cheap test that drops most candidates before any real work
        self._verify: dict[int, dict[str, tuple[_Entry, int]]] = {}
        for sub_id, query in queries:
            self.add(sub_id, query)

    def __len__(self) -> int:
        return len(self._sub_key)

    @property
    def distinct_queries(self) -> int:
        return len(self._entries)

    def _class_id(self, c: WordClass) -> int:
        cid = self._class_ids.get(c)
        if cid is None:
            cid = self._class_ids[c] = len(self._classes)
            self._classes.append(c)
            for form in c.forms:
                self._key_classes.setdefault(form, []).append(cid)
        return cid

    def _direct_classes(self, entry: _Entry) -> list[int]:
        return [self._class_id(alt[0]) for alt in entry.query.groups[0].positive[0].alternatives]

    def _verify_placements(self, entry: _Entry) -> list[tuple[int, int]]:
        """(anchor class id, check class id) for every group of a query that needs evaluating."""
        out: list[tuple[int, int]] = []
        for group in entry.query.groups:
            anchor_term = anchor_term_of(group)
            singles = [
                c for t in group.positive if len(t.alternatives) == 1 for c in t.alternatives[0]
            ]
            for alt, anchor in zip(anchor_term.alternatives, anchors(anchor_term), strict=True):
                others = [c for c in (*alt, *singles) if c is not anchor]
                check = min(others, key=class_cost) if others else None
                out.append((self._class_id(anchor), -1 if check is None else self._class_id(check)))
        return out

    def add(self, sub_id: int, query: Query) -> None:
        """Index subscription `sub_id` (replacing what it was indexed as before, if anything)."""
        compiled = as_compiled(query)
        if self._sub_key.get(sub_id) == compiled.key:
            return
        self.remove(sub_id)
        entry = self._entries.get(compiled.key)
        if entry is None:
            entry = self._entries[compiled.key] = _Entry(compiled, is_direct(compiled))
            if entry.direct:
                for cid in self._direct_classes(entry):
                    self._direct.setdefault(cid, {})[compiled.key] = entry
            else:
                for cid, check in self._verify_placements(entry):
                    self._verify.setdefault(cid, {})[compiled.key] = (entry, check)
            if not entry.direct:
                entry.need = tuple(
                    tuple(
                        tuple([tuple([self._class_id(c) for c in alt]) for alt in t.alternatives])
                        for t in group.positive
                    )
                    for group in compiled.groups
                )
        entry.subs.append(sub_id)
        self._sub_key[sub_id] = compiled.key

    def remove(self, sub_id: int) -> None:
        key = self._sub_key.pop(sub_id, None)
        if key is None:
            return
        entry = self._entries[key]
        entry.subs.remove(sub_id)
        if entry.subs:
            return
        del self._entries[key]
        # Two groups may share an anchor: its bucket may already be gone.
        if entry.direct:
            for cid in self._direct_classes(entry):
                _drop(self._direct, cid, key)
        else:
            for cid, _ in self._verify_placements(entry):
                _drop(self._verify, cid, key)

    def match(self, doc: Document) -> list[Hit]:
        story = Story(doc)
        key_classes = self._key_classes
        cids: set[int] = set()
        for keys in (story.by_raw, story.by_derived):
            for k in keys:
                found = key_classes.get(k)
                if found:
                    cids.update(found)
        words: dict[str, set[str]] = {}
        candidates: dict[str, _Entry] = {}
        direct, verify, classes = self._direct, self._verify, self._classes
        for cid in cids:
            bucket = direct.get(cid)
            if bucket:
                present = {story.surface(f) for f in classes[cid].forms if story.has(f)}
                for key in bucket:
                    words.setdefault(key, set()).update(present)
            checked = verify.get(cid)
            if checked:
                for key, (entry, check) in checked.items():
                    if check < 0 or check in cids:
                        candidates[key] = entry
        hits: list[Hit] = []
        for key, found_words in words.items():
            terms = tuple(sorted(story.written(w) for w in found_words))
            hits.extend(Hit(sub, terms) for sub in self._entries[key].subs)
        for entry in candidates.values():
            if not entry.may_match(cids):
                continue
            result = entry.query.evaluate(story)
            if result is not None:
                hits.extend(Hit(sub, result) for sub in entry.subs)
        return hits


def _drop(table: dict[int, dict[str, _T]], cid: int, key: str) -> None:
    bucket = table.get(cid)
    if bucket is not None:
        bucket.pop(key, None)
        if not bucket:
            del table[cid]


class QueryMatcher:
    """The `Matcher`: the topic language of `query.py` with forms of words and place names."""

    def parse(self, topic: str) -> CompiledQuery:
        return compile_topic(topic)

    def index(self, queries: Iterable[tuple[int, Query]]) -> PercolatorIndex:
        return PercolatorIndex(queries)
