"""The C speed-ups on hostile input: subclasses, objects with `__index__`, generators, ids out of
range, and Python code that changes the very structures a C function is walking (from an
`__index__`, an `__eq__`, a generator, or a `__del__` run by the garbage collector).

Two kinds of test. Where the input is odd but keeps still, the C twin and its pure-Python
reference must give the same answer or raise the same error. Where the input changes things in
the middle of a call, the C code must neither crash nor read freed memory, and must answer as if
it had read its inputs first. A C function that keeps a pointer, a length or a found slot across
a call into Python would fail these: `test_the_hostile_tests_pass_under_the_debug_allocator` runs
this module again with PYTHONMALLOC=debug, which fills freed memory with a marker byte, so such a
read gives garbage (or a crash) rather than stale data that happens to look right.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match import groups, keytable, text

_speedups = pytest.importorskip(
    "bot.match._speedups", reason="the C speed-ups are not built (no C compiler at install)"
)


class Str(str):
    """A str subclass: read as its text by both twins."""


class Int(int):
    """An int subclass."""


class Index:
    """Not an int, but usable as one through __index__, which may run any code."""

    def __init__(self, value: int, then: Callable[[], object] = lambda: None) -> None:
        self.value = value
        self.then = then

    def __index__(self) -> int:
        self.then()
        return self.value


class ListOf(list):  # type: ignore[type-arg]
    """A list subclass."""


# Fewer under the debug allocator, which is several times slower; the ones that change things
# mid-call are not random and run in full.
EXAMPLES = 30 if os.environ.get("PYTHONMALLOC") == "debug" else 150


def fresh(word: str) -> str:
    """A new str object (not a shared constant), so that dropping its last reference frees it."""
    return word.encode().decode() if len(word) > 1 else word


def outcome(call: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", call(*args))
    except (TypeError, ValueError, OverflowError, KeyError) as e:
        return ("raised", type(e))


def both(model: Any, table: Any) -> tuple[Any, Any]:
    return model, table


# --- odd input that keeps still: the twins agree --------------------------------------------

_WORDS = st.sampled_from(["a", "b", "kyiv", "київ", "é", ""])
_WORD = st.one_of(_WORDS, _WORDS.map(Str))
_VALUE = st.one_of(
    st.integers(-3, 40),
    st.integers(-3, 40).map(Int),
    st.integers(-3, 40).map(Index),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, -(2**64), 2**100]),
    st.booleans(),
)


@given(st.lists(st.tuples(_WORD, _VALUE), max_size=40), st.lists(_WORD, max_size=20))
@settings(max_examples=EXAMPLES, deadline=None)
def test_key_table_twins_agree_on_odd_keys_and_values(
    sets: list[tuple[str, Any]], probes: list[str]
) -> None:
    table, model = _speedups.KeyTable(), keytable.KeyTableReference()
    for key, value in sets:
        assert outcome(table.__setitem__, key, value) == outcome(model.__setitem__, key, value)
    assert len(table) == len(model)
    for key in probes:
        assert (key in table) == (key in model)
        assert table.get(key) == model.get(key)
    # keys as a generator, a tuple and a list subclass
    assert table.get_many((k for k in probes), -1) == model.get_many(probes, -1)
    assert table.get_many(tuple(probes), None) == model.get_many(probes, None)
    assert table.get_many(ListOf(probes), 0) == model.get_many(probes, 0)


_CLASS = st.one_of(
    st.integers(0, 12),
    st.integers(0, 12).map(Int),
    st.integers(0, 12).map(Index),
    st.sampled_from([-1, 2**31 - 1, 2**31, 2**64]),
)


def _fill(entries: dict[str, int]) -> tuple[Any, Any]:
    table, model = _speedups.KeyTable(), keytable.KeyTableReference()
    for key, value in entries.items():
        table[key] = model[key] = value
    return table, model


_ENTRIES = st.dictionaries(_WORD, st.integers(-2, 12), max_size=8)
_FIELDS = st.lists(st.lists(_WORD, max_size=12), max_size=3)


@given(_ENTRIES, _FIELDS, st.binary(max_size=16))
@settings(max_examples=EXAMPLES, deadline=None)
def test_classes_and_pairs_twins_agree_on_odd_containers(
    entries: dict[str, int], fields: list[list[str]], firsts: bytes
) -> None:
    table, model = _fill(entries)
    expected = model.classes_and_pairs(fields, firsts)
    assert table.classes_and_pairs(iter([ListOf(f) for f in fields]), firsts) == expected
    assert table.classes_and_pairs(tuple(tuple(f) for f in fields), memoryview(firsts)) == expected
    assert table.classes_and_pairs((iter(f) for f in fields), bytearray(firsts)) == expected


@given(
    _ENTRIES,
    _FIELDS,
    st.dictionaries(_WORD, st.lists(_CLASS, max_size=3), max_size=4),
    st.sets(st.integers(0, 2**40), max_size=3),
    st.sets(_WORD, max_size=4),
    _CLASS,
    _CLASS,
)
@settings(max_examples=EXAMPLES, deadline=None)
def test_pair_twins_agree_on_odd_ids_and_containers(
    entries: dict[str, int],
    fields: list[list[str]],
    odd: dict[str, list[Any]],
    pairs: set[int],
    starts: set[str],
    a: Any,
    b: Any,
) -> None:
    table, model = _fill(entries)

    class Pairs(set):  # type: ignore[type-arg]
        pass

    found, expected = Pairs(pairs), set(pairs)
    got = outcome(lambda: table.odd_pairs((ListOf(f) for f in fields), dict(odd), found))
    want = outcome(lambda: model.odd_pairs(fields, dict(odd), expected))
    assert got == want
    if got[0] == "ok":
        assert found == expected
    assert outcome(lambda: table.adjacent(fields, frozenset(starts), odd, a, b)) == outcome(
        lambda: model.adjacent(fields, frozenset(starts), odd, a, b)
    )


_IDS = st.lists(
    st.one_of(
        st.integers(-3, 8), st.integers(0, 8).map(Index), st.sampled_from([2**40, 2**64, -(2**70)])
    ),
    max_size=8,
)


@given(st.integers(0, 6), st.sets(st.integers(0, 6)), _IDS, st.randoms(use_true_random=False))
@settings(max_examples=EXAMPLES, deadline=None)
def test_match_groups_twins_agree_on_odd_ids(
    size: int, present: set[int], ids: list[Any], rng: Any
) -> None:
    def records() -> list[Any]:
        return [
            (rng.randrange(99), tuple(rng.sample(range(7), 2)), (Int(rng.randrange(7)),))
            for _ in range(rng.randrange(1, 3))
        ]

    now = ListOf(records() if rng.random() < 0.5 else None for _ in range(size))
    after = [{b: records() for b in range(rng.randrange(3))} or None for _ in range(size)]
    rest = [records() if rng.random() < 0.5 else None for _ in range(size)]
    found = _speedups.match_groups(now, after, rest, frozenset(present), iter(ids))
    expected = groups.match_groups_reference(now, after, rest, frozenset(present), ids)
    assert sorted(found) == sorted(expected)


@given(st.text(max_size=40))
@settings(max_examples=EXAMPLES, deadline=None)
def test_scan_reads_a_str_subclass_as_its_text(s: str) -> None:
    class Sneaky(str):
        def casefold(self) -> str:
            raise AssertionError("scan reads the text, not the subclass's methods")

        def __iter__(self) -> Iterator[str]:
            raise AssertionError("scan reads the text, not the subclass's methods")

    assert _speedups.scan(Sneaky(s)) == text.scan_reference(s)


def test_warm_passes_over_ids_out_of_any_range() -> None:
    table: list[object] = [None, "a"]
    _speedups.warm(table, [2**64, -(2**70), Index(1), Int(0), 10**30])
    assert table == [None, "a"]
    with pytest.raises(TypeError):
        _speedups.warm(table, [1.5])


# --- input that changes things in the middle of a call -----------------------------------------


def test_an_index_that_grows_the_table_under_a_store() -> None:
    # The value is converted before the key's slot is found: growing the table in __index__
    # frees the old slots, and a slot found before would be written after it was freed.
    for table in (_speedups.KeyTable(), keytable.KeyTableReference()):
        table["kyiv"] = 1

        def grow(t: Any = table) -> None:
            for i in range(500):
                t[f"w{i}"] = i

        table["kyiv"] = Index(7, grow)
        assert table["kyiv"] == 7 and len(table) == 501
        table["w1"] = Index(9, lambda t=table: t.__delitem__("w1"))  # deleted, then stored
        assert table["w1"] == 9 and len(table) == 501
        assert table.get_many(["w0", "w499", "kyiv", "w1"], -1) == [0, 499, 7, 9]


def test_an_index_that_empties_the_odd_lists_under_a_pair_walk() -> None:
    table = _speedups.KeyTable()
    table["drone"], table["strike"] = 1, 2
    odd: dict[str, list[Any]] = {}

    def wreck() -> None:
        odd.clear()  # the list being read is freed, unless held

    odd["drones"] = [Index(1, wreck), 5, 6]
    pairs: set[int] = set()
    table.odd_pairs([["drones", "strike"]], odd, pairs)
    assert pairs == {1 << 32 | 2, 5 << 32 | 2, 6 << 32 | 2}  # as read when the walk began


class Collider:
    """Equal to nothing, but with a word's hash: a dict look-up of that word calls __eq__."""

    def __init__(self, word: str, then: Callable[[], object]) -> None:
        self.hash = hash(word)
        self.then = then

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        self.then()
        return False


