from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from bot.errors import FetchError
from bot.ingest.fetch import (
    DEFAULT_USER_AGENT,
    Fetcher,
    make_client,
    parse_retry_after,
    read_local,
)
from tests.support.feedserver import FeedServer, free_port

FEED = "<rss version='2.0'><channel><title>t</title></channel></rss>"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@pytest.fixture
def fetcher(client: httpx.AsyncClient) -> Fetcher:
    return Fetcher(client, max_bytes=100 * 1024, timeout=1.0)


async def test_200_returns_body_type_and_validators(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set("/feed", FEED)

    result = await fetcher.fetch(feed_server.url("/feed"))

    assert result.status == 200
    assert not result.not_modified
    assert result.content == FEED.encode()
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag is not None and result.etag.startswith('"')
    assert result.last_modified is not None
    [hit] = feed_server.requests("/feed")
    assert hit.headers["user-agent"] == DEFAULT_USER_AGENT
    assert "application/rss+xml" in hit.headers["accept"]
    assert "if-none-match" not in hit.headers


async def test_etag_round_trip_gives_304_without_content(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set("/feed", FEED)
    first = await fetcher.fetch(feed_server.url("/feed"))

    second = await fetcher.fetch(feed_server.url("/feed"), etag=first.etag)

    assert second.not_modified
    assert second.content is None
    assert second.etag == first.etag
    hits = feed_server.requests("/feed")
    assert [h.status for h in hits] == [200, 304]
    assert hits[1].headers["if-none-match"] == first.etag


async def test_changed_body_is_fetched_again_despite_old_etag(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set("/feed", FEED)
    first = await fetcher.fetch(feed_server.url("/feed"))
    feed_server.set("/feed", FEED.replace(">t<", ">new<"))

    second = await fetcher.fetch(feed_server.url("/feed"), etag=first.etag)

    assert second.status == 200
    assert second.content is not None and b">new<" in second.content
    assert second.etag != first.etag


async def test_last_modified_round_trip(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set("/feed", FEED, etag=False)
    first = await fetcher.fetch(feed_server.url("/feed"))
    assert first.etag is None and first.last_modified is not None

    second = await fetcher.fetch(feed_server.url("/feed"), last_modified=first.last_modified)
    feed_server.set("/feed", FEED + " ", etag=False)
    third = await fetcher.fetch(feed_server.url("/feed"), last_modified=first.last_modified)

    assert second.not_modified and second.last_modified == first.last_modified
    assert third.status == 200
    hits = feed_server.requests("/feed")
    assert hits[1].headers["if-modified-since"] == first.last_modified
    assert [h.status for h in hits] == [200, 304, 200]


@pytest.mark.parametrize("status", [404, 500])
async def test_http_error_status(feed_server: FeedServer, fetcher: Fetcher, status: int) -> None:
    feed_server.set_status("/feed", status)

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.status == status
    assert info.value.reason == f"HTTP {status}"
    assert info.value.source == feed_server.url("/feed")


async def test_retry_after_is_reported(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set_status("/feed", 503, retry_after=120)

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.status == 503
    assert info.value.retry_after == 120.0
    assert "retry after 120" in info.value.reason


async def test_429_with_an_http_date_retry_after(feed_server: FeedServer, fetcher: Fetcher) -> None:
    # Measured from the response's own Date header, so it is 300 s give or take the second the
    # server took to answer.
    feed_server.set_status("/feed", 429, retry_after=formatdate(time.time() + 300, usegmt=True))

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.status == 429
    assert info.value.retry_after is not None and 298 <= info.value.retry_after <= 300


@pytest.mark.parametrize("status", [404, 500])
async def test_retry_after_counts_only_on_429_and_503(
    feed_server: FeedServer, fetcher: Fetcher, status: int
) -> None:
    feed_server.set_status("/feed", status, retry_after=60)

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.retry_after is None


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("120", None, 120.0),
        (" 0 ", None, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:26:30 GMT", 90.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 08:00:00 GMT", 0.0),
        ("9" * 400, None, 7 * 24 * 3600.0),
        ("-5", None, None),
        ("1.5", None, None),
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_parse_retry_after(value: str | None, date: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, date) == expected


async def test_connection_refused(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(f"http://127.0.0.1:{free_port()}/feed")

    assert info.value.status is None
    assert info.value.reason.startswith("could not connect")


async def test_trickling_server_is_cut_off_by_total_timeout(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    # 2 kB at 1 kB/s would finish in 2 s; each read arrives well inside any per-read timeout.
    feed_server.set_slow("/slow", 1000, body=b"x" * 2000)
    started = time.monotonic()

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/slow"))

    assert info.value.reason == "timed out after 1s"
    assert time.monotonic() - started < 1.5


async def test_one_byte_per_second_is_abandoned_at_the_deadline(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set_slow("/drip", 1, body=b"<rss>" + b" " * 100)
    started = time.monotonic()

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/drip"))

    assert info.value.reason == "timed out after 1s"
    assert time.monotonic() - started < 1.5


async def test_a_server_that_never_answers_is_abandoned_at_the_deadline(fetcher: Fetcher) -> None:
    # The kernel completes the handshake for a listening socket; nobody ever reads or writes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed")

    assert info.value.reason == "timed out after 1s"


async def test_gzip_bomb_is_cut_off_at_max_bytes(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set_gzip_bomb("/bomb", 20 * 1024 * 1024)

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/bomb"))

    assert info.value.reason == "larger than 100 kB"


async def test_a_gigabyte_gzip_bomb_stops_at_the_cap_with_bounded_memory(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    # ~1 MB on the wire, 1 GB inflated. httpx's own decoder inflates each 64 kB network read in
    # one go (~64 MB here) before any byte count sees it; ours inflates at most cap + 1 bytes.
    feed_server.set_gzip_bomb("/bomb", 1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(feed_server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert info.value.reason == "larger than 100 kB"
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw"],
)
async def test_compressed_bodies_are_inflated(
    feed_server: FeedServer, fetcher: Fetcher, coding: str, pack: Callable[[bytes], bytes]
) -> None:
    feed_server.set("/feed", pack(FEED.encode()), headers={"Content-Encoding": coding})

    result = await fetcher.fetch(feed_server.url("/feed"))

    assert result.content == FEED.encode()


async def test_corrupt_gzip_is_a_fetch_error(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set("/feed", b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"})

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.reason == "could not decode the compressed body"


async def test_body_just_under_the_cap_is_read(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set_gzip_bomb("/big", 100 * 1024)

    result = await fetcher.fetch(feed_server.url("/big"))

    assert result.content == b" " * (100 * 1024)


async def test_plain_body_over_the_cap(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set("/big", b" " * (100 * 1024 + 1))

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/big"))

    assert info.value.reason == "larger than 100 kB"


async def test_declared_length_over_the_cap_is_refused_before_reading(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    # At this rate reading up to the cap would outlast the 1 s timeout.
    feed_server.set_slow("/big", 10_000, body=b" " * (200 * 1024))

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/big"))

    assert info.value.reason == "larger than 100 kB"


async def test_stacked_content_encodings_are_refused(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    twice = gzip.compress(gzip.compress(FEED.encode()))
    feed_server.set("/feed", twice, headers={"Content-Encoding": "gzip, gzip"})

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert "content encoding" in info.value.reason


async def test_redirect_is_followed(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set("/new", FEED)
    feed_server.set_redirect("/old", "/new", status=301)

    result = await fetcher.fetch(feed_server.url("/old"))

    assert result.content == FEED.encode()
    assert result.url == feed_server.url("/new")


async def test_redirect_chain_of_five_is_followed(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set("/r5", FEED)
    for i in range(5):
        feed_server.set_redirect(f"/r{i}", f"/r{i + 1}")

    result = await fetcher.fetch(feed_server.url("/r0"))

    assert result.content == FEED.encode()


async def test_too_many_redirects(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.set_redirect("/a", "/b")
    feed_server.set_redirect("/b", "/a")

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/a"))

    assert info.value.reason == "more than 5 redirects"
    assert len(feed_server.requests("/a")) + len(feed_server.requests("/b")) == 6


async def test_client_without_redirects_still_follows_them(feed_server: FeedServer) -> None:
    feed_server.set("/new", FEED)
    feed_server.set_redirect("/old", "/new")

    async with httpx.AsyncClient(follow_redirects=False) as plain:
        result = await Fetcher(plain).fetch(feed_server.url("/old"))

    assert result.content == FEED.encode()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/feed", "unsupported scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("feed.xml", "not an absolute http(s) URL"),
        ("http://", "not an absolute http(s) URL"),
    ],
)
async def test_unsupported_url(fetcher: Fetcher, url: str, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url)

    assert info.value.reason == reason


async def test_redirect_to_another_scheme_is_refused(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.set_redirect("/feed", "ftp://127.0.0.1/feed")

    with pytest.raises(FetchError) as info:
        await fetcher.fetch(feed_server.url("/feed"))

    assert info.value.reason == "unsupported scheme 'ftp'"


async def test_mounted_transport_serves_its_scheme() -> None:
    demo = httpx.MockTransport(lambda request: httpx.Response(200, content=FEED.encode()))

    async with make_client(mounts={"demo://": demo}) as c:
        result = await Fetcher(c).fetch("demo://feed")

    assert result.content == FEED.encode()


def test_read_local_path_and_file_url(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED)

    by_path = read_local(str(feed))
    by_url = read_local(feed.as_uri())

    assert by_path.content == by_url.content == FEED.encode()
    assert by_path.url == feed.as_uri()


def test_read_local_missing(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as info:
        read_local(str(tmp_path / "nope.xml"))

    assert info.value.reason == "no such file"


def test_read_local_over_the_cap(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b" " * 11)

    assert read_local(str(feed), max_bytes=11).content == b" " * 11
    with pytest.raises(FetchError) as info:
        read_local(str(feed), max_bytes=10)
    assert info.value.reason == "larger than 10 bytes"


def test_feed_server_closes_promptly_mid_trickle_and_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    server = FeedServer()
    server.start()
    server.set_slow("/slow", 10, body=b"x" * 1000)
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(b"GET /slow HTTP/1.0\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.0 200")
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 1.0
    assert set(threading.enumerate()) == before
