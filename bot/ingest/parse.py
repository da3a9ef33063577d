"""Bytes of a feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) → `ParsedFeed`, or `FeedParseError`.

Which parser, by measurement (`python bench/parse_speed.py`; 808 fixture files):

                                        feedparser 6.0.14   fastfeedparser 0.6.5   this module
    guardian.rss, ms per parse                 ~55                 ~1.0               ~1.8
    feed-rs/rss-parser gold (23 files)         18                  22                 22
    files read / raising (808)                808 / 0          752 / 56 ValueError   807 / 1 ours
    same titles+links as feedparser           (808)               680                758

Misses: feedparser reads no JSON Feed and drops a date; all three read nbcny's
"Sat, Dec 16 2023 02:02:33 PM" as 02:02 where feed-rs gives no date. The one file we reject
is an empty document (a comment only). (759 before the charset guess: an undeclared KOI8-R
file that feedparser without chardet and we garble differently now; neither reads it.)

So: fastfeedparser, fed UTF-8 that *we* decoded (see `decode_feed_bytes`: fastfeedparser
trusts a missing declaration to mean UTF-8 and mangles windows-1252 feeds), and feedparser
when fastfeedparser gives up or when the document uses xml:base, which fastfeedparser does not
apply to links. JSON Feed is read here with the
stdlib: feedparser 6 reads none, and it is a dozen fields we want to pick ourselves (integer ids,
content_html over content_text over summary, RFC 822 dates some publishers put there).

Safety (tests/test_xml_safety.py): neither parser ever sees a str or URL (both would fetch it);
feedparser gets BytesIO. fastfeedparser parses with lxml `resolve_entities=False` (and lxml's
default `no_network`, no DTD loading), so no entity is expanded at all; feedparser strips the
DOCTYPE, keeps only plain-text entity declarations and turns off external entities. So XXE reads no
file and billion-laughs or quadratic-blowup documents expand nothing. Expat (under feedparser's
strict mode) is a second line: 2.4.1+ caps entity amplification, and `xml_safety_problem` makes
start-up refuse an older one rather than rely on feedparser's stripping alone.
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import io
import json
import pyexpat
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

__all__ = ["decode_feed_bytes", "parse_date", "parse_feed", "xml_safety_problem"]

MIN_EXPAT = (2, 4, 1)  # the first release with billion-laughs protection (CVE-2013-0340)


def xml_safety_problem(expat: tuple[int, int, int] | None = None) -> str | None:
    """Why this Python's XML stack is unsafe for feeds from strangers, or None."""
    expat = expat or pyexpat.version_info
    if expat < MIN_EXPAT:
        have = ".".join(map(str, expat))
        need = ".".join(map(str, MIN_EXPAT))
        return f"expat {have} has no entity-expansion protection (need {need} or newer)"
    return None


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
    text = _CHARREF.sub(_valid_charref, decode_feed_bytes(data, content_type))
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
    return _from_feedparser(text, source, content_type)


# A numeric reference to a character XML forbids (a surrogate, NUL, past U+10FFFF) makes
# fastfeedparser give up and feedparser crash (UnicodeEncodeError, OverflowError) on the whole feed.
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _valid_charref(match: re.Match[str]) -> str:
    hexa, decimal = match.groups()
    if len((hexa or decimal).lstrip("0")) > 8:  # far past U+10FFFF; int() of it could be costly
        return "\ufffd"
    code = int(hexa, 16) if hexa else int(decimal)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD:
        return match.group(0)
    if 0x10000 <= code <= 0x10FFFF:
        return match.group(0)
    return "\ufffd"


