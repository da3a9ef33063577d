"""Which feed parser? Speed on guardian.rss and correctness on the fixture feeds.

    python bench/parse_speed.py [FIXTURES_DIR]

FIXTURES_DIR defaults to tests/fixtures/feeds (feed-rs, rss-parser and feedparser test feeds,
with the expected readings of feed-rs and rss-parser). Candidates:
feedparser 6 on BytesIO, fastfeedparser on the raw bytes, and `bot.ingest.parse.parse_feed`
(fastfeedparser on bytes we decoded, feedparser as the fallback). Reports:

- ms per parse of guardian.rss (best of 5 runs of N parses);
- gold: files whose entry titles, links and dates all match feed-rs `*.serde.json` or
  rss-parser `output/*.json`, and how many of their items do;
- every fixture file: how many parse, how many raise (ours may only raise FeedParseError), and
  how many agree with feedparser on entry count, titles and links; and which reading newsbot
  takes for each (fastfeedparser's, or feedparser's and why: `bot.ingest.trust`).
"""

from __future__ import annotations

import calendar
import io
import json
import sys
import time
import timeit
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import fastfeedparser
import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, too

from bot.errors import FeedParseError
from bot.ingest.charset import readable_text
from bot.ingest.parse import parse_date, parse_feed
from bot.ingest.readers import read_fast
from bot.ingest.trust import distrust

SOURCE = "https://example.org/feed"
Row = tuple[str, str | None, datetime | None]
Gold = tuple[str | None, str | None, datetime | None]  # None: not checked
Candidate = Callable[[bytes], list[Row]]


def _fp(data: bytes) -> list[Row]:
    raw = feedparser.parse(io.BytesIO(data), response_headers={"content-location": SOURCE})
    rows: list[Row] = []
    for e in raw.entries:
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        when = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp else None
        rows.append((e.get("title", ""), e.get("link"), when))
    return rows


def _ffp(data: bytes) -> list[Row]:
    raw = fastfeedparser.parse(data)
    return [
        (e.get("title", ""), e.get("link"), parse_date(e.get("published") or e.get("updated")))
        for e in raw.entries
    ]


def _ours(data: bytes) -> list[Row]:
    feed = parse_feed(data, source=SOURCE)
    return [(e.title, e.link, e.published) for e in feed.entries]


CANDIDATES: dict[str, Candidate] = {
    "feedparser": _fp,
    "fastfeedparser": _ffp,
    "newsbot": _ours,
}


def _gold(root: Path) -> list[tuple[Path, list[Gold]]]:
    golds = []
    for expected in sorted(root.glob("feed-rs/*/*.serde.json")):
        doc = json.loads(expected.read_text())
        stem = expected.name.removesuffix(".serde.json")
        feed = next(
            p for p in (expected.with_name(stem + ext) for ext in (".xml", ".json")) if p.exists()
        )
        rows = []
        for e in doc["entries"]:
            links = e.get("links") or []
            when = e.get("published") or e.get("updated")
            title = (e.get("title") or {}).get("content", "")
            rows.append((title, links[0]["href"] if links else None, parse_date(when)))
        golds.append((feed, rows))
    for expected in sorted(root.glob("rss-parser/output/*.json")):
        # rss-parser misread uolNoticias as UTF-8: its mangled titles are no gold, its links are
        items = json.loads(expected.read_text(errors="replace"))["feed"]["items"]
        feed = next(root.glob(f"rss-parser/input/{expected.stem}.*"))
        rows = [(i.get("title", ""), i.get("link"), parse_date(i.get("isoDate"))) for i in items]
        rows = [(t if "\ufffd" not in t else None, link, d) for t, link, d in rows]
        golds.append((feed, rows))
    return golds


def _matches(got: list[Row], want: list[Gold]) -> bool:
    return len(got) == len(want) and _items_right(got, want) == len(want)


def _items_right(got: list[Row] | str, want: list[Gold]) -> int:
    """How many of the expected items were read right on title, link and date (none when the
    entries are not the expected ones: a different count)."""
    if isinstance(got, str) or len(got) != len(want):
        return 0
    return sum(_item_right(g, w) for g, w in zip(got, want, strict=True))


