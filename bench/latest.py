"""`/latest TOPIC` and `/test TOPIC` over 100,000 stored stories: latency per command.

    python bench/latest.py [--stories 100000] [--queries 500] [--seed 2]

Generates (not timed) stories like a feed's items (a 12-word title and a 60-word summary, English
and Ukrainian, see bench/match.py) and topics of the same mix as bench/match.py. Loads the stories
into the recent-stories index the bot keeps (`bot/match/recent.py`; load time printed), then runs
each topic through the real command handler (`Commands.handle`, reply composed, summaries cut) and
prints the 50th and 95th percentile and the worst latency. The last line is
`latest_p95_ms: N test_p95_ms: M load_s: L`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from match import Corpus  # noqa: E402

from bot.commands.core import Commands, Incoming  # noqa: E402
from bot.domain import Article, ChatAddress  # noqa: E402
from bot.match.engine import QueryMatcher  # noqa: E402
from bot.match.recent import RecentStories  # noqa: E402
from bot.store.database import open_store  # noqa: E402

NOW = datetime(2026, 1, 31, tzinfo=UTC)
CHAT = ChatAddress("terminal", "bench")


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    corpus = Corpus(rng)
    articles = []
    for n in range(args.stories):
        doc = corpus.story(72)
        articles.append(
            Article(
                key=f"k{n}",
                source_url="https://example.org/feed",
                source_name="Example",
                guid=None,
                url=f"https://example.org/{n}",
                title=doc.title,
                summary=doc.body,
                # 100,000 stories over 30 days, oldest first
                published=NOW - timedelta(seconds=(args.stories - n) * 26),
            )
        )
    topics = [corpus.topic() for _ in range(args.queries)]

    t = time.perf_counter()
    recent = RecentStories(limit=args.stories)
    recent.add(articles)
    load = time.perf_counter() - t
    print(f"indexed {len(recent)} stories in {load:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
        commands = Commands(store=store, matcher=QueryMatcher(), recent=recent, clock=lambda: NOW)
        figures = {}
        for command in ("latest", "test"):
            times: list[float] = []
            found = 0
            for topic in topics:
                t = time.perf_counter()
                reply = await commands.handle(Incoming(CHAT, f"/{command} {topic}"))
                times.append((time.perf_counter() - t) * 1000)
                found += bool(reply.stories)
            figures[command] = percentile(times, 95)
            print(
                f"/{command}: {len(topics)} topics, {found} with stories; ms p50 "
                f"{percentile(times, 50):.1f} p95 {figures[command]:.1f} max {max(times):.1f}"
            )
        await store.close()
    print(
        f"latest_p95_ms: {figures['latest']:.1f} test_p95_ms: {figures['test']:.1f} "
        f"load_s: {load:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
