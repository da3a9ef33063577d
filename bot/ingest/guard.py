"""The guard for URLs chosen by strangers: what the bot will connect to, and the connection itself.

Two layers, both needed:

- `check_url` (pure): scheme, port and a host that *is* an address. Hosts are read the way
  browsers and `inet_aton` read them, so `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` are all
  127.0.0.1 here too, and refused before any lookup.
- `GuardedTransport`: an httpx transport whose connections go through `_GuardedBackend`, which
  resolves the host once, refuses unless *every* answer is a public address, and dials the
  checked address itself. TLS still uses the host name (SNI and certificate check), and the pool
  is keyed by host name, so a second lookup (DNS rebinding) never happens and no connection is
  shared with the trusted client.

Every redirect hop is a new request through the transport, so each hop gets both checks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from bot.errors import UnsafeURL
from bot.ingest.limits import DEFAULT_UNTRUSTED_PORTS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = DEFAULT_UNTRUSTED_PORTS

# Name the common refusals; anything else not globally routable falls to "not a public address".
_NAMED_V4: tuple[tuple[str, IPNetwork], ...] = tuple(
    (name, ipaddress.ip_network(net))
    for name, net in (
        ("unspecified", "0.0.0.0/8"),
        ("loopback", "127.0.0.0/8"),
        ("private", "10.0.0.0/8"),
        ("private", "172.16.0.0/12"),
        ("private", "192.168.0.0/16"),
        ("link-local", "169.254.0.0/16"),
        ("carrier-grade NAT", "100.64.0.0/10"),
        ("multicast", "224.0.0.0/4"),
        ("reserved", "240.0.0.0/4"),
    )
)
_NAMED_V6: tuple[tuple[str, IPNetwork], ...] = tuple(
    (name, ipaddress.ip_network(net))
    for name, net in (
        ("unspecified", "::/128"),
        ("loopback", "::1/128"),
        ("IPv4-compatible IPv6", "::/96"),
        ("unique-local IPv6", "fc00::/7"),
        ("link-local", "fe80::/10"),
        ("site-local IPv6", "fec0::/10"),
        ("multicast", "ff00::/8"),
    )
)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix; the IPv4 is the last 32 bits


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """What an untrusted URL may reach. `allow` exists for tests that fetch from a loopback server;
    it is not read from config, so an operator cannot open the internal network by accident."""

    ports: frozenset[int] = DEFAULT_PORTS
    allow: tuple[IPNetwork, ...] = ()


DEFAULT_POLICY = GuardPolicy()


def parse_ip_host(host: str) -> IPAddress | None:
    """The address a URL host denotes, or None for a name. Raises UnsafeURL for a malformed
    number, since a resolver would read it some way we did not check.

    IPv4 follows inet_aton / the WHATWG URL standard: 1 to 4 dot-separated parts, each decimal,
    octal (leading 0) or hex (0x); the last part fills the remaining bytes.
    """
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name.replace("%25", "%"))
        except ValueError:
            raise UnsafeURL(host, f"malformed IPv6 address {host!r}") from None
    parts = name.removesuffix(".").split(".")
    # WHATWG: a host whose last label is a number is an IPv4 address or invalid, never a name.
    if not parts or not _is_number(parts[-1]):
        return None
    if len(parts) > 4:
        raise UnsafeURL(host, f"malformed numeric host {host!r}")
    try:
        numbers = [_number(p) for p in parts]
    except ValueError:
        raise UnsafeURL(host, f"malformed numeric host {host!r}") from None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise UnsafeURL(host, f"malformed numeric host {host!r}")
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _is_number(label: str) -> bool:
    if label.startswith(("0x", "0X")):
        return all(c in "0123456789abcdefABCDEF" for c in label[2:])
    return label != "" and label.isascii() and label.isdigit()


def _number(label: str) -> int:
    if label.startswith(("0x", "0X")):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)
    return int(label, 10)


def address_problem(address: IPAddress, policy: GuardPolicy = DEFAULT_POLICY) -> str | None:
    """Why the bot must not connect to `address` for a stranger, or None if it may."""
    if any(address in net for net in policy.allow if net.version == address.version):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(str(address).split("%")[0])
        if address.ipv4_mapped is not None:
            return f"IPv4-mapped IPv6 address ::ffff:{address.ipv4_mapped}"
        for name, net in _NAMED_V6:
            if address in net:
                return f"{name} address {address}"
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and (inner := address_problem(embedded)):
            return f"IPv6 address {address} wrapping a {inner}"
    else:
        for name, net in _NAMED_V4:
            if address in net:
                return f"{name} address {address}"
    if not address.is_global:
        return f"not a public address ({address})"
    return None


def check_url(url: httpx.URL, policy: GuardPolicy = DEFAULT_POLICY) -> IPAddress | None:
    """Refuse (UnsafeURL) a URL a stranger may not make us fetch; the host's address if the URL
    names one. A host name passes here and is checked when it is resolved."""
    shown = str(url)
    if url.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(shown, f"scheme {url.scheme!r} is not allowed (only http and https)")
    if not url.host:
        raise UnsafeURL(shown, "no host")
    try:
        address = parse_ip_host(url.host)
    except UnsafeURL as exc:
        raise UnsafeURL(shown, exc.reason) from None
    if address is not None and (problem := address_problem(address, policy)):
        raise UnsafeURL(shown, f"{problem} is not allowed")
    port = url.port or (443 if url.scheme == "https" else 80)
    if port not in policy.ports:
        allowed = ", ".join(str(p) for p in sorted(policy.ports))
        raise UnsafeURL(shown, f"port {port} is not allowed (only {allowed})")
    return address


Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""host, port → the addresses a connection would try, as strings."""

