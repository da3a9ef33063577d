"""Cross-outlet deduplication (`bot.alerts.same_story`) on labelled story pairs: false merges and
misses. Run from the repository root: `python bench/dedupe.py`.

Two sets: the hand-labelled pairs in tests/fixtures/stories/labelled-pairs.json (same story from
two outlets, and distinct stories that share words), and every pair of items in the Guardian US
feed fixture published within 48 hours of each other (55 distinct stories; the one pair that is a
video and an article about the same story is labelled the same).
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.alerts.same_story import (  # noqa: E402
    StoryIndex,
    best_match,
    same_story,
    story_print,
)
from bot.ingest.normalise import html_to_text  # noqa: E402
from bot.ingest.parse import parse_feed  # noqa: E402

PAIRS = ROOT / "tests/fixtures/stories/labelled-pairs.json"
GUARDIAN = ROOT / "tests/fixtures/feeds/rss-parser/input/guardian.rss"
T0 = datetime(2024, 4, 17, tzinfo=UTC)
GUARDIAN_SAME = {
    frozenset(
        {
            "Stormy Daniels on Jimmy Kimmel: porn actor casts doubt on denial of Trump affair "
            "– video",
            "Porn actor Stormy Daniels casts doubt on denial of affair with Trump",
        }
    )
}


def labelled() -> list[tuple[bool, bool, str]]:
    """(label, verdict, why) for each hand-labelled pair."""
    data = json.loads(PAIRS.read_text(encoding="utf-8"))
    out = []
    for pair in data["pairs"]:
        a, b = (
            story_print(s["title"], s["lead"], T0 + timedelta(hours=s["hours"]))
            for s in (pair["a"], pair["b"])
        )
        out.append((pair["same"], same_story(a, b), pair["why"]))
    return out


def guardian() -> list[tuple[bool, bool, str]]:
    feed = parse_feed(GUARDIAN.read_bytes(), source=str(GUARDIAN))
    items = [
        (e.title, story_print(e.title, html_to_text(e.summary_html), e.published or T0))
        for e in feed.entries
    ]
    out = []
    for (ta, a), (tb, b) in itertools.combinations(items, 2):
        if abs(a.published - b.published) <= timedelta(hours=48):
            out.append((frozenset({ta, tb}) in GUARDIAN_SAME, same_story(a, b), f"{ta} / {tb}"))
    return out


def report(name: str, results: list[tuple[bool, bool, str]]) -> None:
    same = [r for r in results if r[0]]
    distinct = [r for r in results if not r[0]]
    misses = [r for r in same if not r[1]]
    false_merges = [r for r in distinct if r[1]]
    print(
        f"{name}: {len(same)} same-story pairs, {len(misses)} missed; "
        f"{len(distinct)} distinct pairs, {len(false_merges)} falsely merged"
    )
    for _, _, why in misses:
        print(f"  miss: {why}")
    for _, _, why in false_merges:
        print(f"  false merge: {why}")


def timing() -> None:
    feed = parse_feed(GUARDIAN.read_bytes(), source=str(GUARDIAN))
    texts = [(e.title, html_to_text(e.summary_html)) for e in feed.entries]
    started = time.perf_counter()
    prints = [story_print(t, lead, T0) for t, lead in texts * 20]
    per_print = (time.perf_counter() - started) / len(prints)
    started = time.perf_counter()
    compared = sum(1 for a in prints[:200] for b in prints if same_story(a, b) or True)
    per_pair = (time.perf_counter() - started) / compared
    print(
        f"story_print: {per_print * 1e6:.0f} µs per story; "
        f"same_story: {per_pair * 1e6:.2f} µs per pair"
    )
    # A full 48-hour window: 5,000 stored stories (the Guardian items, each title varied).
    stored = [story_print(f"{t} {n}", f"{lead} {n}", T0) for n in range(91) for t, lead in texts][
        :5000
    ]
    index = StoryIndex()
    for i, p in enumerate(stored):
        index.add(i, p)
    started = time.perf_counter()
    for p in prints[:200]:
        index.best(p)
    per_new = (time.perf_counter() - started) / 200
    started = time.perf_counter()
    for p in prints[:20]:
        best_match(p, enumerate(stored))
    per_scan = (time.perf_counter() - started) / 20
    print(
        f"a new story against {len(stored)} stored: {per_new * 1e3:.2f} ms with StoryIndex, "
        f"{per_scan * 1e3:.1f} ms comparing with each"
    )


if __name__ == "__main__":
    report("labelled pairs", labelled())
    report("Guardian feed, all pairs within 48 h", guardian())
    timing()
