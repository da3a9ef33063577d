"""Block Kit for alerts, digests and replies. Pure: text in, Slack JSON out.

Everything from a feed is escaped (`&`, `<`, `>` only, as Slack's formatting rules ask), so a title
like `<!channel>` or `<@U123>` renders as text and pings no one. Each section stays under Slack's
3,000 characters and each message under 50 blocks; the plain `text` fallback (what notifications
show) is escaped the same way, because Slack parses it as mrkdwn too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from bot.commands.core import Reply
from bot.domain import AlertMessage

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
TEXT_LIMIT = 4000  # Slack's recommended `text` size (it cuts at 40,000)
TITLE_LIMIT = 300
ACTION_UNSUBSCRIBE = "newsbot_unsubscribe"
ACTION_MUTE = "newsbot_mute"

Block = dict[str, Any]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_url(url: str) -> str | None:
    """A URL safe inside `<url|label>`, or None when it is not an http(s) link."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    # Percent-encode what would end the link or the label early; keep everything else as given.
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _bold_terms(text: str, terms: Sequence[str]) -> str:
    """Escape `text`, with whole-word occurrences of `terms` in bold."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
    )
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"*{escape(m.group(0))}*")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def linked_title(alert: AlertMessage, *, bold: bool = True) -> str:
    # A `|` in the label would start a second label; `>` is escaped anyway.
    label = _bold_terms(_cut(alert.title, TITLE_LIMIT), alert.terms if bold else ())
    label = label.replace("|", "¦")
    url = _link_url(alert.url)
    return f"<{url}|{label}>" if url else label


def _when(alert: AlertMessage) -> str:
    return alert.published.strftime("%Y-%m-%d %H:%M UTC")


def context_line(alert: AlertMessage) -> str:
    line = f"{escape(alert.source)} · {_when(alert)} · topic: {escape(alert.topic)}"
    if alert.also:
        line += " · also: " + escape(", ".join(alert.also))
    return _cut(line, SECTION_LIMIT)


def _section_text(alert: AlertMessage) -> str:
    head = f"*{linked_title(alert)}*"
    summary = alert.summary
    while True:
        body = _bold_terms(summary, alert.terms)
        text = f"{head}\n{body}" if body else head
        if len(text) <= SECTION_LIMIT:
            return text
        # Escaping can grow the text up to five times; shrink the plain summary until it fits.
        summary = _cut(summary, int(len(summary) * 0.8))


def fallback_text(alert: AlertMessage) -> str:
    return fit(f"[{alert.topic}] {alert.title} — {alert.source}", TEXT_LIMIT)


def alert_blocks(alert: AlertMessage) -> list[Block]:
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _section_text(alert)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context_line(alert)}]},
    ]
    if alert.subscription_id is not None:
        value = str(alert.subscription_id)
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button("Unsubscribe", ACTION_UNSUBSCRIBE, value),
                    _button("Mute 1 h", ACTION_MUTE, value),
                ],
            }
        )
    return blocks


def _button(label: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }


def digest_blocks(heading: str, alerts: Sequence[AlertMessage]) -> tuple[str, list[Block]]:
    """One section per item (title, source, time, topic); past 48 items, a count of the rest."""
    blocks: list[Block] = [_section(f"*{fit(heading, 1000)}*")]
    room = MAX_BLOCKS - 2  # the heading, and the "and N more" line if needed
    shown = alerts[:room] if len(alerts) > room + 1 else alerts
    for alert in shown:
        blocks.append(_section(_cut(f"{linked_title(alert)}\n{context_line(alert)}", 2900)))
    if len(shown) < len(alerts):
        more = f"…and {len(alerts) - len(shown)} more."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    text = fit(f"{heading} ({len(alerts)} stories)", TEXT_LIMIT)
    return text, blocks


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def fit(text: str, limit: int) -> str:
    """`text` escaped, shortened first if the escaped form would pass `limit` characters."""
    while len(out := escape(text)) > limit:
        text = _cut(text, min(limit, int(len(text) * 0.8)))
    return out


def reply_message(reply: Reply) -> tuple[str, list[Block]]:
    """A command's answer: its text, then one section per story it lists."""
    text = fit(reply.text, TEXT_LIMIT)
    blocks: list[Block] = [_section(fit(reply.text, SECTION_LIMIT))]
    for story in reply.stories[: MAX_BLOCKS - 1]:
        blocks.append(_section(_cut(f"{linked_title(story)}\n{context_line(story)}", 2900)))
    return text, blocks


def notice_text(text: str) -> str:
    return fit(text, TEXT_LIMIT)
