"""Polling politely and persistently, against real loopback feed servers and a fake clock:
User-Agent, Retry-After, backoff with jitter, parking (and telling the chats once), one request
per host at a time, adaptive intervals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from bot.adapters.terminal import LOCAL_CHAT, TerminalChat
from bot.delivery.notices import Notices
from bot.domain import SourceInfo
from bot.ingest.fetch import Fetcher, make_client
from bot.ingest.poll import Poller
from bot.match.engine import QueryMatcher
from bot.sources.due import DuePolls
from bot.sources.policy import PollingPolicy, backoff_delay
from bot.sources.trust import untrusted_fetch
from bot.store.database import SqlStore
from tests.support.clock import FakeClock
from tests.support.feeds import ALIYEV, CRUMBLES, SUMY, rss
from tests.support.feedserver import FeedServer

POLICY = PollingPolicy(
    contact_url="https://example.org/newsbot-contact",
    min_interval=60,
    max_interval=600,
    backoff_base=10,
    backoff_max=3600,
    park_after=24 * 3600,
)


async def no_lines() -> AsyncIterator[str]:
    return
    yield  # pragma: no cover - makes this an async generator


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@dataclass
class Rig:
    store: SqlStore
    clock: FakeClock
    due: DuePolls
    notices: Notices
    said: list[str]

    async def source(self, url: str) -> SourceInfo:
        everyone = await self.store.operator_sources()
        mine = await self.store.chat_sources(LOCAL_CHAT)
        return next(s for s in [*everyone, *mine] if s.url == url)

    async def wait(self, url: str) -> float:
        """Seconds until the source's next poll."""
        info = await self.source(url)
        assert info.next_poll is not None
        return (info.next_poll - self.clock.now).total_seconds()


def make_rig(
    store: SqlStore,
    client: httpx.AsyncClient,
    policy: PollingPolicy = POLICY,
    rand: Callable[[], float] = lambda: 0.0,
) -> Rig:
    clock = FakeClock()
    # These tests are about when and how often; the guard itself is tested in test_guard.py.
    fetcher = Fetcher(client, untrusted_client=client, user_agent=policy.user_agent, timeout=10)
    poller = Poller(
        fetcher=fetcher,
        store=store,
        topics=QueryMatcher().index([]),
        clock=clock,
        fetch_untrusted=untrusted_fetch(fetcher),
    )
    said: list[str] = []
    notices = Notices(
        store=store, adapters={"terminal": TerminalChat(no_lines(), said.append)}, clock=clock
    )
    due = DuePolls(store=store, poller=poller, policy=policy, clock=clock, rand=rand)
    return Rig(store, clock, due, notices, said)


async def configured(store: SqlStore, *urls: str, interval: float = 60) -> None:
    await store.sync_sources([SourceInfo(u, f"source {i}", interval) for i, u in enumerate(urls)])


async def test_user_agent_names_the_bot_and_the_contact_url(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    rig = make_rig(store, client)
    feed_server.set("/f.rss", rss([ALIYEV]))
    await configured(store, feed_server.url("/f.rss"))
    await rig.due.run_due()
    [hit] = feed_server.requests("/f.rss")
    assert hit.headers["user-agent"].startswith("newsbot/")
    assert "(+https://example.org/newsbot-contact)" in hit.headers["user-agent"]


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer, status: int
) -> None:
    rig = make_rig(store, client)
    url = feed_server.url("/busy.rss")
    feed_server.set_status("/busy.rss", status, retry_after=120)
    await configured(store, url)

    [outcome] = await rig.due.run_due()
    assert outcome.status == status and outcome.retry_after == 120
    assert await rig.wait(url) == 120  # not the 10 s backoff: the server's word counts
    rig.clock.advance(119)
    assert await rig.due.run_due() == []
    assert len(feed_server.requests("/busy.rss")) == 1
    rig.clock.advance(1)
    feed_server.set("/busy.rss", rss([ALIYEV]))
    [outcome] = await rig.due.run_due()
    assert outcome.error is None and len(feed_server.requests("/busy.rss")) == 2