def test_an_eq_that_empties_the_fields_under_a_pair_walk() -> None:
    table = _speedups.KeyTable()
    table["drone"], table["strike"], table["x"] = 1, 2, 3
    words = ["drone", "drones", "strike", "x", "drones", "strike"]
    title = [fresh(w) for w in words]
    starts = {fresh("drone"), fresh("drones")}

    def wreck() -> None:
        title.clear()  # its words and its item array are freed, unless held
        title.extend(fresh("zz") for _ in range(3))
        starts.clear()

    odd: dict[Any, list[int]] = {"drones": [1, 4], Collider("strike", wreck): [9]}
    pairs: set[int] = set()
    table.odd_pairs([title], odd, pairs)
    assert pairs == {1 << 32 | 1, 1 << 32 | 4, 1 << 32 | 2, 4 << 32 | 2, 3 << 32 | 1, 3 << 32 | 4}
    title[:] = [fresh(w) for w in words]
    starts.update({fresh("drone"), fresh("drones")})
    assert table.adjacent([title], starts, odd, 1, 2) == [("drones", "strike")] * 2


def test_a_generator_of_fields_that_replaces_the_starts() -> None:
    # The fields are read before the start words are: what the generator does to them counts.
    table = _speedups.KeyTable()
    table["drone"], table["strike"] = 1, 2
    starts = {fresh("drone")}

    def fields() -> Iterator[list[str]]:
        starts.clear()  # the "drone" first given is freed, unless held
        starts.update({fresh(f"s{i}") for i in range(50)})  # a new table: the old is freed
        starts.add(fresh("drone"))  # another "drone"
        yield ["drone", "strike"]

    assert table.adjacent(fields(), starts, {}, 1, 2) == [("drone", "strike")]
    model = keytable.KeyTableReference()
    model["drone"], model["strike"] = 1, 2
    assert model.adjacent(fields(), starts, {}, 1, 2) == [("drone", "strike")]


