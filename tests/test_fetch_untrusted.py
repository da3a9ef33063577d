"""Untrusted fetches end to end: the guard against a real loopback server.

Public addresses are never connected to. A scripted resolver answers public addresses for made-up
names, and a recording dialer notes the address the guard chose and then connects to the loopback
feed server instead, so a test sees both what would have been dialled and what the server got.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from bot.errors import FetchError, UnsafeURL
from bot.ingest.fetch import Fetcher, make_client, make_guarded_client
from bot.ingest.guard import GuardPolicy, IPAddress
from tests.support.feedserver import FeedServer

FEED = "<rss version='2.0'><channel><title>t</title></channel></rss>"
PUBLIC = "93.184.216.34"


class Resolver:
    """Answers from a script, one answer list per lookup; records each lookup."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        queue = self._answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


class Dialer:
    """Records the checked address it is asked to dial, then connects to the loopback server."""

    def __init__(self, server: FeedServer) -> None:
        self._server = server
        self.dialled: list[tuple[IPAddress, int]] = []

    async def __call__(
        self,
        address: IPAddress,
        port: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append((address, port))
        return await httpcore.AnyIOBackend().connect_tcp(
            "127.0.0.1", self._server.port, timeout=timeout
        )


@pytest.fixture
def dialer(feed_server: FeedServer) -> Dialer:
    return Dialer(feed_server)


def guarded_fetcher(
    resolver: Resolver, dialer: Dialer, policy: GuardPolicy
) -> tuple[Fetcher, httpx.AsyncClient]:
    client = make_guarded_client(policy, resolver=resolver, dialer=dialer)
    return Fetcher(make_client(), untrusted_client=client, timeout=2.0), client


@pytest.fixture
async def resolver() -> Resolver:
    return Resolver({"feeds.example": [[PUBLIC]], "imds.example": [["169.254.169.254"]]})


@pytest.fixture
async def fetcher(
    resolver: Resolver, dialer: Dialer, feed_server: FeedServer
) -> AsyncIterator[Fetcher]:
    # The loopback server's port is allowed, so refusals below are for the address alone.
    policy = GuardPolicy(ports=frozenset({80, 443, feed_server.port}))
    f, client = guarded_fetcher(resolver, dialer, policy)
    async with client:
        yield f


async def test_a_public_name_is_fetched_through_the_address_that_was_checked(
    feed_server: FeedServer, fetcher: Fetcher, resolver: Resolver, dialer: Dialer
) -> None:
    feed_server.set("/feed", FEED)

    result = await fetcher.fetch("http://feeds.example/feed", untrusted=True)

    assert result.content == FEED.encode()
    assert dialer.dialled == [(ipaddress.ip_address(PUBLIC), 80)]
    [hit] = feed_server.requests("/feed")
    assert hit.headers["host"] == "feeds.example"


async def test_dns_rebinding_has_no_window(
    feed_server: FeedServer, dialer: Dialer, feed_server_port_policy: GuardPolicy
) -> None:
    # First answer public, every later one loopback: a guard that looks the name up to check it
    # and lets the HTTP library look it up again to connect would connect to 127.0.0.1.
    resolver = Resolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    feed_server.set("/feed", FEED)
    fetcher, client = guarded_fetcher(resolver, dialer, feed_server_port_policy)
    async with client:
        result = await fetcher.fetch("http://rebind.example/feed", untrusted=True)

    assert result.content == FEED.encode()
    assert resolver.asked == ["rebind.example"]
    assert dialer.dialled == [(ipaddress.ip_address(PUBLIC), 80)]

    # A new connection looks up again, gets the loopback answer, and is refused before dialling.
    fetcher, client = guarded_fetcher(resolver, dialer, feed_server_port_policy)
    async with client:
        with pytest.raises(UnsafeURL) as info:
            await fetcher.fetch("http://rebind.example/feed", untrusted=True)

    assert info.value.reason == (
        "rebind.example resolves to a loopback address 127.0.0.1, which is not allowed"
    )
    assert len(dialer.dialled) == 1
    assert len(feed_server.requests("/feed")) == 1


@pytest.fixture
def feed_server_port_policy(feed_server: FeedServer) -> GuardPolicy:
    return GuardPolicy(ports=frozenset({80, 443, feed_server.port}))


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:{port}/secret", "loopback address 127.0.0.1 is not allowed"),
        (
            "http://[::ffff:127.0.0.1]:{port}/secret",
            "IPv4-mapped IPv6 address ::ffff:127.0.0.1 is not allowed",
        ),
        ("http://2130706433:{port}/secret", "loopback address 127.0.0.1 is not allowed"),
        ("http://[::1]:{port}/secret", "loopback address ::1 is not allowed"),
        (
            "http://imds.example/latest/meta-data/",
            "imds.example resolves to a link-local address 169.254.169.254, which is not allowed",
        ),
        ("file:///etc/passwd", "scheme 'file' is not allowed (only http and https)"),
        ("http://feeds.example:8080/secret", "port 8080 is not allowed (only 80, 443, {port})"),
    ],
)
async def test_every_redirect_hop_is_checked(
    feed_server: FeedServer, fetcher: Fetcher, dialer: Dialer, target: str, reason: str
) -> None:
    feed_server.set("/secret", "internal only")
    feed_server.set_redirect("/feed", "/hop")
    feed_server.set_redirect("/hop", target.format(port=feed_server.port))

    with pytest.raises(UnsafeURL) as info:
        await fetcher.fetch("http://feeds.example/feed", untrusted=True)

    assert info.value.source == "http://feeds.example/feed"
    assert info.value.reason.startswith("redirect to ")
    assert info.value.reason.endswith(f" refused: {reason.format(port=feed_server.port)}")
    assert feed_server.requests("/secret") == []
    # Only the two allowed hops (/feed, /hop) were dialled, both at the checked public address.
    assert dialer.dialled == [(ipaddress.ip_address(PUBLIC), 80)] * 2