async def test_a_source_answering_404_for_ever_is_parked_and_its_chat_told_once(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    rig = make_rig(store, client)
    url = feed_server.url("/gone.rss")  # nothing published there: the server answers 404
    await store.add_chat_source(LOCAL_CHAT, url, "Gone Daily", 60, at=rig.clock.now)

    for _ in range(10):
        await rig.due.run_due()
        rig.clock.advance(3600)
        assert await rig.notices.send_due() in (0, 1)
    assert len(feed_server.requests("/gone.rss")) == POLICY.gone_after  # then no more polls
    [notice] = rig.said
    assert "I stopped checking the source Gone Daily" in notice
    assert "HTTP 404 (not found)" in notice and f"/addsource {url}" in notice
    assert (await rig.source(url)).parked is not None
    assert await rig.notices.send_due() == 0 and rig.said == [notice]  # told once

    # Adding it again un-parks it and polls it at once.
    feed_server.set("/gone.rss", rss([ALIYEV]))
    await store.add_chat_source(LOCAL_CHAT, url, "Gone Daily", 60, at=rig.clock.now)
    [outcome] = await rig.due.run_due()
    assert outcome.error is None and (await rig.source(url)).parked is None


async def test_an_operator_source_is_parked_without_telling_any_chat(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    rig = make_rig(store, client)
    url = feed_server.url("/removed.rss")
    feed_server.set_status("/removed.rss", 410)
    await configured(store, url)
    await rig.due.run_due()
    info = await rig.source(url)
    assert info.parked is not None and "410" in info.parked  # one 410 is enough
    assert await store.unsent_notices() == []
    rig.clock.advance(7 * 24 * 3600)
    assert await rig.due.run_due() == []


async def test_failing_for_a_long_time_parks_the_source(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    rig = make_rig(
        store, client, PollingPolicy(backoff_base=60, backoff_max=3600, park_after=6 * 3600)
    )
    url = feed_server.url("/broken.rss")
    feed_server.set_status("/broken.rss", 500)
    await store.add_chat_source(LOCAL_CHAT, url, "Broken", 60, at=rig.clock.now)
    polls = 0
    while (await rig.source(url)).parked is None:
        rig.clock.now += (await rig.source(url)).next_poll - rig.clock.now  # type: ignore[operator]
        polls += len(await rig.due.run_due())
        assert polls < 50
    assert 6 <= polls <= 12  # 60 s, 120 s, ... capped at an hour, for 6 hours
    await rig.notices.send_due()
    assert len(rig.said) == 1 and "every poll for 6 hours failed" in rig.said[0]
    assert "HTTP 500" in rig.said[0]


def test_backoff_doubles_up_to_the_cap_and_jitter_stays_in_bounds() -> None:
    policy = PollingPolicy(backoff_base=10, backoff_max=300, jitter=0.5)
    highs = [backoff_delay(n, policy, lambda: 0.0) for n in range(1, 8)]
    lows = [backoff_delay(n, policy, lambda: 0.999999) for n in range(1, 8)]
    assert highs == [10, 20, 40, 80, 160, 300, 300]
    assert all(h / 2 <= low <= h for low, h in zip(lows, highs, strict=True))
    assert lows[0] < 5.01


async def test_backoff_grows_between_failed_polls_with_jitter(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    draws = iter([0.0, 0.5, 0.999, 0.0, 0.5])
    rig = make_rig(store, client, rand=lambda: next(draws))
    url = feed_server.url("/flaky.rss")
    feed_server.set_status("/flaky.rss", 500)
    await configured(store, url)
    waits = []
    for _ in range(5):
        await rig.due.run_due()
        waits.append(await rig.wait(url))
        rig.clock.advance(waits[-1])
    # base 10 s doubling, each jittered down by jitter * draw (jitter 0.5)
    assert waits == pytest.approx([10, 15, 20.02, 80, 120])


@pytest.mark.parametrize("per_host", [1, 2])
async def test_two_sources_on_one_host_are_never_fetched_at_once(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer, per_host: int
) -> None:
    rig = make_rig(store, client, PollingPolicy(per_host=per_host))
    for path in ("/one.rss", "/two.rss"):
        feed_server.set(path, rss([ALIYEV]))
        feed_server.set_slow(path, bytes_per_second=3000)  # each response takes ~0.2 s
    await configured(store, feed_server.url("/one.rss"), feed_server.url("/two.rss"))
    outcomes = await rig.due.run_due()
    assert [o.error for o in outcomes] == [None, None]
    assert feed_server.max_in_flight == per_host


async def test_a_feed_that_rarely_changes_is_polled_less_often_within_bounds(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    rig = make_rig(store, client)  # base 60 s; bounds 60 s .. 600 s; x1.5 per quiet poll
    url = feed_server.url("/quiet.rss")
    feed_server.set("/quiet.rss", rss([ALIYEV]))
    await configured(store, url)
    waits = []
    for _ in range(8):
        await rig.due.run_due()
        waits.append(await rig.wait(url))
        rig.clock.advance(waits[-1])
    assert waits == [60, 90, 135, 202.5, 303.75, 455.625, 600, 600]
    feed_server.set("/quiet.rss", rss([SUMY, CRUMBLES, ALIYEV]))  # news: back to the base
    [outcome] = await rig.due.run_due()
    assert outcome.new_articles == 2
    assert await rig.wait(url) == 60