def test_present_with_an_eq_that_empties_the_shelves_under_match_groups() -> None:
    def records(entry: str) -> list[Any]:
        return [(entry, (0, 1), ()), (entry + "'", (0, 1), ())]

    now: list[Any] = [records("a"), records("b"), records("c")]
    after: list[Any] = [{1: records("d")}, None, None]
    rest: list[Any] = [records("e"), records("f"), records("g")]

    def wreck() -> None:
        for shelves in (now, after, rest):
            for shelf in shelves:
                if isinstance(shelf, list | dict):
                    shelf.clear()
            shelves.clear()  # the lists shrink to nothing under the walk

    present = {0, 1, Collider("x", wreck)}
    for shelf in rest:
        shelf[0] = tuple([fresh("r"), (0, 1, "x"), ()])  # asks `present` about "x": runs wreck
    found = _speedups.match_groups(now, after, rest, present, [0, 1, 2])
    # whatever was taken before the wreck, and nothing read from freed memory
    assert all(isinstance(r, tuple) and len(r) == 3 for r in found)
    assert {r[0] for r in found} <= {"a", "a'", "d", "d'", "r"}


def test_an_index_that_shortens_the_shelves_before_match_groups_reads_them() -> None:
    now: list[Any] = [[tuple([fresh(e), (i,), ()])] for i, e in enumerate(["aa", "bb", "cc"])]
    after: list[Any] = [None, None, None]
    rest: list[Any] = [None, None, None]

    def shorten() -> None:
        for shelves in (now, after, rest):
            del shelves[1:]

    found = _speedups.match_groups(now, after, rest, {0}, [Index(0, shorten), 2, 1])
    assert found == [("aa", (0,), ())]  # ids 1 and 2 are out of range by the time they are read


