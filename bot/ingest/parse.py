"""Bytes of a feed (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed) → `ParsedFeed`, or `FeedParseError`.

Right first, fast second. fastfeedparser reads most feeds right ~50× faster than feedparser, and
where it is wrong it is silently wrong, so its answer is taken only when nothing in the document
or the answer says it cannot be (`bot.ingest.trust.distrust`); otherwise feedparser reads the
feed, keeping the dates only fastfeedparser could read (`trust.merge`). feedparser also reads
what fastfeedparser gives up on (broken XML) and documents with xml:base, which fastfeedparser
does not apply to links. JSON Feed is read by `bot.ingest.jsonfeed`. The charset is decided by us,
once, for both (`bot.ingest.charset`: fastfeedparser takes a missing declaration to mean UTF-8).
Figures (`python bench/parse_speed.py`): docs/benchmarks.md.

Safety (tests/test_xml_safety.py): neither parser ever sees a str or URL (both would fetch it);
feedparser gets BytesIO. fastfeedparser parses with lxml `resolve_entities=False` (and lxml's
default `no_network`, no DTD loading), so no entity is expanded at all; feedparser strips the
DOCTYPE, keeps only plain-text entity declarations and turns off external entities. So XXE reads no
file and billion-laughs or quadratic-blowup documents expand nothing. Expat (under feedparser's
strict mode) is a second line: 2.4.1+ caps entity amplification, and `xml_safety_problem` makes
start-up refuse an older one rather than rely on feedparser's stripping alone.
"""

from __future__ import annotations

import logging
import pyexpat
import re

from bot.domain import ParsedFeed
from bot.errors import FeedParseError
from bot.ingest.charset import decode_feed_bytes, readable_text
from bot.ingest.fields import parse_date
from bot.ingest.jsonfeed import parse_json_feed
from bot.ingest.readers import read_fast, read_slow
from bot.ingest.trust import distrust, merge

__all__ = ["decode_feed_bytes", "parse_date", "parse_feed", "xml_safety_problem"]

log = logging.getLogger(__name__)

MIN_EXPAT = (2, 4, 1)  # the first release with billion-laughs protection (CVE-2013-0340)


def xml_safety_problem(expat: tuple[int, int, int] | None = None) -> str | None:
    """Why this Python's XML stack is unsafe for feeds from strangers, or None."""
    expat = expat or pyexpat.version_info
    if expat < MIN_EXPAT:
        have = ".".join(map(str, expat))
        need = ".".join(map(str, MIN_EXPAT))
        return f"expat {have} has no entity-expansion protection (need {need} or newer)"
    return None


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
    text = readable_text(data, content_type)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return parse_json_feed(text, source)
    if head != "<":
        raise FeedParseError(source, "not a feed: does not start with '<' or '{'")
    if not _FEED_MARKERS.search(text[:65536]):
        raise FeedParseError(source, "not a feed: no <rss>, <feed> or <rdf:RDF> element")
    fast: ParsedFeed | None = None
    if "xml:base" not in text:
        try:
            fast = read_fast(text, source)
        except ValueError:
            pass  # fastfeedparser's verdict on broken XML; feedparser is more forgiving
        else:
            why = distrust(text, fast)
            if why is None:
                return fast
            log.debug("%s: read by feedparser: %s", source, why)
    return merge(read_slow(text, source, content_type), fast)
