"""XML bombs and XXE against both parsers: bounded time and memory, no file or network read."""

from __future__ import annotations

import json
import pyexpat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.errors import FeedParseError
from bot.ingest.parse import parse_feed, xml_safety_problem
from tests.support.feedserver import FeedServer
from tests.support.hostile_xml import documents, write_secret

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], int, str]:
    secret, dtd, token = write_secret(tmp_path_factory.mktemp("xml"))
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.hostile_xml", str(secret), str(dtd)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    *results, last = lines
    return {r["name"]: r for r in results}, last["peak_rss_mb"], token


NAMES = list(documents(Path("/s"), Path("/d")))


@pytest.mark.parametrize("name", NAMES)
def test_hostile_document_is_read_or_refused_without_expansion_or_leak(
    probe: tuple[dict[str, dict[str, Any]], int, str], name: str
) -> None:
    results, _, token = probe
    result = results[name]

    assert result["outcome"] in ("parsed", "FeedParseError"), result
    assert result["longest"] < 1_000_000, result
    assert not any(token in t for t in result["texts"]), result
    assert not any("MemoryError" in t for t in result["texts"]), result
    assert result["seconds"] < 5, result


def test_all_hostile_documents_together_stay_small(
    probe: tuple[dict[str, dict[str, Any]], int, str],
) -> None:
    # The child runs under a 1 GiB address-space limit; one expanded bomb is 1-3 GB.
    _, peak_rss_mb, _ = probe
    assert peak_rss_mb < 300


@pytest.mark.parametrize("route", ["lxml", "feedparser"])
def test_parsers_make_no_network_request_for_an_entity(
    feed_server: FeedServer, route: str, tmp_path: Path
) -> None:
    feed_server.set("/leak", "LEAKED-OVER-HTTP", content_type="text/plain")
    secret, dtd, _ = write_secret(tmp_path)
    doc = documents(secret, dtd, leak_url=feed_server.url("/leak"))[
        f"entity over the network ({route})"
    ]

    try:
        feed = parse_feed(doc, source="https://example.org/feed")
    except FeedParseError:
        pass
    else:
        texts = [feed.title or ""] + [e.title + e.summary_html for e in feed.entries]
        assert not any("LEAKED" in t for t in texts)
    assert feed_server.requests("/leak") == []


def test_old_expat_is_refused_at_start_up() -> None:
    assert xml_safety_problem() is None  # this Python's own expat
    problem = xml_safety_problem((2, 4, 0))
    assert problem == "expat 2.4.0 has no entity-expansion protection (need 2.4.1 or newer)"
    assert xml_safety_problem((2, 4, 1)) is None
    assert xml_safety_problem((2, 7, 3)) is None


def test_cli_starts_with_a_safe_expat(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = tmp_path / "f.xml"
    feed.write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")

    assert main(["check", str(feed), "--topic", "x"]) == 0
    assert "unsafe XML" not in capsys.readouterr().err


def test_cli_refuses_to_start_with_an_old_expat(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pyexpat, "version_info", (2, 2, 10))

    assert main(["check", str(tmp_path / "f.xml"), "--topic", "x"]) == 2
    assert main(["run"]) == 2
    assert (
        capsys.readouterr().err.splitlines()
        == [
            "newsbot: unsafe XML library: expat 2.2.10 has no entity-expansion protection "
            "(need 2.4.1 or newer)"
        ]
        * 2
    )