def test_an_index_that_clears_the_table_warm_is_prefetching() -> None:
    table: list[object] = [object() for _ in range(100)]
    _speedups.warm(table, [Index(0, table.clear), 50, 99])
    assert table == []


class Reenter:
    """Cyclic garbage whose __del__ runs classes_and_pairs again, moves the words of a field
    list to a new item array (freeing the old one), and leaves more such garbage behind, so that
    the collector finds some at the next allocation of the call it interrupted."""

    def __init__(self, table: Any, field: list[str], budget: list[int]) -> None:
        self.me = self
        self.table, self.field, self.budget = table, field, budget

    def __del__(self) -> None:
        self.table.classes_and_pairs([["drone", "drones", "kyiv", "kyiv's"]], b"\x01" * 8)
        words = list(self.field)
        self.field.clear()
        self.field.extend(words)
        if self.budget[0] > 0:
            self.budget[0] -= 1
            Reenter(self.table, self.field, self.budget)


def test_a_collection_in_the_middle_of_classes_and_pairs() -> None:
    # A new list (a class's other words) may run the collector, whose finalisers may call
    # classes_and_pairs again (which must not reuse the outer call's scratch table) and change
    # the caller's lists (which must not move the words the call is reading).
    table, model = _speedups.KeyTable(), keytable.KeyTableReference()
    for key, value in {"drone": 1, "drones": 1, "kyiv": 2, "kyiv's": 2, "x": 3, "xs": 3}.items():
        table[key] = model[key] = value
    words = ["drone", "drones", "x", "xs", "kyiv", "kyiv's"] * 20
    title = [fresh(w) for w in words]
    expected = model.classes_and_pairs([words], b"\x01" * 8)
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for _ in range(20):
            budget = [30]
            Reenter(table, title, budget)
            got = table.classes_and_pairs([title], b"\x01" * 8)
            assert got == expected
            assert budget[0] < 30  # the collector did run finalisers
    finally:
        gc.set_threshold(*thresholds)


def test_the_hostile_tests_pass_under_the_debug_allocator() -> None:
    if os.environ.get("PYTHONMALLOC") == "debug":
        pytest.skip("this is the run under the debug allocator")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "not debug_allocator",
            __file__,
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONMALLOC": "debug", "HYPOTHESIS_PROFILE": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
