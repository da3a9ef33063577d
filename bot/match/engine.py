"""The matching engine: a percolator (the design of Lucene Monitor and Elasticsearch's percolator).

Each distinct query (by key) is stored once with the list of subscriptions that share it. Every
AND-group of a query is indexed under one word class of its rarest required phrase; a story looks
up the keys of its words, and only the queries found that way are evaluated. A query that is one
word (or one place name whose names are single words) needs no evaluation at all: finding its
word is the match. The index is long-lived: `add` and `remove` update it in place.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.match.base import Document, Hit, Query
from bot.match.compile import STOP_WORDS, CompiledQuery, Group, Term, WordClass, compile_topic
from bot.match.story import Story


class _Entry:
    __slots__ = ("direct", "query", "subs")

    def __init__(self, query: CompiledQuery, direct: bool) -> None:
        self.query = query
        self.subs: list[int] = []
        self.direct = direct


def _class_cost(c: WordClass) -> int:
    """Static rarity estimate: stop-words are everywhere, short words are common, long are rare."""
    if c.forms & STOP_WORDS:
        return 1000
    return 40 - min(map(len, c.forms))


def _anchors(term: Term) -> list[WordClass]:
    """One class per alternative: a story that has the term has one of these."""
    return [min(alt, key=_class_cost) for alt in term.alternatives]


def _term_cost(term: Term) -> int:
    return sum(_class_cost(c) for c in _anchors(term))


def group_anchors(group: Group) -> list[WordClass]:
    return _anchors(min(group.positive, key=lambda t: (_term_cost(t), t.key)))


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
        self._verify: dict[int, dict[str, _Entry]] = {}  # class id → entries to evaluate
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

    def _placements(self, entry: _Entry) -> Iterable[tuple[dict[int, dict[str, _Entry]], int]]:
        query = entry.query
        if entry.direct:
            for alt in query.groups[0].positive[0].alternatives:
                yield self._direct, self._class_id(alt[0])
            return
        for group in query.groups:
            for c in group_anchors(group):
                yield self._verify, self._class_id(c)

    def add(self, sub_id: int, query: Query) -> None:
        """Index subscription `sub_id` (replacing what it was indexed as before, if anything)."""
        compiled = as_compiled(query)
        if self._sub_key.get(sub_id) == compiled.key:
            return
        self.remove(sub_id)
        entry = self._entries.get(compiled.key)
        if entry is None:
            entry = self._entries[compiled.key] = _Entry(compiled, is_direct(compiled))
            for table, cid in self._placements(entry):
                table.setdefault(cid, {})[compiled.key] = entry
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
        for table, cid in self._placements(entry):
            bucket = table.get(cid)  # two groups may share an anchor: already emptied then
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del table[cid]

    def match(self, doc: Document) -> list[Hit]:
        story = Story(doc)
        surface = story.surface
        key_classes = self._key_classes
        cids: set[int] = set()
        for k in surface:
            found = key_classes.get(k)
            if found:
                cids.update(found)
        words: dict[str, set[str]] = {}
        candidates: dict[str, _Entry] = {}
        direct, verify, classes = self._direct, self._verify, self._classes
        for cid in cids:
            bucket = direct.get(cid)
            if bucket:
                present = {surface[f] for f in classes[cid].forms if f in surface}
                for key in bucket:
                    words.setdefault(key, set()).update(present)
            bucket = verify.get(cid)
            if bucket:
                candidates.update(bucket)
        hits: list[Hit] = []
        for key, found_words in words.items():
            terms = tuple(sorted(story.written(w) for w in found_words))
            hits.extend(Hit(sub, terms) for sub in self._entries[key].subs)
        for entry in candidates.values():
            result = entry.query.evaluate(story)
            if result is not None:
                hits.extend(Hit(sub, result) for sub in entry.subs)
        return hits


class QueryMatcher:
    """The `Matcher`: the topic language of `query.py` with forms of words and place names."""

    def parse(self, topic: str) -> CompiledQuery:
        return compile_topic(topic)

    def index(self, queries: Iterable[tuple[int, Query]]) -> PercolatorIndex:
        return PercolatorIndex(queries)
