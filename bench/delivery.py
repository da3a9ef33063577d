# ruff: noqa: E402  (the path is set up before the project imports)
"""Delivery benchmark: N alerts to N chats through the real outbox, paced for Telegram, against a
loopback fake platform that enforces 30 messages/s and answers 429 beyond it.

    python bench/delivery.py [--alerts 10000] [--database-url URL]

Run from the repository root. Prints progress, then as the LAST line the sustained rate, the
number of 429s and the process memory (RSS) at the start and end of delivery. Target: rate >= 29
msg/s, 0 x 429, flat memory. 10,000 alerts take about 6 minutes (30/s is the point).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import insert, select

from bot.delivery.outbox import Outbox
from bot.delivery.policy import DeliveryPolicy
from bot.domain import Article
from bot.store.database import SqlStore, open_store
from bot.store.ports import NewAlert
from bot.store.tables import chats, subscriptions
from tests.support.loopchat import LoopChat

FEED = "https://bench.example/feed"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed(store: SqlStore, count: int) -> None:
    """`count` chats following one topic, and one story that matches them all: `count` alerts
    queued by the real ingest."""
    now = datetime.now(UTC)
    async with store.engine.begin() as connection:
        await connection.execute(
            insert(chats), [{"platform": "telegram", "chat": str(n)} for n in range(count)]
        )
        ids = (await connection.scalars(select(chats.c.id))).all()
        await connection.execute(
            insert(subscriptions),
            [{"chat_id": i, "topic": "bench", "key": "bench", "created_at": now} for i in ids],
        )
        sub_ids = (await connection.scalars(select(subscriptions.c.id))).all()
    plan = [NewAlert(i) for i in sub_ids]
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=now)
    story = Article("k", FEED, "Bench", "g", "https://bench.example/1", "Bench story", "", now)
    result = await store.ingest(
        FEED, [story], lambda a: plan, etag=None, last_modified=None, at=now
    )
    assert result.alerts_queued == count


def start_platform() -> subprocess.Popen[str]:
    # The platform runs in a process of its own, as a real one does: its clock is not disturbed
    # by the bot's work.
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.chatserver", "--per-second", "30"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


async def run(count: int, database_url: str, server: subprocess.Popen[str]) -> None:
    store = await open_store(database_url)
    await seed(store, count)
    print(f"seeded {count} alerts to {count} chats", flush=True)
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    server.stdout.close()
    stats = httpx.AsyncClient(base_url=url)

    async def received() -> dict[str, int]:
        answer: dict[str, int] = (await stats.get("/stats")).json()
        return answer

    try:
        chat = LoopChat(url, platform="telegram")
        outbox = Outbox(
            store=store,
            adapters={"telegram": chat},
            clock=lambda: datetime.now(UTC),
            policy=DeliveryPolicy(poll_seconds=0.05),
        )
        worker = asyncio.create_task(outbox.run())
        mem_start = rss_mb()
        started = time.monotonic()
        ticks = 0
        while (now := await received())["received"] < count:
            await asyncio.sleep(0.1)
            ticks += 1
            if ticks % 300 == 0:
                print(f"  {now['received']} sent, RSS {rss_mb():.1f} MB", flush=True)
        elapsed = time.monotonic() - started
        mem_end = rss_mb()
        outbox.stop()
        await worker
        await chat.stop()
        refused, distinct = now["refused"], now["distinct"]
    finally:
        await stats.aclose()
    await store.close()
    rate = count / elapsed
    print(
        f"delivery: {count} alerts to {count} chats in {elapsed:.1f} s: {rate:.2f} msg/s "
        f"sustained, {refused} x 429, {distinct} distinct, RSS {mem_start:.1f} MB -> "
        f"{mem_end:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        server = start_platform()
        try:
            asyncio.run(run(args.alerts, url, server))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
