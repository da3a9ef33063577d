"""Push timing: renew before the lease ends, back off on failures but never past a running
lease's end; and the poll schedule of a pushed source (the safety interval)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import PollState
from bot.push.policy import PushTiming, new_callback_id, new_secret, renew_at, retry_at
from bot.sources.policy import PollingPolicy, after_success

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_renewal_comes_before_the_lease_ends() -> None:
    assert renew_at(NOW, 864000, PushTiming()) == NOW + timedelta(days=7.5)
    assert renew_at(NOW, 4, PushTiming()) < NOW + timedelta(seconds=4)


def test_retries_back_off_and_stop_at_the_lease_end() -> None:
    timing = PushTiming(retry_base=60, retry_max=3600)
    assert [(retry_at(NOW, n, timing) - NOW).total_seconds() for n in (1, 2, 3, 10)] == [
        60,
        120,
        240,
        3600,
    ]
    ends = NOW + timedelta(seconds=90)
    assert retry_at(NOW, 3, timing, expires_at=ends) == ends
    assert retry_at(NOW, 1, timing, expires_at=ends) == NOW + timedelta(seconds=60)


def test_ids_and_secrets_are_random_and_fit_the_spec() -> None:
    assert new_callback_id() != new_callback_id() and len(new_callback_id()) >= 43
    secret = new_secret()
    assert secret != new_secret() and len(secret.encode()) < 200


def test_a_pushed_source_is_polled_at_the_safety_interval() -> None:
    policy = PollingPolicy(push_interval=3600)
    pushed = after_success(
        PollState(interval=300, current_interval=300, pushed=True),
        changed=True,
        now=NOW,
        policy=policy,
    )
    assert pushed.next_poll_at == NOW + timedelta(hours=1)
    # A longer interval of its own stays; slow-down resumes from the base when the push ends.
    slow = PollState(interval=7200, current_interval=7200, pushed=True)
    assert after_success(
        slow, changed=False, now=NOW, policy=policy
    ).next_poll_at == NOW + timedelta(hours=2)
    ended = after_success(
        PollState(interval=300, current_interval=pushed.current_interval),
        changed=True,
        now=NOW,
        policy=policy,
    )
    assert ended.next_poll_at == NOW + timedelta(seconds=300)


def test_without_push_configured_the_flag_changes_nothing() -> None:
    state = PollState(interval=300, current_interval=300, pushed=True)
    decision = after_success(state, changed=True, now=NOW, policy=PollingPolicy())
    assert decision.next_poll_at == NOW + timedelta(seconds=300)
