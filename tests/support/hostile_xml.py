"""Hostile feeds: entity-expansion bombs and external-entity (XXE) readers, each in two forms.

The plain form is read by fastfeedparser (lxml); the same document with `xml:base` on the root goes
to the feedparser fallback (bot/ingest/parse.py routes xml:base there), so both parsers meet every
hazard. `python -m tests.support.hostile_xml SECRET DTD` parses them all under a 1 GiB address-space
limit and prints one JSON line per document, then the peak RSS: run in a child process, so a bomb
that did expand would hit the limit there rather than in the test run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

LOLS = "".join(
    f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' if i else ' <!ENTITY lol0 "lol">\n'
    for i in range(10)
)


def _feed(doctype: str, body: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f"{doctype}\n"
        '<rss version="2.0"><channel><title>t ' + body + "</title>"
        "<item><title>x " + body + "</title><description>" + body + "</description></item>"
        "</channel></rss>"
    ).encode()


def documents(
    secret: Path, dtd: Path, leak_url: str = "http://127.0.0.1:9/leak"
) -> dict[str, bytes]:
    plain = {
        # 10^9 "lol"s: 3 GB if expanded.
        "billion laughs": _feed(f"<!DOCTYPE rss [\n{LOLS}]>", "&lol9;"),
        # One 20 kB entity used 50 000 times: 1 GB if expanded; no nesting for a depth limit.
        "quadratic blowup": _feed(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 20_000}">]>', "&a;" * 50_000),
        "external general entity": _feed(
            f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>', "&xxe;"
        ),
        "external parameter entity": _feed(
            f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]>', "x"
        ),
        "external DTD": _feed(f'<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">', "&leak;"),
        "entity over the network": _feed(
            f'<!DOCTYPE rss [<!ENTITY net SYSTEM "{leak_url}">]>', "&net;"
        ),
    }
    docs = {}
    for name, doc in plain.items():
        docs[f"{name} (lxml)"] = doc
        docs[f"{name} (feedparser)"] = doc.replace(
            b'<rss version="2.0">', b'<rss version="2.0" xml:base="https://example.org/">'
        )
    return docs


def write_secret(directory: Path) -> tuple[Path, Path, str]:
    """A secret file, and a DTD that would pull it into `&leak;`."""
    token = "TOPSECRET-4f1c9b"
    secret = directory / "secret.txt"
    secret.write_text(f"{token}\n")
    dtd = directory / "leak.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">\n')
    return secret, dtd, token


def _probe(secret: Path, dtd: Path) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from bot.errors import FeedParseError
    from bot.ingest.parse import parse_feed

    for name, doc in documents(secret, dtd).items():
        started = time.perf_counter()
        try:
            feed = parse_feed(doc, source="https://example.org/feed")
        except FeedParseError as exc:
            texts, outcome = [exc.reason], "FeedParseError"
        except BaseException as exc:  # reported, so the test names what escaped
            texts, outcome = [repr(exc)], type(exc).__name__
        else:
            texts = [feed.title or ""] + [e.title + e.summary_html for e in feed.entries]
            outcome = "parsed"
        line = {
            "name": name,
            "outcome": outcome,
            "texts": [t[:200] for t in texts],
            "longest": max(len(t) for t in texts),
            "seconds": time.perf_counter() - started,
        }
        print(json.dumps(line), flush=True)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb()}), flush=True)


def _peak_rss_mb() -> int:
    """This process's own high-water mark. Not ru_maxrss: Linux carries that across exec from
    the parent, so a child of a big pytest process would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    _probe(Path(sys.argv[1]), Path(sys.argv[2]))
