"""SqlStore on real databases: SQLite always, PostgreSQL when NEWSBOT_TEST_DATABASE_URL is set.

The `store` and `database_url` fixtures come from tests/support/db.py (via tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import StatementError

from bot.domain import Article, ChatAddress, SourceInfo
from bot.store.database import SqlStore, open_store
from bot.store.engine import SQLITE_BUSY_TIMEOUT_MS
from bot.store.ports import NewAlert
from bot.store.tables import alerts, metadata

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = "https://news.example/feed.xml"
ALICE = ChatAddress("terminal", "alice")
BOB = ChatAddress("telegram", "42", "7")


NUMBERED = "guid-<n>"  # story()'s default: a GUID of its own, unlike None (a feed without GUIDs)


def story(
    n: int, *, guid: str | None = NUMBERED, url: str | None = None, key: str | None = None
) -> Article:
    return Article(
        key=key or f"key-{n}",
        source_url=SOURCE,
        source_name="Example News",
        guid=f"guid-{n}" if guid == NUMBERED else guid,
        url=f"https://news.example/{n}" if url is None else url,
        title=f"Story {n}",
        summary=f"Summary {n}",
        published=T0 + timedelta(minutes=n),
    )


class Planner:
    """Plans one alert per listed subscription for every article, and records what it saw."""

    def __init__(self, *subscription_ids: int, fail: bool = False) -> None:
        self.subscription_ids = subscription_ids
        self.fail = fail
        self.seen: list[str] = []

    def __call__(self, article: Article) -> Sequence[NewAlert]:
        self.seen.append(article.key)
        if self.fail:
            raise RuntimeError("planner broke")
        return [NewAlert(sid, terms=("rust",)) for sid in self.subscription_ids]


async def ingest(
    store: SqlStore, batch: Sequence[Article], planner: Planner, *, etag: str | None = "e1"
) -> int:
    result = await store.ingest(SOURCE, batch, planner, etag=etag, last_modified=None, at=T0)
    return result.alerts_queued


async def baselined(store: SqlStore) -> None:
    await store.ingest(SOURCE, [], Planner(), etag=None, last_modified=None, at=T0)


async def subscription_id(store: SqlStore, chat: ChatAddress, key: str) -> int:
    await store.subscribe(chat, key.upper(), key)
    return next(s.id for s in await store.subscriptions(chat) if s.topic == key.upper())


# --- migrations ---


def _schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_declared_schema(store: SqlStore) -> None:
    async with store.engine.connect() as connection:
        assert await connection.run_sync(_schema_drift) == []


async def test_reopening_is_a_no_op_and_keeps_the_data(database_url: str) -> None:
    first = await open_store(database_url)
    await first.upsert_source(SOURCE, "Example", 60)
    await first.subscribe(ALICE, "Rust", "rust")
    await first.close()

    again = await open_store(database_url)
    try:
        assert [s.url for s in await again.list_sources()] == [SOURCE]
        assert [s.topic for s in await again.subscriptions(ALICE)] == ["Rust"]
    finally:
        await again.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'newsbot.sqlite3'}")
    try:
        async with store.engine.connect() as connection:
            pragmas = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await store.close()
    assert pragmas == ["wal", 1, SQLITE_BUSY_TIMEOUT_MS]


async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await store.record_poll_error(SOURCE, "boom", at=datetime(2025, 1, 1))


# --- sources ---


async def test_sources_upsert_and_poll_errors(store: SqlStore) -> None:
    await store.upsert_source(SOURCE, "Old name", 60)
    await store.upsert_source(SOURCE, "Example", 120)
    await store.record_poll_error(SOURCE, "HTTP 503", at=T0)
    [info] = await store.list_sources()
    assert (info.name, info.interval, info.last_error, info.last_polled) == (
        "Example",
        120,
        "HTTP 503",
        T0,
    )
    assert (await store.source_state(SOURCE)).baselined is False

    await store.ingest(SOURCE, [], Planner(), etag="e9", last_modified="Sat", at=T0)
    [info] = await store.list_sources()
    assert info.last_error is None
    state = await store.source_state(SOURCE)
    assert (state.etag, state.last_modified, state.baselined) == ("e9", "Sat", True)


async def test_sync_sources_retires_sources_no_longer_configured(store: SqlStore) -> None:
    other = "https://other.example/rss"
    await store.sync_sources([SourceInfo(SOURCE, "Example", 60), SourceInfo(other, "Other", 30)])
    await ingest(store, [story(1)], Planner())
    await store.sync_sources([SourceInfo(other, "Other", 30)])
    assert [s.url for s in await store.list_sources()] == [other]
    assert [a.key for a in await store.recent_articles(5)] == ["key-1"]  # its stories stay
    await store.sync_sources([SourceInfo(SOURCE, "Example", 60)])  # configured again: back
    assert [s.url for s in await store.list_sources()] == [SOURCE]


async def test_ingest_for_an_unknown_source_creates_it(store: SqlStore) -> None:
    assert (await store.source_state(SOURCE)).baselined is False
    result = await store.ingest(SOURCE, [story(1)], Planner(), etag=None, last_modified=None, at=T0)
    assert [a.key for a in result.new_articles] == ["key-1"]
    assert [(s.url, s.name) for s in await store.list_sources()] == [(SOURCE, "Example News")]


# --- dedupe ---


@pytest.mark.parametrize(
    "again",
    [
        pytest.param(story(9, key="key-1", url="https://elsewhere/9", guid="g9"), id="same-key"),
        pytest.param(story(9, url="https://news.example/9", guid="guid-1"), id="same-guid"),
        pytest.param(story(9, url="https://news.example/1", guid="new-guid"), id="same-url"),
    ],
)
async def test_a_story_seen_before_is_not_new(store: SqlStore, again: Article) -> None:
    await store.ingest(SOURCE, [story(1)], Planner(), etag=None, last_modified=None, at=T0)
    sub = await subscription_id(store, ALICE, "rust")
    result = await store.ingest(SOURCE, [again], Planner(sub), etag=None, last_modified=None, at=T0)
    assert (result.new_articles, result.alerts_queued) == ((), 0)
    assert [a.key for a in await store.recent_articles(10)] == ["key-1"]


async def test_a_guid_only_identifies_stories_within_its_source(store: SqlStore) -> None:
    await store.ingest(SOURCE, [story(1)], Planner(), etag=None, last_modified=None, at=T0)
    other = story(2, guid="guid-1")
    result = await store.ingest(
        "https://other.example/rss", [other], Planner(), etag=None, last_modified=None, at=T0
    )
    assert result.new_articles == (other,)


async def test_duplicates_inside_one_batch_are_stored_once(store: SqlStore) -> None:
    batch = [story(1), story(2, guid="guid-1"), story(3, url="https://news.example/1"), story(4)]
    result = await store.ingest(SOURCE, batch, Planner(), etag=None, last_modified=None, at=T0)
    assert [a.key for a in result.new_articles] == ["key-1", "key-4"]


async def test_stories_without_guid_are_told_apart_by_url(store: SqlStore) -> None:
    batch = [story(1, guid=None), story(2, guid=None)]
    result = await store.ingest(SOURCE, batch, Planner(), etag=None, last_modified=None, at=T0)
    assert len(result.new_articles) == 2


async def test_stories_without_a_link_are_told_apart_by_guid(store: SqlStore) -> None:
    batch = [story(1, url=""), story(2, url="")]
    result = await store.ingest(SOURCE, batch, Planner(), etag=None, last_modified=None, at=T0)
    assert len(result.new_articles) == 2
    again = await store.ingest(
        SOURCE, [story(3, url="")], Planner(), etag=None, last_modified=None, at=T0
    )
    assert len(again.new_articles) == 1
    assert {a.url for a in await store.recent_articles(10)} == {""}


async def test_recent_articles_newest_first_in_utc(store: SqlStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    early = story(1)
    late = replace(story(2), published=datetime(2025, 3, 2, 9, tzinfo=plus_two))
    await store.ingest(SOURCE, [early, late], Planner(), etag=None, last_modified=None, at=T0)
    newest, oldest = await store.recent_articles(10)
    assert newest.key == "key-2" and newest.published == datetime(2025, 3, 2, 7, tzinfo=UTC)
    assert newest.published.tzinfo is not None and newest.published.utcoffset() == timedelta(0)
    assert oldest == early
    assert [a.key for a in await store.recent_articles(1)] == ["key-2"]


# --- alert planning ---


async def test_first_poll_is_a_baseline_and_queues_nothing(store: SqlStore) -> None:
    sub = await subscription_id(store, ALICE, "rust")
    first = Planner(sub)
    assert await ingest(store, [story(1)], first) == 0
    assert first.seen == []
    later = Planner(sub)
    assert await ingest(store, [story(1), story(2)], later) == 1
    assert later.seen == ["key-2"]
    [alert] = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert (alert.chat, alert.article.key, alert.topic, alert.terms) == (
        ALICE,
        "key-2",
        "RUST",
        ("rust",),
    )


async def test_one_alert_per_chat_per_story(store: SqlStore) -> None:
    await baselined(store)
    rust = await subscription_id(store, ALICE, "rust")
    go = await subscription_id(store, ALICE, "go")
    bobs = await subscription_id(store, BOB, "rust")
    assert await ingest(store, [story(1)], Planner(rust, go, bobs, rust)) == 2
    assert await ingest(store, [story(1)], Planner(rust, go, bobs)) == 0  # replayed feed
    claimed = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert sorted(str(a.chat) for a in claimed) == ["telegram:42#7", "terminal:alice"]


async def test_unknown_subscription_ids_are_ignored(store: SqlStore) -> None:
    await baselined(store)
    assert await ingest(store, [story(1)], Planner(12345)) == 0


async def test_a_failing_planner_leaves_nothing_behind(store: SqlStore) -> None:
    await store.ingest(SOURCE, [], Planner(), etag="old", last_modified=None, at=T0)
    sub = await subscription_id(store, ALICE, "rust")
    with pytest.raises(RuntimeError, match="planner broke"):
        await ingest(store, [story(1), story(2)], Planner(sub, fail=True), etag="new")
    assert await store.recent_articles(10) == []
    assert (await store.source_state(SOURCE)).etag == "old"
    assert await store.claim_alerts(10, now=T0, lease_seconds=60) == []
    # Nothing was marked seen, so the next poll gets the stories and alerts again.
    assert await ingest(store, [story(1)], Planner(sub)) == 1


# --- the outbox ---


async def test_claim_leases_and_counts_attempts(store: SqlStore) -> None:
    await baselined(store)
    await ingest(store, [story(1)], Planner(await subscription_id(store, ALICE, "rust")))
    [first] = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert first.attempts == 1
    assert await store.claim_alerts(10, now=T0 + timedelta(seconds=59), lease_seconds=60) == []
    [again] = await store.claim_alerts(10, now=T0 + timedelta(seconds=60), lease_seconds=60)
    assert (again.id, again.attempts) == (first.id, 2)

    later = T0 + timedelta(minutes=5)
    await store.mark_sent(first.id, at=later, message_ref="msg-1")
    assert await store.claim_alerts(10, now=later + timedelta(days=1), lease_seconds=60) == []
    row = await _alert_row(store, first.id)
    assert (row.status, row.sent_at, row.message_ref, row.lease_until) == (
        "sent",
        later,
        "msg-1",
        None,
    )


async def test_retry_later_waits_and_mark_failed_is_final(store: SqlStore) -> None:
    await baselined(store)
    await ingest(store, [story(1)], Planner(await subscription_id(store, ALICE, "rust")))
    [alert] = await store.claim_alerts(10, now=T0, lease_seconds=60)
    await store.retry_later(alert.id, not_before=T0 + timedelta(seconds=30), error="429")
    assert await store.claim_alerts(10, now=T0 + timedelta(seconds=29), lease_seconds=60) == []
    [retried] = await store.claim_alerts(10, now=T0 + timedelta(seconds=30), lease_seconds=60)
    assert retried.id == alert.id

    await store.mark_failed(alert.id, error="400 bad request")
    assert await store.claim_alerts(10, now=T0 + timedelta(days=1), lease_seconds=60) == []
    row = await _alert_row(store, alert.id)
    assert (row.status, row.last_error) == ("failed", "400 bad request")


async def test_claim_takes_the_oldest_first(store: SqlStore) -> None:
    await baselined(store)
    sub = await subscription_id(store, ALICE, "rust")
    for n in (1, 2, 3):
        await store.ingest(
            SOURCE, [story(n)], Planner(sub), etag=None, last_modified=None, at=T0 + timedelta(n)
        )
    claimed = await store.claim_alerts(2, now=T0 + timedelta(days=9), lease_seconds=60)
    assert [a.article.key for a in claimed] == ["key-1", "key-2"]


async def test_concurrent_claims_never_share_an_alert(store: SqlStore) -> None:
    await baselined(store)
    subs = [
        await subscription_id(store, ChatAddress("terminal", f"c{i}"), "rust") for i in range(6)
    ]
    await ingest(store, [story(1)], Planner(*subs))
    batches = await asyncio.gather(
        *(store.claim_alerts(4, now=T0, lease_seconds=60) for _ in range(3))
    )
    ids = [a.id for batch in batches for a in batch]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6


async def test_alert_outlives_its_subscription(store: SqlStore) -> None:
    await baselined(store)
    await ingest(store, [story(1)], Planner(await subscription_id(store, ALICE, "rust")))
    assert await store.unsubscribe(ALICE, "rust") is True
    assert await store.unsubscribe(ALICE, "rust") is False
    [alert] = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert alert.topic == "RUST"
    assert (await _alert_row(store, alert.id)).subscription_id is None


# --- chats ---


async def test_subscriptions_are_keyed_per_chat_and_thread(store: SqlStore) -> None:
    assert await store.subscribe(ALICE, "Rust", "rust") is True
    assert await store.subscribe(ALICE, "RUST", "rust") is False
    threadless = ChatAddress("telegram", "42")
    assert await store.subscribe(threadless, "Rust", "rust") is True
    assert await store.subscribe(BOB, "Rust", "rust") is True
    assert [s.topic for s in await store.subscriptions(ALICE)] == ["RUST"]
    assert [s.chat for s in await store.subscriptions(threadless)] == [threadless]
    assert await store.subscriptions(ChatAddress("slack", "nobody")) == []
    assert len(await store.active_subscriptions()) == 3


async def test_pausing_drops_pending_alerts_and_stops_new_ones(store: SqlStore) -> None:
    await baselined(store)
    alice = await subscription_id(store, ALICE, "rust")
    bob = await subscription_id(store, BOB, "rust")
    await ingest(store, [story(1)], Planner(alice, bob))

    await store.set_chat_paused(ALICE, True, reason="blocked the bot")
    assert [s.chat for s in await store.active_subscriptions()] == [BOB]
    assert await ingest(store, [story(2)], Planner(alice, bob)) == 1
    await store.subscribe(ALICE, "Go", "go")  # subscribing does not unpause
    assert {s.chat for s in await store.active_subscriptions()} == {BOB}
    [bobs_first, bobs_second] = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert bobs_first.chat == bobs_second.chat == BOB
    for alert in (bobs_first, bobs_second):
        await store.mark_sent(alert.id, at=T0, message_ref=None)

    await store.set_chat_paused(ALICE, False)
    assert len(await store.active_subscriptions()) == 3
    # What was dropped while paused stays dropped: unpausing does not replay old news.
    assert await store.claim_alerts(10, now=T0 + timedelta(days=1), lease_seconds=60) == []
    assert await ingest(store, [story(3)], Planner(alice)) == 1


async def _alert_row(store: SqlStore, alert_id: int) -> Row[Any]:
    async with store.engine.connect() as connection:
        return (await connection.execute(select(alerts).where(alerts.c.id == alert_id))).one()


async def test_a_muted_subscription_alerts_nobody_until_its_time(store: SqlStore) -> None:
    await baselined(store)
    rust = await subscription_id(store, ALICE, "rust")
    assert await store.mute(ALICE, "rust", T0 + timedelta(hours=1))
    assert await ingest(store, [story(1)], Planner(rust)) == 0  # ingested at T0
    assert await store.mute(ALICE, "rust", None)
    assert await ingest(store, [story(2)], Planner(rust)) == 1
    assert not await store.mute(BOB, "rust", None)  # Bob follows nothing


async def test_moving_a_chat_into_one_already_used_merges_without_doubles(
    store: SqlStore,
) -> None:
    await baselined(store)
    new = ChatAddress("telegram", "-1009")
    old_rust = await subscription_id(store, BOB, "rust")
    await subscription_id(store, BOB, "go")
    new_rust = await subscription_id(store, new, "rust")
    await ingest(store, [story(1)], Planner(old_rust, new_rust))
    await store.move_chat(BOB, new)
    assert sorted(s.key for s in await store.subscriptions(new)) == ["go", "rust"]
    assert await store.subscriptions(BOB) == []
    claimed = await store.claim_alerts(10, now=T0, lease_seconds=60)
    assert [a.chat for a in claimed] == [new]  # one alert for story 1, not two


async def test_pausing_a_whole_chat_pauses_its_threads_and_resuming_resumes_them(
    store: SqlStore,
) -> None:
    group = ChatAddress("telegram", "-1007")
    topic = ChatAddress("telegram", "-1007", "12")
    other_topic = ChatAddress("telegram", "-1007", "13")
    for chat in (group, topic, other_topic):
        await store.subscribe(chat, "rust", "rust")
    await store.set_chat_paused(other_topic, True, reason="message thread not found")
    assert {s.chat for s in await store.active_subscriptions()} == {group, topic}
    await store.set_chat_paused(group, True, reason="bot was kicked")
    assert await store.active_subscriptions() == []
    await store.set_chat_paused(group, False)
    assert len(await store.active_subscriptions()) == 3


async def test_a_transaction_referencing_a_chat_does_not_hold_back_its_alerts(
    store: SqlStore,
) -> None:
    # An ingest in flight holds KEY SHARE locks on the chats it queues alerts for (foreign keys).
    # The outbox's claim must not skip (or, without SKIP LOCKED, wait for) those chats.
    await baselined(store)
    rust = await subscription_id(store, ALICE, "rust")
    await ingest(store, [story(1)], Planner(rust))
    async with store.engine.connect() as other:
        if other.dialect.name == "postgresql":  # SQLite has no row locks: one writer at a time
            await other.begin()
            await other.execute(text("SELECT id FROM chats FOR KEY SHARE"))
        claimed = await asyncio.wait_for(
            store.claim_alerts(10, now=T0, lease_seconds=60), timeout=10
        )
        if other.in_transaction():
            await other.rollback()
    assert [a.chat for a in claimed] == [ALICE]