async def test_the_loopback_server_itself_is_refused_and_never_hit(
    feed_server: FeedServer, fetcher: Fetcher, dialer: Dialer
) -> None:
    feed_server.set("/feed", FEED)

    with pytest.raises(UnsafeURL) as info:
        await fetcher.fetch(feed_server.url("/feed"), untrusted=True)

    assert info.value.reason == "loopback address 127.0.0.1 is not allowed"
    assert feed_server.requests("/feed") == []
    assert dialer.dialled == []


async def test_the_same_url_is_fetched_when_trusted(feed_server: FeedServer) -> None:
    feed_server.set("/feed", FEED)

    async with make_client() as client:
        result = await Fetcher(client).fetch(feed_server.url("/feed"))

    assert result.content == FEED.encode()


async def test_allow_list_lets_a_test_reach_the_loopback_server(feed_server: FeedServer) -> None:
    feed_server.set("/feed", FEED)
    policy = GuardPolicy(
        ports=frozenset({feed_server.port}), allow=(ipaddress.ip_network("127.0.0.1/32"),)
    )

    async with make_client() as trusted, make_guarded_client(policy) as guarded:
        result = await Fetcher(trusted, untrusted_client=guarded).fetch(
            feed_server.url("/feed"), untrusted=True
        )

    assert result.content == FEED.encode()


async def test_untrusted_without_a_guarded_client_fails_closed(feed_server: FeedServer) -> None:
    feed_server.set("/feed", FEED)

    async with make_client() as client:
        with pytest.raises(UnsafeURL) as info:
            await Fetcher(client).fetch(feed_server.url("/feed"), untrusted=True)

    assert "no guarded client" in info.value.reason
    assert feed_server.requests("/feed") == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "/etc/passwd", "demo://feed"])
async def test_untrusted_non_http_urls_are_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        await fetcher.fetch(url, untrusted=True)

    assert info.value.reason == "only http and https URLs are allowed"


async def test_proxy_settings_in_the_environment_are_ignored(
    feed_server: FeedServer,
    fetcher: Fetcher,
    dialer: Dialer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the proxy used, the request would arrive in absolute form without our dialer.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, feed_server.url("/"))
    feed_server.set("/feed", FEED)

    await fetcher.fetch("http://feeds.example/feed", untrusted=True)

    assert dialer.dialled == [(ipaddress.ip_address(PUBLIC), 80)]
    assert feed_server.requests("http://feeds.example/feed") == []


async def test_refusal_is_a_fetch_error_with_the_original_source(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch("http://0x7f.1/feed", untrusted=True)

    assert isinstance(info.value, UnsafeURL)
    assert info.value.source == "http://0x7f.1/feed"
    assert str(info.value) == "http://0x7f.1/feed: loopback address 127.0.0.1 is not allowed"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(ca: trustme.CA, name: str, seen: list[str]) -> FeedServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    context.sni_callback = lambda _sock, sni, _ctx: seen.append(sni or "")
    return FeedServer(tls=context)


def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_https_sends_the_name_as_sni_and_verifies_it_while_dialling_the_checked_address(
    ca: trustme.CA,
) -> None:
    seen: list[str] = []
    with tls_server(ca, "feeds.example", seen) as server:
        server.set("/feed", FEED)
        resolver = Resolver({"feeds.example": [[PUBLIC]]})
        dialer = Dialer(server)
        guarded = make_guarded_client(resolver=resolver, dialer=dialer, ssl_context=client_tls(ca))
        async with guarded, make_client() as trusted:
            fetcher = Fetcher(trusted, untrusted_client=guarded, timeout=5.0)
            result = await fetcher.fetch("https://feeds.example/feed", untrusted=True)

        assert result.content == FEED.encode()
        assert dialer.dialled == [(ipaddress.ip_address(PUBLIC), 443)]
        assert seen == ["feeds.example"]
        [hit] = server.requests("/feed")
        assert hit.headers["host"] == "feeds.example"


async def test_https_certificate_for_another_name_is_refused(ca: trustme.CA) -> None:
    seen: list[str] = []
    with tls_server(ca, "other.example", seen) as server:
        server.set("/feed", FEED)
        resolver = Resolver({"feeds.example": [[PUBLIC]]})
        guarded = make_guarded_client(
            resolver=resolver, dialer=Dialer(server), ssl_context=client_tls(ca)
        )
        async with guarded, make_client() as trusted:
            fetcher = Fetcher(trusted, untrusted_client=guarded, timeout=5.0)
            with pytest.raises(FetchError) as info:
                await fetcher.fetch("https://feeds.example/feed", untrusted=True)

        assert "certificate" in info.value.reason.lower()
        assert server.requests("/feed") == []
