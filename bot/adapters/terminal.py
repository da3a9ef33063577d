"""A chat in the terminal: one local chat, lines in, replies and alerts out as plain text.

Used when no platform token is configured, and by tests, which feed it lines and read its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence

from bot.adapters.base import ChatPort
from bot.commands.core import Incoming, Reply
from bot.domain import AlertMessage, ChatAddress

log = logging.getLogger(__name__)

LOCAL_CHAT = ChatAddress("terminal", "local")


def render_alert(alert: AlertMessage) -> str:
    when = alert.published.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"🔔 [{alert.topic}] {alert.title}", f"   {alert.source} · {when}"]
    if alert.summary:  # one line a paragraph, each indented
        lines += [f"   {line}" for line in alert.summary.splitlines()]
    if alert.also:
        lines.append(f"   Also: {', '.join(alert.also)}")
    lines.append(f"   {alert.url}")
    return "\n".join(lines)


def render_reply(reply: Reply) -> str:
    parts = [reply.text]
    for story in reply.stories:
        when = story.published.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"• {story.title}\n  {story.source} · {when}\n  {story.url}")
    return "\n".join(parts)


class TerminalChat:
    platform = "terminal"

    def __init__(self, lines: AsyncIterator[str], write: Callable[[str], None]) -> None:
        self._lines = lines
        self._write = write
        self._task: asyncio.Task[None] | None = None
        self._sent = 0
        self.closed = asyncio.Event()  # set when input ends: the app stops then

    async def start(self, port: ChatPort) -> None:
        self._task = asyncio.create_task(self._read(port), name="terminal-chat")

    async def _read(self, port: ChatPort) -> None:
        try:
            async for line in self._lines:
                if not line.strip():
                    continue
                try:
                    reply = await port.handle(Incoming(LOCAL_CHAT, line, user="local"))
                except Exception:
                    log.exception("chat %s: command failed: %r", LOCAL_CHAT, line)
                    reply = Reply("Sorry, something went wrong with that command.")
                if reply.text or reply.stories:  # an empty reply means: say nothing
                    self._write(render_reply(reply))
        finally:
            self.closed.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def rate_class(self, chat: ChatAddress) -> str:
        return "private"

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        self._write(render_alert(alert))
        self._sent += 1
        return str(self._sent)

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        # A terminal cannot rewrite what it printed; print the new version, marked as an update.
        self._write(f"✏️ (update to alert {message_ref})\n" + render_alert(alert))

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        items = [f"• [{a.topic}] {a.title}\n  {a.source} · {a.url}" for a in alerts]
        self._write("\n".join([f"🗞 {heading}", *items]))
        self._sent += 1
        return str(self._sent)

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        self._write(text)
        self._sent += 1
        return str(self._sent)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed on stdin, read in a daemon thread so Ctrl-C is never stuck in a blocking read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


def print_line(text: str) -> None:
    print(text, flush=True)
