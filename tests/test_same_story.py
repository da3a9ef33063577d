"""Near-duplicate detection on the hand-labelled pairs (tests/fixtures/stories/labelled-pairs.json):
no distinct stories merge, and every same-story pair merges except the two labelled expected misses
(paraphrases sharing neither title words nor wire copy; figures in the README)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.alerts.same_story import (
    MAX_KEYS,
    StoryIndex,
    best_match,
    index_keys,
    key_hash,
    same_story,
    story_print,
)

PAIRS = json.loads((Path(__file__).parent / "fixtures/stories/labelled-pairs.json").read_text())
T0 = datetime(2024, 4, 17, tzinfo=UTC)


@pytest.mark.parametrize("pair", PAIRS["pairs"], ids=lambda p: p["why"][:60])
def test_labelled_pair(pair: dict[str, object]) -> None:
    a, b = (
        story_print(s["title"], s["lead"], T0 + timedelta(hours=s["hours"]))  # type: ignore[index]
        for s in (pair["a"], pair["b"])
    )
    expected = pair["same"] and "expected miss" not in str(pair["why"])
    assert same_story(a, b) is expected
    assert same_story(b, a) is expected


def test_best_match_prefers_the_closest_story() -> None:
    new = story_print("Kremlin confirms peacekeepers withdrawing from Nagorno-Karabakh", "", T0)
    close = story_print(
        "Kremlin confirms Russian peacekeepers withdrawing from Nagorno-Karabakh", "", T0
    )
    closer = story_print("Kremlin confirms peacekeepers withdrawing from Nagorno-Karabakh!", "", T0)
    unrelated = story_print("Norwegian foreign minister visits Odesa", "", T0)
    assert best_match(new, [(1, unrelated), (2, close), (3, closer)]) == 3
    assert best_match(new, [(1, unrelated)]) is None


def test_the_index_answers_exactly_as_comparing_with_every_story() -> None:
    prints = [
        story_print(s["title"], s["lead"], T0 + timedelta(hours=s["hours"]))
        for pair in PAIRS["pairs"]
        for s in (pair["a"], pair["b"])
    ]
    merged = 0
    for i, new in enumerate(prints):
        others = [(j, p) for j, p in enumerate(prints) if j != i]
        index = StoryIndex()
        for j, p in others:
            index.add(j, p)
        assert index.best(new) == best_match(new, others)
        merged += index.best(new) is not None
    assert merged >= 20  # the comparison is not vacuous: most stories have a twin


def test_stories_that_are_the_same_share_an_index_key() -> None:
    # The store finds candidates by index key only: a joined pair without a shared key would be
    # missed. Every same-story verdict on the labelled set, and on the Guardian feed's items.
    prints = [
        story_print(s["title"], s["lead"], T0 + timedelta(hours=s["hours"]))
        for pair in PAIRS["pairs"]
        for s in (pair["a"], pair["b"])
    ]
    joined = 0
    for a in prints:
        for b in prints:
            if a is not b and same_story(a, b):
                joined += 1
                assert index_keys(a) & index_keys(b)
        assert 0 < len(index_keys(a)) <= MAX_KEYS
    assert joined >= 20


def test_index_keys_are_stable_across_processes() -> None:
    # Stored keys must mean the same to every process and every release (no PYTHONHASHSEED).
    # A change here orphans every stored key: it needs a migration that re-keys stored stories.
    assert key_hash("t:kyiv") == 1872653645811138499
