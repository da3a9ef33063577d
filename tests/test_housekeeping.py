"""Housekeeping prunes settled alerts and unneeded stories past the retention, never a pending
alert or the story it needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.delivery.jobs import housekeep
from bot.domain import Article, ChatAddress
from bot.store.database import SqlStore
from bot.store.ports import NewAlert
from bot.store.tables import alerts, articles

FEED = "https://ex.example/feed"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
A = ChatAddress("fake", "A")


def story(n: int) -> Article:
    return Article(f"k{n}", FEED, "Ex", f"g{n}", f"https://ex.example/{n}", f"S{n}", "", T0)


async def test_old_settled_rows_go_and_pending_ones_stay(store: SqlStore) -> None:
    await store.subscribe(A, "x", "x")
    [sub] = await store.subscriptions(A)
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=T0)
    plan = [NewAlert(sub.id)]
    await store.ingest(
        FEED, [story(1), story(2)], lambda a: plan, etag=None, last_modified=None, at=T0
    )
    await store.ingest(FEED, [story(3)], lambda a: [], etag=None, last_modified=None, at=T0)
    late = T0 + timedelta(days=100)
    await store.ingest(FEED, [story(4)], lambda a: plan, etag=None, last_modified=None, at=late)
    claimed = await store.claim_alerts(10, now=late, lease_seconds=60)
    sent = {a.article.key: a.id for a in claimed}
    await store.mark_sent(sent["k1"], at=late, message_ref="1")  # old, settled: pruned
    await store.mark_sent(sent["k4"], at=late, message_ref="2")  # recent: kept
    await store.defer_alerts([sent["k2"]], not_before=None)  # old but still pending: kept

    assert await housekeep(store.prune, now=late, retention_days=90) == (1, 2)
    async with store.engine.begin() as connection:
        keys = set((await connection.scalars(select(articles.c.key))).all())
        left = (await connection.execute(select(alerts.c.id, alerts.c.status))).all()
    assert keys == {"k2", "k4"}  # k1 (its alert pruned) and k3 (never alerted) are gone
    assert sorted(left) == sorted([(sent["k2"], "pending"), (sent["k4"], "sent")])
    # A pending alert still goes out after pruning.
    [again] = await store.claim_alerts(10, now=late, lease_seconds=60)
    assert again.article.key == "k2"
