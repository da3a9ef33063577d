"""WebSub discovery: hub and topic from Link headers first, then from the feed or page itself."""

from __future__ import annotations

import httpx
import pytest

from bot.ingest.fetch import Fetcher, FetchResult
from bot.push.discover import HubLinks, hub_links, link_header_rels
from tests.support.feeds import ALIYEV, rss
from tests.support.feedserver import FeedServer
from tests.support.websub_hub import hub_rss

FEED = "https://wire.example/feed.xml"


def fetched(body: str, *, link: str | None = None, url: str = FEED) -> FetchResult:
    return FetchResult(
        url=url,
        status=200,
        content=body.encode(),
        content_type="application/xml",
        etag=None,
        last_modified=None,
        link_header=link,
    )


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Wire</title>
  <link rel="alternate" href="https://wire.example/"/>
  <link href="https://hub.example/" rel="hub"/>
  <link rel="self" href="/feed.atom"/>
  <entry><title>x</title><link rel="hub" href="https://evil.example/hub"/></entry>
</feed>"""


def test_atom_feed_level_links() -> None:
    assert hub_links(fetched(ATOM)) == HubLinks(
        "https://hub.example/", "https://wire.example/feed.atom"
    )


def test_rss_atom_link() -> None:
    body = hub_rss([ALIYEV], hub="https://hub.example/h", self_url="https://wire.example/rss")
    assert hub_links(fetched(body)) == HubLinks("https://hub.example/h", "https://wire.example/rss")


def test_link_headers_come_first_and_one_link_may_carry_both_rels() -> None:
    header = '<https://push.example/>; rel="hub", <https://wire.example/canonical>; rel=self'
    found = hub_links(fetched(ATOM, link=header))
    assert found == HubLinks("https://push.example/", "https://wire.example/canonical")
    both = hub_links(fetched("", link='<https://h.example/>; title="a, b; c"; rel="hub self"'))
    assert both == HubLinks("https://h.example/", "https://h.example/")


def test_headers_without_a_hub_fall_back_to_the_document() -> None:
    found = hub_links(fetched(ATOM, link='<https://wire.example/next>; rel="next"'))
    assert found is not None and found.hub == "https://hub.example/"


def test_without_self_the_fetched_url_is_the_topic_and_https_hubs_are_preferred() -> None:
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="http://a.example/"/>'
        '<link rel="hub" href="https://b.example/"/></feed>'
    )
    assert hub_links(fetched(body, url="https://wire.example/moved")) == HubLinks(
        "https://b.example/", "https://wire.example/moved"
    )


@pytest.mark.parametrize(
    "body",
    [
        rss([ALIYEV]),  # no hub at all
        # only inside an item, or as text, or in CDATA: not the feed's
        '<rss><channel><item><atom:link rel="hub" href="https://x.example/"/></item></channel></rss>',
        '<rss><channel><description>&lt;link rel="hub" href="https://x.example/"&gt;'
        "</description></channel></rss>",
        '<rss><channel><description><![CDATA[<link rel="hub" href="https://x.example/">]]>'
        "</description></channel></rss>",
        '<rss><channel><atom:link rel="hub" href="javascript:alert(1)"/></channel></rss>',
        "",
    ],
)
def test_no_feed_level_http_hub_means_none(body: str) -> None:
    assert hub_links(fetched(body)) is None


def test_an_html_page_head_counts_but_not_its_body() -> None:
    head = '<html><head><link rel="hub" href="https://hub.example/"></head><body></body></html>'
    assert hub_links(fetched(head)) == HubLinks("https://hub.example/", FEED)
    body = '<html><head></head><body><link rel="hub" href="https://hub.example/"></body></html>'
    assert hub_links(fetched(body)) is None


def test_a_local_file_is_no_topic() -> None:
    assert (
        hub_links(
            fetched(
                ATOM.replace('<link rel="self" href="/feed.atom"/>', ""), url="file:///tmp/f.xml"
            )
        )
        is None
    )


def test_link_header_parsing() -> None:
    header = '<a>; rel="hub"; rel="self", <b> ; REL = "Self Next" ,<c>'
    assert link_header_rels(header) == [("hub", "a"), ("self", "b"), ("next", "b")]
    assert link_header_rels("garbage; rel=hub") == []


def test_entities_are_not_expanded() -> None:
    body = (
        '<!DOCTYPE feed [<!ENTITY h "https://evil.example/">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="&h;"/></feed>'
    )
    found = hub_links(fetched(body))
    assert found is None or "evil" not in found.hub


async def test_a_fetch_keeps_the_link_headers(feed_server: FeedServer) -> None:
    links = '<https://hub.example/>; rel="hub", <https://wire.example/self>; rel="self"'
    feed_server.set("/f.rss", rss([ALIYEV]), headers={"Link": links})
    async with httpx.AsyncClient() as client:
        result = await Fetcher(client).fetch(feed_server.url("/f.rss"))
    assert hub_links(result) == HubLinks("https://hub.example/", "https://wire.example/self")


@pytest.mark.parametrize(
    "link",
    [
        "<link rel='hub' href='https://h.example/'/>",
        '<link REL = "self hub" href="https://h.example/"/>',
        '<link href="https://h.example/" rel=hub />',
    ],
)
def test_rel_is_found_however_it_is_written(link: str) -> None:
    body = f'<feed xmlns="http://www.w3.org/2005/Atom">{link}</feed>'
    found = hub_links(fetched(body))
    assert found is not None and found.hub == "https://h.example/"
