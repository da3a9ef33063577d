"""Story clusters in the store and the edit worker (bot/delivery/edits.py) against a real store,
with the chat adapter faked at the seam; and the 0006 migration on a database that has data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import select, text

from bot.delivery.edits import AlertEditor
from bot.delivery.policy import DeliveryPolicy
from bot.domain import AlertMessage, Article, ChatAddress
from bot.errors import ChatGone, DeliveryError, RateLimited
from bot.store.database import SqlStore, open_store
from bot.store.engine import make_engine
from bot.store.migrate import alembic_config
from bot.store.ports import NewAlert
from bot.store.tables import alert_edits, alerts, articles, story_sources

CHAT = ChatAddress("fake", "c1")
T0 = datetime(2024, 4, 17, 12, 0, tzinfo=UTC)
A_FEED, B_FEED, C_FEED = (f"https://{x}.example/feed" for x in "abc")
POLICY = DeliveryPolicy(retry_base_seconds=10)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class FakeChat:
    platform = "fake"

    def __init__(self) -> None:
        self.edits: list[tuple[str, AlertMessage]] = []
        self.failures: list[Exception] = []

    async def start(self, port: object) -> None:
        pass

    async def stop(self) -> None:
        pass

    def rate_class(self, chat: ChatAddress) -> str:
        return "private"

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        return "m"

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.edits.append((message_ref, alert))

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        return "d"

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        return "t"


def report(source: str, n: int, *, url: str | None = None, title: str | None = None) -> Article:
    return Article(
        key=f"{source}-{n}",
        source_url=source,
        source_name=source.split("//")[1].split(".")[0].upper(),
        guid=f"g{n}",
        url=url or f"{source}/story-{n}",
        title=title or "Kremlin confirms Russian peacekeepers withdrawing from Nagorno-Karabakh",
        summary="Russia has begun withdrawing its peacekeeping contingent.",
        published=T0,
    )


async def setup(store: SqlStore) -> int:
    for url in (A_FEED, B_FEED, C_FEED):
        await store.upsert_source(url, url.split("//")[1].split(".")[0].upper(), 60)
        await store.ingest(url, [], lambda a: [], etag=None, last_modified=None, at=T0)
    await store.subscribe(CHAT, "peacekeepers", "peacekeeper")
    [sub] = await store.subscriptions(CHAT)
    return sub.id


async def ingest(store: SqlStore, source: str, items: list[Article], sub: int) -> tuple[int, int]:
    result = await store.ingest(
        source, items, lambda a: [NewAlert(sub, ("peacekeepers",))], etag=None,
        last_modified=None, at=T0,
    )  # fmt: skip
    return result.alerts_queued, result.edits_queued


async def send_all(store: SqlStore) -> list[tuple[str, ...]]:
    claimed = await store.claim_alerts(10, now=T0, lease_seconds=60)
    for alert in claimed:
        await store.mark_sent(alert.id, at=T0, message_ref=f"ref-{alert.id}")
    return [a.also for a in claimed]


async def test_outlets_joining_a_sent_story_queue_one_edit(store: SqlStore) -> None:
    sub = await setup(store)
    assert await ingest(store, A_FEED, [report(A_FEED, 1)], sub) == (1, 0)
    assert await send_all(store) == [()]
    # B: a near-identical report under its own URL. C: A's very URL under its own GUID.
    assert await ingest(store, B_FEED, [report(B_FEED, 1)], sub) == (0, 1)
    assert await ingest(store, C_FEED, [report(C_FEED, 9, url=f"{A_FEED}/story-1")], sub) == (0, 1)
    # Again: nothing new, nothing queued.
    assert await ingest(store, B_FEED, [report(B_FEED, 1)], sub) == (0, 0)
    [edit] = await store.claim_edits(10, now=T0, lease_seconds=60)
    assert edit.alert.also == ("B", "C") and edit.also_shown == () and edit.message_ref
    assert await store.story_sources(report(A_FEED, 1).key) == ["A", "B", "C"]
    assert await store.claim_edits(10, now=T0, lease_seconds=60) == []  # leased
    await store.finish_edit(edit.id, edit.alert.id, edit.alert.also, edit.version)
    later = T0 + timedelta(minutes=5)
    assert await store.claim_edits(10, now=later, lease_seconds=60) == []
    async with store.engine.connect() as connection:
        shown = await connection.scalar(select(alerts.c.also_shown))
        assert shown == ["B", "C"]


async def test_an_outlet_joining_while_an_edit_is_applied_is_not_lost(store: SqlStore) -> None:
    sub = await setup(store)
    await ingest(store, A_FEED, [report(A_FEED, 1)], sub)
    await send_all(store)
    await ingest(store, B_FEED, [report(B_FEED, 1)], sub)
    [in_flight] = await store.claim_edits(10, now=T0, lease_seconds=60)
    assert in_flight.alert.also == ("B",)
    await ingest(store, C_FEED, [report(C_FEED, 1)], sub)  # joins while B's edit is being sent
    await store.finish_edit(
        in_flight.id, in_flight.alert.id, in_flight.alert.also, in_flight.version
    )
    [again] = await store.claim_edits(10, now=T0, lease_seconds=60)  # due at once, not leased
    assert again.alert.also == ("B", "C") and again.also_shown == ("B",)
    await store.finish_edit(again.id, again.alert.id, again.alert.also, again.version)
    assert await store.claim_edits(10, now=T0 + timedelta(hours=1), lease_seconds=60) == []


async def test_an_edit_waits_for_its_alert_and_the_worker_applies_it(store: SqlStore) -> None:
    sub = await setup(store)
    await ingest(store, A_FEED, [report(A_FEED, 1)], sub)
    await ingest(store, B_FEED, [report(B_FEED, 1)], sub)  # before A's alert went out
    assert await store.claim_edits(10, now=T0, lease_seconds=60) == []  # not sent yet
    assert await send_all(store) == [("B",)]  # the first message names B already
    chat = FakeChat()
    editor = AlertEditor(store=store, adapters={"fake": chat}, clock=Clock(), policy=POLICY)
    assert await editor.apply_due() == 1
    assert chat.edits == []  # nothing to change: closed without an edit
    await ingest(store, C_FEED, [report(C_FEED, 1)], sub)
    assert await editor.apply_due() == 1
    [(ref, message)] = chat.edits
    assert message.also == ("B", "C") and ref.startswith("ref-")
    assert message.subscription_id == sub and message.terms == ("peacekeepers",)
    assert await editor.apply_due() == 0


async def test_edit_failures_are_retried_held_or_dropped(store: SqlStore) -> None:
    sub = await setup(store)
    await ingest(store, A_FEED, [report(A_FEED, 1)], sub)
    await send_all(store)
    await ingest(store, B_FEED, [report(B_FEED, 1)], sub)
    chat, clock = FakeChat(), Clock()
    editor = AlertEditor(store=store, adapters={"fake": chat}, clock=clock, policy=POLICY)

    chat.failures = [RateLimited(30)]
    assert await editor.apply_due() == 1 and chat.edits == []
    clock.now = T0 + timedelta(seconds=29)
    assert await editor.apply_due() == 0  # the chat is held, the edit waits
    clock.now = T0 + timedelta(seconds=31)
    chat.failures = [DeliveryError("flaky", retryable=True)]
    assert await editor.apply_due() == 1 and chat.edits == []
    clock.now += timedelta(seconds=21)  # backoff: 10 s × 2^(attempt 2 − 1)
    assert await editor.apply_due() == 1  # the third attempt succeeds
    assert [m.also for _, m in chat.edits] == [("B",)]

    await ingest(store, C_FEED, [report(C_FEED, 1)], sub)
    chat.failures = [ChatGone("blocked")]
    assert await editor.apply_due() == 1
    async with store.engine.connect() as connection:
        assert (await connection.execute(select(alert_edits))).all() == []  # dropped


async def test_distinct_stories_stay_apart_in_the_store(store: SqlStore) -> None:
    sub = await setup(store)
    first = report(A_FEED, 1, title="Russia attacks 13 communities in Sumy Oblast, injuring 1.")
    second = report(B_FEED, 2, title="Russia attacks 9 communities in Sumy Oblast, killing 2.")
    assert await ingest(store, A_FEED, [first], sub) == (1, 0)
    assert await ingest(store, B_FEED, [second], sub) == (1, 0)
    async with store.engine.connect() as connection:
        clusters = (await connection.scalars(select(articles.c.cluster_id))).all()
    assert len(set(clusters)) == 2


async def test_upgrading_a_database_with_data_files_stories_under_their_own_clusters(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
            for statement in (
                "INSERT INTO sources (id, url, name, interval) VALUES (1, 'https://a/f', 'A', 60)",
                "INSERT INTO articles (id, key, source_url, url, title, summary, published_at, "
                "seen_at) VALUES (7, 'k', 'https://a/f', 'https://a/1', 't', 's', "
                "'2024-04-17 12:00:00', '2024-04-17 12:00:00')",
                "INSERT INTO chats (id, platform, chat) VALUES (3, 'fake', 'c1')",
                "INSERT INTO alerts (chat_id, article_id, topic, terms, created_at) "
                "VALUES (3, 7, 'x', '[]', '2024-04-17 12:00:00')",
            ):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    store = await open_store(database_url)  # migrates to head
    try:
        async with store.engine.connect() as connection:
            assert (await connection.execute(select(articles.c.cluster_id))).scalar() == 7
            assert (await connection.execute(select(alerts.c.cluster_id))).scalar() == 7
            rows = (await connection.execute(select(story_sources.c.cluster_id))).all()
            assert [r.cluster_id for r in rows] == [7]
    finally:
        await store.close()


class FailingOnce(SqlStore):
    """The real store, whose first `finish_edit` fails the way a deadlock victim's does."""

    failed = False

    async def finish_edit(
        self, edit_id: int, alert_id: int, also: Sequence[str], version: int
    ) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("deadlock detected")
        await super().finish_edit(edit_id, alert_id, also, version)


async def test_an_edit_that_fails_to_record_is_handed_back_at_once(store: SqlStore) -> None:
    sub = await setup(store)
    await ingest(store, A_FEED, [report(A_FEED, 1)], sub)
    await send_all(store)
    await ingest(store, B_FEED, [report(B_FEED, 1)], sub)
    flaky = FailingOnce(store.engine)
    chat = FakeChat()
    editor = AlertEditor(store=flaky, adapters={"fake": chat}, clock=Clock(), policy=POLICY)
    assert await editor.apply_due() == 1  # edited, but recording it failed
    assert await editor.apply_due() == 1  # not left leased: claimed again straight away
    assert [m.also for _, m in chat.edits] == [("B",), ("B",)]
    assert await editor.apply_due() == 0
