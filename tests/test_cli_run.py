"""`newsbot run` as a newcomer and an operator meet it, in a real process: the terminal shows only
the chat, every start-up failure is one line naming the setting (exit 2), a stop at any moment is
quiet and exits 0, and `newsbot` and `newsbot health` say what they mean."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import _parser, main
from tests.support.db import POSTGRES_URL_ENV

TIMEOUT = 60


def newsbot(
    *args: str, env: dict[str, str], stdin: int | None = subprocess.PIPE, text: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=text if stdin == subprocess.PIPE else None,
        stdin=None if stdin == subprocess.PIPE else stdin,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def data_env(tmp_path: Path) -> dict[str, str]:
    return {"NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_DATABASE_URL": ""}


def test_plain_newsbot_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: newsbot")
    assert all(command in out for command in ("run", "check", "health"))


def test_every_log_level_the_config_accepts_is_accepted_on_the_command_line() -> None:
    for level in ("debug", "INFO", "warning", "ERROR", "critical"):
        assert _parser().parse_args(["run", "--log-level", level]).log_level == level.upper()


def test_health_max_age_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["health", "--help"])
    assert exit_.value.code == 0
    usage = " ".join(capsys.readouterr().out.split())
    assert "--max-age SECONDS how old the heartbeat may be (default 90;" in usage


def test_health_says_whether_the_heartbeat_is_missing_or_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    assert main(["health"]) == 1
    assert "no heartbeat file" in capsys.readouterr().err
    beat = tmp_path / "heartbeat"
    beat.touch()
    os.utime(beat, (time.time() - 300, time.time() - 300))
    assert main(["health"]) == 1
    err = capsys.readouterr().err
    assert "stale" in err and "300s old" in err
    assert main(["health", "--max-age", "600"]) == 0


def test_with_no_terminal_and_no_platform_it_says_so_in_one_line(tmp_path: Path) -> None:
    # What `docker run` without -it and a systemd unit give it.
    result = newsbot("run", env=data_env(tmp_path), stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "no terminal" in line and "NEWSBOT_TELEGRAM_TOKEN" in line


def one_line_failure(result: subprocess.CompletedProcess[str], setting: str) -> str:
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"newsbot: {setting}: "), line
    return line


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    env = {**data_env(tmp_path), "NEWSBOT_DATABASE_URL": "postgresql://newsbot:pw@127.0.0.1:1/x"}
    line = one_line_failure(newsbot("run", env=env), "NEWSBOT_DATABASE_URL")
    assert "127.0.0.1:1" in line and "pw" not in line  # the password is not shown


def test_a_database_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    with sqlite3.connect(path) as db:  # WAL already on: opening it read-only succeeds
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x)")
    url = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    env = {**data_env(tmp_path), "NEWSBOT_DATABASE_URL": url}
    line = one_line_failure(newsbot("run", env=env), "NEWSBOT_DATABASE_URL")
    assert "readonly database" in line
    assert not Path("file:").exists()  # the URI is SQLite's, not a directory to create


def test_a_data_directory_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    env = {**data_env(tmp_path), "NEWSBOT_DATA_DIR": str(taken / "data")}
    line = one_line_failure(newsbot("run", env=env), "NEWSBOT_DATA_DIR")
    assert str(taken / "data") in line


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get(POSTGRES_URL_ENV), reason=f"{POSTGRES_URL_ENV} not set")
def test_a_role_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    server = os.environ[POSTGRES_URL_ENV].split("://", 1)[1].split("@", 1)[-1]
    url = f"postgresql+asyncpg://no_such_role_18@{server}"
    env = {**data_env(tmp_path), "NEWSBOT_DATABASE_URL": url}
    line = one_line_failure(newsbot("run", env=env), "NEWSBOT_DATABASE_URL")
    assert 'role "no_such_role_18" does not exist' in line


def test_the_terminal_shows_only_the_chat_and_the_logs_go_to_a_file(tmp_path: Path) -> None:
    result = newsbot("run", env=data_env(tmp_path), text="/subscribe Sumy Oblast\n/topics\n")
    assert result.returncode == 0
    assert result.stderr == ""
    log = tmp_path / "data" / "newsbot.log"
    first = result.stdout.splitlines()[0]
    assert f"Logs: {log}." in first
    assert "Subscribed to “Sumy Oblast”" in result.stdout
    assert " INFO " not in result.stdout
    logged = log.read_text()
    assert "chat terminal:local: /subscribe Sumy Oblast" in logged
    assert "Loading dictionaries" in logged  # pymorphy3's, no longer in the chat


def test_an_end_of_input_at_once_stops_quietly(tmp_path: Path) -> None:
    # Every job is mid-way through its first run when the input ends: their cancellation is a
    # stop, not an error with a traceback.
    for _ in range(2):
        result = newsbot("run", "--log-level", "INFO", env=data_env(tmp_path), text="")
        assert result.returncode == 0
        assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """`newsbot run` in the terminal chat, its input kept open: only a signal stops it."""
    started: list[subprocess.Popen[str]] = []

    def run() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **data_env(tmp_path)},
            text=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_sigterm_while_starting_exits_0_quietly(
    tmp_path: Path, start: Callable[[], subprocess.Popen[str]]
) -> None:
    process = start()
    # The log file is opened just before the database and the bot are built: signal then.
    wait_until(lambda: (tmp_path / "data" / "newsbot.log").exists(), "the log file")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert err == ""


def test_sigterm_while_running_exits_0_quietly(
    start: Callable[[], subprocess.Popen[str]],
) -> None:
    process = start()
    assert process.stdout is not None
    assert "terminal chat" in process.stdout.readline()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert err == ""
