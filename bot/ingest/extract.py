"""An article page → its main text, title, canonical URL and date; and the feeds a page advertises.

trafilatura does the extraction (measured against alternatives in `bench/extraction.py`; figures
in the README), with comments and tables left out: a story's text is its prose. Pages are decoded
by trafilatura itself (charset-normalizer when the page does not say). Whatever it lets through
that is page furniture on its own line (a survey banner, "This audio is created with AI
assistance", a photo credit) is dropped here too, so it reaches neither matching nor summaries.
These functions are CPU-bound: callers run them in a worker thread.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import trafilatura
from trafilatura.utils import load_html

from bot.alerts.summary import is_boilerplate
from bot.ingest.normalise import canonical_url

log = logging.getLogger(__name__)

# A line this short that matches a boilerplate pattern is furniture; a longer one is a paragraph
# that merely mentions, say, a photo agency, and stays.
_FURNITURE_MAX_CHARS = 200
# Less than this is a menu or an error page, not a story (a short news brief has ~40 words).
MIN_STORY_WORDS = 15
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    }
)
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)


@dataclass(frozen=True, slots=True)
class PageStory:
    """A single article page read as a story."""

    title: str
    url: str  # the page's canonical URL when it names one, else where it was fetched from
    published: datetime | None
    text: str  # the main text, one paragraph per line


_FEED_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml|<rss\b|<feed\b|<rdf:RDF\b|\{)", re.I)


def looks_like_html(content: bytes, content_type: str | None) -> bool:
    """An HTML page rather than a feed. Feeds served as text/html are common, so what the bytes
    start with wins over the header."""
    if _FEED_START.match(content[:1024]):
        return False
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml"):
        return True
    if mime and mime not in ("text/plain", "application/octet-stream"):
        return False
    return _HTML_START.match(content[:2048]) is not None


_TEASER_LABEL = re.compile(r"^\*\*[^*]{1,80}:\s*\*\*")  # **Internal memo:** a related story
_LIST_MARK = re.compile(r"^(?:[-+]|\d+\.)\s+")


_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.I)


def decoded(content: bytes, content_type: str | None) -> bytes | str:
    """The page as text when the HTTP header names a charset Python knows (it outranks the page's
    own guesswork); else the bytes, for trafilatura to decode (meta charset, then
    charset-normalizer)."""
    found = _CHARSET.search(content_type or "")
    if found is None:
        return content
    try:
        return content.decode(found.group(1))
    except (LookupError, UnicodeDecodeError):
        return content


def _clean(markdown: str) -> str:
    """trafilatura's Markdown → plain paragraphs. Markdown is asked for only to see the structure:
    headings (the headline repeated, a standfirst, section titles, "More:"), bold-labelled
    related-story teasers and italic promo lines are not the story's prose and go."""
    kept: list[str] = []
    for raw in markdown.splitlines():
        line = " ".join(raw.split())
        if not line or line.startswith(("#", "|", ">")) or _TEASER_LABEL.match(line):
            continue
        if line.startswith(("*", "_")) and not line.startswith(("* ", "**")):
            continue  # a whole line in italics: a promo or a caption
        line = _LIST_MARK.sub("", line).replace("**", "").replace("*", "")
        line = " ".join(line.split())
        if line and not (len(line) <= _FURNITURE_MAX_CHARS and is_boilerplate(line)):
            kept.append(line)
    return "\n".join(kept)


def main_text(html: bytes | str, url: str | None = None) -> str:
    """The page's main text, one paragraph per line; "" when there is none."""
    try:
        text = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_formatting=True,
            output_format="markdown",
            deduplicate=False,
        )
    except Exception:  # a hostile page must cost a fallback, never the poll
        log.warning("page %s: extraction failed", url, exc_info=True)
        return ""
    return _clean(text or "")


def page_story(html: bytes | str, url: str) -> PageStory | None:
    """Read a single article page; None when it has no main text."""
    text = main_text(html, url)
    if len(text.split()) < MIN_STORY_WORDS:
        return None
    try:
        tree = load_html(html)
        meta = trafilatura.extract_metadata(tree, default_url=url) if tree is not None else None
    except Exception:
        log.warning("page %s: reading its metadata failed", url, exc_info=True)
        meta = None
    canonical = canonical_url(str(getattr(meta, "url", None) or url))
    if not canonical.startswith(("http://", "https://")):
        canonical = canonical_url(url)
    return PageStory(
        title=" ".join(str(getattr(meta, "title", None) or "").split()),
        url=canonical,
        published=_date(_head(html).published) or _date(getattr(meta, "date", None)),
        text=text,
    )


def _date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_PUBLISHED_META = frozenset(
    {"article:published_time", "og:published_time", "datepublished", "pubdate", "date"}
)


class _HeadLinks(HTMLParser):
    """Feed links, and the publication time from <meta> (htmldate keeps only the day)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.published: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and self.published is None:
            name = values.get("property") or values.get("name") or values.get("itemprop") or ""
            if name.lower() in _PUBLISHED_META and values.get("content"):
                self.published = values["content"].strip()
            return
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        mime = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and mime in FEED_TYPES and values.get("href", "").strip():
            self.found.append(values["href"].strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _head(html: bytes | str) -> _HeadLinks:
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    parser = _HeadLinks()
    try:
        parser.feed(text[:512_000])  # the <head> is near the top; never parse a huge body for it
        parser.close()
    except Exception:
        log.debug("page head could not be read", exc_info=True)
    return parser


def feed_links(html: bytes | str, base_url: str) -> list[str]:
    """The feeds a page advertises with <link rel="alternate" type="…rss/atom/json…">, as absolute
    http(s) URLs, in page order, without repeats."""
    parser = _head(html)
    links: list[str] = []
    for href in parser.found:
        absolute = urljoin(base_url, href)
        if absolute.startswith(("http://", "https://")) and absolute not in links:
            links.append(absolute)
    return links
