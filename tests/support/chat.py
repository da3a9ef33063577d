"""Drive the terminal chat in-process: type lines, read what it printed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from bot.adapters.terminal import TerminalChat


class TypedChat:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.output: list[str] = []
        self.adapter = TerminalChat(self._lines(), self.output.append)

    async def _lines(self) -> AsyncIterator[str]:
        while (line := await self._queue.get()) is not None:
            yield line

    async def say(self, line: str, *, within: float = 5.0) -> str:
        """Type a line and return the reply printed for it."""
        before = len(self.output)
        await self._queue.put(line)
        await self.wait_for(lambda: len(self.output) > before, within=within)
        return self.output[before]

    def end_input(self) -> None:
        self._queue.put_nowait(None)

    def alerts(self) -> list[str]:
        return [o for o in self.output if o.startswith("🔔")]

    async def wait_for_alerts(self, count: int, *, within: float = 5.0) -> list[str]:
        await self.wait_for(lambda: len(self.alerts()) >= count, within=within)
        return self.alerts()

    @staticmethod
    async def wait_for(condition: Callable[[], bool], *, within: float) -> None:
        async with asyncio.timeout(within):
            # Output comes from the bot's own tasks; polling keeps the test free of hooks into it.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
