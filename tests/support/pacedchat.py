"""A fake clock, and a fake Telegram that records each message with its fake time and answers
429 the moment a Telegram limit would be broken (1/s per private chat, 20/min per group, 30/s in
total), so a test sees a broken limit instead of passing it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.domain import AlertMessage, ChatAddress
from bot.errors import RateLimited

T0 = datetime(2024, 4, 17, 12, 0, tzinfo=UTC)


class Clock:
    """Fake time; `sleep` moves it forward instead of waiting."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


class FakeTelegram:
    """Records every message with the fake time it arrived; answers 429 like the real one would
    if a limit were broken (so a test sees it rather than passes it)."""

    platform = "telegram"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.log: list[tuple[datetime, ChatAddress, tuple[str, ...]]] = []
        self.too_fast: dict[ChatAddress, list[float]] = {}
        self.refused = 0  # 429s the fake answered because a limit would have been broken

    def rate_class(self, chat: ChatAddress) -> str:
        return "group" if chat.chat.startswith("-") else "private"

    async def start(self, port: object) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        return self._record(chat, (alert.title,))

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        return self._record(chat, tuple(a.title for a in alerts))

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        raise AssertionError("not used")

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        raise AssertionError("not used")

    def _record(self, chat: ChatAddress, titles: tuple[str, ...]) -> str:
        retry = self.too_fast.get(chat)
        if retry:
            raise RateLimited(retry.pop(0))
        self.log.append((self.clock(), chat, titles))
        try:
            check_limits(self, newest_only=True)
        except AssertionError:
            self.refused += 1
            self.log.pop()
            raise RateLimited(1.0) from None
        return str(len(self.log))

    def delivered(self) -> list[tuple[ChatAddress, str]]:
        return [(chat, t) for _, chat, titles in self.log for t in titles]


def most_in_window(times: list[datetime], seconds: float) -> int:
    """The largest number of sends inside any window [t, t + seconds)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= timedelta(seconds=seconds):
            start += 1
        best = max(best, end - start + 1)
    return best


def check_limits(chat: FakeTelegram, *, newest_only: bool = False) -> None:
    """Every limit holds over the whole log (or, as the fake checks each message, for it)."""
    everything = [t for t, _, _ in chat.log]
    assert most_in_window(everything[-31:] if newest_only else everything, 1.0) <= 30
    for target in {c for _, c, _ in (chat.log[-1:] if newest_only else chat.log)}:
        times = [t for t, c, _ in chat.log if c == target]
        if chat.rate_class(target) == "group":
            assert most_in_window(times, 60.0) <= 20, target
        else:
            assert most_in_window(times, 1.0) <= 1, target
