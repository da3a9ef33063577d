"""Short plain-text summaries for a chat message."""

from __future__ import annotations

import re

SUMMARY_LIMIT = 300
ELLIPSIS = "…"

# A sentence ends at . ! ? or … (optionally followed by a closing quote or bracket) before a space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+")


def sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    if not text:
        return []
    parts: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        parts.append(text[start : m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def summarise(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """At most `limit` characters of whole sentences; a first sentence that is longer on its own is
    cut at a word boundary and ends with "…". `text` must already be plain text."""
    picked: list[str] = []
    length = 0
    for sentence in sentences(text):
        extra = len(sentence) + (1 if picked else 0)
        if length + extra > limit:
            break
        picked.append(sentence)
        length += extra
    if picked:
        return " ".join(picked)
    return _cut(" ".join(text.split()), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    cut = text[:budget]
    space = cut.rfind(" ")
    if space > budget // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS
