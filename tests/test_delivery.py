"""The outbox worker against a real store, with a chat adapter faked at the seam."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.outbox import Outbox
from bot.delivery.policy import DeliveryPolicy
from bot.domain import AlertMessage, Article, ChatAddress
from bot.errors import ChatGone, ChatMoved, DeliveryError, DeliveryUncertain, RateLimited
from bot.store.database import SqlStore, open_store
from bot.store.ports import NewAlert

A = ChatAddress("fake", "A")
B = ChatAddress("fake", "B")
T0 = datetime(2024, 4, 17, 12, 0, tzinfo=UTC)
FEED = "https://ex.example/feed"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeChat:
    """Sends succeed unless a failure is queued for that chat."""

    platform = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[ChatAddress, str]] = []
        self.failures: dict[ChatAddress, list[Exception]] = {}
        self.edited: list[tuple[ChatAddress, str, str]] = []

    async def start(self, port: object) -> None:
        pass

    def rate_class(self, chat: ChatAddress) -> str:
        return "private"

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        self.edited.append((chat, message_ref, alert.title))

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        self.sent.append((chat, heading))
        return f"msg-{len(self.sent)}"

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        self.sent.append((chat, text))
        return f"msg-{len(self.sent)}"

    async def stop(self) -> None:
        pass

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        queued = self.failures.get(chat)
        if queued:
            raise queued.pop(0)
        self.sent.append((chat, alert.title))
        return f"msg-{len(self.sent)}"


def article(n: int) -> Article:
    return Article(
        key=f"k{n}",
        source_url=FEED,
        source_name="Example",
        guid=f"g{n}",
        url=f"https://ex.example/{n}",
        title=f"Story {n}",
        summary="Sumy Oblast news.",
        published=T0,
    )


async def queue_alerts(store: SqlStore, *stories: int) -> None:
    """Subscribe A and B to a topic and ingest `stories` after a baseline poll."""
    await store.subscribe(A, "Sumy Oblast", "sumy oblast")
    await store.subscribe(B, "Sumy Oblast", "sumy oblast")
    subs = await store.active_subscriptions()
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=T0)
    await store.ingest(
        FEED,
        [article(n) for n in stories],
        lambda a: [NewAlert(s.id, ("Sumy Oblast",)) for s in subs],
        etag=None,
        last_modified=None,
        at=T0,
    )


def outbox(store: SqlStore, chat: FakeChat, clock: Clock, **policy: float) -> Outbox:
    return Outbox(
        store=store,
        adapters={"fake": chat},
        clock=clock,
        policy=DeliveryPolicy(retry_base_seconds=10, **policy),  # type: ignore[arg-type]
    )


async def drain(box: Outbox) -> int:
    """Rounds until nothing is due; a chat gets one message per round (unless a burst)."""
    total = 0
    while claimed := await box.deliver_due():
        total += claimed
    return total


async def test_every_queued_alert_is_sent_once(store: SqlStore) -> None:
    await queue_alerts(store, 1, 2)
    chat, clock = FakeChat(), Clock()
    box = outbox(store, chat, clock)
    assert await drain(box) == 4
    assert sorted(chat.sent) == [(A, "Story 1"), (A, "Story 2"), (B, "Story 1"), (B, "Story 2")]
    clock.advance(3600)
    assert await box.deliver_due() == 0  # sent is final: lease expiry does not resend


async def test_rate_limit_holds_back_only_that_chat(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [RateLimited(30)]
    box = outbox(store, chat, clock)
    await box.deliver_due()
    assert chat.sent == [(B, "Story 1")]
    clock.advance(29)
    await box.deliver_due()
    assert chat.sent == [(B, "Story 1")]  # not before retry_after
    clock.advance(2)
    await box.deliver_due()
    assert chat.sent == [(B, "Story 1"), (A, "Story 1")]


async def test_transient_errors_retry_with_backoff_then_deliver(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [DeliveryError("HTTP 502"), DeliveryError("timed out")]
    box = outbox(store, chat, clock)
    await box.deliver_due()  # attempt 1 fails: retry in 10 s
    clock.advance(10)
    await box.deliver_due()  # attempt 2 fails: retry in 20 s
    clock.advance(15)
    await box.deliver_due()
    assert (A, "Story 1") not in chat.sent
    clock.advance(5)
    await box.deliver_due()
    assert chat.sent.count((A, "Story 1")) == 1


async def test_unexpected_adapter_exception_does_not_lose_the_alert(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [RuntimeError("boom")]
    box = outbox(store, chat, clock)
    await box.deliver_due()
    clock.advance(10)
    await box.deliver_due()
    assert chat.sent.count((A, "Story 1")) == 1


async def test_a_gone_chat_is_paused_and_its_alerts_dropped(store: SqlStore) -> None:
    await queue_alerts(store, 1, 2)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [ChatGone("bot was blocked by the user")]
    box = outbox(store, chat, clock)
    await drain(box)
    assert all(c == B for c, _ in chat.sent) and len(chat.sent) == 2
    clock.advance(3600)
    assert await box.deliver_due() == 0  # no retries for the gone chat
    assert {s.chat for s in await store.active_subscriptions()} == {B}


async def test_a_permanent_error_fails_at_once_and_says_so(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [DeliveryError("HTTP 400: message is malformed", retryable=False)]
    box = outbox(store, chat, clock)
    for _ in range(3):
        await box.deliver_due()
        clock.advance(60)
    assert chat.sent == [(B, "Story 1")]
    assert "failed for good" in caplog.text and "not retryable" in caplog.text


async def test_retryable_errors_are_never_given_up_and_backoff_is_capped(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [DeliveryError("HTTP 502")] * 40
    box = outbox(store, chat, clock, retry_max_seconds=300)
    rounds = 0
    while (A, "Story 1") not in chat.sent:
        await box.deliver_due()
        clock.advance(300)  # the cap: every retry is due within one cap's wait
        rounds += 1
        assert rounds < 60
    assert chat.failures[A] == [] and chat.sent.count((A, "Story 1")) == 1


async def test_a_crash_mid_send_resends_after_the_lease(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    clock = Clock()
    claimed = await store.claim_alerts(10, now=clock(), lease_seconds=60)
    assert len(claimed) == 2  # the worker that claimed these "dies" here
    chat = FakeChat()
    box = outbox(store, chat, clock, lease_seconds=60)
    assert await box.deliver_due() == 0  # leased: nobody else sends them meanwhile
    clock.advance(61)
    await box.deliver_due()
    assert sorted(chat.sent) == [(A, "Story 1"), (B, "Story 1")]


async def test_a_rate_limit_holds_every_alert_of_that_chat_across_a_restart(
    store: SqlStore,
) -> None:
    await queue_alerts(store, 1, 2)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [RateLimited(30)]
    await drain(outbox(store, chat, clock))
    # Story 2 for A must wait too; a new worker (a restart) reads the hold from the database.
    fresh = outbox(store, chat, clock)
    clock.advance(29)
    await drain(fresh)
    assert [c for c, _ in chat.sent] == [B, B]
    clock.advance(2)
    await drain(fresh)
    assert sorted(t for c, t in chat.sent if c == A) == ["Story 1", "Story 2"]


async def test_a_moved_chat_gets_its_alert_once_under_the_new_id(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    moved = ChatAddress("fake", "A2")
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [ChatMoved(moved)]
    box = outbox(store, chat, clock)
    await box.deliver_due()
    await box.deliver_due()
    assert sorted(chat.sent) == [(moved, "Story 1"), (B, "Story 1")]
    assert [s.chat for s in await store.subscriptions(moved)] == [moved]
    assert await store.subscriptions(A) == []


async def test_alerts_carry_the_subscription_for_their_buttons(store: SqlStore) -> None:
    await queue_alerts(store, 1)
    seen: list[AlertMessage] = []

    class Recording(FakeChat):
        async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
            seen.append(alert)
            return await super().send_alert(chat, alert)

    await store.set_link_preview(A, True)
    await outbox(store, Recording(), Clock()).deliver_due()
    subs = {s.chat: s.id for s in await store.active_subscriptions()}
    by_chat = {a.subscription_id: a.link_preview for a in seen}
    assert by_chat == {subs[A]: True, subs[B]: False}


async def test_an_uncertain_send_is_retried_once_then_recorded_not_repeated(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    await queue_alerts(store, 1)
    chat, clock = FakeChat(), Clock()
    chat.failures[A] = [DeliveryUncertain("timed out after sending")] * 2
    chat.failures[B] = [DeliveryUncertain("timed out after sending")]
    box = outbox(store, chat, clock)
    for _ in range(5):
        await drain(box)
        clock.advance(600)
    assert chat.sent == [(B, "Story 1")]  # B: one uncertain try, then a clean one
    assert chat.failures[A] == []  # A: two uncertain tries, then no third
    assert "probably delivered" in caplog.text


async def test_two_workers_on_separate_engines_never_send_an_alert_twice(
    store: SqlStore, database_url: str
) -> None:
    chats = [ChatAddress("fake", f"c{n}") for n in range(12)]
    for c in chats:
        await store.subscribe(c, "Sumy Oblast", "sumy oblast")
    subs = await store.active_subscriptions()
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=T0)
    await store.ingest(
        FEED,
        [article(n) for n in range(8)],
        lambda a: [NewAlert(s.id) for s in subs],
        etag=None,
        last_modified=None,
        at=T0,
    )

    class Slow(FakeChat):
        async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
            await asyncio.sleep(0.001)  # let the other worker run mid-send
            return await super().send_alert(chat, alert)

    shared = Slow()
    other = await open_store(database_url)  # a second process would have its own engine
    try:
        clock = Clock()
        boxes = [outbox(s, shared, clock, burst=100) for s in (store, other)]

        async def work(box: Outbox) -> int:
            claimed = 0
            while len(shared.sent) < 12 * 8:
                claimed += await box.deliver_due()
                await asyncio.sleep(0.001)
            return claimed

        counts = await asyncio.gather(*(work(b) for b in boxes))
    finally:
        await other.close()
    assert len(shared.sent) == len(set(shared.sent)) == 12 * 8
    assert sum(counts) == 12 * 8  # no alert was ever claimed by both
