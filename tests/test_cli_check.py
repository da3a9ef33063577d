"""`newsbot check` on local files and loopback URLs, including a source that cannot be read."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.feeds import ODESA, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer, free_port

GUARDIAN = Path(__file__).parent / "fixtures/feeds/rss-parser/input/guardian.rss"


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_lines_for_a_loopback_url_and_a_local_file(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA], title="Kyiv Independent"))
    local = tmp_path / "saved.xml"
    # The same story saved locally under another GUID and a tracking link: printed once.
    copy = replace(SUMY, guid="local-1", link=SUMY.link + "?utm_medium=rss")
    local.write_text(rss([copy], title="Saved copy"))
    status, out, err = run_check(
        capsys,
        feed_server.url("/ki.rss"),
        str(local),
        "--topic",
        "peacekeepers",
        "--topic",
        "Sumy Oblast",
        "--json",
    )
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["topic"], r["title"]) for r in lines] == [
        ("peacekeepers", PEACEKEEPERS.title),
        ("Sumy Oblast", SUMY.title),
    ]
    first = lines[0]
    assert set(first) == {"topic", "title", "url", "summary", "source", "published", "sources"}
    assert first["sources"] == ["Kyiv Independent"]
    assert lines[1]["sources"] == ["Kyiv Independent", "Saved copy"]  # same story, two sources
    assert first["url"] == PEACEKEEPERS.link
    assert first["source"] == "Kyiv Independent"
    assert first["published"] == "2024-04-17T15:48:00+00:00"
    assert first["summary"].startswith('Russia has begun withdrawing its "peacekeeping"')
    assert "<p>" not in first["summary"] and "&quot;" not in first["summary"]


def test_an_unreachable_source_is_named_and_the_others_still_run(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    feed_server.set("/ki.rss", rss([SUMY]))
    dead = f"http://127.0.0.1:{free_port()}/feed.xml"
    status, out, err = run_check(
        capsys,
        dead,
        feed_server.url("/ki.rss"),
        "/nonexistent/feed.xml",
        "--topic",
        "Sumy Oblast",
        "--json",
    )
    assert status == 1
    assert [json.loads(line)["title"] for line in out.splitlines()] == [SUMY.title]
    assert f"cannot read {dead}: could not connect" in err
    assert "cannot read /nonexistent/feed.xml: no such file" in err


def test_a_broken_feed_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    feed_server.set("/page", "<html><body>not a feed</body></html>", content_type="text/html")
    status, out, err = run_check(capsys, feed_server.url("/page"), "--topic", "x")
    assert status == 1 and out == ""
    assert feed_server.url("/page") in err


def test_human_readable_output_on_a_real_feed(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_check(capsys, str(GUARDIAN), "--topic", "Trump")
    assert status == 0
    assert out.startswith("[Trump] ")
    assert "https://www.theguardian.com/" in out


def test_stderr_counts_what_was_read_and_what_matched(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    # "Nothing matched" is said, not left to an empty stdout.
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA]))
    status, out, err = run_check(
        capsys,
        feed_server.url("/ki.rss"),
        str(GUARDIAN),
        "--topic",
        "Sumy Oblast",
        "--topic",
        "Aliyev",
        "--json",
    )
    assert status == 0
    assert len(out.splitlines()) == 1
    assert err.splitlines() == [
        f"newsbot: read 3 stories from {feed_server.url('/ki.rss')}",
        f"newsbot: read 55 stories from {GUARDIAN}",
        "newsbot: “Sumy Oblast” matched 1 story",
        "newsbot: “Aliyev” matched 0 stories",
    ]


def test_a_topic_error_gives_its_example_in_command_line_syntax(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = run_check(capsys, str(GUARDIAN), "--topic=---")
    assert status == 2
    assert 'e.g. --topic "Sumy Oblast".' in err.splitlines()[0]
    assert "/subscribe" not in err


def test_console_entry_point_and_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--topic" in result.stdout and "--json" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(GUARDIAN)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "--topic" in result.stderr


def test_run_refuses_a_bad_config_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "newsbot.toml"
    bad.write_text('[[sources]]\nurl = "https://a.example/rss"\ninterval = 0\n')
    assert main(["run", "--config", str(bad)]) == 2
    assert "sources[0].interval" in capsys.readouterr().err


def test_untrusted_check_refuses_what_a_chat_user_could_not_add(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.set("/ki.rss", rss([PEACEKEEPERS], title="Kyiv Independent"))
    local = tmp_path / "saved.xml"
    local.write_text(rss([PEACEKEEPERS], title="Saved"))

    status, out, err = run_check(
        capsys,
        "--untrusted",
        feed_server.url("/ki.rss"),
        "http://2130706433/feed",
        str(local),
        "--topic",
        "peacekeepers",
    )

    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        f"newsbot: cannot read {feed_server.url('/ki.rss')}: "
        "loopback address 127.0.0.1 is not allowed",
        "newsbot: cannot read http://2130706433/feed: loopback address 127.0.0.1 is not allowed",
        f"newsbot: cannot read {local}: only http and https URLs are allowed",
        "newsbot: “peacekeepers” matched 0 stories",
    ]
    assert feed_server.requests("/ki.rss") == []

    # Trusted, the same sources are read.
    status, out, _ = run_check(
        capsys, feed_server.url("/ki.rss"), str(local), "--topic", "peacekeepers"
    )
    assert status == 0 and PEACEKEEPERS.title in out


SEED_PAGE = Path(__file__).parent / "fixtures/seed/kyiv-independent-2024-04-17.html"


def test_check_reads_an_article_page_without_its_furniture(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    feed_server.set("/story", SEED_PAGE.read_bytes(), content_type="text/html; charset=utf-8")
    status, out, err = run_check(
        capsys, feed_server.url("/story"), "--topic", "peacekeepers", "--topic", "CSTO", "--json"
    )
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["topic"] for line in lines] == ["peacekeepers", "CSTO"]
    assert lines[0]["url"] == PEACEKEEPERS.link and lines[0]["title"] == PEACEKEEPERS.title
    assert lines[0]["summary"].startswith("Russia has begun withdrawing")
    assert lines[1]["summary"].startswith("Armenian Prime Minister Pashinyan said")
    for line in lines:
        for furniture in ("survey", "AI assistance", "Getty", "Sumy Oblast", "Odesa"):
            assert furniture not in line["summary"]


def test_one_line_per_story_naming_every_source_that_carried_it(
    capsys: pytest.CaptureFixture[str], feed_server: FeedServer
) -> None:
    reworded = replace(
        PEACEKEEPERS,
        guid="b-1",
        title="Kremlin confirms Russian peacekeepers are withdrawing from Nagorno-Karabakh",
        link="https://outlet-b.example/peacekeepers",
    )
    feed_server.set("/a.rss", rss([PEACEKEEPERS, SUMY], title="Outlet A"))
    feed_server.set("/b.rss", rss([reworded, ODESA], title="Outlet B"))
    feed_server.set("/c.rss", rss([replace(PEACEKEEPERS, guid="c-1")], title="Outlet C"))
    urls = [feed_server.url(p) for p in ("/a.rss", "/b.rss", "/c.rss")]
    status, out, _ = run_check(capsys, *urls, "--topic", "peacekeepers", "--json")
    assert status == 0
    [line] = [json.loads(x) for x in out.splitlines()]
    assert line["sources"] == ["Outlet A", "Outlet B", "Outlet C"]
    assert line["title"] == PEACEKEEPERS.title


def test_the_same_language_and_a_bad_topic_shows_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    local = tmp_path / "saved.xml"
    local.write_text(rss([PEACEKEEPERS, SUMY, ODESA], title="Kyiv Independent"))
    status, out, _ = run_check(capsys, str(local), "--topic", "Сумщина OR peacekeeping -Odesa")
    assert status == 0 and out.startswith("[Сумщина OR peacekeeping -Odesa] ")
    status, _, err = run_check(capsys, str(local), "--topic", "Kyiv", "--topic", "drone AND")
    assert status == 2
    assert "'drone AND'" in err and "missing after AND" in err and err.rstrip().endswith("^")
