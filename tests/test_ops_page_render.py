"""The status page's HTML and SVG, from figures alone: what a hostile source name or topic
becomes, what an address shows, and how the pages link to each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import html as lxml_html

from bot.domain import HourCount, OpsFigures, SourceInfo
from bot.ops.chart import hourly_chart, nice_ceiling, topic_chart
from bot.ops.page import PageData, render_page, shown_url

NOW = datetime(2025, 6, 2, 10, 20, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <b>'


def data(**changes: object) -> PageData:
    base: dict[str, object] = {
        "version": "0.1.0",
        "figures": OpsFigures(at=NOW),
        "hours": [HourCount(NOW - timedelta(hours=47 - i)) for i in range(48)],
        "topics": [],
        "sources": [],
        "sources_total": 0,
        "page": 1,
        "per_page": 100,
    }
    base.update(changes)
    return PageData(**base)  # type: ignore[arg-type]


def test_addresses_lose_user_password_and_query() -> None:
    assert shown_url("https://user:pw@feeds.example:8443/a/rss?key=abc#x") == (
        "https://feeds.example:8443/a/rss?…"
    )
    assert shown_url("https://feeds.example/rss") == "https://feeds.example/rss"
    assert shown_url("/srv/feeds/local.xml") == "/srv/feeds/local.xml"


def test_hostile_names_and_topics_are_text_not_markup() -> None:
    source = SourceInfo(
        "https://x.example/rss", HOSTILE, 60, last_error=HOSTILE, last_polled=NOW, failures=1
    )
    page = render_page(data(topics=[(HOSTILE, 3)], sources=[source], sources_total=1))
    assert "<script>" not in page and "&lt;script&gt;" in page
    tree = lxml_html.fromstring(page)
    assert tree.get_element_by_id("sources").findall(".//td")[0].text_content() == HOSTILE
    assert tree.get_element_by_id("topics").find(".//g").get("data-topic") == HOSTILE


def test_errors_shown_lose_what_looks_like_a_secret() -> None:
    error = "redirect to https://u:hunter2@x.example/?token=abc123 refused"
    source = SourceInfo("https://x.example/rss", "X", 60, last_error=error, failures=2)
    page = render_page(data(sources=[source], sources_total=1))
    assert "hunter2" not in page and "abc123" not in page and "refused" in page


def test_pages_link_to_their_neighbours_carrying_the_token_they_were_opened_with() -> None:
    sources = [SourceInfo(f"https://s{i}.example/rss", f"S{i}", 60) for i in range(100)]
    page = render_page(data(sources=sources, sources_total=250, page=2, link_query="token=t%2Bk"))
    tree = lxml_html.fromstring(page)
    links = {a.get("rel"): a.get("href") for a in tree.findall(".//nav/a")}
    assert links == {"prev": "?page=1&token=t%2Bk", "next": "?page=3&token=t%2Bk"}
    assert "Sources 101–200 of 250" in tree.text_content()
    assert "page 2 of 3" in tree.text_content()
    single = lxml_html.fromstring(render_page(data(sources=sources[:3], sources_total=3)))
    assert not single.findall(".//nav")


def test_the_hourly_chart_scales_to_whole_numbers_and_stacks_by_status() -> None:
    assert [nice_ceiling(n) for n in (0, 1, 2, 3, 7, 10, 11, 120)] == [1, 1, 2, 5, 10, 10, 20, 200]
    hours = [HourCount(NOW, sent=5, pending=2, failed=1), HourCount(NOW + timedelta(hours=1))]
    svg = lxml_html.fromstring(hourly_chart(hours))
    ticks = [t.text for t in svg.findall(".//text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8"]
    rects = svg.findall(".//g[@class='bar']")[0].findall("rect")
    assert [(r.get("data-series"), r.get("data-count")) for r in rects] == [
        ("sent", "5"),
        ("pending", "2"),
        ("failed", "1"),
    ]
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == 5 * heights[2] and heights[1] == 2 * heights[2]
    assert not svg.findall(".//g[@class='bar']")[1].findall("rect")
    assert "No alerts yet." in topic_chart([])
