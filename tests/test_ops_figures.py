"""The figures for operators, read from the store (SQLite, and PostgreSQL when configured): the
counts behind /metrics, the status page and /stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.domain import Article, ChatAddress, NextPoll, SourceInfo
from bot.store.database import SqlStore
from bot.store.migrate import head_revision
from bot.store.ports import NewAlert

T0 = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
FEED = "https://news.example/feed.xml"
ANNA = ChatAddress("telegram", "1001")
BORIS = ChatAddress("telegram", "1002")
WORKSPACE = ChatAddress("slack", "T1:C1")


def article(n: int) -> Article:
    words = " ".join(f"word{n}x{i}" for i in range(10))
    return Article(
        key=f"key-{n}",
        source_url=FEED,
        source_name="Example",
        guid=f"guid-{n}",
        url=f"https://news.example/{n}",
        title=f"Story number {n} {words}",
        summary=f"Text {n}: {words}",
        published=T0,
    )


async def queue(
    store: SqlStore, articles: Sequence[Article], subs: Sequence[int], at: datetime
) -> None:
    def plan(_: Article) -> list[NewAlert]:
        return [NewAlert(s) for s in subs]

    await store.ingest(FEED, articles, plan, etag=None, last_modified=None, at=at)


async def sub_id(store: SqlStore, chat: ChatAddress) -> int:
    return (await store.subscriptions(chat))[0].id


async def test_figures_count_sources_chats_subscriptions_and_the_queue(store: SqlStore) -> None:
    await store.sync_sources(
        [SourceInfo(FEED, "Example", 60)]
        + [SourceInfo(f"https://s{i}.example/rss", f"S{i}", 60) for i in range(4)]
    )
    await store.record_poll_error("https://s0.example/rss", "HTTP 500", at=T0)
    await store.record_schedule(
        "https://s1.example/rss",
        NextPoll(T0, None, failures=2, failing_since=T0, gone_count=0),
    )
    await store.park_source("https://s2.example/rss", "HTTP 410 (gone)", at=T0)
    for chat in (ANNA, BORIS, WORKSPACE):
        await store.subscribe(chat, "topic", "topic")
    await store.subscribe(ANNA, "other", "other")
    await queue(store, [article(0)], [], T0)  # the first poll records, alerts nobody
    subs = [await sub_id(store, c) for c in (ANNA, BORIS, WORKSPACE)]
    await queue(store, [article(1)], subs, T0)
    await queue(store, [article(2)], subs[:1], T0 + timedelta(minutes=10))
    claimed = await store.claim_alerts(10, now=T0 + timedelta(minutes=20), lease_seconds=60)
    sent = next(a for a in claimed if a.chat == BORIS)
    await store.mark_sent(sent.id, at=T0 + timedelta(minutes=20), message_ref="m")
    await store.defer_alerts([a.id for a in claimed if a.id != sent.id], not_before=None)
    await store.hold_chat(WORKSPACE, T0 + timedelta(hours=1))

    now = T0 + timedelta(minutes=30)
    figures = await store.ops_figures(now=now)
    assert (figures.sources_ok, figures.sources_failing, figures.sources_parked) == (2, 2, 1)
    assert figures.subscriptions == 4
    by = {p.platform: p for p in figures.platforms}
    assert set(by) == {"telegram", "slack"}
    assert (by["telegram"].chats, by["telegram"].queued, by["telegram"].held) == (2, 2, 0)
    assert (by["slack"].chats, by["slack"].queued, by["slack"].held) == (1, 1, 1)
    assert by["telegram"].oldest == T0 and figures.oldest == T0 and figures.queued == 3
    assert (await store.ops_figures(now=T0 + timedelta(hours=2))).platforms[0].held == 0

    # Sent alerts leave the queue; a chat that left is no longer counted.
    await store.set_chat_paused(WORKSPACE, True, reason="kicked")
    figures = await store.ops_figures(now=now)
    assert [p.platform for p in figures.platforms] == ["telegram"]


async def test_alerts_per_hour_and_per_topic(store: SqlStore) -> None:
    await store.sync_sources([SourceInfo(FEED, "Example", 60)])
    await store.subscribe(ANNA, "Sumy Oblast", "sumy")
    await store.subscribe(BORIS, "peacekeepers", "peace")
    anna, boris = await sub_id(store, ANNA), await sub_id(store, BORIS)
    await queue(store, [article(0)], [], T0)
    # 12:30 two alerts, 13:30 one, 15:05 one; one of 12:30 is sent, one of 13:30 failed.
    await queue(store, [article(1)], [anna, boris], T0)
    await queue(store, [article(2)], [anna], T0 + timedelta(hours=1))
    await queue(store, [article(3)], [anna], T0 + timedelta(hours=2, minutes=35))
    claimed = await store.claim_alerts(10, now=T0 + timedelta(hours=3), lease_seconds=60)
    ids = {(a.chat, a.article.key): a.id for a in claimed}
    await store.mark_sent(ids[(BORIS, "key-1")], at=T0 + timedelta(hours=3), message_ref="1")
    await store.mark_failed(ids[(ANNA, "key-1")], error="400")
    await store.defer_alerts([i for i in ids.values()], not_before=None)

    now = T0 + timedelta(hours=3)  # 15:30: the hours 12:00 … 15:00
    hours = await store.alerts_per_hour(now=now, hours=4)
    assert [h.hour for h in hours] == [
        datetime(2025, 3, 1, h, tzinfo=UTC) for h in (12, 13, 14, 15)
    ]
    assert [(h.sent, h.pending, h.failed) for h in hours] == [
        (1, 0, 1),
        (0, 1, 0),
        (0, 0, 0),
        (0, 1, 0),
    ]
    assert [h.total for h in await store.alerts_per_hour(now=now, hours=2)] == [0, 1]

    topics = await store.alerts_per_topic(since=T0 - timedelta(minutes=30), limit=5)
    assert topics == [("Sumy Oblast", 3), ("peacekeepers", 1)]
    assert await store.alerts_per_topic(since=T0 + timedelta(hours=1), limit=5) == [
        ("Sumy Oblast", 2)
    ]


async def test_source_health_lists_parked_then_failing_first_a_page_at_a_time(
    store: SqlStore,
) -> None:
    urls = [f"https://s{i:02}.example/rss" for i in range(12)]
    await store.sync_sources([SourceInfo(u, f"S{i:02}", 60) for i, u in enumerate(urls)])
    await store.record_schedule(urls[9], NextPoll(T0, None, 1, T0, 0))
    await store.record_poll_error(urls[9], "timed out", at=T0)
    await store.record_schedule(urls[7], NextPoll(T0, None, 4, T0, 0))
    await store.record_poll_error(urls[7], "HTTP 503", at=T0)
    await store.park_source(urls[10], "HTTP 410 (gone)", at=T0)

    total, first = await store.source_health(limit=5)
    assert total == 12
    assert [s.name for s in first] == ["S10", "S07", "S09", "S00", "S01"]
    assert first[0].parked == "HTTP 410 (gone)" and first[1].failures == 4
    _, rest = await store.source_health(limit=5, offset=10)
    assert [s.name for s in rest] == ["S08", "S11"]


async def test_the_schema_revision_is_the_builds_head(store: SqlStore) -> None:
    assert await store.schema_revision() == head_revision() is not None
