"""Fuzzing the feed reader: every feedparser test feed, then mutated variants of them.

No input may crash, hang, or fail with anything but `FeedParseError` carrying a reason. The
mutations are the ways feeds arrive broken in practice (cut off, bytes flipped, markup dropped or
doubled) plus hostile snippets (entities, BOMs, NULs, bad charrefs, odd charsets).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import ParsedFeed
from bot.errors import FeedParseError
from bot.ingest.parse import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds" / "feedparser"
FILES = sorted(p for p in FEEDS.rglob("*") if p.suffix in {".xml", ".json"})
SOURCE = "https://example.org/feed.xml"

SNIPPETS = [
    b'<!DOCTYPE rss [<!ENTITY a SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE x [<!ENTITY b "&b;&b;">]>',
    b"&a;",
    b"&b;",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999999;",
    b"<![CDATA[",
    b"]]>",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<?xml version='1.0' encoding='no-such-charset'?>",
    b"<entry>",
    b"</item>",
    b"</rss>",
    b'xml:base="javascript:alert(1)"',
    b"<link href='http://[::1'/>",
    b"<pubDate>Mon, 99 Foo 99999 99:99:99 +9999</pubDate>",
    b"<updated>0000-00-00T25:61:61Z</updated>",
    b'{"items": [{"url": 5, "date_published": []}]}',
    b"<" * 50,
    b"\xc3\x28\xa0\xa1",
]
CONTENT_TYPES = [
    None,
    "application/rss+xml",
    "application/atom+xml; charset=utf-8",
    "text/xml; charset=windows-1251",
    "text/html; charset=iso-8859-1",
    "application/json",
    "text/plain; charset=nonsense",
    "application/xml; charset=utf-16",
    ";;;=",
]


@cache
def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def _check(data: bytes, content_type: str | None) -> None:
    try:
        feed = parse_feed(data, source=SOURCE, content_type=content_type)
    except FeedParseError as exc:
        assert exc.source == SOURCE
        assert isinstance(exc.reason, str) and exc.reason.strip()
        return
    assert isinstance(feed, ParsedFeed)
    assert feed.title is None or isinstance(feed.title, str)
    for entry in feed.entries:
        assert isinstance(entry.title, str) and isinstance(entry.summary_html, str)
        assert entry.link is None or isinstance(entry.link, str)
        assert entry.guid is None or isinstance(entry.guid, str)
        assert entry.published is None or entry.published.tzinfo is UTC


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FEEDS)))
def test_every_feedparser_test_feed_is_read_or_refused_cleanly(path: Path) -> None:
    _check(_bytes(path), None)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str | None]:
    data = bytearray(_bytes(draw(st.sampled_from(FILES))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "cut", "insert", "snippet", "delete", "double"]))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "snippet":
            data[at:at] = draw(st.sampled_from(SNIPPETS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "double":
            data[at:at] = data[at : at + draw(st.integers(1, 256))] * draw(st.integers(2, 8))
    return bytes(data), draw(st.sampled_from(CONTENT_TYPES))


@settings(
    max_examples=600,
    derandomize=True,  # the same variants on every run: a failure here reproduces
    database=None,
    deadline=timedelta(seconds=5),  # generous on a shared machine; a hang trips it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_feeds_are_read_or_refused_cleanly(variant: tuple[bytes, str | None]) -> None:
    _check(*variant)
