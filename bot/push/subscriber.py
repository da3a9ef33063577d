"""The subscriber side of WebSub: ask hubs for subscriptions, renew them before their lease ends,
retry the ones that fail, and unsubscribe when a source is no longer polled.

State lives in the database (`PushStore`): every request is recorded before it goes out, with
when to act next, so a restart renews or retries exactly what is due, and the receiver (which
answers the hub's verification) reads the same rows. Two in-memory things, both hints:
- `_known`, the hub and topic last seen for each source, so a poll that finds the same links as
  the last one costs no database read. It is filled as polls discover links and dropped for a
  source whose row this process removes; a restart starts it empty (the first poll of each source
  then checks the database once). Another process's changes are not seen here, but renewals and
  retries are driven from the database, not from it.
- `_pending`, discoveries not yet handled, at most one per source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.ingest.fetch import FetchResult
from bot.push.discover import HubLinks, hub_links
from bot.push.policy import PushTiming, new_callback_id, new_secret, retry_at
from bot.push.ports import PushStore, PushSubscription

log = logging.getLogger(__name__)

BATCH = 100  # due subscriptions handled per round
MAX_HUB_REDIRECTS = 3  # 307/308 from a hub that moved (WebSub §5.1.2)


class HubError(Exception):
    """A hub did not accept a request; `reason` is what `/sources`-style output can show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Subscriber:
    def __init__(
        self,
        *,
        store: PushStore,
        http: httpx.AsyncClient,
        guarded_http: httpx.AsyncClient,
        public_url: str,
        lease_seconds: int,
        clock: Callable[[], datetime],
        timing: PushTiming | None = None,
        user_agent: str = "newsbot",
        timeout: float = 20.0,
    ) -> None:
        self._store = store
        self._http = http  # for hubs of the operator's sources
        self._guarded_http = guarded_http  # for hubs named by feeds that chats added
        self._base = public_url.rstrip("/")
        self._lease = lease_seconds
        self._clock = clock
        self._timing = timing or PushTiming()
        self._user_agent = user_agent
        self._timeout = timeout
        self._known: dict[str, HubLinks] = {}
        self._pending: dict[str, tuple[HubLinks, bool]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(self._timing.concurrency)

    # --- the poller's hook ---
    def discovered(self, source_url: str, fetched: FetchResult, untrusted: bool) -> None:
        """Called with every feed a poll read: note its hub, if it names one we do not know yet."""
        links = hub_links(fetched)
        if links is None or self._known.get(source_url) == links:
            return
        self._pending[source_url] = (links, untrusted)
        self._wake.set()

    # --- running ---
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="websub-subscriber")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> None:
        """Handle new discoveries, then every subscription whose next action is due."""
        pending, self._pending = self._pending, {}
        try:
            due = await self._store.push_due(self._clock(), BATCH)
        except BaseException:
            self._pending = pending | self._pending  # not handled: keep them for the next round
            raise
        jobs = [self._ensure(url, links, untrusted) for url, (links, untrusted) in pending.items()]
        jobs.extend(self._act(sub) for sub in due)
        await asyncio.gather(*(self._guarded(job) for job in jobs))

    async def _run(self) -> None:
        readdressed = False
        while True:
            try:
                if not readdressed:
                    await self._readdress()
                    readdressed = True
                await self.run_once()
                when = await self._store.push_next_due()
            except Exception:  # a database outage: try again after the idle time
                log.exception("websub: handling subscriptions failed")
                when = None
            delay = self._timing.idle_seconds
            if when is not None:
                delay = min(delay, max(0.0, (when - self._clock()).total_seconds()))
            if self._pending:
                delay = 0.0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()

    async def _readdress(self) -> None:
        """Once at start: subscriptions asked for under another public_url are due now, so the
        hubs learn the new address at once rather than at the next renewal."""
        moved = await self._store.push_moved(self._base + "/", at=self._clock())
        if moved:
            log.info("websub: public_url changed: subscribing %d feed(s) at the new address", moved)

    async def _guarded(self, job: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            try:
                await job
            except Exception:  # one hub's or row's trouble must not stop the others
                log.exception("websub: a subscription step failed")

    # --- decisions ---
    async def _ensure(self, source_url: str, links: HubLinks, untrusted: bool) -> None:
        sub = await self._store.push_subscription(source_url)
        if (
            sub is not None
            and (sub.hub, sub.topic) == (links.hub, links.topic)
            and sub.callback == self._callback(sub.callback_id)
            and sub.state != "unsubscribing"
        ):
            self._known[source_url] = links  # nothing new: renewals and retries run from the store
            return
        fresh = self._new(source_url, links.hub, links.topic, trusted=not untrusted)
        log.info("websub: subscribing to %s at hub %s", links.topic, links.hub)
        await self._subscribe(fresh)
        self._known[source_url] = links

    async def _act(self, sub: PushSubscription) -> None:
        now = self._clock()
        if not sub.source_active:
            await self._leave(sub, now)
        elif sub.callback != self._callback(sub.callback_id):
            # public_url changed: the hub must call the new address, under a new id.
            await self._subscribe(
                self._new(sub.source_url, sub.hub, sub.topic, trusted=sub.trusted)
            )
        elif sub.state == "unsubscribing":
            await self._leave(sub, now)  # re-added while leaving: finish leaving, then rediscover
        elif self._unverified(sub, now):
            lapsed = sub.expires_at is not None and sub.expires_at <= now
            await self._failed(sub, "the hub did not verify the request in time", now, lapsed)
        elif sub.state == "active" and sub.expires_at is not None and sub.expires_at <= now:
            await self._failed(sub, "the lease ended before a renewal was verified", now, True)
        elif sub.state in ("active", "failed", "requested"):
            await self._subscribe(sub)  # renew, or try again

    def _unverified(self, sub: PushSubscription, now: datetime) -> bool:
        """A request went out and its verification is overdue."""
        if sub.requested_at is None or sub.state not in ("requested", "active"):
            return False
        answered = sub.verified_at is not None and sub.verified_at >= sub.requested_at
        overdue = now >= sub.requested_at + timedelta(seconds=self._timing.verify_seconds)
        return not answered and overdue

    async def _leave(self, sub: PushSubscription, now: datetime) -> None:
        """Unsubscribe (the source is no longer polled), or forget a subscription the hub never
        granted. An unsubscribe the hub neither verifies nor refuses is asked again a few times,
        then forgotten: the hub ends it with its lease anyway."""
        if sub.state in ("failed", "denied") or (
            sub.state == "unsubscribing" and sub.attempts + 1 >= self._timing.unsubscribe_attempts
        ):
            await self._forget(sub, now)
            return
        wait = now + timedelta(seconds=self._timing.verify_seconds)
        await self._store.push_unsubscribing(sub.callback_id, at=now, wait_until=wait)
        self._known.pop(sub.source_url, None)
        log.info("websub: unsubscribing from %s at hub %s", sub.topic, sub.hub)
        try:
            await self._ask(sub, "unsubscribe")
        except HubError as e:
            log.warning(
                "websub: hub %s refused to unsubscribe %s: %s", sub.hub, sub.topic, e.reason
            )
            later = retry_at(now, sub.attempts + 1, self._timing)
            await self._store.push_request_failed(
                sub.callback_id, e.reason, at=now, retry_at=later, lapsed=False
            )

    async def _forget(self, sub: PushSubscription, now: datetime) -> None:
        await self._store.push_removed(sub.callback_id, at=now)
        self._known.pop(sub.source_url, None)

    async def _subscribe(self, sub: PushSubscription) -> None:
        now = self._clock()
        wait = now + timedelta(seconds=self._timing.verify_seconds)
        # Recorded first: a hub may call back to verify before it has even answered us.
        await self._store.push_requested(sub, at=now, wait_until=wait)
        try:
            await self._ask(sub, "subscribe")
        except HubError as e:
            log.warning("websub: hub %s refused %s: %s", sub.hub, sub.topic, e.reason)
            lapsed = sub.expires_at is not None and sub.expires_at <= now
            await self._failed(sub, e.reason, now, lapsed)

    async def _failed(
        self, sub: PushSubscription, reason: str, now: datetime, lapsed: bool
    ) -> None:
        expires = None if lapsed else sub.expires_at
        later = retry_at(now, sub.attempts + 1, self._timing, expires_at=expires)
        await self._store.push_request_failed(
            sub.callback_id, reason, at=now, retry_at=later, lapsed=lapsed
        )

    # --- the hub ---
    async def _ask(self, sub: PushSubscription, mode: str) -> None:
        """POST the (un)subscribe request; returns once the hub accepted it (2xx)."""
        form = {"hub.mode": mode, "hub.topic": sub.topic, "hub.callback": sub.callback}
        if mode == "subscribe":
            form |= {"hub.lease_seconds": str(self._lease), "hub.secret": sub.secret}
        client = self._http if sub.trusted else self._guarded_http
        url = sub.hub
        try:
            async with asyncio.timeout(self._timeout):
                for _ in range(MAX_HUB_REDIRECTS + 1):
                    response = await client.post(
                        url,
                        data=form,
                        headers={"User-Agent": self._user_agent},
                        follow_redirects=False,
                    )
                    location = response.headers.get("Location")
                    if response.status_code in (307, 308) and location:
                        url = str(response.url.join(location))
                        continue
                    break
        except TimeoutError:
            raise HubError(f"the hub did not answer within {self._timeout:g}s") from None
        except httpx.HTTPError as e:
            raise HubError(f"could not reach the hub ({type(e).__name__}: {e})"[:300]) from None
        except Exception as e:  # the guard's refusal of a stranger's hub, an invalid URL
            raise HubError(f"could not ask the hub: {e}"[:300]) from None
        if not 200 <= response.status_code < 300:
            said = " ".join(response.text.split())[:200]
            raise HubError(f"the hub answered HTTP {response.status_code}: {said}".rstrip(": "))

    def _callback(self, callback_id: str) -> str:
        return f"{self._base}/{callback_id}"

    def _new(self, source_url: str, hub: str, topic: str, *, trusted: bool) -> PushSubscription:
        callback_id = new_callback_id()
        return PushSubscription(
            source_url=source_url,
            callback_id=callback_id,
            callback=self._callback(callback_id),
            hub=hub,
            topic=topic,
            secret=new_secret(),
            state="requested",
            trusted=trusted,
        )


__all__ = ["HubError", "Subscriber"]
