"""When to poll a source next: adaptive intervals, backoff with jitter, Retry-After, parking.

Pure decisions, read from the `[polling]` config table; the poll-due job (`bot.sources.due`) asks
them after every poll and stores the answer, so the schedule lives in the database and survives a
restart.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import __version__
from bot.domain import NextPoll, PollState

# A source answering these is gone or never existed; after `gone_after` such answers in a row it
# is parked (410 says "gone for good", so one is enough).
GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class PollingPolicy:
    contact_url: str = "https://github.com/newsbot"  # named in the User-Agent
    per_host: int = 1  # requests in flight at once to one host
    tick_seconds: float = 15.0  # how often the scheduler looks for due sources
    min_interval: float = 60.0  # adaptive intervals stay within [min, max]
    max_interval: float = 6 * 3600.0
    slow_down: float = 1.5  # interval factor after a poll that found nothing new
    backoff_base: float = 60.0  # first retry delay after a failure; doubles each time
    backoff_max: float = 6 * 3600.0
    jitter: float = 0.5  # a retry waits between (1 - jitter) and 1 times the backoff delay
    max_retry_after: float = 24 * 3600.0  # a longer Retry-After is capped to this
    park_after: float = 24 * 3600.0  # failing for this long parks the source
    gone_after: int = 3  # 404s in a row that park a source (a single 410 does)
    # A source whose stories a hub pushes is still polled, as a safety net, at least this rarely:
    # max(its interval, push_interval). None: push is off ([websub] without a public_url).
    push_interval: float | None = None

    @property
    def user_agent(self) -> str:
        return f"newsbot/{__version__} (+{self.contact_url})"


def _clamp(value: float, policy: PollingPolicy) -> float:
    return min(policy.max_interval, max(policy.min_interval, value))


def after_success(
    state: PollState, *, changed: bool, now: datetime, policy: PollingPolicy
) -> NextPoll:
    """`changed`: the poll found new stories. Then back to the base interval; otherwise slow down
    by `slow_down`, so a feed that rarely changes is polled rarely, never beyond `max_interval`."""
    base = _clamp(state.interval, policy)
    if changed or state.current_interval is None:
        interval = base
    else:
        interval = _clamp(max(base, state.current_interval * policy.slow_down), policy)
    wait = interval
    if state.pushed and policy.push_interval is not None:
        # A hub pushes its stories: the poll is only a safety net. The adaptive interval starts
        # again from the base when the push ends.
        interval = base
        wait = max(base, policy.push_interval)
    return NextPoll(
        next_poll_at=now + timedelta(seconds=wait),
        current_interval=interval,
        failures=0,
        failing_since=None,
        gone_count=0,
    )


def backoff_delay(failures: int, policy: PollingPolicy, rand: Callable[[], float]) -> float:
    """Exponential in the number of failures, capped, then jittered down by up to `jitter` so that
    sources failing together do not retry together."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** max(0, failures - 1))
    return ceiling * (1 - policy.jitter * rand())


def after_failure(
    state: PollState,
    *,
    reason: str,
    status: int | None,
    retry_after: float | None,
    now: datetime,
    policy: PollingPolicy,
    rand: Callable[[], float] = random.random,
) -> NextPoll:
    failures = state.failures + 1
    failing_since = state.failing_since or now
    gone = state.gone_count + 1 if status in GONE_STATUSES else 0
    delay = backoff_delay(failures, policy, rand)
    if retry_after is not None:
        # The server said when; never earlier, and a hostile value cannot stall us for ever.
        delay = max(delay, min(retry_after, policy.max_retry_after))
    parked: str | None = None
    if status == 410 or (status == 404 and gone >= policy.gone_after):
        parked = f"the feed answers HTTP {status} ({'gone' if status == 410 else 'not found'})"
    elif (now - failing_since).total_seconds() >= policy.park_after:
        hours = policy.park_after / 3600
        parked = f"every poll for {hours:g} hours failed; the last error: {reason}"
    return NextPoll(
        next_poll_at=now + timedelta(seconds=delay),
        current_interval=state.current_interval,
        failures=failures,
        failing_since=failing_since,
        gone_count=gone,
        parked=parked,
    )
