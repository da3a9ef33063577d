"""Main-text extraction and topic summaries on real pages: the seed page with all its furniture,
and the 18 news pages of the article-extraction-benchmark (their ground truth is the article body;
tests/fixtures/pages/article-extraction-benchmark/README.txt)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.alerts.summary import SUMMARY_LIMIT, sentences, summarise_about, summary_sentences
from bot.ingest.extract import decoded, feed_links, looks_like_html, main_text, page_story
from bot.match.text import words

FIXTURES = Path(__file__).parent / "fixtures"
SEED = (FIXTURES / "seed/kyiv-independent-2024-04-17.html").read_bytes()
BENCH = FIXTURES / "pages/article-extraction-benchmark"
TRUTH = json.loads((BENCH / "ground-truth.subset.json").read_text(encoding="utf-8"))
FURNITURE = [
    "Take a survey",
    "Help us serve you better",
    "AI assistance",
    "Edit post",
    "News Feed",
    "Tofik Babayev",  # the caption
    "Getty Images",
    "act crumbles",  # related-story card
    "Aliyev wins",  # related-story card
    "Francis Farrell",
    "Authors:",
    "Odesa",  # side news feed
    "Sumy Oblast",  # side news feed
    "All rights reserved",
    "Become a member",
    "2 min read",
]


def test_the_seed_page_is_its_story_and_nothing_else() -> None:
    story = page_story(SEED, "https://kyivindependent.example/some/path?utm_source=x")
    assert story is not None
    assert (
        story.title == "Kremlin confirms Russian 'peacekeepers' withdrawing from Nagorno-Karabakh"
    )
    assert (
        story.url
        == "https://kyivindependent.example/kremlin-confirms-russian-peacekeepers-withdrawing/"
    )
    assert story.published == datetime(2024, 4, 17, 15, 48, tzinfo=UTC)
    assert story.text.startswith('Russia has begun withdrawing its "peacekeeping" contingent')
    assert story.text.endswith("amid growing tensions with Russia.")
    assert len(story.text.splitlines()) == 9  # the article's nine paragraphs
    for furniture in FURNITURE:
        assert furniture not in story.text, furniture


@pytest.mark.parametrize("terms", [(), ("peacekeepers",), ("CSTO",), ("Yerevan",), ("survey",)])
def test_seed_summaries_hold_no_furniture(terms: tuple[str, ...]) -> None:
    text = main_text(SEED, "https://kyivindependent.example/")
    summary = summarise_about("Kremlin confirms Russian 'peacekeepers'", text, terms)
    assert 0 < len(summary) <= SUMMARY_LIMIT
    for furniture in FURNITURE:
        assert furniture not in summary, furniture


def test_a_topic_deep_in_the_seed_leads_its_summary() -> None:
    text = main_text(SEED, "https://kyivindependent.example/")
    summary = summarise_about("Kremlin confirms Russian 'peacekeepers'", text, ("CSTO",))
    assert summary.startswith("Armenian Prime Minister Pashinyan said in February")


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _page(key: str) -> bytes:
    return gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes())


@pytest.mark.parametrize("key", sorted(TRUTH), ids=lambda k: k[:8])
def test_benchmark_summaries_come_from_the_article_body(key: str) -> None:
    expected = TRUTH[key]
    story = page_story(_page(key), expected["url"])
    assert story is not None and story.title
    body = words(expected["articleBody"])
    paragraphs = sentences(story.text)
    # The lead, and a topic found only deep in the article (two words of its 8th sentence).
    deep = paragraphs[min(7, len(paragraphs) - 1)].split()[2:4]
    for terms in [(), (" ".join(deep),)]:
        picked = summary_sentences(story.title, story.text, terms)
        summary = summarise_about(story.title, story.text, terms)
        assert 0 < len(summary) <= SUMMARY_LIMIT
        if not picked:  # a first sentence longer than the limit on its own is cut on a word
            assert summary.endswith("…")
            picked = [" ".join(summary.split()[:-1])]
        for sentence in picked:
            assert _contains(body, words(sentence)), sentence


def test_feed_links_are_found_and_made_absolute() -> None:
    page = (
        b'<html><head><link rel="stylesheet" href="/a.css">'
        b'<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b'<LINK REL="Alternate" TYPE="application/atom+xml" HREF="https://other.example/atom">'
        b'<link rel="alternate" type="text/html" hreflang="uk" href="/uk/">'
        b'<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
    )
    assert feed_links(page, "http://127.0.0.1:8000/news/") == [
        "http://127.0.0.1:8000/feed.xml",
        "https://other.example/atom",
    ]
    assert feed_links(SEED, "https://kyivindependent.example/") == []


def test_html_is_told_from_feeds() -> None:
    assert looks_like_html(b"<p>A page</p>", "text/html; charset=utf-8")
    assert not looks_like_html(b"<rss></rss>", "text/html; charset=utf-8")  # a feed, mislabelled
    assert looks_like_html(SEED, None)
    assert looks_like_html(b"  <!-- x --><html><body>", "text/plain")
    assert not looks_like_html(b'<?xml version="1.0"?><rss/>', "application/rss+xml")
    assert not looks_like_html(b'<?xml version="1.0"?><rss/>', None)
    assert not looks_like_html(b"\x89PNG", "image/png")


def test_pages_without_a_story_give_nothing() -> None:
    assert main_text(b"", "https://x.example/") == ""
    assert page_story(b"\x00\xff garbage", "https://x.example/") is None


def test_a_charset_named_only_in_the_http_header_is_honoured() -> None:
    paragraph = "Російські війська атакували 13 громад Сумської області, поранено одну людину. " * 4
    page = f"<html><body><article><h1>Суми</h1><p>{paragraph}</p></article></body></html>"
    content = page.encode("cp1251")
    assert decoded(content, "text/html; charset=windows-1251") == page
    assert decoded(content, 'text/html; charset="windows-1251"') == page
    assert "Сумської області" in main_text(page, "https://x.example/")
    assert decoded(content, "text/html; charset=nonsense") == content
    assert decoded(content, "text/html") == content
