"""The bundled demo feed: real and fictional stories that arrive when someone wants them.

A newcomer who configures no sources still sees alerts arrive: the composition root polls
`DEMO_URL` every `DEMO_INTERVAL` seconds through `DemoTransport`, mounted on the HTTP client as
`httpx.AsyncClient(mounts={"demo://": DemoTransport(wanted=...)})`.

A demo that released its stories on a timer punished whoever subscribed late: the stories went
by before the topic existed and no alert ever came. So a few stories are in the feed from the
start (the first poll records them without alerting, as for any new source), and every other one
is held until `wanted(title, text)` says a topic some chat follows matches it; it is then released
`DEMO_STEP` seconds later, a step after the one before, and dated the moment it is released. So
`/subscribe Sumy Oblast` brings its alerts whenever it is typed, and `/test` and `/latest` count
the same stories: the ones released, all of them recent. Quoted stories keep their publisher's
date in their text.

What is held and what is released lives in this object only: a restart holds everything again,
and stories released before it are already stored (same GUIDs), so they never alert twice.

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
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from xml.etree.ElementTree import Element, SubElement, tostring

import httpx

from bot.config import SourceConfig

DEMO_URL = "demo://newsbot/feed"
DEMO_NAME = "Newsbot demo"
DEMO_INTERVAL = 5.0
DEMO_STEP = 5.0  # seconds from a story being wanted, or from the release before, to its release
DEMO_SOURCE = SourceConfig(url=DEMO_URL, name=DEMO_NAME, interval=DEMO_INTERVAL)
DEMO_HOME = "https://demo.newsbot.invalid/"
CONTENT_TYPE = "application/rss+xml; charset=utf-8"

# (title, text) -> whether a topic some chat follows matches the story.
Wanted = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class DemoStory:
    guid: str
    url: str
    title: str
    summary_html: str
    credit: str  # where the words come from: a quoted publisher, or "fictional"
    first_published: datetime | None  # UTC; a quoted story's date at its publisher
    at_start: bool  # in the feed from the start, rather than held until wanted

    @property
    def text(self) -> str:
        """The item's description: the summary, then the credit (and the publisher's date)."""
        credit = self.credit
        if self.first_published is not None:
            day = self.first_published
            credit = f"{credit} First published {day.day} {day:%B %Y}."
        return f"{self.summary_html}<p><em>{html.escape(credit)}</em></p>"


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
            first_published=(
                datetime.fromisoformat(item["first_published"]).astimezone(UTC)
                if "first_published" in item
                else None
            ),
            at_start=bool(item.get("at_start", False)),
        )
        for item in json.loads(text)["stories"]
    )


def _want_all(title: str, text: str) -> bool:
    return True


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DemoFeed:
    """The demo's feed document at a moment. `clock` times releases (monotonic seconds); `wall`
    dates them."""

    def __init__(
        self,
        clock: Callable[[], float],
        stories: Sequence[DemoStory] | None = None,
        *,
        wanted: Wanted = _want_all,
        wall: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._wanted = wanted
        self._stories = tuple(stories) if stories is not None else load_stories()
        start = clock()
        # guid -> (release time on `clock`, its date): the at-start stories now, others once wanted
        self._release: dict[str, tuple[float, datetime]] = {
            s.guid: (start, wall()) for s in self._stories if s.at_start
        }
        self._last = start

    def _schedule(self, now: float) -> None:
        for story in self._stories:
            if story.guid in self._release or not self._wanted(story.title, story.text):
                continue
            at = max(now, self._last) + DEMO_STEP
            self._release[story.guid] = (at, self._wall() + timedelta(seconds=at - now))
            self._last = at

    def released(self, now: float | None = None) -> tuple[tuple[DemoStory, datetime], ...]:
        """The stories out by `now` (a reading of the clock; default: the clock now) with their
        dates, newest first. Stories wanted by then are scheduled for release."""
        now = self._clock() if now is None else now
        self._schedule(now)
        out = [(s, self._release[s.guid]) for s in self._stories if s.guid in self._release]
        out = [(story, (at, date)) for story, (at, date) in out if at <= now]
        out.sort(key=lambda item: item[1][0], reverse=True)
        return tuple((story, date) for story, (_, date) in out)

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
        for story, date in self.released(now):
            item = SubElement(channel, "item")
            SubElement(item, "title").text = story.title
            SubElement(item, "link").text = story.url
            SubElement(item, "guid", isPermaLink="false").text = story.guid
            SubElement(item, "pubDate").text = format_datetime(date, usegmt=True)
            SubElement(item, "description").text = story.text
        document = tostring(rss, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{document}\n'.encode()


class DemoTransport(httpx.AsyncBaseTransport):
    """Serves the demo feed for any URL routed to it, with an ETag and 304 on If-None-Match."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        wanted: Wanted = _want_all,
        wall: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.feed = DemoFeed(clock, wanted=wanted, wall=wall)

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
