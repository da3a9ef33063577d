"""Is this the same story as that one? Near-duplicate detection across outlets (pure).

Two reports are one story when they were published within 48 hours of each other and either
- their titles share most of their content words (Jaccard ≥ 0.6 over folded words cut to their
  first 5 letters, without stop words, and at least 3 words in common; ≥ 0.85 when they are more
  than 12 hours apart, as a similar title a day later is often a follow-up), or
- their leads are near-identical text (Jaccard ≥ 0.5 over word 3-shingles of the first 60 words,
  each lead at least 15 shingles long, since a short lead is often a generic standfirst):
  syndicated wire copy under a rewritten headline.
Whatever the words, titles that carry different numbers are different stories ("13 communities"
vs "9 communities", "death toll rises to 12" vs "to 14"): follow-ups and repeated events share
most words and differ exactly there. The figures on a labelled set are in the README
(`python bench/dedupe.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.match.text import words

T = TypeVar("T")

WINDOW = timedelta(hours=48)
TITLE_JACCARD = 0.6
PROMPT = timedelta(hours=12)  # how soon other outlets' reports of a story usually follow it
TITLE_JACCARD_LATE = 0.85
TITLE_MIN_SHARED = 3
STEM = 5  # title words compare on their first 5 letters
LEAD_JACCARD = 0.5
LEAD_WORDS = 60
LEAD_MIN_SHINGLES = 15
LEAD_KEYS = 12  # a lead's index keys: its shingles with the smallest hashes (a bottom-k sketch)
MAX_KEYS = 48  # no story has more index keys than this (the store keeps one row per key)

# Words that say nothing about which story it is. Small on purpose: English headlines only.
_STOP = """a an the and or but of in on at to for from by with as into over after before about
    is are was were be been being has have had do does did will would could should may might
    it its this that these those he she they we you i his her their our your
    not no new says say said s t amid up out than then more most"""
STOP_WORDS = frozenset(_STOP.split())


@dataclass(frozen=True, slots=True)
class StoryPrint:
    """What comparing two stories needs, computed once per story."""

    title_words: frozenset[str]
    title_numbers: frozenset[str]
    lead_shingles: frozenset[tuple[str, str, str]]
    published: datetime


def story_print(title: str, lead: str, published: datetime) -> StoryPrint:
    folded = words(title)
    numbers = frozenset(w for w in folded if any(c.isdigit() for c in w))
    content = frozenset(_stem(w) for w in folded if w not in STOP_WORDS)
    lead_words = words(lead[: LEAD_WORDS * 12])[:LEAD_WORDS]  # 60 words fit in 720 characters
    shingles = frozenset(zip(lead_words, lead_words[1:], lead_words[2:], strict=False))
    return StoryPrint(content, numbers, shingles, published)


def _stem(word: str) -> str:
    # Crude but language-blind: "injured"/"injuring", "Russia"/"Russian" compare equal. Numbers
    # stay whole, so "2024" and "20245" never meet.
    return word if any(c.isdigit() for c in word) else word[:STEM]


def _jaccard(a: frozenset[T], b: frozenset[T]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def title_similarity(a: StoryPrint, b: StoryPrint) -> float:
    return _jaccard(a.title_words, b.title_words)


def lead_similarity(a: StoryPrint, b: StoryPrint) -> float:
    if min(len(a.lead_shingles), len(b.lead_shingles)) < LEAD_MIN_SHINGLES:
        return 0.0
    return _jaccard(a.lead_shingles, b.lead_shingles)


def same_story(a: StoryPrint, b: StoryPrint, *, window: timedelta = WINDOW) -> bool:
    if abs(a.published - b.published) > window:
        return False
    if a.title_numbers and b.title_numbers and a.title_numbers != b.title_numbers:
        return False
    shared = len(a.title_words & b.title_words)
    similar = title_similarity(a, b)
    # Outlets report a story within hours; a similar title a day later is more often a follow-up
    # ("…withdrawing from…" → "…complete withdrawal from…"), so then only a near-identical one
    # counts.
    needed = TITLE_JACCARD if abs(a.published - b.published) <= PROMPT else TITLE_JACCARD_LATE
    if shared >= TITLE_MIN_SHARED and similar >= needed:
        return True
    return lead_similarity(a, b) >= LEAD_JACCARD


def best_match(new: StoryPrint, candidates: Iterable[tuple[int, StoryPrint]]) -> int | None:
    """The id of the candidate most like `new` among those that are the same story, or None."""
    best: tuple[float, int] | None = None
    for ident, candidate in candidates:
        if not same_story(new, candidate):
            continue
        score = max(title_similarity(new, candidate), lead_similarity(new, candidate))
        if best is None or score > best[0]:
            best = (score, ident)
    return None if best is None else best[1]


def key_hash(text: str) -> int:
    """A stable signed 64-bit hash (the same in every process and release), for index rows."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


def index_keys(story: StoryPrint) -> frozenset[int]:
    """What the store indexes a story under, so that finding the stories a new one may be the same
    as costs a look-up per key, however many stories are stored.

    The promise (tested): two stories that `same_story` joins share at least one key. The keys are
    the title's content words (a title match needs 3 in common) and the lead's shingles with the
    smallest hashes: two leads with Jaccard ≥ 0.5 share one of their 12 smallest with probability
    ≥ 1 - 2^-12. At most `MAX_KEYS` per story.
    """
    keys = {key_hash("t:" + word) for word in story.title_words}
    if len(story.lead_shingles) >= LEAD_MIN_SHINGLES:
        hashed = sorted(key_hash("l:" + " ".join(s)) for s in story.lead_shingles)
        keys.update(hashed[:LEAD_KEYS])
    return frozenset(sorted(keys)[:MAX_KEYS]) if len(keys) > MAX_KEYS else frozenset(keys)


class StoryIndex:
    """Stories to compare a new one with, looked up by `index_keys`, so that only those sharing a
    key are compared at all: the in-memory twin of the store's `story_keys` table (used by
    `newsbot check`). Same answers as `best_match` over every story added."""

    def __init__(self) -> None:
        self._stories: list[tuple[int, StoryPrint]] = []
        self._by_key: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._stories)

    def add(self, ident: int, story: StoryPrint) -> None:
        position = len(self._stories)
        self._stories.append((ident, story))
        for key in index_keys(story):
            self._by_key.setdefault(key, []).append(position)

    def best(self, new: StoryPrint) -> int | None:
        candidates: set[int] = set()
        for key in index_keys(new):
            candidates.update(self._by_key.get(key, ()))
        return best_match(new, (self._stories[p] for p in sorted(candidates)))
