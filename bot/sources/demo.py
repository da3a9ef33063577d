"""The bundled demo feed: stories that appear over the first minute, with no network.

A newcomer who configures no sources still sees alerts arrive: the composition root polls
`DEMO_URL` every `DEMO_INTERVAL` seconds through `DemoTransport`, mounted on the HTTP client as
`httpx.AsyncClient(mounts={"demo://": DemoTransport()})`; the demo starts when the transport is
built.

The feed is RSS 2.0: every feed reader reads it, and the HTML summaries travel as escaped text
the way real feeds send them. The transport answers If-None-Match with 304, so the demo exercises
conditional GET as well.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from xml.etree.ElementTree import Element, SubElement, tostring

import httpx

from bot.config import SourceConfig

DEMO_URL = "demo://newsbot/feed"
DEMO_NAME = "Newsbot demo"
DEMO_INTERVAL = 5.0
DEMO_SOURCE = SourceConfig(url=DEMO_URL, name=DEMO_NAME, interval=DEMO_INTERVAL)
DEMO_HOME = "https://demo.newsbot.invalid/"
CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class DemoStory:
    guid: str
    url: str
    title: str
    summary_html: str
    credit: str  # where the words come from: a quoted publisher, or "fictional"
    published: datetime  # UTC
    release_after: float  # seconds after the demo starts


def load_stories() -> tuple[DemoStory, ...]:
    """The stories bundled in demo_stories.json, in file order."""
    text = resources.files(__package__).joinpath("demo_stories.json").read_text("utf-8")
    return tuple(
        DemoStory(
            guid=item["guid"],
            url=item["url"],
            title=item["title"],
            summary_html=item["summary_html"],
            credit=item["credit"],
            published=datetime.fromisoformat(item["published"]).astimezone(UTC),
            release_after=float(item["release_after"]),
        )
        for item in json.loads(text)["stories"]
    )


class DemoFeed:
    """The demo's feed document at a moment; the demo starts when the feed is constructed."""

    def __init__(
        self, clock: Callable[[], float], stories: Sequence[DemoStory] | None = None
    ) -> None:
        self._clock = clock
        self._start = clock()
        self._stories = tuple(stories) if stories is not None else load_stories()

    def released(self, now: float | None = None) -> tuple[DemoStory, ...]:
        """Stories out by `now` (a reading of the clock; default: the clock now), newest first."""
        elapsed = (self._clock() if now is None else now) - self._start
        out = [story for story in self._stories if story.release_after <= elapsed]
        return tuple(sorted(out, key=lambda story: story.published, reverse=True))

    def render(self, now: float | None = None) -> bytes:
        """An RSS 2.0 document of the stories released by `now`."""
        rss = Element("rss", version="2.0")
        channel = SubElement(rss, "channel")
        SubElement(channel, "title").text = DEMO_NAME
        SubElement(channel, "link").text = DEMO_HOME
        SubElement(channel, "description").text = (
            "Sample stories bundled with newsbot: a few quoted from The Kyiv Independent, "
            "the rest fictional."
        )
        SubElement(channel, "language").text = "en"
        for story in self.released(now):
            item = SubElement(channel, "item")
            SubElement(item, "title").text = story.title
            SubElement(item, "link").text = story.url
            SubElement(item, "guid", isPermaLink="false").text = story.guid
            SubElement(item, "pubDate").text = format_datetime(story.published, usegmt=True)
            SubElement(
                item, "description"
            ).text = f"{story.summary_html}<p><em>{html.escape(story.credit)}</em></p>"
        document = tostring(rss, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{document}\n'.encode()


class DemoTransport(httpx.AsyncBaseTransport):
    """Serves the demo feed for any URL routed to it, with an ETag and 304 on If-None-Match."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.feed = DemoFeed(clock)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return httpx.Response(405, headers={"Allow": "GET"})
        body = self.feed.render()
        # Derived from the body, so it changes exactly when a story is released.
        etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if _etag_matches(request.headers.get("If-None-Match"), etag):
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, headers={**headers, "Content-Type": CONTENT_TYPE}, content=body)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    # RFC 9110 §13.1.2: weak comparison, and "*" matches any current representation.
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates
