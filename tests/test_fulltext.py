"""Full text and pages as sources, over loopback HTTP: a teaser feed whose pages give the story's
text, pages that fail in every way (the feed's text is kept), a page that links its feed, and a
single article page carrying the seed's furniture."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.app import NewsBot, build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from bot.domain import Article
from bot.ingest.fetch import Fetcher
from bot.ingest.fulltext import AUTO_MIN_CHARS, PageReader, wants_page
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, ODESA, PEACEKEEPERS, Item, rss
from tests.support.feedserver import FeedServer

FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)
HTML = "text/html; charset=utf-8"
SEED = (Path(__file__).parent / "fixtures/seed/kyiv-independent-2024-04-17.html").read_bytes()
PASHINYAN = "Armenian Prime Minister Pashinyan said in February"
TEASER = "Russia has begun withdrawing its peacekeepers."
FURNITURE = ("survey", "AI assistance", "Getty Images", "Sumy Oblast", "Odesa", "Authors:")


def config(database_url: str, data_dir: Path, *sources: SourceConfig) -> Config:
    return Config(
        database_url=database_url, data_dir=data_dir, sources=sources, delivery=FAST, demo=False
    )


async def started(cfg: Config, chat: TypedChat) -> NewsBot:
    bot = await build(cfg, adapters=[chat.adapter])
    await bot.start(schedule=False)
    return bot


def teaser_item(server: FeedServer, path: str) -> Item:
    return replace(PEACEKEEPERS, link=server.url(path), description=TEASER)


async def test_a_teaser_feed_gets_its_stories_text_from_their_pages(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    source = SourceConfig(url=feed_server.url("/ki.rss"), name="KI", interval=60, full_text="auto")
    feed_server.set("/ki.rss", rss([ALIYEV]))
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    await bot.poll_all()
    await chat.say("/subscribe CSTO")  # only deep in the page, never in the feed
    await chat.say("/subscribe peacekeepers")
    feed_server.set("/story.html", SEED, content_type=HTML)
    feed_server.set("/ki.rss", rss([teaser_item(feed_server, "/story.html"), ALIYEV]))
    [outcome] = await bot.poll_all()
    assert outcome.alerts_queued == 1  # one alert for the chat, whichever topics match
    [alert] = await chat.wait_for_alerts(1)
    assert PEACEKEEPERS.title in alert
    assert 'Russia has begun withdrawing its "peacekeeping" contingent' in alert  # the page's lead
    assert not any(f in alert for f in FURNITURE)
    [stored] = [a for a in await bot.store.recent_articles(5) if a.title == PEACEKEEPERS.title]
    assert PASHINYAN in stored.body and "survey" not in stored.body
    # The page was fetched once, for the new story only; the known one (ALIYEV) was not.
    assert len(feed_server.requests("/story.html")) == 1
    await bot.stop()


async def test_a_topic_found_only_in_the_page_leads_the_summary(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    source = SourceConfig(url=feed_server.url("/ki.rss"), name="KI", interval=60, full_text=True)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    await bot.poll_all()
    await chat.say("/subscribe Collective Security Treaty Organization")
    feed_server.set("/story.html", SEED, content_type=HTML)
    feed_server.set("/ki.rss", rss([teaser_item(feed_server, "/story.html"), ALIYEV]))
    await bot.poll_all()
    [alert] = await chat.wait_for_alerts(1)
    assert alert.splitlines()[2].strip().startswith(PASHINYAN)
    await bot.stop()


async def test_pages_that_fail_leave_the_feeds_text_and_the_alert_goes_out(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    source = SourceConfig(url=feed_server.url("/ki.rss"), name="KI", interval=60, full_text=True)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    await bot.poll_all()
    await chat.say("/subscribe peacekeepers")
    feed_server.set_status("/gone.html", 404)
    feed_server.set(
        "/paywall.html", "<html><body><p>Subscribe to read.</p></body></html>", content_type=HTML
    )
    feed_server.set("/file.pdf", b"%PDF-1.7 binary", content_type="application/pdf")
    items = [
        replace(teaser_item(feed_server, "/gone.html"), guid="g1"),
        replace(teaser_item(feed_server, "/paywall.html"), guid="g2", title="Peacekeepers two"),
        replace(teaser_item(feed_server, "/file.pdf"), guid="g3", title="Peacekeepers three"),
    ]
    # Different titles and leads would merge as one story; give each its own text.
    items = [
        replace(i, description=f"{TEASER} Item {n} of a separate story about peacekeepers {n}.")
        for n, i in enumerate(items)
    ]
    items[1] = replace(
        items[1],
        title="Peacekeepers leave Yerevan airport",
        published=datetime(2024, 4, 10, tzinfo=UTC),
    )
    items[2] = replace(
        items[2], title="Peacekeepers return to Lachin", published=datetime(2024, 4, 1, tzinfo=UTC)
    )
    feed_server.set("/ki.rss", rss([*items, ALIYEV]))
    [outcome] = await bot.poll_all()
    assert outcome.error is None and outcome.alerts_queued == 3
    alerts = await chat.wait_for_alerts(3)
    assert all(TEASER in a for a in alerts)  # the feed's text, as the pages gave nothing usable
    assert all(
        len(feed_server.requests(p)) == 1 for p in ("/gone.html", "/paywall.html", "/file.pdf")
    )
    await bot.stop()


async def test_a_page_that_never_finishes_costs_at_most_the_budget(feed_server: FeedServer) -> None:
    feed_server.set_slow("/slow.html", 50, body=b"<html><body>" + b"<p>word</p>" * 2000)
    story = Article(
        key="k",
        source_url="s",
        source_name="S",
        guid=None,
        url=feed_server.url("/slow.html"),
        title="T",
        summary="Short feed text.",
        published=datetime(2024, 4, 17, tzinfo=UTC),
    )
    async with httpx.AsyncClient() as client:
        reader = PageReader(Fetcher(client), budget=0.3)
        [result] = await reader.enrich([story], True)
    assert result == story  # unchanged: the feed's text stands


def test_auto_reads_pages_only_for_short_feed_text() -> None:
    short = Article(
        key="k",
        source_url="s",
        source_name="S",
        guid=None,
        url="https://x.example/a",
        title="T",
        summary="x" * (AUTO_MIN_CHARS - 1),
        published=datetime(2024, 4, 17, tzinfo=UTC),
    )
    long = replace(short, summary="x" * AUTO_MIN_CHARS)
    assert wants_page(short, "auto") and not wants_page(long, "auto")
    assert wants_page(long, True) and not wants_page(short, False)
    assert not wants_page(replace(short, url=""), True)
    assert not wants_page(replace(short, body="Read from the page already."), True)


async def test_a_page_that_links_its_feed_is_read_through_the_feed(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    page = (
        '<html><head><title>KI</title><link rel="alternate" type="application/rss+xml" '
        'href="/feeds/all.rss"></head><body><nav>Home</nav><p>Front page</p></body></html>'
    )
    feed_server.set("/", page, content_type=HTML)
    feed_server.set("/feeds/all.rss", rss([ALIYEV]))
    source = SourceConfig(url=feed_server.url("/"), name="Kyiv Independent", interval=60)
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    await bot.poll_all()
    await chat.say("/subscribe Odesa")
    feed_server.set("/feeds/all.rss", rss([ODESA, ALIYEV]))
    feed_server.set("/", page + " ", content_type=HTML)  # the front page changes too
    [outcome] = await bot.poll_all()
    assert outcome.error is None and outcome.alerts_queued == 1
    [alert] = await chat.wait_for_alerts(1)
    assert ODESA.title in alert and "Kyiv Independent" in alert
    await bot.stop()


async def test_a_single_article_page_is_one_story_without_its_furniture(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.set("/story.html", SEED, content_type=HTML)
    source = SourceConfig(url=feed_server.url("/story.html"), name="KI page", interval=60)
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    [outcome] = await bot.poll_all()
    assert outcome.error is None and outcome.new_articles == 1
    [story] = await bot.store.recent_articles(5)
    assert story.title == PEACEKEEPERS.title
    assert story.url == PEACEKEEPERS.link  # the page's canonical URL
    assert story.published == PEACEKEEPERS.published
    assert story.summary.startswith("Russia has begun withdrawing")
    assert PASHINYAN in story.body
    assert not any(f in story.body + story.summary for f in FURNITURE)
    reply = await chat.say("/latest peacekeepers")
    assert PEACEKEEPERS.title in reply
    await bot.stop()


async def test_a_page_with_neither_feed_nor_story_is_a_source_error(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.set("/empty.html", "<html><body><nav>Home</nav></body></html>", content_type=HTML)
    source = SourceConfig(url=feed_server.url("/empty.html"), name="Empty", interval=60)
    chat = TypedChat()
    bot = await started(config(database_url, tmp_path, source), chat)
    [outcome] = await bot.poll_all()
    assert outcome.error is not None and "no feed link" in outcome.error
    await bot.stop()


async def test_pages_of_one_poll_are_read_one_at_a_time(feed_server: FeedServer) -> None:
    # Politeness: one request at a time per host, pages included. Each page trickles in for a
    # moment, so concurrent reads would overlap at the server.
    body = b"<html><body>" + b"<p>Sumy Oblast power was restored on Thursday.</p>" * 30 + b"</body>"
    stories = []
    for n in range(3):
        feed_server.set_slow(f"/p{n}.html", 5_000, body=body)
        stories.append(
            Article(
                key=f"k{n}",
                source_url="s",
                source_name="S",
                guid=None,
                url=feed_server.url(f"/p{n}.html"),
                title=f"T{n}",
                summary="Short feed text.",
                published=datetime(2024, 4, 17, tzinfo=UTC),
            )
        )
    async with httpx.AsyncClient() as client:
        await PageReader(Fetcher(client)).enrich(stories, True)
    assert all(len(feed_server.requests(f"/p{n}.html")) == 1 for n in range(3))
    assert feed_server.max_in_flight == 1
