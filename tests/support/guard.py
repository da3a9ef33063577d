"""A guarded client for tests: the real guard, told to let the loopback feed server through.

The guard refuses loopback addresses, and every test server lives on 127.0.0.1; this policy
allows exactly that server's address and port, so tests exercise the untrusted path end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import ip_network

import httpx
import pytest

from bot.ingest.fetch import make_guarded_client
from bot.ingest.guard import DEFAULT_PORTS, GuardPolicy
from tests.support.feedserver import FeedServer


def loopback_guard(server: FeedServer) -> GuardPolicy:
    return GuardPolicy(
        ports=frozenset({*DEFAULT_PORTS, server.port}), allow=(ip_network("127.0.0.1/32"),)
    )


@pytest.fixture
async def guarded_client(feed_server: FeedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with make_guarded_client(loopback_guard(feed_server)) as client:
        yield client
