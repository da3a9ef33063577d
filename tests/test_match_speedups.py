"""The C speed-ups agree with their pure-Python twins, which are the specification.

Where the extension was not built (no C compiler at install) these tests skip, saying so; CI sets
NEWSBOT_REQUIRE_SPEEDUPS=1, under which a missing extension fails
(tests/test_match_implementation.py), so a broken build cannot pass unnoticed there. Hostile
input: tests/test_match_speedups_hostile.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.match.groups import match_groups_reference
from bot.match.keytable import KeyTableReference
from bot.match.text import scan_reference

_speedups = pytest.importorskip(
    "bot.match._speedups", reason="the C speed-ups are not built (no C compiler at install)"
)

# Characters that exercise every branch: ASCII in both cases, digits, the underscore (not a word
# character), apostrophes in and between words, Cyrillic with й ї ґ ё, accented Latin, combining
# marks (stress, a dot above), letters whose case fold is longer (ß, İ) or differs from lower()
# (ς), punctuation, spaces, and anything else Unicode has.
_CHARS = st.one_of(
    st.sampled_from(list("aZz09_' ’-.,«»\n\tAbcXyz")),
    st.sampled_from(list("київКИЇВйґҐёЁщЩ")),
    st.sampled_from(list("éÉüÜñçŁłßİıςΣ\u0301\u0307\u00ad")),
    st.characters(),
)


@given(st.text(_CHARS, max_size=80))
@settings(max_examples=2000)
@example("İSTANBUL Drone’s and drone's Київ Ки\u0301їв ß Straße naïve")
@example("rock'n'roll 'quoted' ends' 'starts o''clock _under_score_")
@example("")
def test_scan_is_its_python_twin(s: str) -> None:
    assert _speedups.scan(s) == scan_reference(s)


def test_scan_folds_every_latin_and_cyrillic_character_as_python_does() -> None:
    # the C scan folds these itself (most news words), and hands the rest to str.casefold
    for code in range(0x500):
        for s in (chr(code), f"Ab{chr(code)}cД", f"{chr(code)}ї'{chr(code)}"):
            assert _speedups.scan(s) == scan_reference(s), hex(code)


def test_scan_rejects_what_is_not_text() -> None:
    with pytest.raises(TypeError):
        _speedups.scan(b"bytes")  # type: ignore[arg-type]


_KEYS = st.text(st.sampled_from("abcкиїé'"), max_size=4)
_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), _KEYS, st.integers(-(2**40), 2**40)),
        st.tuples(st.sampled_from(["del", "pop", "get", "in"]), _KEYS, st.just(0)),
        st.tuples(st.just("many"), st.lists(_KEYS, max_size=30), st.integers(-2, 2)),
    ),
    max_size=300,
)


@given(_OPS)
@settings(max_examples=500)
def test_key_table_is_its_python_twin(ops: list[tuple[str, object, int]]) -> None:
    table, model = _speedups.KeyTable(), KeyTableReference()
    for op, key, value in ops:
        if op == "set":
            assert isinstance(key, str)
            if -(2**31) <= value < 2**31:
                table[key] = model[key] = value
            else:  # not a value either takes
                for twin in (table, model):
                    with pytest.raises(OverflowError):
                        twin[key] = value
        elif op == "many":
            assert isinstance(key, list)
            assert table.get_many(key, value) == model.get_many(key, value)
        else:
            assert isinstance(key, str)
            if op == "in":
                assert (key in table) == (key in model)
            elif op == "get":
                assert table.get(key) == model.get(key)
            elif key not in model:
                with pytest.raises(KeyError):
                    table.pop(key) if op == "pop" else table.__delitem__(key)
            elif op == "pop":
                assert table.pop(key) == model.pop(key)
            else:
                del table[key], model[key]
        assert len(table) == len(model)


def test_key_table_keeps_a_hundred_thousand_keys_through_growth_and_deletions() -> None:
    table = _speedups.KeyTable()
    keys = [f"word{i}" for i in range(100_000)]
    for i, k in enumerate(keys):
        table[k] = i
    for k in keys[::2]:
        del table[k]
    for i, k in enumerate(keys[::3]):  # half of these come back, after their deletion
        table[k] = -i
    model = {k: i for i, k in enumerate(keys) if i % 2}
    model.update({k: -i for i, k in enumerate(keys[::3])})
    assert len(table) == len(model)
    probe = [*keys, "absent", ""]
    assert table.get_many(probe, 7) == [model.get(k, 7) for k in probe]


def test_key_table_rejects_keys_that_are_not_text() -> None:
    table = _speedups.KeyTable()
    with pytest.raises(TypeError):
        table[1] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        table.get_many(["a", 2], 0)  # type: ignore[list-item]
    table["a"] = 1
    assert table.get_many(["a"], 0) == [1]  # and is still usable


@given(
    st.dictionaries(_KEYS, st.integers(-2, 40), max_size=30),  # -2: SEVERAL
    st.lists(st.lists(_KEYS, max_size=20), max_size=3),
    st.binary(max_size=50),
)
@settings(max_examples=500)
def test_classes_and_pairs_is_its_python_twin(
    entries: dict[str, int], fields: list[list[str]], firsts: bytes
) -> None:
    table, model = _speedups.KeyTable(), KeyTableReference()
    for key, value in entries.items():
        table[key] = model[key] = value
    expected = model.classes_and_pairs(fields, firsts)
    assert table.classes_and_pairs(fields, firsts) == expected
    assert table.classes_and_pairs(fields, bytearray(firsts)) == expected


def test_classes_and_pairs_pairs_within_a_field_only() -> None:
    table = KeyTableReference(drone=1, strike=2, kyiv=3)
    flags = bytes([0, 1, 0, 1])  # drone and kyiv begin phrases
    fields = [["drone", "strike", "x"], ["kyiv"], ["drone"]]
    cids, pairs, words, several, more = table.classes_and_pairs(fields, flags)
    assert cids == {1, 2, 3}
    assert words == {1: "drone", 2: "strike", 3: "kyiv"}
    assert several == set()
    assert more == {}
    table["drones"] = 1  # a second word of class 1
    assert table.classes_and_pairs([["drone", "drones"], ["drones"]], flags)[4] == {1: ["drones"]}
    assert pairs == {1 << 32 | 2}  # not kyiv → drone across fields, not strike → x (no class)


_CLASS_LISTS = st.lists(st.integers(0, 40), min_size=1, max_size=3)


@given(
    st.dictionaries(_KEYS, st.integers(-2, 40), max_size=30),
    st.lists(st.lists(_KEYS, max_size=20), max_size=3),
    st.dictionaries(_KEYS, _CLASS_LISTS, max_size=6),
    st.sets(st.integers(0, 2**40)),
)
@settings(max_examples=500)
def test_odd_pairs_is_its_python_twin(
    entries: dict[str, int], fields: list[list[str]], odd: dict[str, list[int]], pairs: set[int]
) -> None:
    table, model = _speedups.KeyTable(), KeyTableReference()
    for key, value in entries.items():
        table[key] = model[key] = value
    found, expected = set(pairs), set(pairs)
    table.odd_pairs(fields, odd, found)
    model.odd_pairs(fields, odd, expected)
    assert found == expected


@given(
    st.dictionaries(_KEYS, st.integers(-2, 40), max_size=30),
    st.lists(st.lists(_KEYS, max_size=20), max_size=3),
    st.sets(_KEYS, max_size=6),
    st.dictionaries(_KEYS, _CLASS_LISTS, max_size=6),
    st.integers(0, 40),
    st.integers(0, 40),
)
@settings(max_examples=500)
def test_adjacent_is_its_python_twin(
    entries: dict[str, int],
    fields: list[list[str]],
    starts: set[str],
    odd: dict[str, list[int]],
    a: int,
    b: int,
) -> None:
    table, model = _speedups.KeyTable(), KeyTableReference()
    for key, value in entries.items():
        table[key] = model[key] = value
    assert table.adjacent(fields, starts, odd, a, b) == model.adjacent(fields, starts, odd, a, b)


def test_odd_words_pair_with_every_class_of_their_neighbours() -> None:
    for table in (_speedups.KeyTable(), KeyTableReference()):
        table["drone"], table["strike"] = 1, 2
        odd = {"drones": [1, 5]}  # a plural: the classes of both its keys
        pairs: set[int] = set()
        table.odd_pairs([["drones", "strike", "drone"], ["x", "drones"]], odd, pairs)
        # drones → strike, and x → drones pairs nothing (x has no class); strike → drone is not
        # at an odd word (the key table's own call pairs it)
        assert pairs == {1 << 32 | 2, 5 << 32 | 2}, table
        fields = [["drones", "strike", "drone", "strike"], ["drone", "strike"]]
        assert table.adjacent(fields, {"drone", "drones"}, odd, 1, 2) == [
            ("drones", "strike"),
            ("drone", "strike"),
            ("drone", "strike"),
        ]
        assert table.adjacent(fields, {"drone"}, odd, 1, 2) == [
            ("drone", "strike"),
            ("drone", "strike"),
        ]


def test_pair_methods_reject_bad_input() -> None:
    table = _speedups.KeyTable()
    table["a"] = 1
    with pytest.raises(TypeError):
        table.odd_pairs([["a", 1]], {}, set())  # type: ignore[list-item]
    with pytest.raises(TypeError):
        table.odd_pairs([["a", "b"]], {"a": (1,)}, set())  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        table.odd_pairs([["a", "b"]], {"a": [-3]}, set())
    with pytest.raises(TypeError):
        table.adjacent([["a", "b"]], ["a"], {}, 1, 1)  # type: ignore[arg-type]
    many = {f"w{i}" for i in range(100)} | {"a"}  # past the fast path's 64 start words
    assert table.adjacent([["a", "a"]], many, {}, 1, 1) == [("a", "a")]
    odd = {f"w{i}": [i] for i in range(100)}  # and past it for odd words
    pairs: set[int] = set()
    table.odd_pairs([["a", "w7", "a", "x", "w99"]], odd, pairs)
    assert pairs == {1 << 32 | 7, 7 << 32 | 1}


def test_warm_is_only_a_hint() -> None:
    table: list[object] = [None, "a", (1, 2), 3.5]
    before = list(table)
    _speedups.warm(table, [0, 1, 2, 3, 3, -1, 99])  # ids out of range are passed over
    assert table == before
    with pytest.raises(TypeError):
        _speedups.warm(table, ["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        _speedups.warm((1, 2), [0])  # type: ignore[arg-type]


_IDS = st.tuples(*(st.lists(st.integers(0, 6), max_size=3).map(tuple) for _ in range(2)))


@st.composite
def _shelves(draw: st.DrawFn) -> tuple[list[Any], list[Any], list[Any]]:
    size = draw(st.integers(0, 6))

    def records() -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
        return [(draw(st.integers(0, 99)), *draw(_IDS)) for _ in range(draw(st.integers(1, 3)))]

    now = [(draw(st.booleans()) and records()) or None for _ in range(size)]
    after = [
        (draw(st.booleans()) and {b: records() for b in draw(st.sets(st.integers(0, 6)))}) or None
        for _ in range(size)
    ]
    rest = [(draw(st.booleans()) and records()) or None for _ in range(size)]
    return now, after, rest


@given(_shelves(), st.sets(st.integers(0, 6)), st.lists(st.integers(-2, 8), max_size=8))
@settings(max_examples=500)
def test_match_groups_is_its_python_twin(
    shelves: tuple[list[Any], list[Any], list[Any]], present: set[int], ids: list[int]
) -> None:
    # the same records, in whatever order (the C twin walks an after-shelf from its smaller side)
    found = _speedups.match_groups(*shelves, present, ids)
    expected = match_groups_reference(*shelves, present, ids)
    assert sorted(found) == sorted(expected)


def test_match_groups_rejects_what_is_not_a_record() -> None:
    with pytest.raises(TypeError):
        _speedups.match_groups([[("e", [1], ())]], [None], [None], {1}, [0])
    with pytest.raises(ValueError):
        _speedups.match_groups([None], [], [None], {1}, [0])
