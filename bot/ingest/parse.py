"""Bytes of a feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) → `ParsedFeed`, or `FeedParseError`.

Which parser, by measurement (`python bench/parse_speed.py`; 808 fixture files):

                                        feedparser 6.0.14   fastfeedparser 0.6.5   this module
    guardian.rss, ms per parse                 ~55                 ~1.0               ~1.8
    feed-rs/rss-parser gold (23 files)         18                  22                 22
    files read / raising (808)                808 / 0          752 / 56 ValueError   807 / 1 ours
    same titles+links as feedparser           (808)               680                759

Misses: feedparser reads no JSON Feed and drops a date; all three read nbcny's
"Sat, Dec 16 2023 02:02:33 PM" as 02:02 where feed-rs gives no date. The one file we reject
is an empty document (a comment only).

So: fastfeedparser, fed UTF-8 that *we* decoded (BOM > HTTP charset > XML declaration > UTF-8 >
windows-1252 > latin-1, because fastfeedparser trusts a missing declaration to mean UTF-8 and
mangles windows-1252 feeds), and feedparser when fastfeedparser gives up or when the document
uses xml:base, which fastfeedparser does not apply to links. JSON Feed is read here with the
stdlib: feedparser 6 reads none, and it is a dozen fields we want to pick ourselves (integer ids,
content_html over content_text over summary, RFC 822 dates some publishers put there).

Safety: neither parser ever sees a str or URL (both would fetch it); feedparser gets BytesIO.
fastfeedparser parses with lxml `resolve_entities=False`, and feedparser turns off external
entities, so XXE reads no file; expat >= 2.4 and libxml2 cap entity amplification.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import fastfeedparser
import feedparser

from bot.domain import FeedEntry, ParsedFeed
from bot.errors import FeedParseError

__all__ = ["decode_feed_bytes", "parse_date", "parse_feed"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SNIFF = {
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00<\x00?": "utf-16-be",
    b"<\x00?\x00": "utf-16-le",
}
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL_TEXT = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])""")
_FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
_FEED_MARKERS = re.compile(r"<(?:[\w-]+:)?(?:rss|feed|RDF|channel)[\s>/]", re.IGNORECASE)


def parse_feed(data: bytes, *, source: str, content_type: str | None = None) -> ParsedFeed:
    """Read a feed; raise `FeedParseError(source, reason)` for anything that is not one."""
    try:
        return _parse(data, source, content_type)
    except FeedParseError:
        raise
    except Exception as exc:  # a library bug must not escape as anything but "unreadable feed"
        raise FeedParseError(source, f"unreadable feed ({type(exc).__name__}: {exc})") from exc


def _parse(data: bytes, source: str, content_type: str | None) -> ParsedFeed:
    if not data.strip():
        raise FeedParseError(source, "empty document")
    text = decode_feed_bytes(data, content_type)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return _parse_json_feed(text, source)
    if head != "<":
        raise FeedParseError(source, "not a feed: does not start with '<' or '{'")
    if not _FEED_MARKERS.search(text[:65536]):
        raise FeedParseError(source, "not a feed: no <rss>, <feed> or <rdf:RDF> element")
    if "xml:base" not in text:
        try:
            return _from_fastfeedparser(text, source)
        except ValueError:
            pass  # fastfeedparser's verdict on broken XML; feedparser is more forgiving
    return _from_feedparser(data, source, content_type)


def decode_feed_bytes(data: bytes, content_type: str | None = None) -> str:
    """Decode by BOM, then the HTTP charset, then the XML declaration, then guesses.

    The HTTP charset wins over the declaration (RFC 7303); a label that does not decode the bytes
    is skipped rather than trusted, so a wrong header or declaration costs nothing.
    """
    for bom, charset in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(charset, errors="replace")
    candidates: list[str] = []
    http_charset = _http_charset(content_type)
    if http_charset:
        candidates.append(http_charset)
    declared = _XML_DECL.match(data[:1024])
    if declared:
        candidates.append(declared.group(1).decode("ascii"))
    sniffed = _SNIFF.get(data[:4])  # a BOM-less UTF-16/32 '<?' (XML 1.0 appendix F)
    if sniffed:
        candidates.insert(0, sniffed)
    for charset in (*candidates, *_FALLBACK_CHARSETS):
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() if isinstance(charset, str) and charset.strip() else None


