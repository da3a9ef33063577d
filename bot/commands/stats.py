"""/stats: the figures of the status page in a few lines, for the bot's operators' chats only
(`[ops] admins`). Read from the database when asked, so every process answers the same."""

from __future__ import annotations

from datetime import datetime

from bot import __version__
from bot.commands.core import Commands, Incoming, Reply, command
from bot.domain import HourCount, OpsFigures


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _flow(hours: list[HourCount]) -> str:
    sent = sum(h.sent for h in hours)
    waiting = sum(h.pending for h in hours)
    failed = sum(h.failed for h in hours)
    return f"{sent} sent, {waiting} waiting, {failed} failed"


def stats_text(figures: OpsFigures, hours: list[HourCount], now: datetime) -> str:
    """`hours`: alerts per hour over the last day, the current hour last."""
    f = figures
    lines = [
        f"newsbot {__version__}, {now:%Y-%m-%d %H:%M} UTC",
        f"Sources: {f.sources_ok} ok, {f.sources_failing} failing, {f.sources_parked} parked",
    ]
    queue = f"Queue: {f.queued} alert{'' if f.queued == 1 else 's'} waiting"
    if f.oldest is not None:
        queue += f", the oldest for {_span((now - f.oldest).total_seconds())}"
    per_platform = [f"{p.platform} {p.queued}" for p in f.platforms if p.queued]
    if per_platform:
        queue += f" ({', '.join(per_platform)})"
    lines.append(queue)
    lines.append(f"Alerts this hour: {_flow(hours[-1:])}; last 24 h: {_flow(hours)}")
    chats = sum(p.chats for p in f.platforms)
    by_platform = ", ".join(f"{p.platform} {p.chats}" for p in f.platforms)
    lines.append(
        f"Topics followed: {f.subscriptions}, in {chats} chat{'' if chats == 1 else 's'}"
        + (f" ({by_platform})" if by_platform else "")
    )
    held = sum(p.held for p in f.platforms)
    if held:
        lines.append(f"Held after a 429: {held} chat{'' if held == 1 else 's'}")
    return "\n".join(lines)


@command("stats", operator=True)
async def _stats(self: Commands, msg: Incoming, args: str) -> Reply:
    """/stats
    For the bot's operators: sources, queue and alert flow in a few lines."""
    now = self._clock()
    figures = await self._store.ops_figures(now=now)
    hours = await self._store.alerts_per_hour(now=now, hours=24)
    return Reply(stats_text(figures, hours, now))
