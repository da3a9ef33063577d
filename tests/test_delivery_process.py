"""The real bot in its own process against a loopback chat platform: SIGTERM drains and loses
nothing; kill -9 at random moments loses nothing and duplicates at most one alert per kill."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.domain import Article, ChatAddress
from bot.store.database import open_store
from bot.store.ports import NewAlert
from bot.store.tables import alerts
from tests.support.chatserver import ChatServer

FEED = "https://ex.example/feed"
T0 = datetime.now(UTC)  # recent: housekeeping in the bot would prune older rows
ROOT = Path(__file__).resolve().parent.parent


async def seed(database_url: str, chats: int, stories: int) -> None:
    store = await open_store(database_url)
    try:
        for n in range(chats):
            await store.subscribe(ChatAddress("loop", f"c{n}"), "Sumy Oblast", "sumy oblast")
        plan = [NewAlert(s.id) for s in await store.active_subscriptions()]
        await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=T0)
        batch = [
            Article(f"k{n}", FEED, "Ex", f"g{n}", f"https://ex.example/{n}", f"S{n}", "", T0)
            for n in range(stories)
        ]
        await store.ingest(FEED, batch, lambda a: plan, etag=None, last_modified=None, at=T0)
    finally:
        await store.close()


async def alert_counts(database_url: str) -> dict[str, int]:
    store = await open_store(database_url)
    try:
        async with store.engine.begin() as connection:
            rows = await connection.execute(
                select(alerts.c.status, func.count()).group_by(alerts.c.status)
            )
            counts = {status: count for status, count in rows}
            leased = await connection.scalar(
                select(func.count()).where(alerts.c.lease_until.is_not(None))
            )
    finally:
        await store.close()
    return {**counts, "leased": leased or 0}


def start_bot(database_url: str, api: str, data_dir: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.botproc", database_url, api, str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    ready = process.stdout.readline().strip()
    process.stdout.close()  # it prints nothing more
    assert ready == "ready"
    return process


async def wait_for(condition: object, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_sigterm_finishes_the_send_in_flight_releases_the_rest_and_exits_0(
    database_url: str, tmp_path: Path
) -> None:
    await seed(database_url, chats=20, stories=10)
    with ChatServer(delay=0.05) as server:
        bot = start_bot(database_url, server.url, tmp_path)
        await wait_for(lambda: len(server.received) >= 20, within=20)
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, 15) == 0
        counts = await alert_counts(database_url)
        # Every message the platform took is recorded as sent; nothing is left leased.
        assert counts["sent"] == len(server.received) < 200
        assert counts["leased"] == 0 and counts["pending"] == 200 - counts["sent"]

        bot = start_bot(database_url, server.url, tmp_path)
        await wait_for(lambda: len(server.received) >= 200, within=30)
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, 15) == 0
    assert len(set(server.received)) == len(server.received) == 200


async def test_kill_9_at_random_moments_loses_nothing(database_url: str, tmp_path: Path) -> None:
    await seed(database_url, chats=100, stories=10)
    kills = 0
    rng = random.Random(7)
    # At most 100 sends/s, so five kills within 7.5 s always land before the end.
    with ChatServer(delay=0.01) as server:
        for _ in range(5):
            bot = start_bot(database_url, server.url, tmp_path)
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            bot.kill()  # SIGKILL: no cleanup at all
            await asyncio.to_thread(bot.wait)
            kills += 1
        assert len(set(server.received)) < 1000  # the kills did interrupt delivery
        bot = start_bot(database_url, server.url, tmp_path)
        await wait_for(lambda: len(set(server.received)) >= 1000, within=60)
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, 15) == 0
    copies = Counter(server.received)
    assert len(copies) == 1000  # every alert arrived
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= kills  # only "sent, then killed before recording it"
    assert await alert_counts(database_url) == {"sent": 1000, "leased": 0}
