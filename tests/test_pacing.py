"""Pacing on a fake clock: every platform limit holds, bursts fold into one message, none lost."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.outbox import Outbox
from bot.delivery.pacing import Pacer
from bot.delivery.policy import DeliveryPolicy, PlatformRates
from bot.domain import Article, ChatAddress, Rate
from bot.store.database import SqlStore
from bot.store.ports import NewAlert
from tests.support.pacedchat import T0, Clock, FakeTelegram, check_limits, most_in_window

FEED = "https://ex.example/feed"
PRIVATE = ChatAddress("telegram", "1001")
GROUPS = [ChatAddress("telegram", f"-{100 + n}") for n in range(50)]


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


async def queue(store: SqlStore, plan: dict[ChatAddress, int]) -> None:
    """Queue `plan[chat]` alerts for each chat: stories 0..n-1 match that chat's topic."""
    for chat in plan:
        await store.subscribe(chat, "Sumy Oblast", "sumy oblast")
    subs = await store.active_subscriptions()
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=T0)

    def targets(story: Article) -> list[NewAlert]:
        n = int(story.key[1:])
        return [NewAlert(s.id, ("Sumy Oblast",)) for s in subs if n < plan[s.chat]]

    stories = [article(n) for n in range(max(plan.values()))]
    await store.ingest(FEED, stories, targets, etag=None, last_modified=None, at=T0)


async def drain(box: Outbox, clock: Clock, chat: FakeTelegram, total: int) -> None:
    for _ in range(100_000):
        if len(chat.delivered()) >= total:
            return
        if await box.deliver_due() == 0:
            clock.advance(0.25)
    raise AssertionError(f"only {len(chat.delivered())} of {total} delivered")


MANY = {PRIVATE: 200, **{group: 25 for group in GROUPS}}
FOLDED = {PRIVATE: 200, **{group: 30 for group in GROUPS}}


async def test_200_alerts_to_a_private_chat_and_50_groups_stay_within_every_limit(
    store: SqlStore,
) -> None:
    clock = Clock()
    chat = FakeTelegram(clock)
    await queue(store, MANY)
    # Never fold (every alert its own message) and claim little per chat: the same limits,
    # tested message by message.
    policy = DeliveryPolicy(burst=1000, burst_max=3)
    box = Outbox(
        store=store, adapters={"telegram": chat}, clock=clock, policy=policy, sleep=clock.sleep
    )
    await drain(box, clock, chat, sum(MANY.values()))
    assert chat.refused == 0
    check_limits(chat)
    delivered = chat.delivered()
    assert len(delivered) == len(set(delivered)) == len(chat.log) == sum(MANY.values())
    # Paced, not merely slow: at the start 51 chats keep the total bucket full.
    assert most_in_window([t for t, _, _ in chat.log], 1.0) == 30
    private = [t for t, c, _ in chat.log if c == PRIVATE]
    assert private[-1] - private[0] < timedelta(seconds=200 * 1.1)


async def test_bursts_fold_into_lists_and_keep_the_limits(store: SqlStore) -> None:
    clock = Clock()
    chat = FakeTelegram(clock)
    await queue(store, FOLDED)
    box = Outbox(store=store, adapters={"telegram": chat}, clock=clock, sleep=clock.sleep)
    await drain(box, clock, chat, sum(FOLDED.values()))
    assert chat.refused == 0
    check_limits(chat)
    delivered = chat.delivered()
    assert len(delivered) == len(set(delivered)) == sum(FOLDED.values())
    sizes = {c: [len(titles) for _, d, titles in chat.log if d == c] for c in FOLDED}
    assert sizes[PRIVATE] == [20] * 10
    assert all(sorted(sizes[g]) == [10, 20] for g in GROUPS)


async def test_a_burst_of_six_is_one_message_and_five_are_five(store: SqlStore) -> None:
    clock = Clock()
    chat = FakeTelegram(clock)
    other = ChatAddress("telegram", "2002")
    await queue(store, {PRIVATE: 6})
    box = Outbox(store=store, adapters={"telegram": chat}, clock=clock, sleep=clock.sleep)
    await drain(box, clock, chat, 6)
    assert [len(titles) for _, _, titles in chat.log] == [6]

    chat.log.clear()
    await store.subscribe(other, "Sumy Oblast", "sumy oblast")
    subs = await store.active_subscriptions()
    later = [article(n) for n in range(100, 105)]
    plan = [NewAlert(s.id) for s in subs if s.chat == other]
    await store.ingest(FEED, later, lambda a: plan, etag=None, last_modified=None, at=T0)
    await drain(box, clock, chat, 5)
    assert [len(titles) for _, _, titles in chat.log] == [1] * 5
    check_limits(chat)


async def test_a_429_holds_only_that_chat_for_the_time_asked(store: SqlStore) -> None:
    clock = Clock()
    chat = FakeTelegram(clock)
    other = ChatAddress("telegram", "2002")
    await queue(store, {PRIVATE: 3, other: 3})
    chat.too_fast[PRIVATE] = [3.0]
    box = Outbox(store=store, adapters={"telegram": chat}, clock=clock, sleep=clock.sleep)
    await drain(box, clock, chat, 6)
    first_private = min(t for t, c, _ in chat.log if c == PRIVATE)
    assert first_private - T0 >= timedelta(seconds=3)
    assert min(t for t, c, _ in chat.log if c == other) - T0 < timedelta(seconds=1)


def test_idle_chat_buckets_are_forgotten_so_memory_stays_flat() -> None:
    clock = Clock()
    pacer = Pacer({"telegram": PlatformRates(Rate(1, 1.0), Rate(20, 60.0), None)}, clock)
    for n in range(5000):
        pacer.sent(ChatAddress("telegram", str(n)), "private")
        clock.advance(0.01)
    assert pacer.tracked_chats() < 1100
