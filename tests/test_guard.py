"""The guard's decisions on addresses, hosts and URLs. Nothing here opens a connection."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import FetchError, UnsafeURL
from bot.ingest.guard import (
    GuardPolicy,
    address_problem,
    check_url,
    parse_ip_host,
    resolve_checked,
)

REFUSED = {
    "http://127.0.0.1/": "loopback address 127.0.0.1",
    "http://127.8.9.10/": "loopback address 127.8.9.10",
    "http://2130706433/": "loopback address 127.0.0.1",
    "http://0x7f.1/": "loopback address 127.0.0.1",
    "http://0x7f000001/": "loopback address 127.0.0.1",
    "http://017700000001/": "loopback address 127.0.0.1",
    "http://127.1/": "loopback address 127.0.0.1",
    "http://127.0.0.1./": "loopback address 127.0.0.1",
    "http://[::1]/": "loopback address ::1",
    "http://[::ffff:127.0.0.1]/": "IPv4-mapped IPv6 address ::ffff:127.0.0.1",
    "http://[::ffff:7f00:1]/": "IPv4-mapped IPv6 address ::ffff:127.0.0.1",
    "http://[::ffff:8.8.8.8]/": "IPv4-mapped IPv6 address ::ffff:8.8.8.8",
    "http://10.1.2.3/": "private address 10.1.2.3",
    "http://172.16.5.4/": "private address 172.16.5.4",
    "http://172.31.255.255/": "private address 172.31.255.255",
    "http://192.168.1.1/": "private address 192.168.1.1",
    "http://3232235777/": "private address 192.168.1.1",
    "http://169.254.169.254/latest/meta-data/": "link-local address 169.254.169.254",
    "http://0xa9fea9fe/": "link-local address 169.254.169.254",
    "http://100.64.0.1/": "carrier-grade NAT address 100.64.0.1",
    "http://100.127.255.254/": "carrier-grade NAT address 100.127.255.254",
    "http://[fc00::1]/": "unique-local IPv6 address fc00::1",
    "http://[fd12:3456::1]/": "unique-local IPv6 address fd12:3456::1",
    "http://[fe80::1]/": "link-local address fe80::1",
    "http://[fe80::1%25eth0]/": "link-local address fe80::1",
    "http://[::ffff:169.254.169.254]/": "IPv4-mapped IPv6 address ::ffff:169.254.169.254",
    "http://224.0.0.1/": "multicast address 224.0.0.1",
    "http://[ff02::1]/": "multicast address ff02::1",
    "http://0.0.0.0/": "unspecified address 0.0.0.0",
    "http://0/": "unspecified address 0.0.0.0",
    "http://[::]/": "unspecified address ::",
    "http://255.255.255.255/": "reserved address 255.255.255.255",
    "http://198.18.0.1/": "not a public address (198.18.0.1)",
    "http://[2001:db8::1]/": "not a public address (2001:db8::1)",
    "http://[64:ff9b::7f00:1]/": "wrapping a loopback address 127.0.0.1",
    "http://[2002:c0a8:101::1]/": "wrapping a private address 192.168.1.1",
    "http://[::127.0.0.1]/": "IPv4-compatible IPv6 address ::7f00:1",
}


@pytest.mark.parametrize(("url", "reason"), REFUSED.items(), ids=REFUSED.keys())
def test_refused_addresses_and_disguises(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url(httpx.URL(url))

    assert info.value.reason.endswith(f"{reason} is not allowed")
    assert isinstance(info.value, FetchError)


ALLOWED = [
    "http://93.184.216.34/feed",
    "https://1.1.1.1/",
    "http://[2606:4700:4700::1111]/",
    "https://example.com/feed.xml",
    "http://example.com:80/",
    "https://news.example:443/rss",
    "http://1.2.3.4.example/",  # a name that merely starts with digits
]


@pytest.mark.parametrize("url", ALLOWED)
def test_public_addresses_and_names_pass(url: str) -> None:
    check_url(httpx.URL(url))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/feed", "scheme 'ftp' is not allowed (only http and https)"),
        ("gopher://example.com/", "scheme 'gopher' is not allowed (only http and https)"),
        ("http://example.com:8080/", "port 8080 is not allowed (only 80, 443)"),
        ("https://example.com:22/", "port 22 is not allowed (only 80, 443)"),
        ("http://1.2.3.4.5/", "malformed numeric host '1.2.3.4.5'"),
    ],
)
def test_scheme_port_and_malformed_numbers(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url(httpx.URL(url))

    assert info.value.reason == reason


def test_ports_are_configurable() -> None:
    policy = GuardPolicy(ports=frozenset({8443}))

    check_url(httpx.URL("https://example.com:8443/"), policy)
    with pytest.raises(UnsafeURL):
        check_url(httpx.URL("https://example.com/"), policy)


def test_allow_list_opens_only_what_it_names() -> None:
    policy = GuardPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),))

    assert address_problem(ipaddress.ip_address("127.0.0.1"), policy) is None
    assert address_problem(ipaddress.ip_address("127.0.0.2"), policy) is not None
    assert address_problem(ipaddress.ip_address("::1"), policy) is not None
    assert address_problem(ipaddress.ip_address("127.0.0.1")) is not None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("10.257", "10.0.1.1"),
        ("0x", "0.0.0.0"),
        ("8.8.8.8.", "8.8.8.8"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("example.com", None),
        ("1e3.example", None),
    ],
)
def test_hosts_are_read_like_inet_aton(host: str, address: str | None) -> None:
    expected = ipaddress.ip_address(address) if address else None
    assert parse_ip_host(host) == expected
    if address and "[" not in host and host != "0x":
        # The system's own reading agrees, which is what a naive fetch would connect to.
        assert socket.inet_aton(host.rstrip(".")) == socket.inet_aton(address)


@pytest.mark.parametrize("host", ["256.1.1.1", "1.2.3.0x100", "4294967296", "09.1.1.1"])
def test_out_of_range_numbers_are_refused_not_taken_for_names(host: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        parse_ip_host(host)

    assert "malformed numeric host" in info.value.reason


class Answers:
    """A resolver that answers from a script and records each question."""

    def __init__(self, *answers: Sequence[str] | OSError) -> None:
        self._answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        answer = self._answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


async def test_every_answer_of_a_name_must_be_public() -> None:
    resolver = Answers(["93.184.216.34", "10.0.0.7"])

    with pytest.raises(UnsafeURL) as info:
        await resolve_checked("mixed.example", 443, GuardPolicy(), resolver)

    assert info.value.reason == (
        "mixed.example resolves to a private address 10.0.0.7, which is not allowed"
    )


async def test_public_answers_are_returned_once_each_in_order() -> None:
    resolver = Answers(["93.184.216.34", "2606:2800:220:1::1", "93.184.216.34"])

    addresses = await resolve_checked("ok.example", 80, GuardPolicy(), resolver)

    assert [str(a) for a in addresses] == ["93.184.216.34", "2606:2800:220:1::1"]
    assert resolver.asked == [("ok.example", 80)]


async def test_a_literal_address_is_not_looked_up() -> None:
    resolver = Answers()

    with pytest.raises(UnsafeURL):
        await resolve_checked("0x7f.1", 80, GuardPolicy(), resolver)

    assert resolver.asked == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ([], "nothing.example has no address"),
        (socket.gaierror(-2, "Name or service not known"), "cannot resolve nothing.example"),
        (["not-an-ip"], "nothing.example resolved to a malformed address 'not-an-ip'"),
    ],
)
async def test_lookup_failures_are_typed(answer: Sequence[str] | OSError, reason: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        await resolve_checked("nothing.example", 80, GuardPolicy(), Answers(answer))

    assert info.value.reason.startswith(reason)


@settings(max_examples=800, derandomize=True, database=None, deadline=None)
@given(st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=24))
def test_no_numeric_disguise_passes_for_a_name(host: str) -> None:
    # Whatever the system resolver would read as an IPv4 address, the guard reads as the same
    # address or refuses: never as a name to be looked up and connected to unchecked.
    try:
        system = socket.inet_aton(host)
    except OSError:
        system = None
    try:
        ours = parse_ip_host(host)
    except UnsafeURL as exc:
        assert exc.reason.startswith("malformed numeric host")
        return
    if system is not None:
        assert ours is not None and ours.packed == system, (host, ours)


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(st.text(max_size=40))
def test_any_host_text_is_an_address_a_name_or_a_typed_refusal(host: str) -> None:
    try:
        parse_ip_host(host)
    except UnsafeURL as exc:
        assert exc.reason
