"""Titles come out right whatever the charset, its declaration and the HTTP header say.

Real bytes in each charset, with and without an XML declaration, with no header, the right header
and each wrong one, through both XML parsers (xml:base routes a document to feedparser).
"""

from __future__ import annotations

import itertools

import pytest

from bot.ingest.fetch import Fetcher, make_client
from bot.ingest.parse import decode_feed_bytes, parse_feed
from tests.support.feedserver import FeedServer

RUSSIAN = "Новости: «Ёжик» в тумане — Привет, мир"
LATIN = "Café “Müller” – 5 € für Straße"

BODIES = [(RUSSIAN, "utf-8"), (RUSSIAN, "windows-1251"), (LATIN, "utf-8"), (LATIN, "windows-1252")]
HEADERS = [None, "utf-8", "windows-1251", "windows-1252", "iso-8859-1"]
ROUTES = ["lxml", "feedparser"]


def feed_bytes(title: str, charset: str, *, declared: bool, route: str) -> bytes:
    decl = f'<?xml version="1.0" encoding="{charset}"?>\n' if declared else ""
    base = ' xml:base="https://example.org/"' if route == "feedparser" else ""
    xml = (
        f'{decl}<rss version="2.0"{base}><channel><title>{title}</title>'
        f"<item><title>{title}</title><link>/a</link><description>{title} (summary)"
        "</description></item></channel></rss>"
    )
    return xml.encode(charset)


CASES = [
    pytest.param(
        title,
        charset,
        declared,
        header,
        route,
        id=f"{charset}-{'declared' if declared else 'undeclared'}-header:{header}-{route}"
        + ("-ru" if title == RUSSIAN else "-latin"),
    )
    for (title, charset), declared, header, route in itertools.product(
        BODIES, [True, False], HEADERS, ROUTES
    )
]


@pytest.mark.parametrize(("title", "charset", "declared", "header", "route"), CASES)
def test_titles_are_right_for_every_label_combination(
    title: str, charset: str, declared: bool, header: str | None, route: str
) -> None:
    data = feed_bytes(title, charset, declared=declared, route=route)
    content_type = f"application/rss+xml; charset={header}" if header else "application/rss+xml"

    feed = parse_feed(data, source="https://example.org/feed", content_type=content_type)

    assert feed.title == title
    assert [e.title for e in feed.entries] == [title]
    assert feed.entries[0].summary_html == f"{title} (summary)"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Ελληνικά νέα σήμερα", "windows-1253"),
        ("Привет из KOI8", "koi8-r"),
        ("Zażółć gęślą jaźń", "iso-8859-2"),
    ],
)
def test_other_labelled_charsets_are_still_honoured(text: str, label: str) -> None:
    data = f"<rss><channel><title>{text}</title></channel></rss>".encode(label)

    assert text in decode_feed_bytes(data, f"text/xml; charset={label}")


async def test_a_wrong_charset_header_over_http(feed_server: FeedServer) -> None:
    # The server's default charset contradicts the feed's own declaration.
    data = feed_bytes(RUSSIAN, "windows-1251", declared=True, route="lxml")
    feed_server.set("/feed", data, content_type="text/xml; charset=ISO-8859-1")

    async with make_client() as client:
        fetched = await Fetcher(client).fetch(feed_server.url("/feed"))
    assert fetched.content is not None
    feed = parse_feed(fetched.content, source=fetched.url, content_type=fetched.content_type)

    assert fetched.content_type == "text/xml; charset=ISO-8859-1"
    assert [e.title for e in feed.entries] == [RUSSIAN]
