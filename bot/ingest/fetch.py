"""Fetch one feed over HTTP, bounded in size and in total wall time.

Every network or HTTP failure leaves this module as a `FetchError` with a short reason a person can
read in `/sources`; nothing else escapes for network trouble.

Redirects are followed here, hop by hop, rather than by httpx: the hop limit then holds whatever
client is passed in, and the body of a redirect response is never read (httpx reads it in full).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from bot import __version__
from bot.errors import FetchError, UnsafeURL
from bot.ingest.guard import (
    DEFAULT_POLICY,
    Dialer,
    GuardedTransport,
    GuardPolicy,
    Resolver,
    system_resolver,
)
from bot.ingest.limits import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT

DEFAULT_USER_AGENT = f"newsbot/{__version__} (+https://github.com/newsbot)"
MAX_REDIRECTS = 5

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Only what we advertise: a coding httpx cannot decode would otherwise reach the parser as garbage.
_ACCEPT_ENCODING = "gzip, deflate"
_DECODABLE = frozenset({"gzip", "x-gzip", "deflate"})


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # where the content came from, after redirects
    status: int
    content: bytes | None  # None on 304
    content_type: str | None
    etag: str | None
    last_modified: str | None
    link_header: str | None = None  # the response's Link headers, joined: WebSub discovery

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """Conditional GETs through clients owned by the caller.

    `client` serves trusted sources (operator config, `newsbot check`). `untrusted_client` (from
    `make_guarded_client`) serves `fetch(..., untrusted=True)`: sources a chat user added. They are
    separate clients so no pooled connection made for a trusted source is ever reused unchecked.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        untrusted_client: httpx.AsyncClient | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._client = client
        self._untrusted_client = untrusted_client
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._user_agent = user_agent

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        untrusted: bool = False,
    ) -> FetchResult:
        """Raises FetchError; for `untrusted`, UnsafeURL (a FetchError) when the guard refuses the
        URL or any redirect hop, before anything is sent there."""
        client = self._client
        if untrusted:
            if self._untrusted_client is None:
                raise UnsafeURL(url, "no guarded client is set up for sources from chats")
            client = self._untrusted_client
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme not in ("http", "https"):
                # build_request would drop a host-less URL's scheme before the guard sees it.
                raise UnsafeURL(url, "only http and https URLs are allowed")
        headers = {
            "User-Agent": self._user_agent,
            "Accept": FEED_ACCEPT,
            "Accept-Encoding": _ACCEPT_ENCODING,
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            # httpx timeouts are per read; a server trickling bytes never trips them. The deadline
            # covers the name lookup, every redirect hop and the whole body.
            async with asyncio.timeout(self._timeout):
                return await self._follow(client, url, headers, etag, last_modified)
        except TimeoutError:
            raise FetchError(url, f"timed out after {self._timeout:g}s", kind="timeout") from None
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL ({exc})", kind="invalid") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, _describe(exc), kind="network") from exc

    async def _follow(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        # build_request drops a host-less URL's scheme (file:///x becomes /x); name it from here.
        target = httpx.URL(url)
        request = client.build_request("GET", url, headers=headers)
        for hop in range(MAX_REDIRECTS + 1):
            try:
                response = await client.send(request, stream=True, follow_redirects=False)
            except httpx.UnsupportedProtocol:
                raise FetchError(url, _scheme_reason(target), kind="invalid") from None
            except UnsafeURL as exc:
                if hop == 0:
                    raise UnsafeURL(url, exc.reason) from None
                raise UnsafeURL(url, f"redirect to {request.url} refused: {exc.reason}") from None
            try:
                if response.next_request is not None:
                    request = response.next_request
                    target = request.url
                    continue
                return await self._result(url, response, etag, last_modified)
            finally:
                await response.aclose()
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects", kind="invalid")

    async def _result(
        self, url: str, response: httpx.Response, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        status = response.status_code
        final_url = str(response.url)
        if status == 304:
            # A 304 may omit the validators; the ones sent are still the current ones.
            return FetchResult(
                url=final_url,
                status=status,
                content=None,
                content_type=None,
                etag=response.headers.get("ETag") or etag,
                last_modified=response.headers.get("Last-Modified") or last_modified,
            )
        if status >= 300:
            retry_after = None
            if status in (429, 503):
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), response.headers.get("Date")
                )
            raise FetchError(url, _status_reason(response), status=status, retry_after=retry_after)
        return FetchResult(
            url=final_url,
            status=status,
            content=await self._read_capped(url, response),
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            link_header=", ".join(response.headers.get_list("Link")) or None,
        )

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        codings = [
            c.strip().lower()
            for c in response.headers.get("Content-Encoding", "").split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        # Stacked codings multiply: gzip of gzip turns one 64 kB read into gigabytes before the
        # byte count below ever sees it.
        if len(codings) > 1 or (codings and codings[0] not in _DECODABLE):
            raise FetchError(url, f"unsupported content encoding {', '.join(codings)!r}")
        too_large = f"larger than {_size(self._max_bytes)}"
        declared = response.headers.get("Content-Length", "")
        if not codings and declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(url, too_large, kind="too_large")
        inflate = _Inflater(codings[0]) if codings else None
        chunks: list[bytes] = []
        total = 0
        # Raw bytes, inflated here a bounded step at a time: httpx's own decoder inflates a whole
        # network read at once, and one 64 kB read of a gzip bomb is ~64 MB before any cap.
        raws: AsyncIterator[bytes] = response.aiter_raw()
        if response.is_stream_consumed:  # a mounted local transport built it in memory, decoded
            inflate = None
            raws = _once(response.content)
        async for raw in raws:
            room = self._max_bytes - total
            try:
                chunk = inflate.feed(raw, room + 1) if inflate else raw
            except zlib.error:
                raise FetchError(url, "could not decode the compressed body") from None
            total += len(chunk)
            if total > self._max_bytes:
                raise FetchError(url, too_large, kind="too_large")
            chunks.append(chunk)
        return b"".join(chunks)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _Inflater:
    """gzip or deflate, decoded with an output limit per step."""

    def __init__(self, coding: str) -> None:
        # gzip: header required (16+); deflate: zlib-wrapped per RFC 9110, raw from some servers.
        self._raw_fallback = coding == "deflate"
        self._z = zlib.decompressobj(zlib.MAX_WBITS | (0 if self._raw_fallback else 16))
        self._started = False

    def feed(self, data: bytes, limit: int) -> bytes:
        """At most `limit` bytes of output for `data`; exactly `limit` means there was more."""
        if self._z.eof:
            return b""  # trailing bytes after the stream are ignored, as browsers do
        if not self._started and self._raw_fallback:
            self._started = True
            try:
                return self._z.decompress(data, limit)
            except zlib.error:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        # With max_length, zlib stops once the output fills it; leftover input then sits in
        # unconsumed_tail, which we drop: reaching the limit ends the fetch anyway.
        return self._z.decompress(data, limit)


def read_local(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> FetchResult:
    """Read a feed from a local path or a `file://` URL, under the same byte cap as a fetch."""
    local = Path(url2pathname(urlsplit(path).path)) if path.startswith("file:") else Path(path)
    try:
        with local.open("rb") as f:
            content = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(path, "no such file") from None
    except IsADirectoryError:
        raise FetchError(path, "is a directory") from None
    except PermissionError:
        raise FetchError(path, "permission denied") from None
    except OSError as exc:
        raise FetchError(path, exc.strerror or type(exc).__name__) from None
    if len(content) > max_bytes:
        raise FetchError(path, f"larger than {_size(max_bytes)}", kind="too_large")
    return FetchResult(
        url=local.resolve().as_uri(),
        status=200,
        content=content,
        content_type=None,  # let the parser sniff; mimetypes answers differ between machines
        etag=None,
        last_modified=None,
    )


def make_client(
    *,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
    limits: httpx.Limits | None = None,
) -> httpx.AsyncClient:
    """The shared HTTP client for polling: http/https plus whatever `mounts` adds (e.g. demo://)."""
    return httpx.AsyncClient(
        # A proxy from the environment would reroute polls around any address checks.
        trust_env=False,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=timeout or httpx.Timeout(10.0),
        limits=limits or httpx.Limits(max_connections=50, max_keepalive_connections=10),
        headers={"User-Agent": DEFAULT_USER_AGENT},
        mounts=dict(mounts) if mounts else None,
        transport=transport,
    )


def make_guarded_client(
    policy: GuardPolicy = DEFAULT_POLICY,
    *,
    resolver: Resolver = system_resolver,
    dialer: Dialer | None = None,
    timeout: httpx.Timeout | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """The client for untrusted sources: every request and new connection passes the guard.
    `resolver`, `dialer` and `ssl_context` are seams for tests (default: the system's)."""
    transport = (
        GuardedTransport(policy, resolver=resolver, ssl_context=ssl_context)
        if dialer is None
        else GuardedTransport(policy, resolver=resolver, dialer=dialer, ssl_context=ssl_context)
    )
    return httpx.AsyncClient(
        trust_env=False,  # a proxy would connect for us, to an address we never checked
        follow_redirects=False,
        timeout=timeout or httpx.Timeout(10.0),
        headers={"User-Agent": DEFAULT_USER_AGENT},
        transport=transport,
    )


MAX_RETRY_AFTER = 7 * 24 * 3600.0


def parse_retry_after(value: str | None, date: str | None = None) -> float | None:
    """Retry-After as seconds to wait: delay-seconds, or an HTTP-date measured from the response's
    own Date (so our clock's skew does not matter) or from now. None if absent or unreadable;
    clamped to [0, 7 days] so a hostile value cannot park a source forever or overflow."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(min(int(value), int(MAX_RETRY_AFTER))), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    now = datetime.now(UTC)
    if date:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            now = parsedate_to_datetime(date)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, min((when - now).total_seconds(), MAX_RETRY_AFTER))


def _status_reason(response: httpx.Response) -> str:
    reason = f"HTTP {response.status_code}"
    if response.status_code < 400:
        return f"{reason} without a Location"
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        return f"{reason} (retry after {retry_after.strip()})"
    return reason


def _describe(exc: httpx.HTTPError) -> str:
    detail = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)).strip()
    detail = detail if len(detail) <= 120 else detail[:117] + "..."
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the server"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({detail})" if detail else "could not connect"
    if isinstance(exc, httpx.DecodingError):
        return "could not decode the compressed body"
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({detail})" if detail else "connection failed"
    return f"request failed ({detail})" if detail else "request failed"


def _scheme_reason(url: httpx.URL) -> str:
    if url.scheme and url.scheme not in ("http", "https"):
        return f"unsupported scheme {url.scheme!r}"
    return "not an absolute http(s) URL"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} kB"
    return f"{n} bytes"
