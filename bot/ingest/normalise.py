"""A parsed `FeedEntry` → an `Article`: plain text, canonical URL, UTC time, a stable key."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from bot.domain import Article, FeedEntry

__all__ = ["TRACKING_PARAMS", "canonical_url", "html_to_text", "to_article"]

# Query parameters that only say who sent the reader; any name starting with "utm_" too.
# Matched case-insensitively. Anything else may select content, so it stays, in its order.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp",
        "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
        "_openstat", "wickedid", "ncid", "cmpid", "at_medium", "at_campaign",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TITLE_FALLBACK_CHARS = 100


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the default port, fragment and tracking parameters.

    Never raises: a string that is not an http(s) URL comes back stripped but otherwise as given,
    so the same input always gives the same output.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return text
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, _netloc(parts, scheme), parts.path or "/", query, ""))


def _netloc(parts: SplitResult, scheme: str) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal; hostname drops the brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep what was written
        return parts.netloc.lower()
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return netloc if port in (None, _DEFAULT_PORTS[scheme]) else f"{netloc}:{port}"


def _is_tracking(pair: str) -> bool:
    name = unquote(pair.partition("=")[0]).lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


_DROP_CONTENT = frozenset({"script", "style", "template", "noscript"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr",
        "ul",
    }
)  # fmt: skip
_LOOKS_LIKE_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_LEFTOVER_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self._dropping.append(tag)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT and tag in self._dropping:
            while self._dropping.pop() != tag:
                pass
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def _strip_tags(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return "".join(extractor.parts)


def html_to_text(markup: str, *, paragraphs: bool = False) -> str:
    """Visible text of an HTML fragment: no tags, entities decoded, spaces collapsed; on one line,
    or with `paragraphs` one line per block (paragraph, list item, heading, line break), so that
    a paragraph that ends without a full stop does not run into the next one's first sentence.

    Feeds often escape their HTML twice (`&lt;p&gt;`, `&amp;amp;`), so text that still looks like
    markup after one pass gets exactly one more; never more, so hostile input cannot loop.
    """
    text = _strip_tags(markup)
    if _LOOKS_LIKE_TAG.search(text):
        text = _strip_tags(text)
    elif _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    if not paragraphs:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def to_article(
    entry: FeedEntry, *, source_url: str, source_name: str, fetched_at: datetime
) -> Article | None:
    """Normalise one entry; None when it has nothing to show (no title, summary or link)."""
    title = html_to_text(entry.title)
    summary = html_to_text(entry.summary_html, paragraphs=True)
    url = _article_url(entry)
    if not (title or summary or url):
        return None
    published = entry.published or fetched_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    published = published.astimezone(UTC)
    guid = entry.guid.strip() if entry.guid and entry.guid.strip() else None
    if url:
        identity = url
    elif guid:
        identity = f"{source_url}\n{guid}"
    else:
        # Only the feed's own date may be part of the identity: fetched_at changes every poll,
        # and would make an undated, link-less item "new" (and alert) every time.
        dated = entry.published.isoformat() if entry.published else summary
        identity = f"{source_url}\n{title}\n{dated}"
    return Article(
        key=hashlib.sha1(identity.encode("utf-8")).hexdigest(),
        source_url=source_url,
        source_name=source_name,
        guid=guid,
        url=url,
        title=title or _shorten(" ".join(summary.split())) or url,
        summary=summary,
        published=published,
    )


def _article_url(entry: FeedEntry) -> str:
    """The canonical http(s) link, else "" (never javascript:). A guid is never taken here: the
    parser has made a permalink guid the link already, and any other guid "may not be assumed
    to be a URL" (RSS 2.0), however much it looks like one."""
    if not entry.link:
        return ""
    url = canonical_url(entry.link)
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in _DEFAULT_PORTS and parts.hostname else ""


def _shorten(text: str) -> str:
    if len(text) <= _TITLE_FALLBACK_CHARS:
        return text
    cut = text[:_TITLE_FALLBACK_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"
