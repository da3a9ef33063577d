"""The status page: sources and their health, the queue, how alerts flowed over the last 48 hours
and per topic, and the build. One HTML document with its charts inline (`bot.ops.chart`); no
script, nothing fetched from elsewhere.

It shows no chat ids, tokens or user names: chats appear only as counts per platform, and source
addresses lose their user name, password and query string (a private feed's key is often there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from bot.domain import HourCount, OpsFigures, SourceInfo
from bot.logs import Redactor
from bot.ops.chart import hourly_chart, topic_chart

_REDACT = Redactor()

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1b1b;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555}.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}.bad b{color:#c62828}.warn b{color:#ef6c00}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}tr.parked td{background:#fdecea}tr.failing td{background:#fff4e5}
td.url{word-break:break-all;color:#444;font-size:12px}
.chart{max-width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:6px}
.chart .grid{stroke:#e6e6e6}.chart .axis{font-size:11px;fill:#555}.chart .label{font-size:12px}
nav a{margin-right:12px}
"""


@dataclass(frozen=True, slots=True)
class PageData:
    version: str
    figures: OpsFigures
    hours: Sequence[HourCount]
    topics: Sequence[tuple[str, int]]
    sources: Sequence[SourceInfo]
    sources_total: int
    page: int  # 1-based
    per_page: int
    link_query: str = ""  # carried on the page's own links (the ?token= it was opened with)

    @property
    def pages(self) -> int:
        return max((self.sources_total + self.per_page - 1) // self.per_page, 1)


def shown_url(url: str) -> str:
    """A source's address without user name, password or query string."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return url
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")


def ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    future = seconds < 0
    span = _span(abs(seconds))
    return f"in {span}" if future else f"{span} ago"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def _answer(source: SourceInfo) -> str:
    if source.parked:
        return f"parked: {source.parked}"
    if source.last_error:
        return source.last_error
    return "ok" if source.last_polled else "not polled yet"


def _card(label: str, value: object, tone: str = "") -> str:
    return f'<div class="card {tone}"><b>{escape(str(value))}</b>{escape(label)}</div>'


def _summary(data: PageData) -> str:
    f = data.figures
    oldest = f.oldest
    waiting = ago(f.at, oldest).removesuffix(" ago") if oldest else "—"
    cards = [
        _card("sources ok", f.sources_ok),
        _card("sources failing", f.sources_failing, "warn" if f.sources_failing else ""),
        _card("sources parked", f.sources_parked, "bad" if f.sources_parked else ""),
        _card("alerts waiting", f.queued),
        _card("oldest waiting for", waiting),
        _card("topics followed", f.subscriptions),
        _card("chats", sum(p.chats for p in f.platforms)),
    ]
    return f'<div class="cards" id="summary">{"".join(cards)}</div>'


def _queue(figures: OpsFigures) -> str:
    if not figures.platforms:
        return '<p id="queue">No chats yet.</p>'
    rows = "".join(
        f"<tr><td>{escape(p.platform)}</td><td>{p.chats}</td><td>{p.queued}</td>"
        f"<td>{escape(ago(figures.at, p.oldest).removesuffix(' ago') if p.oldest else '—')}</td>"
        f"<td>{p.held}</td></tr>"
        for p in figures.platforms
    )
    return (
        '<table id="queue"><thead><tr><th>platform</th><th>chats</th><th>alerts waiting</th>'
        "<th>oldest waiting for</th><th>chats held (429)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _sources(data: PageData) -> str:
    now = data.figures.at
    rows = []
    for s in data.sources:
        state = "parked" if s.parked else ("failing" if s.failures or s.last_error else "ok")
        rows.append(
            f'<tr class="{state}"><td>{escape(s.name)}</td>'
            f'<td class="url">{escape(shown_url(s.url))}</td>'
            f"<td>{'config' if s.configured else 'chat'}</td>"
            f"<td>{escape(ago(now, s.last_polled))}</td>"
            f"<td>{escape(_REDACT(_answer(s)))}</td>"
            f"<td>{escape('—' if s.parked else ago(now, s.next_poll))}</td>"
            f"<td>{s.failures}</td></tr>"
        )
    first = (data.page - 1) * data.per_page + 1 if data.sources else 0
    last = first + len(data.sources) - 1 if data.sources else 0
    return (
        f'<p class="meta">Sources {first}–{last} of {data.sources_total}, parked and failing '
        "first.</p>"
        '<table id="sources"><thead><tr><th>source</th><th>address</th><th>from</th>'
        "<th>last poll</th><th>answer</th><th>next poll</th><th>failures in a row</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>{_pager(data)}"
    )


def _pager(data: PageData) -> str:
    if data.pages <= 1:
        return ""
    extra = f"&{data.link_query}" if data.link_query else ""
    links = []
    if data.page > 1:
        links.append(f'<a href="?page={data.page - 1}{escape(extra)}" rel="prev">← previous</a>')
    links.append(f"page {data.page} of {data.pages}")
    if data.page < data.pages:
        links.append(f'<a href="?page={data.page + 1}{escape(extra)}" rel="next">next →</a>')
    return f"<nav>{' '.join(links)}</nav>"


def render_page(data: PageData) -> str:
    f = data.figures
    hours = len(data.hours)
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>newsbot status</title><style>{STYLE}</style></head><body>"
        f"<h1>newsbot status</h1>"
        f'<p class="meta">version <span id="version">{escape(data.version)}</span> · '
        f"{f.at:%Y-%m-%d %H:%M:%S} UTC</p>"
        f"{_summary(data)}"
        f"<h2>Alerts per hour, last {hours} hours (UTC)</h2>{hourly_chart(data.hours)}"
        f"<h2>Alerts per topic, last {hours} hours</h2>{topic_chart(data.topics)}"
        f"<h2>Queue</h2>{_queue(f)}"
        f"<h2>Sources</h2>{_sources(data)}"
        "</body></html>"
    )
