"""Each way fastfeedparser was seen to read a feed wrongly, in a feed of our own
(tests/fixtures/feeds/newsbot/): what the bot reads, and that fastfeedparser alone reads it wrong,
so each test shows the fallback is what makes it right."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import ParsedFeed
from bot.ingest import trust
from bot.ingest.charset import readable_text
from bot.ingest.normalise import html_to_text, to_article
from bot.ingest.parse import parse_feed
from bot.ingest.readers import read_fast

OURS = Path(__file__).parent / "fixtures" / "feeds" / "newsbot"
SOURCE = "https://feeds.example.net/feed"

Row = tuple[str, str | None, datetime | None]


def _rows(feed: ParsedFeed) -> list[Row]:
    return [(html_to_text(e.title), e.link, e.published) for e in feed.entries]


def _fast(name: str) -> tuple[list[Row], str | None]:
    text = readable_text((OURS / name).read_bytes())
    fast = read_fast(text, SOURCE)
    return _rows(fast), trust.distrust(text, fast)


def _ours(name: str) -> list[Row]:
    return _rows(parse_feed((OURS / name).read_bytes(), source=SOURCE))


def _at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2024, 4, day, hour, minute, second, tzinfo=UTC)


CASES: list[tuple[str, str, list[Row]]] = [
    (
        "atom-xhtml-title.atom",
        trust.TYPED_TEXT,
        [
            (
                "Kyiv drone attack: debris falls on Solomianskyi district",
                "https://wire.example.com/2024/04/17/kyiv-drone-attack",
                _at(17, 20, 41),
            ),
            (
                "Metro stations used as shelters reopen",
                "https://wire.example.com/2024/04/17/metro-reopens",
                _at(17, 20, 55),
            ),
        ],
    ),
    (
        "rss-title-markup.rss",
        trust.TITLE_MARKUP,
        [
            (
                "Kyiv drone attack damages power line",
                "https://desk.example.org/news/4411",
                _at(17, 3, 12),
            ),
            (
                "Grain corridor: three ships leave Odesa ports",
                "https://desk.example.org/news/4412",
                _at(17, 6, 30),
            ),
        ],
    ),
    (
        "atom03-base64-title.atom",
        trust.TYPED_TEXT,
        [
            (
                "Sumy Oblast: shelling cuts water supply",
                "https://old.example.net/sumy-water",
                _at(17, 11, 20),
            )
        ],
    ),
    (
        "atom10-base64-title.atom",
        trust.TYPED_TEXT,
        [
            (
                "Kharkiv: metro reopens after strike",
                "https://export.example.net/kharkiv-metro",
                _at(17, 10, 5),
            )
        ],
    ),
    (
        "rss090.rdf",
        trust.MISSED_ITEMS,
        [
            (
                "Chernihiv Oblast: border villages evacuated",
                "https://legacy.example.com/chernihiv-evacuation",
                None,
            ),
            (
                "Poltava hosts reconstruction forum",
                "https://legacy.example.com/poltava-forum",
                None,
            ),
        ],
    ),
    (
        "rss-atom-link-only.rss",
        trust.NO_LINK,
        [
            (
                "Statement on the shelling of Kherson",
                "https://press.example.gov/statements/2024-0417-1",
                _at(17, 8, 0),
            ),
            (
                "Minister meets IAEA mission in Zaporizhzhia",
                "https://press.example.gov/statements/2024-0417-2",
                _at(17, 15, 30),
            ),
        ],
    ),
    (
        "rss-guid-not-permalink.rss",
        trust.GUID_AS_LINK,
        [
            ("Dnipro: apartment block hit, rescuers at the scene", None, _at(17, 4, 50)),
            (
                "Lviv: cultural heritage sites get protective covers",
                "https://digest.example.com/lviv-heritage",
                _at(17, 7, 15),
            ),
        ],
    ),
    (
        "rss1-dc-title.rdf",
        trust.NO_TITLE,
        [("Mykolaiv water pipeline repaired", "https://archive.example.org/n/1", _at(17, 6, 0))],
    ),
    (
        # feedparser cannot read "mer, 17 apr 2024": the date comes from fastfeedparser's reading
        "rss-italian-dates-markup.rss",
        trust.TITLE_MARKUP,
        [
            (
                "Ucraina, attacco di droni su Odessa",
                "https://notizie.example.it/esteri/odessa-droni",
                _at(16, 22, 38, 15),
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "why", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_feed_fastfeedparser_misreads_is_read_right(
    name: str, why: str, expected: list[Row]
) -> None:
    fast, reason = _fast(name)
    assert fast != expected  # the case is real: the fast parser alone gets it wrong
    assert reason == why
    assert _ours(name) == expected


def test_a_summary_only_in_media_description_is_read() -> None:
    name = "youtube-media-description.atom"
    text = readable_text((OURS / name).read_bytes())
    assert read_fast(text, SOURCE).entries[0].summary_html == ""
    feed = parse_feed((OURS / name).read_bytes(), source=SOURCE)
    assert html_to_text(feed.entries[0].summary_html) == (
        "The regional administration reports on shelling of Kupiansk and evacuation routes."
    )


def test_a_non_permalink_guid_gives_no_link_but_keeps_the_story_apart() -> None:
    feed = parse_feed((OURS / "rss-guid-not-permalink.rss").read_bytes(), source=SOURCE)
    fetched = datetime(2024, 4, 17, 12, tzinfo=UTC)
    article = to_article(feed.entries[0], source_url=SOURCE, source_name="W", fetched_at=fetched)
    assert article is not None
    assert article.url == ""
    assert article.guid == "http://cms.internal.example.com/item/88213"


def test_a_plain_feed_is_taken_from_the_fast_parser() -> None:
    # The common case stays fast: nothing in the Guardian's feed asks for feedparser.
    guardian = Path(__file__).parent / "fixtures/feeds/rss-parser/input/guardian.rss"
    text = readable_text(guardian.read_bytes())
    assert trust.distrust(text, read_fast(text, SOURCE)) is None


def test_untitled_microblog_items_do_not_send_the_feed_to_feedparser() -> None:
    items = "".join(
        f"<item><link>https://social.example/@desk/{n}</link>"
        f"<description>Post {n}</description></item>"
        for n in range(5)
    )
    text = f"<rss version='2.0'><channel><title>@desk</title>{items}</channel></rss>"
    assert trust.distrust(text, read_fast(text, SOURCE)) is None


def test_windows_1252_punctuation_written_as_c1_controls_is_read_as_meant() -> None:
    for quote in ("&#146;", "\u0092"):
        data = (
            "<rss version='2.0'><channel><item><title>Don" + quote + "t panic</title>"
            "<link>https://a.example/1</link></item></channel></rss>"
        ).encode()
        assert parse_feed(data, source=SOURCE).entries[0].title == "Don’t panic"
