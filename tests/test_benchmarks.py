"""The matcher's benchmarks still run and print their last line, on a tiny input (their figures
are measured by running them in full: see docs/benchmarks.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_match_benchmark_prints_its_figures() -> None:
    last = run("bench/match.py", "--topics", "3000", "--stories", "20")
    assert re.fullmatch(r"articles/s: \d+ peak_rss_mb: \d+ build_s: \d+\.\d", last), last


def test_the_latest_benchmark_prints_its_figures() -> None:
    last = run("bench/latest.py", "--stories", "300", "--queries", "10")
    assert re.fullmatch(r"latest_p95_ms: [\d.]+ test_p95_ms: [\d.]+ load_s: [\d.]+", last), last
