"""The Slack store: handled event ids, workspace-wide pause and removal, OAuth states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.slack import slack_chat
from bot.store.database import SqlStore
from bot.store.slack import SlackStore

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


async def test_an_event_id_counts_once_for_a_day(store: SqlStore) -> None:
    slack = SlackStore(store.engine)
    assert await slack.remember_event("Ev1", at=NOW)
    assert not await slack.remember_event("Ev1", at=NOW + timedelta(minutes=5))
    assert await slack.remember_event("Ev2", at=NOW)
    # Slack stops retrying within the hour; the id is forgotten a day later to keep the table small.
    assert await slack.remember_event("Ev1", at=NOW + timedelta(days=2))


async def test_workspace_operations_touch_only_that_workspace(store: SqlStore) -> None:
    slack = SlackStore(store.engine)
    mine = [slack_chat("T1", "C1"), slack_chat("T1", "D2")]
    others = [slack_chat("T10", "C1"), slack_chat("T_", "C1")]
    for chat in [*mine, *others]:
        await store.subscribe(chat, "Sumy Oblast", "sumy oblast")
    assert await slack.pause_workspace("T1", "slack: invalid_auth") == mine
    active = {s.chat for s in await store.active_subscriptions()}
    assert active == set(others)

    assert await slack.forget_workspace("T1") == 2
    for chat in mine:
        assert await store.subscriptions(chat) == []
    for chat in others:
        assert await store.subscriptions(chat) != []
    assert await slack.forget_workspace("T1") == 0


async def test_an_oauth_state_works_once_and_expires(store: SqlStore) -> None:
    slack = SlackStore(store.engine)
    await slack.issue_state("s1", expires_at=NOW + timedelta(minutes=10))
    await slack.issue_state("s2", expires_at=NOW + timedelta(minutes=10))
    assert await slack.consume_state("s1", now=NOW)
    assert not await slack.consume_state("s1", now=NOW)
    assert not await slack.consume_state("s2", now=NOW + timedelta(minutes=11))
