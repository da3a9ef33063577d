"""`Poller.take`: content a poll did not fetch itself (a hub pushed it) goes through the same
parse, dedupe, store and alert path as a poll's."""

from __future__ import annotations

import httpx
import pytest

from bot.domain import ChatAddress
from bot.errors import FeedParseError
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.poll import Poller, index_subscriptions
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from tests.support.clock import FakeClock
from tests.support.feeds import ALIYEV, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer

CHAT = ChatAddress("terminal", "1")


def pushed(url: str, body: str) -> FetchResult:
    return FetchResult(
        url=url,
        status=200,
        content=body.encode(),
        content_type="application/rss+xml",
        etag=None,
        last_modified=None,
    )


async def test_taken_content_alerts_once_and_a_later_poll_of_it_finds_nothing_new(
    store: SqlStore, feed_server: FeedServer
) -> None:
    url = feed_server.url("/wire.rss")
    feed_server.set("/wire.rss", rss([ALIYEV]))
    await store.upsert_source(url, "Wire", 60)
    await store.subscribe(CHAT, "peacekeepers", "peacekeepers")
    matcher = QueryMatcher()
    woken: list[str] = []
    async with httpx.AsyncClient() as client:
        poller = Poller(
            fetcher=Fetcher(client),
            store=store,
            topics=index_subscriptions(matcher, await store.active_subscriptions()),
            clock=FakeClock(),
            on_alerts=lambda: woken.append("alerts"),
        )
        assert (await poller.poll(url, "Wire")).new_articles == 1  # the baseline

        taken = await poller.take(url, "Wire", pushed(url, rss([PEACEKEEPERS, ALIYEV])))
        assert (taken.new_articles, taken.alerts_queued) == (1, 1)
        assert woken == ["alerts"]
        again = await poller.take(url, "Wire", pushed(url, rss([PEACEKEEPERS, ALIYEV])))
        assert (again.new_articles, again.alerts_queued) == (0, 0)

        feed_server.set("/wire.rss", rss([PEACEKEEPERS, ALIYEV]))
        polled = await poller.poll(url, "Wire")
    assert polled.error is None and polled.new_articles == 0
    [alert] = await store.claim_alerts(10, now=FakeClock()(), lease_seconds=60)
    assert alert.chat == CHAT and alert.article.title == PEACEKEEPERS.title


async def test_taken_content_that_is_no_feed_raises_and_stores_nothing(store: SqlStore) -> None:
    url = "https://wire.example/feed"
    await store.upsert_source(url, "Wire", 60)
    async with httpx.AsyncClient() as client:
        poller = Poller(
            fetcher=Fetcher(client), store=store, topics=QueryMatcher().index([]), clock=FakeClock()
        )
        with pytest.raises(FeedParseError):
            await poller.take(url, "Wire", pushed(url, "hello, not a feed"))
        taken = await poller.take(url, "Wire", pushed(url, rss([SUMY])))
    assert taken.new_articles == 1
    assert [a.title for a in await store.recent_articles(10)] == [SUMY.title]
