"""A real HTTP server on 127.0.0.1 that publishes feeds and misbehaves on request.

It runs in a background thread, so it serves any test whatever its event loop. Content is published
and replaced at runtime with `set`; each 200 carries a strong ETag (hash of the body) and a
Last-Modified, and a matching If-None-Match / If-Modified-Since gets a 304. Every request is logged
with the status it got, so a test can check the conditional headers and count 200s against 304s.

Load the `feed_server` fixture with `pytest_plugins = ["tests.support.feedserver"]`.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

RSS = "application/rss+xml; charset=utf-8"


class Hit(NamedTuple):
    """One request as the server saw it. Header names are lower-case."""

    method: str
    headers: Mapping[str, str]
    status: int


@dataclass(frozen=True)
class _Route:
    body: bytes
    content_type: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: float | None = None  # epoch seconds
    bytes_per_second: float | None = None  # trickle the body this fast


class FeedServer:
    """Start with `with FeedServer() as server:` or use the `feed_server` fixture."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a server context to serve https (its sni_callback sees the client's SNI)."""
        self._tls = tls
        self._routes: dict[str, _Route] = {}
        self._log: dict[str, list[Hit]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._last_stamp = 0.0
        self._in_flight = 0
        self.max_in_flight = 0  # the most requests this server was answering at one moment
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def set(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = RSS,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        etag: bool = True,
        last_modified: bool = True,
    ) -> None:
        """Publish `body` at `path`, replacing what was there. Validators change with the body."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            old = self._routes.get(path)
            if old is not None and old.body == data and old.last_modified is not None:
                stamp = old.last_modified
            else:
                # Whole seconds, as the header carries, and always later than the previous change,
                # so two sets within one second still look modified to If-Modified-Since.
                stamp = max(float(int(time.time())), self._last_stamp + 1)
                self._last_stamp = stamp
            self._routes[path] = _Route(
                body=data,
                content_type=content_type,
                status=status,
                headers=dict(headers or {}),
                etag=f'"{hashlib.sha256(data).hexdigest()[:20]}"' if etag else None,
                last_modified=stamp if last_modified else None,
            )

    def set_status(
        self, path: str, status: int, *, retry_after: float | str | None = None, body: bytes = b""
    ) -> None:
        headers = {}
        if retry_after is not None:
            value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
            headers["Retry-After"] = value
        self.set(path, body, content_type="text/plain", status=status, headers=headers, etag=False)

    def set_redirect(self, path: str, to: str, *, status: int = 302) -> None:
        """Redirect `path` to `to` (a path on this server or any URL), sent as given."""
        self.set(path, b"", content_type="text/plain", status=status, headers={"Location": to})

    def set_slow(
        self, path: str, bytes_per_second: float, *, body: bytes | str | None = None
    ) -> None:
        """Send headers at once, then trickle the body (the current one unless `body` is given)."""
        if body is not None:
            self.set(path, body)
        with self._lock:
            route = self._routes.get(path) or _Route(body=b"<rss>" + b" " * 4096, content_type=RSS)
            self._routes[path] = replace(route, bytes_per_second=bytes_per_second)

    def set_gzip_bomb(self, path: str, expanded_size: int) -> None:
        """Serve a small gzip body that expands to `expanded_size` bytes of XML whitespace."""
        headers = {"Content-Encoding": "gzip"}
        self.set(path, gzip_of_spaces(expanded_size), headers=headers, etag=False)

    def requests(self, path: str) -> list[Hit]:
        with self._lock:
            return list(self._log.get(path, ()))

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closing.set()  # ends any trickle in progress
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()  # joins the request threads

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _route_for(self, target: str) -> tuple[str, _Route | None]:
        path = urlsplit(target).path
        with self._lock:
            if target in self._routes:
                return target, self._routes[target]
            return path, self._routes.get(path)

    def _record(self, path: str, hit: Hit) -> None:
        with self._lock:
            self._log.setdefault(path, []).append(hit)


class _Server(ThreadingHTTPServer):
    # Non-daemon request threads so server_close() joins them: a test ends with none left over.
    daemon_threads = False
    block_on_close = True


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # a client that connects and says nothing cannot hold up close()

        def do_GET(self) -> None:
            with server._lock:
                server._in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server._in_flight)
            self._landed = False
            try:
                self._get()
            finally:
                self._land()

        def _land(self) -> None:
            # Called before the last byte goes out: the client may send its next request the
            # moment it has it, and that must not look like an overlap.
            if not self._landed:
                self._landed = True
                with server._lock:
                    server._in_flight -= 1

        def _get(self) -> None:
            key, route = server._route_for(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if route is None:
                server._record(key, Hit("GET", headers, 404))
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
                return
            status = 304 if route.status == 200 and _unchanged(route, headers) else route.status
            server._record(key, Hit("GET", headers, status))
            out = dict(route.headers)
            if route.etag:
                out["ETag"] = route.etag
            if route.last_modified is not None:
                out["Last-Modified"] = formatdate(route.last_modified, usegmt=True)
            if status == 304:
                self._send(304, out, b"")
                return
            out["Content-Type"] = route.content_type
            self._send(status, out, route.body, route.bytes_per_second)

        def _send(
            self,
            status: int,
            headers: Mapping[str, str],
            body: bytes,
            bytes_per_second: float | None = None,
        ) -> None:
            if not body:
                self._land()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if bytes_per_second is None:
                    self._land()
                    self.wfile.write(body)
                else:
                    self._trickle(body, bytes_per_second)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, which is what the slow and bomb tests want

        def _trickle(self, body: bytes, bytes_per_second: float) -> None:
            step = max(1, int(bytes_per_second / 10))
            for i in range(0, len(body), step):
                last = i + step >= len(body)
                if last:
                    self._land()
                self.wfile.write(body[i : i + step])
                self.wfile.flush()
                if last or server._closing.wait(step / bytes_per_second):
                    return  # no pause after the last byte: the request ends with it

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


def _unchanged(route: _Route, headers: Mapping[str, str]) -> bool:
    # RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since counts only without it.
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return route.etag is not None and ("*" in tags or route.etag in tags)
    ims = headers.get("if-modified-since")
    if ims is None or route.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims).timestamp()
    except (TypeError, ValueError):
        return False
    return route.last_modified <= since


_bombs: dict[int, bytes] = {}


def gzip_of_spaces(size: int) -> bytes:
    """A gzip stream of `size` spaces, built a block at a time and cached per size."""
    if size not in _bombs:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip header and trailer
        block = b" " * (1 << 20)
        parts = [packer.compress(block) for _ in range(size >> 20)]
        parts.append(packer.compress(b" " * (size & ((1 << 20) - 1))))
        parts.append(packer.flush())
        _bombs[size] = b"".join(parts)
    return _bombs[size]


def free_port() -> int:
    """A port that was free a moment ago: connecting to it should be refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
