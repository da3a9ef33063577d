"""The callback server on its own, with a real store and an ingest seam the test holds: it answers
valid content at once, bounds what waits for the ingest by bytes (503 beyond), a stop stores
what was accepted, and an address it cannot listen on is a config error naming the key."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.errors import ConfigError
from bot.ingest.fetch import FetchResult
from bot.push.ports import PushSubscription
from bot.push.receiver import PushReceiver
from bot.store.database import SqlStore
from bot.store.push import SqlPushStore
from tests.support.feedserver import free_port

SOURCE = "https://wire.example/feed"
SECRET = "ab" * 32


class HeldIngest:
    """Takes content only while `open` is set; records what it took."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.taken: list[tuple[str, bytes]] = []

    async def __call__(
        self, url: str, name: str, fetched: FetchResult, *, untrusted: bool = False
    ) -> object:
        await self.open.wait()
        self.taken.append((url, fetched.content or b""))
        return None


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature": f"sha256={digest}", "Content-Type": "application/rss+xml"}


async def test_content_waits_bounded_by_bytes_and_a_stop_stores_what_was_accepted(
    store: SqlStore,
) -> None:
    await store.upsert_source(SOURCE, "Wire", 60)
    push = SqlPushStore(store.engine)
    now = datetime.now(UTC)
    sub = PushSubscription(
        source_url=SOURCE,
        callback_id="cb-1",
        callback="http://127.0.0.1/websub/cb-1",
        hub="https://hub.example/",
        topic=SOURCE,
        secret=SECRET,
        state="requested",
    )
    await push.push_requested(sub, at=now, wait_until=now + timedelta(minutes=5))
    ingest = HeldIngest()
    port = free_port()
    receiver = PushReceiver(
        store=push,
        ingest=ingest,
        public_url=f"http://127.0.0.1:{port}/websub",
        listen="127.0.0.1",
        port=port,
        max_bytes=10_000,
        clock=lambda: datetime.now(UTC),
        max_pending_bytes=2_500,
    )
    await receiver.start()
    stopped = False
    try:
        url = f"http://127.0.0.1:{port}/websub/cb-1"
        async with httpx.AsyncClient() as client:
            statuses = [
                (await client.post(url, content=body, headers=signed(body))).status_code
                for body in (b"a" * 1000, b"b" * 1000, b"c" * 1000)
            ]
            assert statuses == [202, 202, 503]  # the third would pass 2,500 bytes waiting
            ingest.open.set()
            await asyncio.sleep(0.1)
            body = b"d" * 1000
            again = await client.post(url, content=body, headers=signed(body))
            assert again.status_code == 202  # room again once the ingest took the first two
        ingest.open.clear()
        late = b"e" * 10
        async with httpx.AsyncClient() as client:
            await client.post(url, content=late, headers=signed(late))
        asyncio.get_running_loop().call_later(0.3, ingest.open.set)
        await receiver.stop()  # waits for the content it accepted
        stopped = True
    finally:
        if not stopped:
            await receiver.stop()
    assert [content[:1] for _, content in ingest.taken] == [b"a", b"b", b"d", b"e"]


@pytest.mark.parametrize(
    ("listen", "key"),
    [
        ("127.0.0.1", "websub.port"),  # the port is another listener's
        ("192.0.2.1", "websub.listen"),  # an address this machine does not have (TEST-NET-1)
    ],
)
async def test_an_address_it_cannot_listen_on_names_the_setting(
    store: SqlStore, listen: str, key: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        receiver = PushReceiver(
            store=SqlPushStore(store.engine),
            ingest=HeldIngest(),
            public_url="https://bot.example/websub",
            listen=listen,
            port=port,
            max_bytes=10_000,
            clock=lambda: datetime.now(UTC),
        )
        with pytest.raises(ConfigError) as refused:
            await receiver.start()
        assert refused.value.key == key
        assert f"cannot listen on {listen}:{port}" in str(refused.value)
        await asyncio.wait_for(receiver.stop(), 2)  # what start began is undone
