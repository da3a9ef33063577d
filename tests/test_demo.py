from __future__ import annotations

import io
import re
from datetime import UTC

import feedparser
import httpx
import pytest

from bot.sources.demo import (
    DEMO_INTERVAL,
    DEMO_NAME,
    DEMO_SOURCE,
    DEMO_URL,
    DemoFeed,
    DemoTransport,
    load_stories,
)

SEED_TITLES = [
    "Kremlin confirms Russian 'peacekeepers' withdrawing from Nagorno-Karabakh",
    "Russia attacks 13 communities in Sumy Oblast, injuring 1.",
    "Norwegian foreign minister visits Odesa.",
    "Aliyev wins presidential election in Azerbaijan, secures 5th term in office",
    "Russia’s ‘peacekeeper’ act crumbles as Azerbaijan overwhelms Nagorno-Karabakh",
]


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def parse(document: bytes) -> feedparser.FeedParserDict:
    return feedparser.parse(io.BytesIO(document))


def test_demo_source_constants() -> None:
    assert DEMO_SOURCE.url == DEMO_URL == "demo://newsbot/feed"
    assert DEMO_SOURCE.name == DEMO_NAME
    assert DEMO_SOURCE.interval == DEMO_INTERVAL == 5.0


def test_releases_grow_over_time_from_construction() -> None:
    clock = FakeClock(start=1000.0)
    feed = DemoFeed(clock)
    counts = []
    previous: set[str] = set()
    for elapsed in range(0, 66, 5):
        clock.now = 1000.0 + elapsed
        guids = {story.guid for story in feed.released()}
        assert previous <= guids  # a released story never disappears
        previous = guids
        counts.append(len(guids))
    assert counts[0] == 3
    assert counts[1] == 3  # nothing new before 10 s
    assert counts[-1] == len(load_stories())
    assert counts == sorted(counts)
    assert len(feed.released(now=1000.0 + 59.9)) == len(load_stories())


def test_schedule_three_at_start_and_the_rest_within_a_minute() -> None:
    delays = sorted(story.release_after for story in load_stories())
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert all(10.0 <= delay <= 60.0 for delay in delays[3:])
    assert len(delays) >= 12


def test_render_is_a_valid_rss_feed_newest_first() -> None:
    clock = FakeClock()
    feed = DemoFeed(clock)
    clock.now += 60
    parsed = parse(feed.render())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == DEMO_NAME
    stories = {story.guid: story for story in load_stories()}
    assert len(parsed.entries) == len(stories)
    for entry in parsed.entries:
        story = stories[entry.id]
        assert entry.title == story.title
        assert entry.link == story.url
        assert story.credit in entry.summary
    published = [entry.published_parsed for entry in parsed.entries]
    assert published == sorted(published, reverse=True)


def test_render_at_start_holds_only_the_first_three() -> None:
    feed = DemoFeed(FakeClock(start=50.0))
    parsed = parse(feed.render(now=50.0))
    ids = {entry.id for entry in parsed.entries}
    assert ids == {story.guid for story in load_stories() if story.release_after == 0}


def test_html_summaries_survive_as_escaped_markup() -> None:
    feed = DemoFeed(FakeClock())
    parsed = parse(feed.render(now=10_000.0))
    grain = next(entry for entry in parsed.entries if entry.title.startswith("Grain &"))
    assert "<p>" in grain.summary
    assert "wheat &amp; corn" in grain.summary


def test_stories_have_unique_guids_and_demo_urls() -> None:
    stories = load_stories()
    assert len({story.guid for story in stories}) == len(stories)
    assert len({story.url for story in stories}) == len(stories)
    assert all(story.url.startswith("https://demo.newsbot.invalid/") for story in stories)
    assert all(story.published.tzinfo == UTC for story in stories)


def test_seed_stories_are_present_and_credited() -> None:
    stories = {story.title: story for story in load_stories()}
    for title in SEED_TITLES:
        assert "Kyiv Independent" in stories[title].credit
    fictional = [s for s in stories.values() if s.title not in SEED_TITLES]
    assert len(fictional) >= 8
    assert all("Fictional" in story.credit for story in fictional)


def test_no_seed_boilerplate_in_the_feed() -> None:
    document = DemoFeed(FakeClock()).render(now=10_000.0).decode()
    for boilerplate in ("Take a survey", "This audio is created with AI assistance", "Edit post"):
        assert boilerplate not in document


@pytest.mark.parametrize("topic", ["peacekeepers", "Sumy Oblast"])
def test_each_demo_topic_gets_two_or_three_alerts(topic: str) -> None:
    # The stories out at t=0 are only recorded, so count matches among the later ones.
    pattern = re.compile(rf"\b{re.escape(topic)}\b", re.IGNORECASE)
    later = [story for story in load_stories() if story.release_after > 0]
    hits = [s for s in later if pattern.search(s.title) or pattern.search(s.summary_html)]
    assert 2 <= len(hits) <= 3


async def test_transport_serves_conditional_get() -> None:
    clock = FakeClock()
    transport = DemoTransport(clock)
    async with httpx.AsyncClient(mounts={"demo://": transport}) as client:
        first = await client.get(DEMO_URL)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/rss+xml")
        etag = first.headers["etag"]
        assert len(parse(first.content).entries) == 3

        same = await client.get(DEMO_URL, headers={"If-None-Match": etag})
        assert same.status_code == 304
        assert same.content == b""
        assert same.headers["etag"] == etag

        weak = await client.get(DEMO_URL, headers={"If-None-Match": f'"other", W/{etag}'})
        assert weak.status_code == 304

        clock.now += 10
        changed = await client.get(DEMO_URL, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert len(parse(changed.content).entries) == 4


async def test_transport_serves_any_demo_url_and_only_get() -> None:
    transport = DemoTransport(FakeClock())
    async with httpx.AsyncClient(mounts={"demo://": transport}) as client:
        other = await client.get("demo://elsewhere/x.xml")
        assert other.status_code == 200
        assert parse(other.content).version == "rss20"
        assert (await client.post(DEMO_URL)).status_code == 405