def _from_fastfeedparser(text: str, source: str) -> ParsedFeed:
    utf8 = _XML_DECL_TEXT.sub(r"\g<1>utf-8\g<3>", text, count=1).encode("utf-8")
    raw = fastfeedparser.parse(utf8)  # bytes: a str that looks like a URL would be fetched
    feed = raw.get("feed") or {}
    base = _absolute(source, _str(feed.get("link"))) or source
    entries = []
    for item in raw.get("entries") or ():
        published = parse_date(item.get("published") or item.get("updated"))
        entries.append(_entry(item, base, summary_key="description", published=published))
    return ParsedFeed(title=_str(feed.get("title")), link=base, entries=tuple(entries))


def _from_feedparser(data: bytes, source: str, content_type: str | None) -> ParsedFeed:
    headers = {"content-location": source}
    if content_type:
        headers["content-type"] = content_type
    raw = feedparser.parse(io.BytesIO(data), response_headers=headers)
    if not raw.get("version") and not raw.get("entries"):
        reason = raw.get("bozo_exception") or "no feed elements found"
        raise FeedParseError(source, f"not a feed: {reason}")
    feed = raw.get("feed") or {}
    base = _absolute(source, _str(feed.get("link"))) or source
    entries = []
    for item in raw.get("entries") or ():
        published = _from_struct(item.get("published_parsed") or item.get("updated_parsed"))
        entries.append(_entry(item, base, summary_key="summary", published=published))
    return ParsedFeed(title=_str(feed.get("title")), link=base, entries=tuple(entries))


def _entry(
    item: Mapping[str, Any], base: str, *, summary_key: str, published: datetime | None
) -> FeedEntry:
    """One entry of either XML parser's result; they differ only in the summary's key and how
    they hand over dates."""
    bodies = [_str(c.get("value")) or "" for c in item.get("content") or () if c]
    bodies.append(_str(item.get(summary_key)) or "")
    return FeedEntry(
        guid=_str(item.get("id")),
        link=_absolute(base, _str(item.get("link"))),
        title=_str(item.get("title")) or "",
        summary_html=max(bodies, key=len).strip(),
        published=published,
    )


def _parse_json_feed(text: str, source: str) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(source, f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError(source, "JSON is not a JSON Feed (no 'items' list)")
    base = _absolute(source, _str(doc.get("home_page_url"))) or source
    entries = []
    for item in doc["items"]:
        if not isinstance(item, Mapping):
            continue
        guid = item.get("id")
        bodies = [_str(item.get(k)) or "" for k in ("content_html", "content_text", "summary")]
        entries.append(
            FeedEntry(
                guid=str(guid) if isinstance(guid, str | int) and str(guid) else None,
                link=_absolute(base, _str(item.get("url")) or _str(item.get("external_url"))),
                title=_str(item.get("title")) or "",
                summary_html=next((b.strip() for b in bodies if b.strip()), ""),
                published=parse_date(item.get("date_published") or item.get("date_modified")),
            )
        )
    return ParsedFeed(title=_str(doc.get("title")), link=base, entries=tuple(entries))


def parse_date(value: object) -> datetime | None:
    """ISO 8601 / RFC 3339 or RFC 822 → aware UTC; a date without a zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_struct(stamp: Any) -> datetime | None:
    if not isinstance(stamp, time.struct_time):
        return None
    try:  # feedparser's struct_time is already UTC
        return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _absolute(base: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link.strip()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
