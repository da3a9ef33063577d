"""How long does rendering an alert as Telegram HTML take?

    python -m benchmarks.telegram_render      (from the repository root)

Prints microseconds per `render_alert` (best of 5 runs) for a typical alert (a 300-character
summary with two matched words) and a worst case (a 10,000-character emoji/CJK summary with
markup characters, cut to Telegram's 4,096 UTF-16 units), plus the machine it ran on.
"""

from __future__ import annotations

import os
import platform
import timeit
from datetime import UTC, datetime

from bot.adapters.telegram.render import render_alert
from bot.domain import AlertMessage

TYPICAL = AlertMessage(
    title="Russia attacks 13 communities in Sumy Oblast, injuring 1.",
    url="https://kyivindependent.com/news-feed/russia-attacks-13-communities-in-sumy-oblast/",
    source="Kyiv Independent",
    published=datetime(2024, 4, 17, 9, 10, tzinfo=UTC),
    summary=("Russian forces struck 13 communities in Ukraine's northeastern Sumy Oblast " * 4)[
        :300
    ],
    topic="Sumy Oblast",
    terms=("Sumy", "Oblast"),
    subscription_id=42,
)
WORST = AlertMessage(
    title='Fake "<!channel>" alerts & <b>bold</b>',
    url="https://example.org/story?a=1&b=2",
    source="Example",
    published=datetime(2024, 4, 17, 9, 10, tzinfo=UTC),
    summary=("新闻 & <速報> 😀🇺🇦 " * 1000)[:10_000],
    topic="peacekeepers",
    terms=("peacekeepers",),
    subscription_id=42,
)


def per_call_us(alert: AlertMessage, number: int) -> float:
    best = min(timeit.repeat(lambda: render_alert(alert), number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"typical alert:       {per_call_us(TYPICAL, 2000):8.1f} µs per render")
    print(f"10k emoji/CJK alert: {per_call_us(WORST, 50):8.1f} µs per render")


if __name__ == "__main__":
    main()
