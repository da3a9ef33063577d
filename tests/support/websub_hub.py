"""A WebSub hub on 127.0.0.1 that follows the spec (https://www.w3.org/TR/websub/), for tests and
benchmarks. It runs on the caller's event loop (aiohttp), so use it from async code:

    async with FakeHub() as hub:
        feed = PushedFeed(feed_server, hub, "/wire.rss", title="Wire")  # serves <link rel="hub">
        ...                                          # the bot polls feed.url and subscribes
        await hub.wait_for(lambda: hub.active(feed.url))
        await feed.publish(item)                     # the feed changes and the hub pushes it now

What it does, as a hub must: accepts subscribe/unsubscribe requests (form POST, answered 202),
verifies intent by calling the callback with a random challenge (GET; only a 2xx echoing the
challenge counts), grants a lease (capped by `max_lease`) and forgets a subscription when the
lease runs out, and distributes content (POST) signed with the subscriber's hub.secret
(`X-Hub-Signature: <algorithm>=<hex HMAC>`). Its HMAC is computed here with hashlib, not with
the bot's code. What a test can make it do: deny topics (`deny`), sign with another algorithm
(`algorithm`), forge or omit the signature, refuse requests (`refuse`), and send a verification
of its own choosing (`verify`). Everything it did is logged in `requests`, `verifications` and
`deliveries`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import quoteattr

import httpx
from aiohttp import web

from tests.support.feeds import Item, rss
from tests.support.feedserver import RSS, FeedServer

_DIGESTS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass
class HubSubscription:
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    expires: float  # time.monotonic()


@dataclass(frozen=True)
class HubRequest:
    """A subscribe/unsubscribe request as the hub received it, and what it answered."""

    mode: str
    topic: str
    callback: str
    lease_seconds: int | None
    secret: str | None
    status: int


@dataclass(frozen=True)
class Verification:
    mode: str  # subscribe, unsubscribe or denied
    callback: str
    topic: str
    status: int  # what the callback answered
    confirmed: bool  # 2xx with the challenge echoed


@dataclass(frozen=True)
class Delivery:
    topic: str
    callback: str
    status: int
    seconds: float  # how long the subscriber took to answer


class FakeHub:
    def __init__(
        self, *, max_lease: int | None = None, default_lease: int = 3600, algorithm: str = "sha256"
    ) -> None:
        self.max_lease = max_lease
        self.default_lease = default_lease
        self.algorithm = algorithm
        self.deny: set[str] = set()  # topics whose subscriptions are denied
        self.deny_reason = "not allowed here"
        self.refuse: int | None = None  # answer every (un)subscribe request with this status
        self.requests: list[HubRequest] = []
        self.verifications: list[Verification] = []
        self.deliveries: list[Delivery] = []
        self._subs: dict[tuple[str, str], HubSubscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._http = httpx.AsyncClient(timeout=10.0)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hub"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hub", self._hub)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        await self._http.aclose()

    async def __aenter__(self) -> FakeHub:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- state ---
    def active(self, topic: str | None = None) -> list[HubSubscription]:
        """Subscriptions whose lease runs; expired ones are dropped, as a hub must."""
        now = time.monotonic()
        for key, sub in list(self._subs.items()):
            if sub.expires <= now:
                del self._subs[key]
        return [s for s in self._subs.values() if topic is None or s.topic == topic]

    def requests_for(self, topic: str, mode: str = "subscribe") -> list[HubRequest]:
        return [r for r in self.requests if r.topic == topic and r.mode == mode]

    @staticmethod
    async def wait_for(condition: Callable[[], object], *, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    # --- publishing ---
    async def publish(
        self,
        topic: str,
        body: bytes | str,
        *,
        content_type: str = RSS,
        algorithm: str | None = None,
        forge: bool = False,
        unsigned: bool = False,
    ) -> list[int]:
        """Distribute `body` to every active subscriber of `topic` now; their answers."""
        data = body.encode() if isinstance(body, str) else body
        subs = self.active(topic)
        return list(
            await asyncio.gather(
                *(self._deliver(s, data, content_type, algorithm, forge, unsigned) for s in subs)
            )
        )

    async def _deliver(
        self,
        sub: HubSubscription,
        data: bytes,
        content_type: str,
        algorithm: str | None,
        forge: bool,
        unsigned: bool,
    ) -> int:
        headers = {
            "Content-Type": content_type,
            "Link": f'<{self.url}>; rel="hub", <{sub.topic}>; rel="self"',
        }
        if sub.secret is not None and not unsigned:
            method = algorithm or self.algorithm
            key = ("forged-" + sub.secret) if forge else sub.secret
            digest = hmac.new(key.encode(), data, _DIGESTS[method]).hexdigest()
            headers["X-Hub-Signature"] = f"{method}={digest}"
        started = time.monotonic()
        try:
            response = await self._http.post(sub.callback, content=data, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        self.deliveries.append(
            Delivery(sub.topic, sub.callback, status, time.monotonic() - started)
        )
        if status == 410:  # the subscriber deleted it (§7)
            self._subs.pop((sub.topic, sub.callback), None)
        return status

    # --- verification ---
    async def verify(
        self, callback: str, mode: str, topic: str, *, lease_seconds: int | None = None
    ) -> tuple[int, str, str]:
        """Send a verification of intent as a hub would: (status, body, the challenge sent)."""
        challenge = secrets.token_urlsafe(16)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if lease_seconds is not None:
            params["hub.lease_seconds"] = str(lease_seconds)
        status, text = await self._get(callback, params)
        return status, text, challenge

    async def _get(self, callback: str, params: dict[str, str]) -> tuple[int, str]:
        joiner = "&" if urlsplit(callback).query else "?"  # keep the callback's own query
        try:
            response = await self._http.get(callback + joiner + urlencode(params))
        except httpx.HTTPError:
            return 0, ""
        return response.status_code, response.text

    async def _hub(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return web.Response(status=400, text="expected a form")
        form = await request.post()
        mode, topic, callback = (
            str(form.get(k, "")) for k in ("hub.mode", "hub.topic", "hub.callback")
        )
        lease_text = str(form.get("hub.lease_seconds", ""))
        secret = str(form["hub.secret"]) if "hub.secret" in form else None
        status, problem = 202, ""
        if mode not in ("subscribe", "unsubscribe"):
            status, problem = 400, "hub.mode must be subscribe or unsubscribe"
        elif not _http(topic) or not _http(callback):
            status, problem = 400, "hub.topic and hub.callback must be http(s) URLs"
        elif secret is not None and len(secret.encode()) >= 200:
            status, problem = 400, "hub.secret must be under 200 bytes"
        elif lease_text and not lease_text.isdigit():
            status, problem = 400, "hub.lease_seconds must be a positive integer"
        if status == 202 and self.refuse is not None:
            status, problem = self.refuse, "refused: this hub is told to refuse"
        lease = int(lease_text) if lease_text.isdigit() else None
        self.requests.append(HubRequest(mode, topic, callback, lease, secret, status))
        if status != 202:
            return web.Response(status=status, text=problem)
        task = asyncio.create_task(self._verify_intent(mode, topic, callback, lease, secret))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify_intent(
        self, mode: str, topic: str, callback: str, lease: int | None, secret: str | None
    ) -> None:
        if mode == "subscribe" and topic in self.deny:
            params = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": self.deny_reason}
            status, _ = await self._get(callback, params)
            self.verifications.append(Verification("denied", callback, topic, status, False))
            return
        granted = lease or self.default_lease
        if self.max_lease is not None:
            granted = min(granted, self.max_lease)
        asked = time.monotonic()  # the lease counts from the verification request (§5.3)
        status, text, challenge = await self.verify(
            callback, mode, topic, lease_seconds=granted if mode == "subscribe" else None
        )
        confirmed = 200 <= status < 300 and text == challenge
        self.verifications.append(Verification(mode, callback, topic, status, confirmed))
        if not confirmed:
            return  # the state stays as it was (§5.1)
        if mode == "subscribe":
            self._subs[(topic, callback)] = HubSubscription(
                topic, callback, secret, granted, asked + granted
            )
        else:
            self._subs.pop((topic, callback), None)


def _http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def hub_rss(items: Sequence[Item], *, hub: str, self_url: str, title: str = "Test feed") -> str:
    """An RSS 2.0 feed that advertises its hub and its own URL (<atom:link>), as publishers do."""
    links = (
        f'<atom:link rel="hub" href={quoteattr(hub)}/>'
        f'<atom:link rel="self" href={quoteattr(self_url)}/>'
    )
    return (
        rss(list(items), title=title)
        .replace(
            '<rss version="2.0">', '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        )
        .replace("<channel>", "<channel>" + links, 1)
    )


class PushedFeed:
    """A feed served by a `FeedServer` that names `hub` as its hub: `publish` adds stories to it
    and has the hub push it to its subscribers at once (what a publisher's ping does)."""

    def __init__(
        self,
        server: FeedServer,
        hub: FakeHub,
        path: str,
        *,
        items: Sequence[Item] = (),
        title: str = "Test feed",
    ) -> None:
        self._server = server
        self._hub = hub
        self._path = path
        self._title = title
        self.items: list[Item] = list(items)
        self.url = server.url(path)
        self._server.set(path, self.body())

    def body(self) -> str:
        return hub_rss(self.items, hub=self._hub.url, self_url=self.url, title=self._title)

    async def publish(self, *items: Item, **delivery: bool | str | None) -> list[int]:
        """Put `items` at the top of the feed and push it; the subscribers' answers. Keyword
        arguments go to `FakeHub.publish` (algorithm, forge, unsigned)."""
        self.items[:0] = items
        self._server.set(self._path, self.body())
        return await self._hub.publish(self.url, self.body(), **delivery)  # type: ignore[arg-type]
