"""Sources in chat: /addsource, /removesource, /sources.

A source a chat adds is untrusted: fetched through the guard, and its stories alert only the
chats that added it. Why only them: a user who adds their town's paper expects its stories to
match *their* topics; everyone else never asked for that outlet, and a stranger's feed must not be
able to push stories into other people's alerts. Sources the operator configured serve everyone.
"""

from __future__ import annotations

from datetime import datetime

from bot.commands.core import Commands, Incoming, Reply, command
from bot.domain import FoundFeed, SourceInfo
from bot.errors import SourceError
from bot.sources.urls import tidy_url, web_url_problem

MAX_OFFERS = 10_000  # chats with an open feed list; the oldest are forgotten beyond this


def _every(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _status(source: SourceInfo) -> str:
    if source.parked:
        return f" — stopped: {source.parked}"
    if source.last_error:
        return f" — last poll failed: {source.last_error}"
    if source.last_polled:
        return f" — last polled {_when(source.last_polled)}"
    return " — not polled yet"


async def _add(self: Commands, msg: Incoming, feed: FoundFeed) -> Reply:
    if await self._store.add_chat_source(
        msg.chat, feed.url, feed.title, self.limits.source_interval, at=self._clock()
    ):
        return Reply(
            f"Added “{feed.title}” ({feed.url}). I check it about every "
            f"{_every(self.limits.source_interval)}; its new stories that match this chat's "
            "topics will arrive here. /sources lists your sources."
        )
    return Reply(f"This chat already has “{feed.title}”. /sources lists your sources.")


async def _full(self: Commands, msg: Incoming) -> Reply | None:
    count = len(await self._store.chat_sources(msg.chat))
    if count < self.limits.max_sources:
        return None
    return Reply(
        f"This chat already has {count} sources, the most allowed. "
        "Remove one with /removesource first."
    )


@command("addsource", admin=True)
async def _addsource(self: Commands, msg: Incoming, args: str) -> Reply:
    """/addsource URL
    Add a news feed (or a site whose feeds I should find) for this chat."""
    if not args:
        return Reply("Give the address of a feed or a news site, e.g. /addsource example.com")
    if self._probe is None:
        return Reply("Adding sources is switched off on this bot.")
    full = await _full(self, msg)
    if args.isdigit():
        offered = self.offers.get(msg.chat, ())
        if not offered:
            return Reply("There is no list of feeds to pick from. Send /addsource URL first.")
        if not 1 <= int(args) <= len(offered):
            return Reply(f"Pick a number from 1 to {len(offered)}.")
        if full is not None:
            return full
        del self.offers[msg.chat]
        return await _add(self, msg, offered[int(args) - 1])
    url = tidy_url(args)
    problem = web_url_problem(url)
    if problem is not None:
        return Reply(f"Can't add that: {problem}.")
    if any(s.url == url for s in await self._store.operator_sources()):
        return Reply("I already watch that source for everyone; /sources lists them.")
    if full is not None:
        return full  # checked before fetching anything
    try:
        found = await self._probe.probe(url)
    except SourceError as e:
        return Reply(f"Couldn't read {url}: {e.reason}.")
    if not found:
        return Reply(
            f"I found no feed at {url}. Try the address of the site's RSS or Atom feed itself."
        )
    if len(found) == 1:
        return await _add(self, msg, found[0])
    if len(self.offers) >= MAX_OFFERS:
        self.offers.pop(next(iter(self.offers)))
    self.offers[msg.chat] = tuple(found)
    lines = [f"{i}) {f.title} — {f.url}" for i, f in enumerate(found, 1)]
    return Reply(
        f"Found {len(found)} feeds at {url}:\n" + "\n".join(lines) + "\n"
        f"Send /addsource 1 (or another number up to {len(found)}) to add one."
    )


@command("removesource", admin=True)
async def _removesource(self: Commands, msg: Incoming, args: str) -> Reply:
    """/removesource URL|N
    Remove a source this chat added (N: its number in /sources)."""
    own = await self._store.chat_sources(msg.chat)
    if not args:
        return Reply("Say which: /removesource 1, or /removesource followed by its address.")
    if args.isdigit():
        if not 1 <= int(args) <= len(own):
            if not own:
                return Reply("This chat has added no sources.")
            return Reply(f"Pick a number from 1 to {len(own)}; /sources lists them.")
        target = own[int(args) - 1]
    else:
        url = tidy_url(args)
        matches = [s for s in own if s.url == url or s.url.rstrip("/") == url.rstrip("/")]
        if not matches:
            return Reply(f"This chat has not added {url}. /sources lists its sources.")
        target = matches[0]
    await self._store.remove_chat_source(msg.chat, target.url)
    return Reply(f"Removed “{target.name}” ({target.url}).")


@command("sources")
async def _sources(self: Commands, msg: Incoming, args: str) -> Reply:
    """/sources
    List this chat's own sources and the ones I watch for everyone."""
    own = await self._store.chat_sources(msg.chat)
    shared = await self._store.operator_sources()
    parts: list[str] = []
    if own:
        lines = [f"{i}) {s.name} — {s.url}{_status(s)}" for i, s in enumerate(own, 1)]
        heading = f"Added in this chat ({len(own)} of {self.limits.max_sources}):"
        parts.append("\n".join([heading, *lines]))
    if shared:
        lines = [f"• {s.name} — {s.url} (every {_every(s.interval)}){_status(s)}" for s in shared]
        parts.append("\n".join(["Sources for everyone:", *lines]))
    if not parts:
        return Reply("No sources yet. Add one with /addsource URL")
    if not own and self._probe is not None:
        parts.append("Add your own with /addsource URL")
    return Reply("\n\n".join(parts))
