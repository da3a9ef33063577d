"""Quiet hours and digests fire at the right local times, across DST changes (Europe/Kyiv), on a
fake clock; after downtime each digest goes out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.core import Commands, Incoming
from bot.delivery.digests import Digests
from bot.delivery.localtime import in_quiet, next_digest, next_local
from bot.delivery.outbox import Outbox
from bot.domain import Article, ChatAddress
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from bot.store.ports import NewAlert
from tests.support.pacedchat import Clock, FakeTelegram

KYIV = "Europe/Kyiv"
CHAT = ChatAddress("fake", "kyiv")
FEED = "https://ex.example/feed"


class Recorder(FakeTelegram):
    platform = "fake"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Spring forward (Sun 31 Mar 2024, 03:00 EET → 04:00 EEST): 08:00 is 06:00 UTC, then 05:00.
        (utc(2024, 3, 30, 7, 0), utc(2024, 3, 31, 5, 0)),
        (utc(2024, 3, 29, 7, 0), utc(2024, 3, 30, 6, 0)),
        # Fall back (Sun 27 Oct 2024, 04:00 EEST → 03:00 EET): 08:00 is 05:00 UTC, then 06:00.
        (utc(2024, 10, 26, 6, 0), utc(2024, 10, 27, 6, 0)),
        (utc(2024, 10, 25, 6, 0), utc(2024, 10, 26, 5, 0)),
    ],
)
def test_a_daily_time_keeps_its_local_hour_across_dst(now: datetime, expected: datetime) -> None:
    assert next_local(8 * 60, KYIV, now) == expected


def test_hourly_digests_follow_the_local_clock_through_the_repeated_hour() -> None:
    # 27 Oct 2024: 03:00-04:00 local happens twice; hourly digests still come every real hour.
    times = [utc(2024, 10, 26, 23, 30)]
    for _ in range(4):
        times.append(next_digest("hourly", None, KYIV, times[-1]))
    assert [t.hour for t in times[1:]] == [0, 1, 2, 3]


def test_quiet_hours_use_the_local_clock() -> None:
    quiet = (23 * 60, 7 * 60)
    assert in_quiet(quiet, KYIV, utc(2024, 10, 27, 4, 30))  # 06:30 EET
    assert not in_quiet(quiet, KYIV, utc(2024, 10, 27, 5, 0))  # 07:00 EET
    assert not in_quiet(quiet, KYIV, utc(2024, 10, 26, 4, 0))  # 07:00 EEST, the day before
    assert in_quiet(quiet, "UTC", utc(2024, 10, 26, 23, 0))
    assert not in_quiet((9 * 60, 17 * 60), "UTC", utc(2024, 10, 26, 8, 59))


async def setup(store: SqlStore, clock: Clock, *lines: str) -> Commands:
    commands = Commands(store=store, matcher=QueryMatcher(), clock=clock)
    for line in ("/subscribe Sumy Oblast", "/timezone Europe/Kyiv", *lines):
        await commands.handle(Incoming(CHAT, line))
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=clock())
    return commands


async def queue(store: SqlStore, clock: Clock, *numbers: int) -> None:
    [sub] = await store.subscriptions(CHAT)
    stories = [
        Article(f"k{n}", FEED, "Ex", f"g{n}", f"https://ex.example/{n}", f"Story {n}", "", clock())
        for n in numbers
    ]
    await store.ingest(
        FEED, stories, lambda a: [NewAlert(sub.id)], etag=None, last_modified=None, at=clock()
    )


@pytest.mark.parametrize(
    ("start", "released"),
    [
        # 00:30 local on the night clocks go back: quiet ends at 07:00 EET = 05:00 UTC.
        (utc(2024, 10, 26, 21, 30), utc(2024, 10, 27, 5, 0)),
        # 00:30 local on the night clocks go forward: quiet ends at 07:00 EEST = 04:00 UTC.
        (utc(2024, 3, 30, 22, 30), utc(2024, 3, 31, 4, 0)),
    ],
)
async def test_alerts_wait_out_quiet_hours_and_then_arrive(
    store: SqlStore, start: datetime, released: datetime
) -> None:
    clock = Clock()
    clock.now = start
    chat = Recorder(clock)
    await setup(store, clock, "/quiet 23:00-07:00")
    await queue(store, clock, 1, 2)
    box = Outbox(store=store, adapters={"fake": chat}, clock=clock, sleep=clock.sleep)
    while clock.now < released + timedelta(minutes=30):
        await box.deliver_due()
        clock.advance(300)
    assert [t for t, _, _ in chat.log] == [released, released + timedelta(seconds=300)]
    assert {t for _, _, titles in chat.log for t in titles} == {"Story 1", "Story 2"}


async def test_a_daily_digest_goes_out_at_08_00_local_before_and_after_the_change(
    store: SqlStore,
) -> None:
    clock = Clock()
    clock.now = utc(2024, 3, 29, 12, 0)
    chat = Recorder(clock)
    outbox = Outbox(store=store, adapters={"fake": chat}, clock=clock, sleep=clock.sleep)
    digests = Digests(store=store, sender=outbox.sender, clock=clock)
    await setup(store, clock, "/digest daily 08:00")
    for n in range(3):
        await queue(store, clock, n)
    sends: list[datetime] = []
    for step in range(2 * 24 * 12):  # two days, every 5 minutes
        assert await outbox.deliver_due() == 0  # a digest chat gets nothing one by one
        if await digests.send_due():
            sends.append(clock.now)
        if step == 24 * 12:
            await queue(store, clock, 10, 11)  # Sat 30 Mar, noon UTC: after the first digest
        clock.advance(300)
    assert sends == [utc(2024, 3, 30, 6, 0), utc(2024, 3, 31, 5, 0)]
    assert [titles for _, _, titles in chat.log] == [
        ("Story 0", "Story 1", "Story 2"),
        ("Story 10", "Story 11"),
    ]


async def test_after_downtime_each_digest_goes_out_once(store: SqlStore) -> None:
    clock = Clock()
    clock.now = utc(2024, 6, 1, 9, 10)
    chat = Recorder(clock)
    outbox = Outbox(store=store, adapters={"fake": chat}, clock=clock, sleep=clock.sleep)
    digests = Digests(store=store, sender=outbox.sender, clock=clock)
    await setup(store, clock, "/digest hourly")
    await queue(store, clock, 1, 2)
    clock.advance(6 * 3600)  # down for six digest times
    assert await digests.send_due() == 1
    assert await digests.send_due() == 0
    settings = await store.chat_settings(CHAT, now=clock())
    assert settings.digest_due == utc(2024, 6, 1, 16, 0)  # 19:00 Kyiv: the next hour, not 10:00
    assert len(chat.log) == 1


async def test_a_digest_due_in_quiet_hours_waits_for_their_end(store: SqlStore) -> None:
    clock = Clock()
    clock.now = utc(2024, 6, 1, 12, 0)
    chat = Recorder(clock)
    outbox = Outbox(store=store, adapters={"fake": chat}, clock=clock, sleep=clock.sleep)
    digests = Digests(store=store, sender=outbox.sender, clock=clock)
    await setup(store, clock, "/digest daily 06:00", "/quiet 23:00-07:00")
    await queue(store, clock, 1)
    sends = []
    for _ in range(24 * 4):
        if await digests.send_due():
            sends.append(clock.now)
        clock.advance(900)
    assert sends == [utc(2024, 6, 2, 4, 0)]  # 07:00 EEST, when quiet hours end
