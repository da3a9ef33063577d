"""Main-text extraction measured on the article-extraction-benchmark news pages.

Run from the repository root: `python bench/extraction.py`. For each extractor it prints the mean
token precision, recall and F1 against the ground-truth article body (bag of lower-cased word
tokens, as the benchmark's own evaluate.py counts them), the pages it returned nothing for, and the
mean time per page. Pages: tests/fixtures/pages/article-extraction-benchmark/ (18 news pages).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import justext  # noqa: E402
import trafilatura  # noqa: E402

from bot.ingest.extract import main_text  # noqa: E402
from bot.ingest.normalise import html_to_text  # noqa: E402

BENCH = ROOT / "tests/fixtures/pages/article-extraction-benchmark"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def score(predicted: str, truth: str) -> tuple[float, float, float]:
    p, t = tokens(predicted), tokens(truth)
    overlap = sum((p & t).values())
    precision = overlap / sum(p.values()) if p else 0.0
    recall = overlap / sum(t.values()) if t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def trafilatura_with(**options: bool) -> Callable[[bytes, str], str]:
    def run(html: bytes, url: str) -> str:
        return trafilatura.extract(html, url=url, include_comments=False, **options) or ""

    return run


def readability(html: bytes, url: str) -> str:
    from readability import Document  # readability-lxml: bench only

    return html_to_text(Document(html.decode("utf-8", "replace")).summary())


def jus_text(html: bytes, url: str) -> str:
    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def whole_page(html: bytes, url: str) -> str:
    return html_to_text(html.decode("utf-8", "replace"))


EXTRACTORS: dict[str, Callable[[bytes, str], str]] = {
    "newsbot (trafilatura, no comments/tables, furniture lines dropped)": main_text,
    "trafilatura 2.3.1 default": trafilatura_with(),
    "trafilatura favor_precision": trafilatura_with(favor_precision=True),
    "trafilatura favor_recall": trafilatura_with(favor_recall=True),
    "trafilatura fast (no fallback)": trafilatura_with(fast=True),
    "readability-lxml 0.9": readability,
    "jusText 3.0.2": jus_text,
    "whole page as text (no extraction)": whole_page,
}


def main() -> None:
    truth = json.loads((BENCH / "ground-truth.subset.json").read_text(encoding="utf-8"))
    pages = {
        key: (gzip.decompress((BENCH / "html" / f"{key}.html.gz").read_bytes()), value)
        for key, value in sorted(truth.items())
    }
    first = next(iter(pages.values()))
    for extract in EXTRACTORS.values():  # warm up: imports and caches are not per-page costs
        extract(first[0], first[1].get("url", ""))
    print(f"{len(pages)} pages; mean over pages of token precision / recall / F1")
    print(f"{'extractor':68} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'ms/page':>8}")
    for name, extract in EXTRACTORS.items():
        scores = []
        empty = 0
        started = time.perf_counter()
        for html, expected in pages.values():
            text = extract(html, expected.get("url", ""))
            empty += not text.strip()
            scores.append(score(text, expected["articleBody"]))
        ms = (time.perf_counter() - started) * 1000 / len(pages)
        p, r, f = (statistics.mean(s[i] for s in scores) for i in range(3))
        print(f"{name:68} {p:6.3f} {r:6.3f} {f:6.3f} {empty:5d} {ms:8.1f}")


if __name__ == "__main__":
    main()
