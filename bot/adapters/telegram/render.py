"""Alerts, replies and digests as Telegram HTML. Pure: no chat library, no I/O.

Everything from a feed is plain text and is escaped here, so a title such as
`Fake "<!channel>" alerts & <b>bold</b>` arrives exactly as written. A message is built as spans
of visible text with their markup, so the 4,096 limit (which Telegram counts in UTF-16 code units
of the text left after parsing the entities) is measured on what the reader sees, and a long
message is cut between or inside spans' text, never inside a tag or an entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.commands.core import Reply
from bot.domain import AlertMessage

MAX_LENGTH = 4096  # sendMessage text, after entities parsing (telegram.constants.MessageLimit)
ELLIPSIS = "…"
_SAFE_SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Span:
    """Visible text and the tags around it (outermost first); `href` for an "a" tag."""

    text: str
    tags: tuple[str, ...] = ()
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str  # for parse_mode=HTML
    plain: str  # the same message without markup: the fallback if Telegram rejects the HTML


def escape(text: str) -> str:
    """Escape text for Telegram HTML: only &, < and > (Telegram knows few named entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(spans: Sequence[Span], limit: int = MAX_LENGTH) -> list[Span]:
    """The spans cut to at most `limit` visible UTF-16 units, ending in "…" when cut."""
    if sum(utf16_length(s.text) for s in spans) <= limit:
        return list(spans)
    budget = limit - utf16_length(ELLIPSIS)
    out: list[Span] = []
    for span in spans:
        size = utf16_length(span.text)
        if size <= budget:
            out.append(span)
            budget -= size
            continue
        head = _utf16_prefix(span.text, budget)
        if head:
            out.append(Span(head, span.tags, span.href))
        break
    out.append(Span(ELLIPSIS))
    return out


def _utf16_prefix(text: str, budget: int) -> str:
    # Walk code points so a surrogate pair (an emoji, say) is never split in two.
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text


def to_html(spans: Iterable[Span]) -> str:
    parts: list[str] = []
    for span in spans:
        if not span.text:
            continue  # an empty entity is an error on Telegram's side
        opening = "".join(
            f'<a href="{escape_attribute(span.href or "")}">' if tag == "a" else f"<{tag}>"
            for tag in span.tags
        )
        closing = "".join(f"</{tag}>" for tag in reversed(span.tags))
        parts.append(f"{opening}{escape(span.text)}{closing}")
    return "".join(parts)


def to_plain(spans: Iterable[Span]) -> str:
    return "".join(span.text for span in spans)


def render(spans: Sequence[Span], *, flexible: int | None = None) -> Rendered:
    """Both forms of a message cut to the limit. `flexible` is the index of the span to shorten
    first (an alert's summary), so the parts around it survive a long text."""
    spans = list(spans)
    if flexible is not None:
        over = sum(utf16_length(s.text) for s in spans) - MAX_LENGTH
        if over > 0:
            shrunk = spans[flexible]
            room = max(0, utf16_length(shrunk.text) - over - utf16_length(ELLIPSIS))
            text = _utf16_prefix(shrunk.text, room).rstrip()
            spans[flexible] = Span(text + ELLIPSIS if text else "", shrunk.tags, shrunk.href)
    # Without markup a link is lost, so the plain form shows its address after the text.
    plain = [Span(s.text + (f" {s.href}" if s.href else "")) for s in spans]
    return Rendered(html=to_html(fit(spans)), plain=to_plain(fit(plain)))


def _title(title: str, url: str, tags: tuple[str, ...] = ("b",)) -> Span:
    if url.startswith(_SAFE_SCHEMES):
        return Span(title, (*tags, "a"), url)
    return Span(title, tags)


def _when(alert: AlertMessage) -> str:
    return alert.published.strftime("%Y-%m-%d %H:%M UTC")


def _emphasised(text: str, terms: Sequence[str]) -> list[Span]:
    """`text` with each matched term in bold (case-insensitive, whole words)."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words or not text:
        return [Span(text)]
    # Whole words only, as the matcher matched them: "war" is not bolded inside "toward".
    alternatives = "|".join(re.escape(w) for w in words)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    spans: list[Span] = []
    last = 0
    for found in pattern.finditer(text):
        if found.start() > last:
            spans.append(Span(text[last : found.start()]))
        spans.append(Span(found.group(), ("b",)))
        last = found.end()
    if last < len(text):
        spans.append(Span(text[last:]))
    return spans


def alert_spans(alert: AlertMessage) -> tuple[list[Span], int]:
    """The alert's spans, and the index of the one to shorten first (the summary)."""
    spans = [
        Span("🔔 "),
        _title(alert.title, alert.url),
        Span(f"\n{alert.source} · {_when(alert)}"),
    ]
    summary_at = len(spans)
    # The summary is one flexible span; bold terms only when it fits whole (the common case),
    # so cutting never has to reason about several small entities.
    summary = f"\n{alert.summary}" if alert.summary else ""
    spans.append(Span(summary))
    if alert.also:
        spans.append(Span(f"\nAlso: {', '.join(alert.also)}"))
    spans += [Span("\nTopic: "), Span(alert.topic, ("i",))]
    if alert.url and not alert.url.startswith(_SAFE_SCHEMES):
        spans.append(Span(f"\n{alert.url}"))
    return spans, summary_at


def render_alert(alert: AlertMessage) -> Rendered:
    spans, summary_at = alert_spans(alert)
    fitted = render(spans, flexible=summary_at)
    if utf16_length(to_plain(spans)) > MAX_LENGTH or not alert.terms:
        return fitted
    # Fits whole: show the matched words in bold inside the summary.
    bold = [*spans[:summary_at], *_emphasised(spans[summary_at].text, alert.terms)]
    bold += spans[summary_at + 1 :]
    return Rendered(html=to_html(bold), plain=fitted.plain)


def render_reply(reply: Reply) -> Rendered:
    spans = [Span(reply.text)]
    for story in reply.stories:
        spans += [
            Span("\n\n• "),
            _title(story.title, story.url),
            Span(f"\n{story.source} · {_when(story)}"),
        ]
    return render(spans)


def render_digest(heading: str, alerts: Sequence[AlertMessage]) -> Rendered:
    spans = [Span(f"🗞 {heading}", ("b",))]
    for alert in alerts:
        spans += [
            Span(f"\n\n• [{alert.topic}] "),
            _title(alert.title, alert.url, ()),
            Span(f"\n{alert.source} · {_when(alert)}"),
        ]
    return render(spans)


def render_text(text: str) -> Rendered:
    return render([Span(text)])
