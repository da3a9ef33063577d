"""Where the logs go, and in what shape: the one place the command line sets logging up.

On a chat platform the bot is a service and logs to stderr, where Docker and systemd collect them.
In the terminal chat the terminal is the chat, so logs go to a file in the data directory (the
command line says which at start) unless a log level is asked for on the command line.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FILE = "newsbot.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log every request or step at INFO; our own lines already name each event.
_QUIET_AT_INFO = ("httpx", "apscheduler", "alembic")


def log_file(data_dir: Path) -> Path:
    return data_dir / LOG_FILE


def setup_logging(level: str, *, path: Path | None = None) -> None:
    """Log at `level` to stderr, or appended to the file at `path`."""
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_not_a_cancelled_job)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    floor = max(logging.WARNING, logging.getLevelName(level))
    for name in _QUIET_AT_INFO:
        logging.getLogger(name).setLevel(floor)


def _not_a_cancelled_job(record: logging.LogRecord) -> bool:
    """APScheduler logs a job cancelled by its own shutdown as an ERROR with a traceback. The bot
    only ever cancels jobs when it stops, so that is a stop, not an error: drop the record."""
    if not record.name.startswith("apscheduler") or record.exc_info is None:
        return True
    from asyncio import CancelledError  # imported by then: only the event loop's jobs get here

    return not isinstance(record.exc_info[1], CancelledError)