def decode_feed_bytes(data: bytes, content_type: str | None = None) -> str:
    """Decode by BOM; else bytes that are valid UTF-8 are UTF-8; else the HTTP charset and the
    XML declaration, checked against a guess between windows-1252 and windows-1251.

    Labels are often wrong (a server's default charset, a template's stale declaration), and
    single-byte charsets decode any bytes, so "it decoded" proves nothing. Two things do: valid
    UTF-8 with non-ASCII bytes is practically never anything else, and text in the wrong
    single-byte charset has implausible words (see `_implausible`). Among equally plausible
    readings the HTTP charset wins over the declaration (RFC 7303), and both over a guess.
    """
    for bom, charset in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(charset, errors="replace")
    sniffed = _SNIFF.get(data[:4])  # a BOM-less UTF-16/32 '<?' (XML 1.0 appendix F)
    if sniffed:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(sniffed)
    labels: list[str] = []
    http_charset = _http_charset(content_type)
    if http_charset:
        labels.append(http_charset)
    declared = _XML_DECL.match(data[:1024])
    if declared:
        labels.append(declared.group(1).decode("ascii"))
    codecs_named = [c for c in (_codec(label) for label in labels) if c]
    # 7-bit stateful charsets are valid ASCII, so UTF-8 validity says nothing about them.
    if any(c.startswith(("iso2022", "utf_7", "hz")) for c in codecs_named):
        for charset in codecs_named:
            with contextlib.suppress(UnicodeDecodeError):
                return data.decode(charset)
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8")
    readings: list[tuple[int, int, str]] = []
    for rank, charset in enumerate(dict.fromkeys([*codecs_named, *_GUESSES])):
        if charset in ("utf_8", "utf_16", "utf_32"):
            continue  # already ruled out
        try:
            text = data.decode(charset)
        except UnicodeDecodeError:
            continue
        readings.append((_implausible(text[:_SCORED_CHARS]), rank, text))
    if readings:
        return min(readings, key=lambda r: (r[0], r[1]))[2]
    return data.decode("latin-1")


_GUESSES = ("cp1252", "cp1251")
_SCORED_CHARS = 256 * 1024
# WHATWG Encoding: these labels mean windows-1252 on the web; latin-1 proper would turn curly
# quotes and the euro sign into C1 control characters.
_AS_WINDOWS_1252 = frozenset({"latin_1", "iso8859_1", "ascii", "cp819"})
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    if name in _AS_WINDOWS_1252:
        return "cp1252"
    return name


def _implausible(text: str) -> int:
    """How many words look like text decoded with the wrong single-byte charset: Latin letters
    mixed with Cyrillic ones in a word (windows-1252 read as windows-1251), or words made only
    of Latin-1 accented letters (windows-1251 read as windows-1252: "Íîâîñòè"). Other scripts
    (Greek, Arabic...) score 0 in every reading, so their charset label decides."""
    bad = 0
    for word in _LETTERS.findall(text):
        if word.isascii():
            continue
        cyrillic = sum(1 for c in word if "\u0400" <= c <= "\u04ff")
        mixed = 0 < cyrillic < len(word)
        all_accented = len(word) >= 3 and all("\u00c0" <= c <= "\u00ff" for c in word)
        bad += mixed or all_accented
    return bad


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() if isinstance(charset, str) and charset.strip() else None


def _as_utf8(text: str) -> bytes:
    """The text we decoded, as UTF-8 bytes that say so: neither parser gets to re-guess."""
    return _XML_DECL_TEXT.sub(r"\g<1>utf-8\g<3>", text, count=1).encode("utf-8")


def _from_fastfeedparser(text: str, source: str) -> ParsedFeed:
    utf8 = _as_utf8(text)
    raw = fastfeedparser.parse(utf8)  # bytes: a str that looks like a URL would be fetched
    feed = raw.get("feed") or {}
    base = _absolute(source, _str(feed.get("link"))) or source
    entries = []
    for item in raw.get("entries") or ():
        published = parse_date(item.get("published") or item.get("updated"))
        entries.append(_entry(item, base, summary_key="description", published=published))
    return ParsedFeed(title=_str(feed.get("title")), link=base, entries=tuple(entries))


def _from_feedparser(text: str, source: str, content_type: str | None) -> ParsedFeed:
    headers = {"content-location": source}
    # Keep the media type (feedparser reads text/html differently) but not the charset: the
    # bytes handed over are UTF-8 whatever the server claimed.
    media = (content_type or "application/xml").split(";", 1)[0].strip() or "application/xml"
    headers["content-type"] = f"{media}; charset=utf-8"
    raw = feedparser.parse(io.BytesIO(_as_utf8(text)), response_headers=headers)
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
