"""WebSub discovery: the hub and topic a fetched feed advertises, or None.

The spec's order (WebSub §4): HTTP `Link` headers first; only when they name no hub, the links
embedded in the document: `<link rel="hub">` / `<atom:link rel="hub">` at feed level in Atom and
RSS, `<link rel="hub">` in an HTML page's head. Links inside an entry or item, or in an HTML body,
are ignored: a story's author must not be able to pick our hub (§8.1).

The topic is the `rel="self"` URL; a publisher that names a hub but no self gets the URL we
fetched (after redirects), which is what hubs of such publishers accept in practice. Only http(s)
hubs and topics count; relative ones are resolved against the fetched URL.

The document is scanned by the stdlib's tolerant tag tokenizer (no DTD, no entity expansion, no
network), and only when its bytes have a `rel` naming "hub": most feeds cost one regex search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.ingest.fetch import FetchResult
from bot.ingest.parse import decode_feed_bytes

# Elements whose links belong to one story, not to the feed (or to the page's content).
_INSIDE_STORY = frozenset({"entry", "item", "body"})
# A rel attribute naming hub, among others or alone; "GitHub" in a story's text does not count.
_MENTIONS_HUB = re.compile(rb"""rel\s*=\s*["']?[^"'>]*?\bhub\b""", re.IGNORECASE)
# CDATA is text, never elements; newer tokenizers would read it as markup outside SVG and MathML.
_CDATA = re.compile(r"<!\[CDATA\[.*?\]\]>", re.DOTALL)
_LINK_VALUE = re.compile(r"<([^>]*)>")
_PARAM = re.compile(r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^";,]*))?')


@dataclass(frozen=True, slots=True)
class HubLinks:
    hub: str
    topic: str


def hub_links(fetched: FetchResult) -> HubLinks | None:
    base = fetched.url
    from_header = _choose(link_header_rels(fetched.link_header or ""), base)
    if from_header is not None:
        return from_header
    content = fetched.content
    if not content or not _MENTIONS_HUB.search(content):
        return None
    scanner = _LinkScanner()
    try:
        scanner.feed(_CDATA.sub("", decode_feed_bytes(content, fetched.content_type)))
        scanner.close()
    except Exception:  # the tokenizer is forgiving; this is for the case it is not
        return None
    return _choose(scanner.links, base)


def link_header_rels(header: str) -> list[tuple[str, str]]:
    """(rel, target) for every relation of every link in an HTTP Link header (RFC 8288), in
    order; `rel="hub self"` gives two. Several headers arrive joined by commas."""
    found: list[tuple[str, str]] = []
    position = 0
    while (match := _LINK_VALUE.search(header, position)) is not None:
        target = match.group(1).strip()
        position = match.end()
        rels: list[str] = []
        while (param := _PARAM.match(header, position)) is not None:
            position = param.end()
            name, value = param.group(1).lower(), (param.group(2) or "").strip()
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            if name == "rel" and not rels:  # only the first rel parameter counts (RFC 8288 3.3)
                rels = value.lower().split()
        found.extend((rel, target) for rel in rels)
    return found


def _choose(links: list[tuple[str, str]], base: str) -> HubLinks | None:
    hubs = [u for rel, href in links if rel == "hub" and (u := _http_url(base, href))]
    if not hubs:
        return None
    selves = [u for rel, href in links if rel == "self" and (u := _http_url(base, href))]
    topic = selves[0] if selves else _http_url(base, base)
    if topic is None:  # a local file names a hub: nothing a hub could fetch
        return None
    # §8.2: prefer a hub's https URL when it offers one.
    hub = next((h for h in hubs if h.startswith("https:")), hubs[0])
    return HubLinks(hub=hub, topic=topic)


def _http_url(base: str, href: str) -> str | None:
    try:
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


class _LinkScanner(HTMLParser):
    """Collects (rel, href) of `link` elements (any namespace prefix) outside entries, items and
    an HTML body. Tag names come lower-cased; CDATA and comments are skipped whole."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._depth = 0  # how many story elements we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.rpartition(":")[2]
        if name in _INSIDE_STORY:
            self._depth += 1
        elif name == "link" and self._depth == 0:
            self._take(attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.rpartition(":")[2] == "link" and self._depth == 0:
            self._take(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag.rpartition(":")[2] in _INSIDE_STORY and self._depth > 0:
            self._depth -= 1

    def _take(self, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v for k, v in attrs if v is not None}
        href = values.get("href")
        if href:
            self.links.extend((rel, href) for rel in values.get("rel", "").lower().split())