Dialer = Callable[..., Awaitable[httpcore.AsyncNetworkStream]]
"""(address, port, *, timeout, local_address, socket_options) → an open stream."""


async def system_resolver(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


async def resolve_checked(
    host: str, port: int, policy: GuardPolicy, resolver: Resolver
) -> list[IPAddress]:
    """Resolve `host` once; every answer must be allowed (a name that also points inside is not
    trusted for its other answers). Returns the addresses to dial, in the resolver's order."""
    literal = parse_ip_host(host)
    if literal is not None:
        answers: Iterable[str] = [str(literal)]
    else:
        try:
            answers = await resolver(host, port)
        except OSError as exc:
            raise UnsafeURL(host, f"cannot resolve {host} ({exc.strerror or exc})") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            raise UnsafeURL(host, f"{host} resolved to a malformed address {answer!r}") from None
        if problem := address_problem(address, policy):
            raise UnsafeURL(host, f"{host} resolves to a {problem}, which is not allowed")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(host, f"{host} has no address")
    return addresses


@dataclass
class _GuardedBackend(httpcore.AsyncNetworkBackend):
    policy: GuardPolicy
    resolver: Resolver
    dialer: Dialer
    _inner: httpcore.AsyncNetworkBackend = field(default_factory=httpcore.AnyIOBackend)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(host, port, self.policy, self.resolver)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.dialer(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURL(path, "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _dial(
    address: IPAddress,
    port: int,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    local_address: str | None = None,
    socket_options: Iterable[Any] | None = None,
) -> httpcore.AsyncNetworkStream:
    return await httpcore.AnyIOBackend().connect_tcp(
        str(address),
        port,
        timeout=timeout,
        local_address=local_address,
        socket_options=socket_options,
    )


_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=10)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that applies the guard to every request and every new connection."""

    def __init__(
        self,
        policy: GuardPolicy = DEFAULT_POLICY,
        *,
        resolver: Resolver = system_resolver,
        dialer: Dialer = _dial,
        limits: httpx.Limits = _LIMITS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self.policy = policy
        # httpx has no public hook for the network backend; the pool is rebuilt with the same
        # settings AsyncHTTPTransport uses, plus ours. No proxy: it would connect for us, unchecked.
        # httpcore's TLS takes SNI and the certificate's name from the URL's host, not from the
        # address we dial, so https is verified against the name the user gave.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy, resolver, dialer),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url, self.policy)
        try:
            return await super().handle_async_request(request)
        except UnsafeURL as exc:
            raise UnsafeURL(str(request.url), exc.reason) from None
