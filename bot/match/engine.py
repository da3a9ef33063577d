"""The matching engine: a percolator (the design of Lucene Monitor and Elasticsearch's percolator).

Each distinct query (by key) is stored once with the subscriptions that share it, and filed by
its kind (`plan.py`) under the rarest part of each of its AND-groups: a word class (a word with
all its forms), or, for a phrase, the pair of its first two words' classes. A story looks up the
classes of its words and the class pairs of its adjacent words; only queries found that way are
considered, and most are decided right there: one-word topics by having the word, boolean topics
of single words by a `GroupIndex` (which finds the groups that match without testing the others),
two-word phrases by having the pair; the rest are evaluated (`CompiledQuery.evaluate`, the
reference semantics) after a cheap check that every word they need is present.

The index is long-lived: `add` and `remove` update it in place.

At a million topics the cost is memory latency more than interpretation (compiling these modules
with mypyc changed nothing): every look-up in a table of hundreds of thousands of keys is a few
cache misses. So the layout favours fewer, bigger C-level operations over many small Python ones,
tables indexed by class id (which can be prefetched for a whole story at once: `speedups.warm`)
over dicts, and small containers (tuples, arrays, `IdMap`) over many objects. The hottest loops
have C twins (`speedups.py`).
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import cast

from bot.match.base import Document, Hits, Query
from bot.match.buckets import Bucket, drop, put
from bot.match.classes import ClassTerms, StoryClasses
from bot.match.compile import CompiledQuery, WordClass, compile_topic
from bot.match.entry import Anchor, Entry, Need, in_groups, is_one_word
from bot.match.groups import GroupIndex
from bot.match.ids import IdMap
from bot.match.keytable import SEVERAL, KeyTable
from bot.match.pairs import PAIR_SHIFT, adjacent_words, pair_key
from bot.match.plan import (
    EVALUATE,
    ONE,
    PHRASE,
    PRESENCE,
    anchor_term_of,
    anchors,
    as_compiled,
    kind_of,
    one_word_class,
    single_words,
)
from bot.match.speedups import warm
from bot.match.story import Story


class PercolatorIndex:
    """`TopicIndex` over subscription ids; `Hit.query_id` is the subscription id."""

    def __init__(self, queries: Iterable[tuple[int, Query]] = ()) -> None:
        self._entries: dict[str, Entry] = {}  # query key → entry
        # subscription id → its entry (a dict of a million int keys would cost ~60 MB more)
        self._sub_entry: IdMap[Entry] = IdMap()
        self._class_ids: dict[WordClass, int] = {}
        self._classes: list[WordClass] = []
        # story word key → its class id, or SEVERAL for the few keys in several classes, whose
        # classes are listed beside it; a story looks all its words up in one call
        self._key_cid = KeyTable()
        self._key_cids: dict[str, list[int]] = {}
        self._by_class: dict[int, Bucket[Entry]] = {}
        # The most common topic, one word: its subscribers straight under the word's class, so a
        # story turns each of its words into one group of hits. Per class id, as are the flags
        # below: a list indexed by class is one cache miss a look-up, which `warm` can take
        # ahead for a whole story at once; a dict is a chain of them.
        self._word_subs: list[array[int] | None] = []
        self._by_pair: dict[int, Bucket[Entry]] = {}  # by `pair_key`
        self._firsts: dict[int, int] = {}  # class → how many pair anchors it begins
        self._first_flags = bytearray()  # per class: 1 where it begins one (for the key table)
        # Boolean queries of single words (without place names' other names): filed by group.
        self._groups: GroupIndex[Entry] = GroupIndex()
        # `match` hands out the subscriber arrays themselves (copying ~130 a story would cost
        # more than the rest of making the hits); from then on an array is replaced, never
        # changed in place, so hits kept from before stay as they were
        self._handed_out = False
        for sub_id, query in queries:
            self.add(sub_id, query)

    def __len__(self) -> int:
        return len(self._sub_entry)

    @property
    def distinct_queries(self) -> int:
        return len(self._entries)

    def _class_id(self, c: WordClass) -> int:
        cid = self._class_ids.get(c)
        if cid is None:
            cid = self._class_ids[c] = len(self._classes)
            self._classes.append(c)
            self._word_subs.append(None)
            key_cid, key_cids = self._key_cid, self._key_cids
            for form in c.forms:
                if form in key_cids:
                    key_cids[form].append(cid)
                elif form in key_cid:  # now in several classes: listed beside the table
                    key_cids[form] = [key_cid[form], cid]
                    key_cid[form] = SEVERAL
                else:
                    key_cid[form] = cid
        return cid

    def _new_entry(self, query: CompiledQuery) -> Entry:
        one = one_word_class(query)
        if one is not None:  # most topics: skip the general analysis below
            entry = Entry(query, ONE)
            entry.anchors = (self._class_id(one),)
            return entry
        entry = Entry(query, kind_of(query))
        cid = self._class_id
        if entry.kind in (PRESENCE, EVALUATE):
            need = self._need(query)
            if all(len(term) == 1 for terms, _ in need for term in terms):
                entry.flat = tuple(
                    (tuple(c for (alt,) in terms for c in alt), negative)
                    for terms, negative in need
                )
            else:  # kept only where `flat` cannot say it (one tuple or the other: memory)
                entry.need = need
        if in_groups(entry):
            assert entry.flat is not None
            placed_class: dict[Anchor, None] = {}
            for group, (required, negative) in zip(query.groups, entry.flat, strict=True):
                at = cid(anchors(anchor_term_of(group))[0])
                self._groups.add(at, entry, required, negative)
                placed_class[at] = None
            entry.anchors = tuple(placed_class)
            entry.subs = array("q")
            return entry
        placed: dict[Anchor, None] = {}
        for group in query.groups:
            term = anchor_term_of(group)
            for alt, anchor in zip(term.alternatives, anchors(term), strict=True):
                if len(alt) >= 2 and entry.kind in (PHRASE, EVALUATE):
                    placed[(cid(alt[0]), cid(alt[1]))] = None
                else:
                    placed[cid(anchor)] = None
        entry.anchors = tuple(placed)
        if is_one_word(entry):
            return entry  # its subscribers live in _word_subs
        entry.subs = array("q")
        for a in entry.anchors:
            if isinstance(a, tuple):
                if pair_key(*a) not in self._by_pair:
                    self._begin_pair(a[0], 1)
                put(self._by_pair, pair_key(*a), entry)
            else:
                put(self._by_class, a, entry)
        return entry

    def _need(self, query: CompiledQuery) -> tuple[Need, ...]:
        cid = self._class_id
        return tuple(
            (
                tuple(
                    tuple(tuple(cid(c) for c in alt) for alt in t.alternatives) for t in g.positive
                ),
                tuple(cid(alt[0]) for t in g.negative if single_words(t) for alt in t.alternatives),
            )
            for g in query.groups
        )

    def add(self, sub_id: int, query: Query) -> None:
        """Index subscription `sub_id` (replacing what it was indexed as before, if anything)."""
        compiled = as_compiled(query)
        old = self._sub_entry.get(sub_id)
        if old is not None:
            if old.key == compiled.key:
                return
            self.remove(sub_id)
        entry = self._entries.get(compiled.key)
        if entry is None:
            entry = self._entries[compiled.key] = self._new_entry(compiled)
        if is_one_word(entry):
            cid = entry.anchors[0]
            assert isinstance(cid, int)
            self._word_subs[cid] = self._with(self._word_subs[cid], sub_id)
        else:
            entry.subs = self._with(entry.subs, sub_id)
        entry.count += 1
        self._sub_entry.set(sub_id, entry)

    def remove(self, sub_id: int) -> None:
        entry = self._sub_entry.pop(sub_id)
        if entry is None:
            return
        entry.count -= 1
        if is_one_word(entry):
            cid = entry.anchors[0]
            assert isinstance(cid, int)
            subs = self._without(self._word_subs[cid], sub_id)
            self._word_subs[cid] = subs if subs else None
        else:
            entry.subs = self._without(entry.subs, sub_id)
        if entry.count:
            return
        del self._entries[entry.key]
        if is_one_word(entry):
            return
        if in_groups(entry):
            for a in entry.anchors:
                assert isinstance(a, int)
                self._groups.remove(a, entry)
            return
        for a in entry.anchors:
            if isinstance(a, tuple):
                drop(self._by_pair, pair_key(*a), entry)
                if pair_key(*a) not in self._by_pair:
                    self._begin_pair(a[0], -1)
            else:
                drop(self._by_class, a, entry)

    def _with(self, subs: array[int] | None, sub_id: int) -> array[int]:
        if subs is None:
            return array("q", (sub_id,))
        if self._handed_out:
            subs = array("q", subs)
        subs.append(sub_id)
        return subs

    def _without(self, subs: array[int] | None, sub_id: int) -> array[int]:
        assert subs is not None
        if self._handed_out:
            subs = array("q", subs)
        subs.remove(sub_id)
        return subs

    def _begin_pair(self, cid: int, change: int) -> None:
        """Count one more (or one fewer) pair anchor that class `cid` begins."""
        count = self._firsts.get(cid, 0) + change
        flags = self._first_flags
        if cid >= len(flags):
            flags.extend(bytes(cid + 1 - len(flags)))
        flags[cid] = count > 0
        if count:
            self._firsts[cid] = count
        else:
            del self._firsts[cid]

    def match(self, doc: Document) -> Hits:
        self._handed_out = True
        story = Story(doc)
        found = StoryClasses(story, self._key_cid, self._key_cids, self._first_flags)
        cids, odd, pairs = found.cids, found.odd, found.pairs
        if not cids:
            return Hits()
        present: dict[int, set[str]] = {}

        def present_words(cid: int) -> set[str]:
            words = present.get(cid)
            if words is None:
                words = present[cid] = found.words(cid)
            return words

        terms_of = ClassTerms(story, found)
        word_subs, cid_list = self._word_subs, list(cids)
        warm(word_subs, cid_list)
        hit = list(compress(cid_list, map(word_subs.__getitem__, cid_list)))
        # C-level passes: a story hits ~50 one-word topics
        groups: list[tuple[Sequence[int], tuple[str, ...]]] = list(
            zip(
                map(cast(_SubsOf, word_subs.__getitem__), hit),
                map(terms_of.__getitem__, hit),
                strict=True,
            )
        )
        hits: dict[Entry, tuple[int, ...]] = {}  # entry → the classes of its matched groups
        for entry, required, _ in self._groups.matching(cids, cid_list):
            had = hits.get(entry)
            hits[entry] = required if had is None else had + required
        for entry, classes in hits.items():
            if len(classes) == 1:
                terms = terms_of[classes[0]]
            else:
                terms = tuple(sorted(set().union(*map(terms_of.__getitem__, classes))))
            groups.append((entry.subs, terms))
        words: dict[Entry, set[str]] = {}  # decided entries → the story words that matched
        candidates: dict[str, Entry] = {}
        by_class = self._by_class
        for cid in cids & by_class.keys():
            for entry in by_class[cid]:
                kind = entry.kind
                if kind == ONE:  # a place name: having one of its names is the match
                    words.setdefault(entry, set()).update(present_words(cid))
                elif kind == EVALUATE:
                    candidates[entry.key] = entry
                elif entry not in words:  # a boolean query with place names' other names
                    matched = entry.matched_groups(cids)
                    if matched:
                        found_words: set[str] = set()
                        for i in matched:
                            for term in entry.need[i][0]:
                                for alt in term:
                                    if alt[0] in cids:
                                        found_words |= present_words(alt[0])
                        words[entry] = found_words
        if self._by_pair:
            self._match_pairs(story, odd, pairs, words, candidates, present_words)
        for entry, found_words in words.items():
            if len(found_words) == 1:
                terms = tuple(map(story.written, found_words))
            else:
                terms = tuple(sorted(map(story.written, found_words)))
            groups.append((entry.subs, terms))
        for entry in candidates.values():
            if not entry.matched_groups(cids):
                continue
            assert entry.query is not None
            result = entry.query.evaluate(story)
            if result is not None:
                groups.append((entry.subs, result))
        return Hits(groups)

    def _match_pairs(
        self,
        story: Story,
        odd: dict[str, list[int]],
        pairs: set[int],
        words: dict[Entry, set[str]],
        candidates: dict[str, Entry],
        present_words: Callable[[int], set[str]],
    ) -> None:
        """`pairs`: those of the story's words that are not `odd` (see `StoryClasses`)."""
        by_pair, table = self._by_pair, self._key_cid
        if odd:
            table.odd_pairs((story.title.words, story.body.words), odd, pairs)
        for pair in pairs & by_pair.keys():
            for entry in by_pair[pair]:
                if entry.kind == EVALUATE:
                    candidates[entry.key] = entry
                    continue
                a, b = pair >> PAIR_SHIFT, pair & _LOW
                left, right = present_words(a), present_words(b)
                found = words.setdefault(entry, set())
                if len(left) == 1 and len(right) == 1:  # each class has one word in the story
                    found |= left
                    found |= right
                else:  # several forms present: only those that stand next to each other
                    adjacent_words(story, table, odd, self._classes, (a, b), left, found)


_LOW = (1 << PAIR_SHIFT) - 1
_SubsOf = Callable[[int], "array[int]"]  # word_subs.__getitem__ where the class has subscribers


class QueryMatcher:
    """The `Matcher`: the topic language of `query.py` with forms of words and place names."""

    def parse(self, topic: str) -> CompiledQuery:
        return compile_topic(topic)

    def index(self, queries: Iterable[tuple[int, Query]]) -> PercolatorIndex:
        # A big index is millions of small long-lived objects. The cycle collector would walk
        # all of them again and again while they are built and on every full collection later
        # (tens of ms each, in the middle of matching): build without it, then freeze what
        # exists into the permanent generation it never scans.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return PercolatorIndex(queries)
        finally:
            gc.freeze()
            if enabled:
                gc.enable()
