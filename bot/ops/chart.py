"""Charts for the status page, drawn here as SVG: no script, no CDN, nothing for a browser to
fetch. Pure functions of the figures; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain import HourCount

WIDTH = 960
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 36
# (field of HourCount, legend, colour): stacked bottom to top.
SERIES = (
    ("sent", "sent", "#2e7d32"),
    ("pending", "waiting", "#f9a825"),
    ("failed", "failed or dropped", "#c62828"),
)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… that is at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude: int = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def hourly_chart(hours: Sequence[HourCount]) -> str:
    """A stacked bar per hour (oldest left), with the hour every 6 bars and a legend."""
    # Four grid steps of 1, 2, 5, 10, 20… alerts: the scale reads in whole numbers.
    most = max((h.total for h in hours), default=0)
    top = 4 * nice_ceiling(-(-most // 4))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(hours), 1)
    bar_w = max(slot * 0.8, 1.0)
    parts = [
        f'<svg class="chart" id="hourly" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="Alerts per hour over the last {len(hours)} hours">'
    ]
    for i in range(5):  # horizontal grid and its scale
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{value:g}</text>"
        )
    for index, hour in enumerate(hours):
        x = LEFT + index * slot + (slot - bar_w) / 2
        base = float(TOP + plot_h)
        label = (
            f"{hour.hour:%Y-%m-%d %H:00} UTC: {hour.sent} sent, {hour.pending} waiting, "
            f"{hour.failed} failed or dropped"
        )
        parts.append(f'<g class="bar" data-hour="{hour.hour:%Y-%m-%dT%H:00Z}">')
        parts.append(f"<title>{escape(label)}</title>")
        for field, _, colour in SERIES:
            count = int(getattr(hour, field))
            if not count:
                continue
            h = plot_h * count / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}" data-series="{field}" data-count="{count}"/>'
            )
        parts.append("</g>")
        if index % 6 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'class="axis">{hour.hour:%H:00}</text>'
            )
    legend_x = LEFT
    for _, name, colour in SERIES:
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 12}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 3}" class="axis">{escape(name)}</text>'
        )
        legend_x += 24 + 8 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def topic_chart(topics: Sequence[tuple[str, int]]) -> str:
    """A horizontal bar per topic, most alerts first."""
    row = 24
    label_w = 260
    height = TOP + row * max(len(topics), 1) + 8
    top = max((n for _, n in topics), default=0) or 1
    bar_room = WIDTH - LEFT - label_w - 80
    parts = [
        f'<svg class="chart" id="topics" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="Alerts per topic">'
    ]
    if not topics:
        parts.append(f'<text x="{LEFT}" y="{TOP + 14}" class="axis">No alerts yet.</text>')
    for index, (topic, count) in enumerate(topics):
        y = TOP + index * row
        shown = topic if len(topic) <= 40 else topic[:39] + "…"
        w = max(bar_room * count / top, 1.0)
        parts.append(
            f'<g class="bar" data-topic="{escape(topic)}" data-count="{count}">'
            f"<title>{escape(topic)}: {count}</title>"
            f'<text x="{LEFT + label_w - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(shown)}</text>"
            f'<rect x="{LEFT + label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="#1565c0"/>'
            f'<text x="{LEFT + label_w + w + 6:.1f}" y="{y + 15}" class="axis">{count}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)
