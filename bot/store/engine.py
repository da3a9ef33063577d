"""Engine creation: one async engine for SQLite (the default) or PostgreSQL, tuned per backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Async drivers for URLs given without one, so `sqlite:///x.db` works as well as the full form.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(database_url: str) -> URL:
    url = make_url(database_url)
    driver = _ASYNC_DRIVERS.get(url.drivername)
    return url.set(drivername=driver) if driver else url


def make_engine(database_url: str) -> AsyncEngine:
    """An engine for `database_url`; for a SQLite file, its parent directory is created too."""
    url = normalise_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    # A `file:` URI (uri=true) is SQLite's to read, options and all: not a path to make.
    if url.database and url.database != ":memory:" and not url.query.get("uri"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it skips BEGIN before SELECT and
    # DDL); `_begin_immediate` issues our own BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the readers (commands, /latest) run while the poller or outbox writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a read-then-write transaction (claim, ingest) can
    # then never fail half-way with SQLITE_BUSY when another process writes in between, and the
    # busy timeout queues writers instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
