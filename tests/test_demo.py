from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import feedparser
import httpx
import pytest

from bot.sources.demo import (
    DEMO_INTERVAL,
    DEMO_NAME,
    DEMO_SOURCE,
    DEMO_STEP,
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


def never(title: str, text: str) -> bool:
    return False


def about(word: str) -> Callable[[str, str], bool]:
    return lambda title, text: word.lower() in f"{title} {text}".lower()


class Switch:
    """A `wanted` a test turns on: nothing is wanted until someone subscribes."""

    def __init__(self, word: str) -> None:
        self.on = False
        self._about = about(word)

    def __call__(self, title: str, text: str) -> bool:
        return self.on and self._about(title, text)


WALL = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_only_the_at_start_stories_are_out_while_no_topic_wants_the_others() -> None:
    clock = FakeClock(start=1000.0)
    feed = DemoFeed(clock, wanted=never)
    at_start = {story.guid for story in load_stories() if story.at_start}
    assert len(at_start) == 3
    for elapsed in (0, 10, 60, 3600):
        clock.now = 1000.0 + elapsed
        assert {story.guid for story, _ in feed.released()} == at_start


def test_a_late_topic_still_gets_its_stories_a_step_apart() -> None:
    # The newcomer who subscribes after a minute: nothing went by unseen in the meantime.
    clock = FakeClock(start=0.0)
    sumy = Switch("Sumy Oblast")
    feed = DemoFeed(clock, wanted=sumy, wall=lambda: WALL + timedelta(seconds=clock.now))
    clock.now = 72.0
    assert len(feed.released()) == 3
    sumy.on = True
    assert len(feed.released()) == 3  # wanted now: released DEMO_STEP later
    times = []
    for step in range(1, 6):
        clock.now = 72.0 + step * DEMO_STEP
        out = [story for story, _ in feed.released() if not story.at_start]
        times.append(len(out))
    assert times == [1, 2, 3, 3, 3]
    released = {story.title: date for story, date in feed.released() if not story.at_start}
    assert all("Sumy Oblast" in title for title in released)
    assert sorted(released.values()) == [
        WALL + timedelta(seconds=72.0 + n * DEMO_STEP) for n in (1, 2, 3)
    ]


def test_stories_already_scheduled_keep_their_turn_when_more_are_wanted() -> None:
    clock = FakeClock(start=0.0)
    wanted = {"peacekeeper": False, "sumy oblast": False}

    def want(title: str, text: str) -> bool:
        return any(on and word in f"{title} {text}".lower() for word, on in wanted.items())

    feed = DemoFeed(clock, wanted=want)
    wanted["peacekeeper"] = True
    feed.released()
    wanted["sumy oblast"] = True
    feed.released()
    clock.now = 100.0
    later = [story for story, _ in feed.released() if not story.at_start]
    assert len(later) == 6
    # newest first: the Sumy stories were wanted after the peacekeepers ones
    assert all("Sumy" in story.title for story in later[:3])


def test_story_dates_are_their_release_and_quoted_ones_keep_the_publishers_date() -> None:
    clock = FakeClock(start=0.0)
    feed = DemoFeed(clock, wall=lambda: WALL + timedelta(seconds=clock.now))
    feed.released()  # everything is wanted by default: scheduled from now
    clock.now = 1000.0
    parsed = parse(feed.render())
    dates = [datetime(*entry.published_parsed[:6], tzinfo=UTC) for entry in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    assert all(WALL <= date <= WALL + timedelta(seconds=1000) for date in dates)
    sumy = next(e for e in parsed.entries if e.title.startswith("Russia attacks 13 communities"))
    assert "First published 16 April 2024." in sumy.summary
    fictional = next(e for e in parsed.entries if e.title.startswith("Air defence downs"))
    assert "First published" not in fictional.summary


def test_render_is_a_valid_rss_feed_newest_first() -> None:
    clock = FakeClock()
    feed = DemoFeed(clock)
    feed.released()  # everything is wanted by default: scheduled from now
    clock.now += 1000
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
    assert ids == {story.guid for story in load_stories() if story.at_start}


def released_all(feed: DemoFeed) -> bytes:
    feed.released(now=0.0)
    return feed.render(now=10_000.0)


def test_html_summaries_survive_as_escaped_markup() -> None:
    parsed = parse(released_all(DemoFeed(FakeClock(start=0.0))))
    grain = next(entry for entry in parsed.entries if entry.title.startswith("Grain &"))
    assert "<p>" in grain.summary
    assert "wheat &amp; corn" in grain.summary


def test_stories_have_unique_guids_and_demo_urls() -> None:
    stories = load_stories()
    assert len({story.guid for story in stories}) == len(stories)
    assert len({story.url for story in stories}) == len(stories)
    assert all(story.url.startswith("https://demo.newsbot.invalid/") for story in stories)
    dated = [story.first_published for story in stories if story.first_published]
    assert all(day.tzinfo == UTC for day in dated)


def test_seed_stories_are_present_credited_and_dated() -> None:
    stories = {story.title: story for story in load_stories()}
    for title in SEED_TITLES:
        assert "Kyiv Independent" in stories[title].credit
        assert stories[title].first_published is not None
    fictional = [s for s in stories.values() if s.title not in SEED_TITLES]
    assert len(fictional) >= 8
    assert all("Fictional" in story.credit for story in fictional)
    assert all(story.first_published is None for story in fictional)


def test_no_seed_boilerplate_in_the_feed() -> None:
    document = released_all(DemoFeed(FakeClock(start=0.0))).decode()
    for boilerplate in ("Take a survey", "This audio is created with AI assistance", "Edit post"):
        assert boilerplate not in document


@pytest.mark.parametrize("topic", ["peacekeepers", "Sumy Oblast"])
def test_each_demo_topic_gets_two_or_three_alerts(topic: str) -> None:
    # The stories out at the start are only recorded, so count matches among the held ones.
    pattern = re.compile(rf"\b{re.escape(topic)}\b", re.IGNORECASE)
    later = [story for story in load_stories() if not story.at_start]
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

        clock.now += DEMO_STEP  # the first held story, wanted (by default) since the first GET
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
