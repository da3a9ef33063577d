from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain import Article, FeedEntry
from bot.ingest.normalise import canonical_url, html_to_text, to_article
from bot.ingest.parse import parse_feed

FETCHED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SOURCE = "https://example.org/feed.xml"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a/B?x=1#top", "https://example.com/a/B?x=1"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/p", "http://example.com:8080/p"),
        (
            "https://ex.com/a?utm_source=rss&id=5&UTM_Medium=x&fbclid=abc&b=2&gclid=z",
            "https://ex.com/a?id=5&b=2",
        ),
        (
            "https://ex.com/a?z=1&a=2&mc_cid=1&mc_eid=2&igshid=3&yclid=4&_hsenc=5",
            "https://ex.com/a?z=1&a=2",
        ),
        ("https://ex.com/a?utm_source=rss", "https://ex.com/a"),
        ("https://ex.com/a?q=a%20b&flag", "https://ex.com/a?q=a%20b&flag"),
        ("  https://ex.com/a  ", "https://ex.com/a"),
        ("https://user:pw@Ex.com/", "https://user:pw@ex.com/"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "junk",
    ["", "not a url", "http://[::1/x", "https://ex.com:99999999/", "mailto:a@b.c", "https://"],
)
def test_canonical_url_never_raises_and_is_stable(junk: str) -> None:
    once = canonical_url(junk)
    assert canonical_url(once) == once
    assert canonical_url(junk) == once


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Hello</p><p>world</p>", "Hello world"),
        ("one<br>two<br/>three", "one two three"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("A <b>bold</b> move", "A bold move"),
        ("x<script>alert('no')</script>y<style>p{}</style>z", "xyz"),
        ("Tom &amp; Jerry &lt;3 &eacute;t&eacute; &#8217;", "Tom & Jerry <3 été ’"),
        ("Tom &amp;amp; Jerry", "Tom & Jerry"),
        ("&lt;p&gt;Escaped &lt;b&gt;twice&lt;/b&gt;&lt;/p&gt;", "Escaped twice"),
        ("  lots \n\t of\xa0 space  ", "lots of space"),
        ("<p>unclosed <div>tags", "unclosed tags"),
        ("a < b and c > d", "a < b and c > d"),
        ("", ""),
        ("<h1>Title</h1>Body", "Title Body"),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_html_to_text_unclosed_script_drops_the_rest() -> None:
    assert html_to_text("safe <script>document.write('x')") == "safe"


def test_html_to_text_hostile_nesting_is_fast() -> None:
    text = html_to_text("<div>" * 50_000 + "deep" + "</div>" * 50_000)
    assert text == "deep"


def _entry(**kw: object) -> FeedEntry:
    base: dict[str, object] = {
        "guid": None, "link": None, "title": "", "summary_html": "", "published": None,
    }  # fmt: skip
    base.update(kw)
    return FeedEntry(**base)  # type: ignore[arg-type]


def _article(entry: FeedEntry) -> Article | None:
    return to_article(entry, source_url=SOURCE, source_name="Example", fetched_at=FETCHED)


def test_to_article_plain_text_canonical_url_and_key() -> None:
    article = _article(
        _entry(
            guid="g-1",
            link="HTTPS://News.example.com/story?utm_source=rss#x",
            title="Big <em>news</em> &amp; more",
            summary_html="<p>First.</p><p>Second &hellip;</p>",
            published=datetime(2024, 5, 1, 8, tzinfo=timezone(timedelta(hours=2))),
        )
    )
    assert article is not None
    assert article.url == "https://news.example.com/story"
    assert article.title == "Big news & more"
    assert article.summary == "First.\nSecond …"  # one line a paragraph
    assert article.published == datetime(2024, 5, 1, 6, tzinfo=UTC)
    assert article.published.tzinfo is UTC
    assert article.key == hashlib.sha1(b"https://news.example.com/story").hexdigest()
    assert (article.source_url, article.source_name, article.guid) == (SOURCE, "Example", "g-1")


def test_tracking_parameters_do_not_change_the_key() -> None:
    plain = _article(_entry(link="https://ex.com/a?id=1", title="t"))
    tracked = _article(_entry(link="https://EX.com/a?utm_campaign=z&id=1&fbclid=q", title="t"))
    assert plain is not None and tracked is not None
    assert plain.key == tracked.key


def test_a_guid_is_not_taken_as_the_link() -> None:
    # The parser makes a permalink guid the link; a guid left as a guid is an identifier only.
    article = _article(_entry(guid="http://ex.com/internal/1", title="t"))
    assert article is not None and article.url == ""
    assert article.guid == "http://ex.com/internal/1"


def test_key_from_guid_when_no_url() -> None:
    article = _article(_entry(guid="tag:ex.com,2024:1", title="t"))
    other_source = to_article(
        _entry(guid="tag:ex.com,2024:1", title="t"),
        source_url="https://other.example/feed",
        source_name="Other",
        fetched_at=FETCHED,
    )
    assert article is not None and other_source is not None
    assert article.url == ""
    assert article.key == hashlib.sha1(f"{SOURCE}\ntag:ex.com,2024:1".encode()).hexdigest()
    assert article.key != other_source.key


def test_key_from_title_and_date_when_no_url_or_guid() -> None:
    a = _article(_entry(title="Same", published=datetime(2024, 1, 1, tzinfo=UTC)))
    b = _article(_entry(title="Same", published=datetime(2024, 1, 2, tzinfo=UTC)))
    assert a is not None and b is not None and a.key != b.key
    again = _article(_entry(title="Same", published=a.published))
    assert again is not None and again.key == a.key


def test_an_undated_item_without_link_or_guid_keeps_its_key_across_polls() -> None:
    entry = _entry(title="Curfew extended", summary_html="Until Monday.")
    first = _article(entry)
    later = to_article(
        entry, source_url=SOURCE, source_name="Example", fetched_at=FETCHED + timedelta(hours=1)
    )
    assert first is not None and later is not None
    assert first.key == later.key  # else every poll would store it anew and alert again
    other = _article(_entry(title="Curfew extended", summary_html="Until Friday."))
    assert other is not None and other.key != first.key


def test_missing_date_uses_fetched_at() -> None:
    article = _article(_entry(title="t"))
    assert article is not None and article.published == FETCHED


def test_javascript_link_is_not_a_url() -> None:
    article = _article(_entry(link="javascript:alert(1)", title="t"))
    assert article is not None and article.url == ""


def test_nothing_to_show_is_none() -> None:
    assert _article(_entry(guid="tag:x", summary_html="<p> </p>")) is None


def test_summary_only_entry_gets_a_title_from_the_summary() -> None:
    long_text = "word " * 60
    article = _article(_entry(summary_html=f"<p>{long_text}</p>", link="https://ex.com/x"))
    assert article is not None
    assert article.summary == long_text.strip()
    assert article.title.endswith("…") and len(article.title) <= 101


def test_guardian_feed_normalises_end_to_end() -> None:
    data = (Path(__file__).parent / "fixtures/feeds/rss-parser/input/guardian.rss").read_bytes()
    feed = parse_feed(data, source=SOURCE)
    articles = [
        to_article(e, source_url=SOURCE, source_name="Guardian", fetched_at=FETCHED)
        for e in feed.entries
    ]
    assert all(a is not None for a in articles)
    assert len({a.key for a in articles if a}) == 55
    first = articles[0]
    assert first is not None and "<" not in first.summary
    assert first.summary.startswith("The president’s ‘new American moment’ speech stirred")
    assert "Continue reading..." in first.summary
