# ruff: noqa: E402  (the path is set up before the project imports)
"""Operations benchmark: what a Prometheus scrape, a status page view and /stats cost at a big
install's size.

    python bench/ops.py [--sources 50000] [--chats 20000] [--alerts 500000] [--database-url URL]

Run from the repository root. Seeds (untimed) the sources, chats (five topics each), and alerts
spread over 90 days (2% still pending, 1% failed; 5% of the sources failing, 1% parked), then
times each read: the best of 5 runs, in milliseconds. Prints one line per read; the LAST line
has the totals: scrape_ms (what /metrics reads and renders), page_ms (the status page's first
page, rendered) and last_page_ms (its last page).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text

from bot.domain import OpsFigures
from bot.ops.metrics import Metrics
from bot.ops.page import PageData, render_page
from bot.store.database import SqlStore, open_store
from bot.store.tables import alerts, articles, chats, metadata, sources, subscriptions

PER_PAGE = 100
BATCH = 20_000
TOPICS = [f"topic {n}" for n in range(2000)]


async def seed(store: SqlStore, n_sources: int, n_chats: int, n_alerts: int) -> None:
    rnd = random.Random(7)
    now = datetime.now(UTC)
    async with store.engine.begin() as c:
        rows = []
        for i in range(n_sources):
            failing, parked = i % 20 == 1, i % 100 == 2
            rows.append(
                {
                    "url": f"https://s{i}.example/rss",
                    "name": f"Source {i}",
                    "interval": 300.0,
                    "last_polled_at": now - timedelta(seconds=rnd.uniform(0, 600)),
                    "next_poll_at": now + timedelta(seconds=rnd.uniform(0, 600)),
                    "failures": 3 if failing or parked else 0,
                    "last_error": "HTTP 500" if failing or parked else None,
                    "parked_at": now if parked else None,
                    "parked_reason": "HTTP 410 (gone)" if parked else None,
                }
            )
        for start in range(0, len(rows), BATCH):
            await c.execute(insert(sources), rows[start : start + BATCH])
        await c.execute(
            insert(chats),
            [
                {"platform": "telegram" if n % 4 else "slack", "chat": str(n)}
                for n in range(n_chats)
            ],
        )
        chat_ids = list((await c.scalars(select(chats.c.id))).all())
        subs = [
            {"chat_id": cid, "topic": t, "key": t, "created_at": now}
            for cid in chat_ids
            for t in rnd.sample(TOPICS, 5)
        ]
        for start in range(0, len(subs), BATCH):
            await c.execute(insert(subscriptions), subs[start : start + BATCH])
        # One story per 10 alerts, from the first sources.
        n_articles = max(n_alerts // 10, 1)
        spread = timedelta(days=90).total_seconds()
        arts = []
        for a in range(n_articles):
            seen = now - timedelta(seconds=spread * (1 - a / n_articles))
            arts.append(
                {
                    "key": f"k{a}",
                    "source_url": f"https://s{a % max(n_sources, 1)}.example/rss",
                    "url": f"https://s.example/{a}",
                    "title": f"Story {a}",
                    "summary": "",
                    "published_at": seen,
                    "seen_at": seen,
                    "cluster_id": a + 1,
                }
            )
        for start in range(0, len(arts), BATCH):
            await c.execute(insert(articles), arts[start : start + BATCH])
        art_rows = (await c.execute(select(articles.c.id, articles.c.seen_at))).all()
        batch = []
        for i in range(n_alerts):
            art_id, seen = art_rows[i // 10 % len(art_rows)]
            roll = rnd.random()
            status = "pending" if roll < 0.02 else "failed" if roll < 0.03 else "sent"
            batch.append(
                {
                    "chat_id": chat_ids[i % len(chat_ids)],
                    "article_id": art_id,
                    "cluster_id": art_id,
                    "topic": rnd.choice(TOPICS),
                    "terms": [],
                    "status": status,
                    "created_at": seen,
                    "sent_at": seen if status == "sent" else None,
                }
            )
            if len(batch) == BATCH:
                await c.execute(insert(alerts), batch)
                batch = []
        if batch:
            await c.execute(insert(alerts), batch)
    if store.engine.dialect.name == "postgresql":
        async with store.engine.connect() as c:
            await c.execution_options(isolation_level="AUTOCOMMIT")
            await c.execute(text("ANALYZE"))


async def best_ms(fn: Callable[[], Awaitable[object]], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/bench.sqlite3"
    store = await open_store(url)
    try:
        if store.engine.dialect.name == "postgresql":  # start from empty tables
            async with store.engine.begin() as c:
                for table in reversed(metadata.sorted_tables):
                    await c.execute(table.delete())
        started = time.perf_counter()
        await seed(store, args.sources, args.chats, args.alerts)
        print(
            f"seeded {args.sources} sources, {args.chats} chats, {args.chats * 5} topics, "
            f"{args.alerts} alerts on {store.engine.dialect.name} in "
            f"{time.perf_counter() - started:.0f}s"
        )
        now = datetime.now(UTC)
        metrics = Metrics(version="bench")
        figures: list[OpsFigures] = []

        async def scrape() -> None:
            figures[:] = [await store.ops_figures(now=now)]
            metrics.render(figures[0])

        async def page(number: int) -> None:
            hours = await store.alerts_per_hour(now=now, hours=48)
            topics = await store.alerts_per_topic(since=hours[0].hour, limit=12)
            total, rows = await store.source_health(limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
            render_page(
                PageData(
                    "bench",
                    await store.ops_figures(now=now),
                    hours,
                    topics,
                    rows,
                    total,
                    number,
                    PER_PAGE,
                )
            )

        last = max((args.sources + PER_PAGE - 1) // PER_PAGE, 1)
        reads = {
            "ops_figures": lambda: store.ops_figures(now=now),
            "source_health first page": lambda: store.source_health(limit=PER_PAGE),
            "source_health last page": lambda: store.source_health(
                limit=PER_PAGE, offset=(last - 1) * PER_PAGE
            ),
            "alerts_per_hour 48 h": lambda: store.alerts_per_hour(now=now, hours=48),
            "alerts_per_topic 48 h": lambda: store.alerts_per_topic(
                since=now - timedelta(hours=48), limit=12
            ),
            "scrape": scrape,
            "page": lambda: page(1),
            "last page": lambda: page(last),
        }
        result = {}
        for name, fn in reads.items():
            result[name] = await best_ms(fn)
            print(f"{name}: {result[name]:.1f} ms")
        print(
            f"scrape_ms: {result['scrape']:.1f} page_ms: {result['page']:.1f} "
            f"last_page_ms: {result['last page']:.1f}"
        )
    finally:
        await store.close()
        tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=50_000)
    parser.add_argument("--chats", type=int, default=20_000)
    parser.add_argument("--alerts", type=int, default=500_000)
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
