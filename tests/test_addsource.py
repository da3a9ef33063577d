"""/addsource, /removesource and /sources, with feed discovery against pages and feeds served on
loopback, on a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.commands.core import ADMINS_ONLY, Commands, Incoming, Reply
from bot.commands.limits import ChatLimits
from bot.domain import ChatAddress, SourceInfo
from bot.ingest.fetch import Fetcher, make_client
from bot.ingest.poll import Poller
from bot.match.base import TopicIndex
from bot.match.engine import QueryMatcher
from bot.match.recent import RecentStories
from bot.sources.discover import FeedProbe
from bot.sources.due import DuePolls
from bot.sources.policy import PollingPolicy
from bot.sources.trust import untrusted_fetch
from bot.sources.urls import web_url_problem
from bot.store.database import SqlStore
from tests.support.clock import FakeClock
from tests.support.feeds import ALIYEV, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer

CHAT = ChatAddress("terminal", "local")
OTHER = ChatAddress("telegram", "42")
HTML = "text/html; charset=utf-8"


def page(head: str = "", body: str = "<p>Hello</p>") -> str:
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body>{body}</body></html>"


def alternate(href: str, title: str, kind: str = "application/rss+xml") -> str:
    return f'<link rel="alternate" type="{kind}" title="{title}" href="{href}">'


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@pytest.fixture
def topics() -> TopicIndex:
    return QueryMatcher().index([])


@pytest.fixture
def recent() -> RecentStories:
    return RecentStories()


@pytest.fixture
def commands(
    store: SqlStore,
    client: httpx.AsyncClient,
    guarded_client: httpx.AsyncClient,
    topics: TopicIndex,
    recent: RecentStories,
) -> Commands:
    probe = FeedProbe(untrusted_fetch(Fetcher(client, untrusted_client=guarded_client, timeout=5)))
    return Commands(
        store=store,
        matcher=QueryMatcher(),
        topics=topics,
        recent=recent,
        probe=probe,
        limits=ChatLimits(max_sources=2),
    )


async def say(commands: Commands, text: str, chat: ChatAddress = CHAT) -> str:
    reply: Reply = await commands.handle(Incoming(chat, text))
    return reply.text


async def test_a_feed_url_is_added_directly(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    feed_server.set("/news.rss", rss([ALIYEV], title="Odesa Daily"))
    reply = await say(commands, f"/addsource {feed_server.url('/news.rss')}")
    assert "Added “Odesa Daily”" in reply
    [mine] = await store.chat_sources(CHAT)
    assert (mine.url, mine.name, mine.configured) == (
        feed_server.url("/news.rss"),
        "Odesa Daily",
        False,
    )
    assert "already has" in await say(commands, f"/addsource {feed_server.url('/news.rss')}")
    assert await store.chat_sources(OTHER) == []


async def test_a_page_with_several_feeds_offers_them_by_number(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    feed_server.set("/news.rss", rss([ALIYEV], title="All news"))
    feed_server.set("/sport/atom.xml", rss([SUMY], title="Sport"))
    links = alternate("/news.rss", "News") + alternate(
        "sport/atom.xml", "Sport", "application/atom+xml"
    )
    feed_server.set("/", page(links + alternate("/missing.rss", "Broken")), content_type=HTML)

    reply = await say(commands, f"/addsource {feed_server.url('/')}")
    assert reply.startswith("Found 2 feeds at")
    assert f"1) All news — {feed_server.url('/news.rss')}" in reply
    assert f"2) Sport — {feed_server.url('/sport/atom.xml')}" in reply
    assert "/addsource 1" in reply
    assert await store.chat_sources(CHAT) == []

    assert "Pick a number from 1 to 2" in await say(commands, "/addsource 3")
    assert "Added “Sport”" in await say(commands, "/addsource 2")
    assert [s.url for s in await store.chat_sources(CHAT)] == [feed_server.url("/sport/atom.xml")]
    assert "no list of feeds" in await say(commands, "/addsource 1")  # the offer is used up


async def test_a_page_without_links_is_searched_at_the_usual_paths(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    feed_server.set("/blog/", page(), content_type=HTML)
    feed_server.set("/index.xml", rss([ALIYEV], title="Blog"))
    host = feed_server.url("/blog/").removeprefix("http://")
    reply = await say(commands, f"/addsource <http://{host}|{host}>")  # as Slack sends a link
    assert "Added “Blog”" in reply
    assert [s.url for s in await store.chat_sources(CHAT)] == [feed_server.url("/index.xml")]
    tried = {
        p
        for p in ("/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml")
        if feed_server.requests(p)
    }
    assert tried == {"/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml"}


async def test_no_feed_and_unreadable_addresses_get_clear_replies(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    feed_server.set("/plain", page(), content_type=HTML)
    assert "I found no feed at" in await say(commands, f"/addsource {feed_server.url('/plain')}")
    reply = await say(commands, f"/addsource {feed_server.url('/nothing-here')}")
    assert reply.startswith("Couldn't read") and "HTTP 404" in reply
    assert await store.chat_sources(CHAT) == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("ftp://example.org/feed", "only http:// and https://"),
        ("http://exa mple.org/", "no spaces"),
        ("http://example.org:99999/", "not a valid web address"),
    ],
)
async def test_addresses_that_are_not_web_urls_are_refused_without_fetching(
    commands: Commands, store: SqlStore, address: str, reason: str
) -> None:
    reply = await say(commands, f"/addsource {address}")
    assert reply.startswith("Can't add that") and reason in reply
    assert await store.chat_sources(CHAT) == []


async def test_a_chat_may_add_only_so_many_sources(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    for i in range(3):
        feed_server.set(f"/{i}.rss", rss([ALIYEV], title=f"Feed {i}"))
    assert "Added" in await say(commands, f"/addsource {feed_server.url('/0.rss')}")
    assert "Added" in await say(commands, f"/addsource {feed_server.url('/1.rss')}")
    reply = await say(commands, f"/addsource {feed_server.url('/2.rss')}")
    assert "already has 2 sources, the most allowed" in reply
    assert len(feed_server.requests("/2.rss")) == 0
    assert len(await store.chat_sources(CHAT)) == 2


async def test_sources_lists_the_chats_own_and_everyones_then_removesource(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    await store.sync_sources([SourceInfo("https://operator.example/feed", "Operator Wire", 300)])
    assert "Add your own with /addsource URL" in await say(commands, "/sources")
    for name in ("a", "b"):
        feed_server.set(f"/{name}.rss", rss([ALIYEV], title=f"Feed {name}"))
        await say(commands, f"/addsource {feed_server.url(f'/{name}.rss')}")

    listing = await say(commands, "/sources")
    assert "Added in this chat (2 of 2):" in listing
    assert f"1) Feed a — {feed_server.url('/a.rss')} — not polled yet" in listing
    assert f"2) Feed b — {feed_server.url('/b.rss')}" in listing
    assert (
        "Sources for everyone:\n• Operator Wire — https://operator.example/feed (every 5 min)"
        in listing
    )
    other = await say(commands, "/sources", OTHER)
    assert "Feed a" not in other and other.startswith("Sources for everyone:")

    assert "I already watch that source for everyone" in await say(
        commands, "/addsource https://operator.example/feed"
    )
    assert "Removed “Feed a”" in await say(commands, "/removesource 1")
    assert "has not added" in await say(commands, f"/removesource {feed_server.url('/a.rss')}")
    assert "Removed “Feed b”" in await say(commands, f"/removesource {feed_server.url('/b.rss')}")
    assert "This chat has added no sources" in await say(commands, "/removesource 1")
    assert await store.chat_sources(CHAT) == []
    assert [s.url for s in await store.list_sources()] == ["https://operator.example/feed"]


async def test_in_a_group_only_admins_add_or_remove_sources(
    commands: Commands, store: SqlStore, feed_server: FeedServer
) -> None:
    feed_server.set("/g.rss", rss([ALIYEV]))

    async def no() -> bool:
        return False

    group = ChatAddress("telegram", "-1001")
    for text in (f"/addsource {feed_server.url('/g.rss')}", "/removesource 1"):
        reply = await commands.handle(Incoming(group, text, user="7", group=True, is_admin=no))
        assert reply.text == ADMINS_ONLY
    assert feed_server.requests("/g.rss") == []
    listing = await commands.handle(Incoming(group, "/sources", user="7", group=True, is_admin=no))
    assert "No sources yet" in listing.text  # reading the list is for everyone


async def test_a_chat_added_source_alerts_only_the_chats_that_added_it(
    commands: Commands,
    topics: TopicIndex,
    recent: RecentStories,
    store: SqlStore,
    client: httpx.AsyncClient,
    guarded_client: httpx.AsyncClient,
    feed_server: FeedServer,
) -> None:
    feed_server.set("/local.rss", rss([ALIYEV], title="Local"))
    for chat in (CHAT, OTHER):
        assert "Subscribed" in await say(commands, "/subscribe peacekeepers", chat)
    assert "Added" in await say(commands, f"/addsource {feed_server.url('/local.rss')}")
    clock = FakeClock(datetime.now(UTC))  # the commands above ran on the real clock
    fetcher = Fetcher(client, untrusted_client=guarded_client)
    poller = Poller(
        fetcher=fetcher,
        store=store,
        topics=topics,
        clock=clock,
        on_stored=recent.add,
        fetch_untrusted=untrusted_fetch(fetcher),
    )
    due = DuePolls(store=store, poller=poller, policy=PollingPolicy(), clock=clock)
    [first] = await due.run_due()
    assert first.error is None and first.alerts_queued == 0  # the first poll only records

    feed_server.set("/local.rss", rss([PEACEKEEPERS, ALIYEV], title="Local"))
    clock.advance(3600)
    [second] = await due.run_due()
    assert second.new_articles == 1 and second.alerts_queued == 1
    claimed = await store.claim_alerts(10, now=clock(), lease_seconds=60)
    assert [a.chat for a in claimed] == [CHAT]
    # /latest keeps to the same rule.
    mine = await commands.handle(Incoming(CHAT, "/latest peacekeepers"))
    assert [m.title for m in mine.stories] == [PEACEKEEPERS.title]
    theirs = await commands.handle(Incoming(OTHER, "/latest peacekeepers"))
    assert theirs.stories == () and "No stored stories" in theirs.text


async def test_without_a_guarded_fetch_untrusted_sources_are_not_fetched(
    store: SqlStore, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.set("/x.rss", rss([ALIYEV]))
    clock = FakeClock()
    await store.add_chat_source(CHAT, feed_server.url("/x.rss"), "x", 60, at=clock())
    poller = Poller(
        fetcher=Fetcher(client), store=store, topics=QueryMatcher().index([]), clock=clock
    )
    outcome = await poller.poll(feed_server.url("/x.rss"), "x", untrusted=True)
    assert outcome.error == "no guarded fetcher for sources added in chat"
    assert feed_server.requests("/x.rss") == []
    # ... and a local path never reaches the disk through the guarded one.
    guarded = Poller(
        fetcher=Fetcher(client),
        store=store,
        topics=QueryMatcher().index([]),
        clock=clock,
        fetch_untrusted=untrusted_fetch(Fetcher(client)),
    )
    outcome = await guarded.poll("/etc/hostname", "x", untrusted=True)
    assert outcome.error is not None and "only http://" in outcome.error


def test_an_overlong_address_is_refused_before_any_fetch() -> None:
    assert web_url_problem("https://" + "a" * 2001) == "that address is longer than 2000 characters"
    assert web_url_problem("https://example.org/feed") is None


async def test_a_chat_page_source_cannot_point_the_bot_at_an_internal_feed(
    store: SqlStore,
    client: httpx.AsyncClient,
    guarded_client: httpx.AsyncClient,
    feed_server: FeedServer,
) -> None:
    # The page itself is allowed (the test's loopback server); the feed it advertises is on an
    # address the guard refuses. Reading that feed must go through the guard too.
    internal = f"http://[::1]:{feed_server.port}/internal.rss"
    link = f'<link rel="alternate" type="application/rss+xml" href="{internal}">'
    feed_server.set("/home", page(head=link), content_type=HTML)
    clock = FakeClock()
    url = feed_server.url("/home")
    await store.add_chat_source(CHAT, url, "home", 60, at=clock())
    fetcher = Fetcher(client, untrusted_client=guarded_client)
    poller = Poller(
        fetcher=fetcher,
        store=store,
        topics=QueryMatcher().index([]),
        clock=clock,
        fetch_untrusted=untrusted_fetch(fetcher),
    )
    outcome = await poller.poll(url, "home", untrusted=True)
    assert outcome.error == "loopback address ::1 is not allowed"
