"""Short plain-text summaries for a chat message, about the topic that matched.

`summarise_about` is what alerts use: when the matched words are in the title, the summary is the
story's lead; when they appear only deeper in the text, it leads with the first sentence that has
them. Either way: whole sentences, paragraph breaks kept, at most 300 characters (a sentence longer
than that alone is cut on a word, with "…"), and never a sentence of page furniture
(survey and membership banners, "This audio is created with AI assistance", photo credits, "Read
more" teasers) even if the extractor let one through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.match.text import words

SUMMARY_LIMIT = 300
ELLIPSIS = "…"

# A sentence ends at . ! ? or … (optionally followed by a closing quote or bracket) before a space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+")


Piece = tuple[int, str]  # (paragraph number, sentence)


def _pieces(text: str) -> list[Piece]:
    """The sentences of `text` with the number of the line (paragraph) each is in; a line break
    always ends one (a heading or a banner line has no full stop, and must not glue itself to the
    paragraph after it)."""
    pieces: list[Piece] = []
    for number, line in enumerate(text.splitlines()):
        line = " ".join(line.split())
        start = 0
        for m in _SENTENCE_END.finditer(line):
            pieces.append((number, line[start : m.end()].strip()))
            start = m.end()
        pieces.append((number, line[start:].strip()))
    return [p for p in pieces if p[1]]


def sentences(text: str) -> list[str]:
    """The sentences of `text` (see `_pieces`)."""
    return [sentence for _, sentence in _pieces(text)]


def _join(picked: list[Piece]) -> str:
    """Sentences of one paragraph joined by a space, paragraphs by a line break."""
    out: list[str] = []
    for i, (number, sentence) in enumerate(picked):
        if i:
            out.append(" " if number == picked[i - 1][0] else "\n")
        out.append(sentence)
    return "".join(out)


# Sentences that are page furniture, not news. Matched case-insensitively anywhere in a sentence.
_BOILERPLATE = re.compile(
    r"take a survey|help us serve you better|created with ai assistance|listen to this article"
    r"|sign up (?:for|to)|subscribe (?:now|to (?:our|the))|become a (?:member|subscriber)"
    r"|support (?:our|independent) journalism|read more\b|click here|follow us on"
    r"|all rights reserved|getty images|/afp\b|/reuters\b|\(photo\b|\bphoto:|\bimage:"
    r"|edit post|we use cookies|advertisement|\b\d+ min read\b|share this (?:article|story)"
    r"|^source: |^(?:additional )?reporting by\b|contributed reporting|^editing by\b|^more:$",
    re.IGNORECASE,
)


def is_boilerplate(sentence: str) -> bool:
    return _BOILERPLATE.search(sentence) is not None


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(
        list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1)
    )


def _pick(title: str, text: str, terms: Sequence[str], limit: int) -> list[Piece]:
    kept = [p for p in _pieces(text) if not is_boilerplate(p[1])]
    wanted = [w for w in (words(t) for t in terms) if w]
    title_words = words(title)
    if wanted and not any(_contains(title_words, w) for w in wanted):
        for i, (_, sentence) in enumerate(kept):
            sentence_words = words(sentence)
            if any(_contains(sentence_words, w) for w in wanted):
                kept = kept[i:]
                break
    return _fit(kept, limit)


def _fit(pieces: list[Piece], limit: int) -> list[Piece]:
    """The leading sentences that fit in `limit` characters, each break counted as one."""
    picked: list[Piece] = []
    length = 0
    for piece in pieces:
        extra = len(piece[1]) + (1 if picked else 0)
        if length + extra > limit:
            break
        picked.append(piece)
        length += extra
    return picked


def summary_sentences(
    title: str, text: str, terms: Sequence[str] = (), limit: int = SUMMARY_LIMIT
) -> list[str]:
    """The whole sentences of the summary (see `summarise_about`); empty when no sentence fits."""
    return [sentence for _, sentence in _pick(title, text, terms, limit)]


def summarise_about(
    title: str, text: str, terms: Sequence[str] = (), limit: int = SUMMARY_LIMIT
) -> str:
    """The summary of a story for a topic whose matched words (as the story wrote them) are
    `terms`. `text` is the story's plain text, one line a paragraph: the page's main text, or
    the feed's summary. Paragraph breaks are kept (as line breaks)."""
    picked = _pick(title, text, terms, limit)
    if picked:
        return _join(picked)
    kept = [s for s in sentences(text) if not is_boilerplate(s)]
    return summarise("\n".join(kept), limit)  # one long first sentence: cut on a word


def summarise(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """At most `limit` characters of whole sentences, paragraph breaks kept; a first sentence
    that is longer on its own is cut at a word boundary and ends with "…". `text` must already
    be plain text, one line a paragraph."""
    picked = _fit(_pieces(text), limit)
    if picked:
        return _join(picked)
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
