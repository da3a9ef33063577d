"""The index's own containers: the id table is a dict whatever order ids come and go in; the
group index finds exactly the groups a brute-force test finds; anchors shared by many queries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.match.base import Document
from bot.match.engine import QueryMatcher
from bot.match.groups import GroupIndex
from bot.match.ids import IdMap

ops = st.lists(
    st.tuples(st.sampled_from(["set", "pop", "get"]), st.integers(-50, 50), st.integers(0, 9)),
    max_size=200,
)


@given(ops)
def test_id_map_is_a_dict(steps: list[tuple[str, int, int]]) -> None:
    table: IdMap[int] = IdMap()
    model: dict[int, int] = {}
    for op, key, value in steps:
        if op == "set":
            table.set(key, value)
            model[key] = value
        elif op == "pop":
            assert table.pop(key) == model.pop(key, None)
        else:
            assert table.get(key) == model.get(key)
        assert len(table) == len(model)


def test_subscriptions_added_out_of_order_and_removed_keep_their_topics() -> None:
    m = QueryMatcher()
    index = m.index([(10, m.parse("Kyiv")), (30, m.parse("Sumy Oblast"))])
    index.add(20, m.parse("drone AND Kharkiv"))  # an id below the largest: inserted, not appended
    index.add(5, m.parse("Sumy Oblast"))
    doc = Document("Drone over Kharkiv and Kyiv", "Sumy Oblast governor")
    assert sorted(h.query_id for h in index.match(doc)) == [5, 10, 20, 30]
    index.remove(30)
    index.remove(20)  # its query has no subscriber left: its slot is freed and reused
    index.add(40, m.parse("Lviv"))
    index.add(20, m.parse("Kharkiv"))
    assert sorted(h.query_id for h in index.match(doc)) == [5, 10, 20]
    assert len(index) == 4


def test_many_queries_under_one_anchor_come_and_go() -> None:
    # "Zaporizhzhia" is the rarest word of each query, so all 20 share its bucket, which grows
    # from a tuple into a list and shrinks again as they go.
    m = QueryMatcher()
    index = m.index([])
    words = [f"word{i}" for i in range(20)]
    for i, w in enumerate(words):
        index.add(i, m.parse(f"Zaporizhzhia AND {w}"))
        index.add(100 + i, m.parse(f'"Zaporizhzhia Oblast" {w}'))
    doc = Document("Zaporizhzhia Oblast", " ".join(words[::2]))
    assert sorted(h.query_id for h in index.match(doc)) == [
        *range(0, 20, 2),
        *range(100, 120, 2),
    ]
    for i in range(0, 20, 4):
        index.remove(i)
        index.remove(100 + i)
    assert sorted(h.query_id for h in index.match(doc)) == [
        *range(2, 20, 4),
        *range(102, 120, 4),
    ]
    for i in range(20):
        index.remove(i)
        index.remove(100 + i)
    assert len(index) == 0
    assert list(index.match(doc)) == []


cls = st.integers(0, 7)
group = st.tuples(
    st.lists(cls, min_size=1, max_size=3, unique=True), st.lists(cls, max_size=2, unique=True)
)


@given(
    st.lists(st.tuples(st.integers(0, 5), group), max_size=20),
    st.sets(cls),
    st.sets(st.integers(0, 5)),
)
def test_group_index_finds_what_testing_every_group_finds(
    filed: list[tuple[int, tuple[list[int], list[int]]]], present: set[int], gone: set[int]
) -> None:
    index: GroupIndex[int] = GroupIndex()
    for entry, (required, negative) in filed:
        index.add(required[0], entry, tuple(required), tuple(negative))
    for entry in gone:
        for anchor in range(8):
            index.remove(anchor, entry)
    expected = {
        entry
        for entry, (required, negative) in filed
        if entry not in gone and present.issuperset(required) and present.isdisjoint(negative)
    }
    assert {r[0] for r in index.matching(present, list(present))} == expected


def test_hits_kept_from_before_a_change_stay_as_they_were() -> None:
    m = QueryMatcher()
    index = m.index([(1, m.parse("Kyiv")), (2, m.parse("drone AND Kyiv"))])
    doc = Document("Drone over Kyiv", "")
    before = index.match(doc)
    kept = list(before)
    index.add(3, m.parse("Kyiv"))
    index.add(4, m.parse("drone AND Kyiv"))
    index.remove(1)
    index.remove(2)
    assert list(before) == kept
    assert sorted(h.query_id for h in index.match(doc)) == [3, 4]