def _item_right(got: Row, want: Gold) -> bool:
    (gt, gl, gd), (wt, wl, wd) = got, want
    if wt is not None and " ".join(gt.split()) != " ".join(wt.split()):
        return False
    if wl is not None and not _same_url(gl, wl):
        return False
    return gd == wd


def _same_url(got: str | None, want: str) -> bool:
    """feed-rs keeps relative links, lower-cases hosts and adds '/' to an empty path."""
    if got is None:
        return False
    tidy = [urlsplit(urljoin(SOURCE, u)) for u in (got, want)]
    return len({(u.scheme, u.netloc.lower(), u.path or "/", u.query) for u in tidy}) == 1


def _run(candidate: Candidate, data: bytes) -> list[Row] | str:
    try:
        return candidate(data)
    except FeedParseError:
        return "FeedParseError"
    except Exception as exc:
        return type(exc).__name__


def main() -> None:
    warnings.simplefilter("ignore")
    default = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "feeds"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    guardian = (root / "rss-parser/input/guardian.rss").read_bytes()
    print(f"fixtures: {root}")
    print("guardian.rss, ms per parse (best of 5):")
    for name, candidate in CANDIDATES.items():
        number = 5 if name == "feedparser" else 100
        best = min(timeit.repeat(partial(candidate, guardian), number=number, repeat=5))
        print(f"  {name:15} {best / number * 1000:8.2f}")

    golds = _gold(root)
    items = sum(len(want) for _, want in golds)
    print(f"gold: files / items ({items}) read right on title, link and date ({len(golds)} files):")
    for name, candidate in CANDIDATES.items():
        readings = [(f, _run(candidate, f.read_bytes()), want) for f, want in golds]
        misses = [f.name for f, got, want in readings if not _matches_any(got, want)]
        right = sum(_items_right(got, want) for _, got, want in readings)
        print(
            f"  {name:15} {len(golds) - len(misses):3} / {right:4} ({right / items:.1%})"
            f"  misses: {', '.join(misses) or '-'}"
        )

    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in {".xml", ".rss", ".atom", ".json"}
        and not p.name.endswith(".serde.json")
        and "output" not in p.parts
    )
    print(f"all fixture files ({len(files)}): parsed / raised (kind) / agree with feedparser")
    reference = {f: _run(_fp, f.read_bytes()) for f in files}
    for name, candidate in CANDIDATES.items():
        started = time.perf_counter()
        parsed, agree = 0, 0
        raised: dict[str, int] = {}
        for f in files:
            got = _run(candidate, f.read_bytes())
            if isinstance(got, str):
                raised[got] = raised.get(got, 0) + 1
                continue
            parsed += 1
            ref = reference[f]
            if not isinstance(ref, str) and [r[:2] for r in got] == [r[:2] for r in ref]:
                agree += 1
        took = time.perf_counter() - started
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(raised.items())) or "-"
        print(
            f"  {name:15} {parsed:4} / {sum(raised.values()):3} ({kinds}) / {agree:4}"
            f"   [{took:.1f} s]"
        )
    print("which reading newsbot takes, by file:")
    for why, count in sorted(_why_feedparser(files).items(), key=lambda kv: -kv[1]):
        print(f"  {count:4}  {why}")


def _why_feedparser(files: list[Path]) -> dict[str, int]:
    """For each fixture file, why newsbot reads it with feedparser (or that it does not)."""
    reasons: dict[str, int] = {}
    for f in files:
        text = readable_text(f.read_bytes())
        if text.lstrip()[:1] in ("{", "["):
            why = "JSON Feed (read by bot.ingest.jsonfeed)"
        elif "xml:base" in text:
            why = "xml:base"
        else:
            try:
                why = distrust(text, read_fast(text, SOURCE)) or "fastfeedparser's reading taken"
            except ValueError:
                why = "fastfeedparser gives up"
        reasons[why] = reasons.get(why, 0) + 1
    return reasons


def _matches_any(got: list[Row] | str, want: list[Gold]) -> bool:
    return not isinstance(got, str) and _matches(got, want)


if __name__ == "__main__":
    main()
