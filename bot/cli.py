"""The `newsbot` command line: `run`, `check` and `health`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

# Only light imports here: `newsbot run` takes SIGTERM over as soon as main() starts, so the
# heavy ones (asyncio, SQLAlchemy, the chat libraries) are imported after that, where used.
from bot import __version__
from bot.errors import ConfigError, TopicError
from bot.health import MAX_AGE_SECONDS, heartbeat_age, heartbeat_path, probe, probe_host
from bot.logs import LOG_LEVELS, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="News alerts on keyword topics, in chat."
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot",
        description="Run the bot. With no platform tokens in the environment it opens a chat in "
        "this terminal; with no sources configured it polls a bundled demo feed.",
    )
    run.add_argument("--config", metavar="PATH", help="TOML config file (default: $NEWSBOT_CONFIG)")
    run.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        type=str.upper,
        help="override log_level; in the terminal chat, also show the logs here instead of in "
        "the data directory's newsbot.log",
    )

    check = sub.add_parser(
        "check",
        help="read sources once and show what topics would be alerted about",
        description="Read each SOURCE (a URL or a local file) once and print the stories each "
        "topic would be alerted about. Nothing is stored or sent. Exit status 1 if a source "
        "could not be read.",
    )
    check.add_argument("sources", nargs="+", metavar="SOURCE", help="feed URL or local file")
    check.add_argument(
        "--topic", action="append", required=True, metavar="QUERY", help="a topic (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.add_argument(
        "--untrusted",
        action="store_true",
        help="read each SOURCE as a chat user's source: only public http(s) addresses on "
        "ports 80/443, every redirect checked (shows what a user would get)",
    )
    check.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, default="WARNING")

    health = sub.add_parser(
        "health",
        help="exit 0 if a running bot is alive (for container health checks)",
        description="Exit 0 if the bot using this config is alive, 1 otherwise. With the ops "
        "server on ([ops] port or NEWSBOT_OPS_PORT) it asks its /healthz (or /readyz with "
        "--ready); without, it checks that the bot's heartbeat file is fresh.",
    )
    health.add_argument("--config", metavar="PATH", help="TOML config file")
    health.add_argument(
        "--max-age",
        type=float,
        default=MAX_AGE_SECONDS,
        metavar="SECONDS",
        help=f"how old the heartbeat may be (default {MAX_AGE_SECONDS:g}; the bot touches it "
        "every 15 s); not used when the ops server is on",
    )
    health.add_argument(
        "--ready",
        action="store_true",
        help="ask /readyz (database, migrations, platforms) instead of /healthz; needs the ops "
        "server",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "run":
        # Until the event loop takes signals over (in _serve), a stop is a quiet exit 0: nothing
        # is open yet that needs closing. SIGINT too: Ctrl-C is how the terminal chat is left.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _exit_quietly)
    if args.command in ("run", "check"):
        from bot.ingest.parse import xml_safety_problem

        if problem := xml_safety_problem():
            print(f"newsbot: unsafe XML library: {problem}", file=sys.stderr)
            return 2
    if args.command == "check":
        return _check(args)
    if args.command == "health":
        return _health(args)
    from bot.serve import run

    return run(args)


def _health(args: argparse.Namespace) -> int:
    from bot.config import load_config

    try:
        config = load_config(args.config, os.environ)
    except ConfigError as e:
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    if config.ops.port is not None:
        endpoint = "/readyz" if args.ready else "/healthz"
        url = f"http://{probe_host(config.ops.listen)}:{config.ops.port}{endpoint}"
        healthy, said = probe(url)
        if healthy:
            return 0
        print(f"newsbot: {url}: {said}", file=sys.stderr)
        return 1
    if args.ready:
        print(
            "newsbot: --ready needs the ops server ([ops] port or NEWSBOT_OPS_PORT)",
            file=sys.stderr,
        )
        return 2
    path = heartbeat_path(config.data_dir)
    age = heartbeat_age(path)
    if age is None:
        print(f"newsbot: unhealthy: no heartbeat file {path} (is it running?)", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(
            f"newsbot: unhealthy: heartbeat {path} is stale, {age:.0f}s old (--max-age "
            f"{args.max_age:g}s)",
            file=sys.stderr,
        )
        return 1
    return 0


def _check(args: argparse.Namespace) -> int:
    import asyncio

    from bot.check import check
    from bot.match.engine import QueryMatcher

    setup_logging(args.log_level)
    try:
        return asyncio.run(
            check(
                args.sources,
                args.topic,
                matcher=QueryMatcher(),
                out=sys.stdout,
                err=sys.stderr,
                as_json=args.json,
                untrusted=args.untrusted,
            )
        )
    except TopicError as e:
        print(f"newsbot: bad topic: {e.message}", file=sys.stderr)
        return 2


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)
