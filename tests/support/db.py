"""The `store` fixture: a freshly migrated `SqlStore` on SQLite, and on PostgreSQL when asked.

Every test that takes `store` (or `database_url`) runs once per backend. SQLite always runs, on a
file under tmp_path; PostgreSQL runs when NEWSBOT_TEST_DATABASE_URL is set, e.g.
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`, and starts from an empty schema each time.
Tests share that one database, so they must run serially (no xdist).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.database import SqlStore, open_store
from bot.store.engine import make_engine
from bot.store.tables import metadata

POSTGRES_URL_ENV = "NEWSBOT_TEST_DATABASE_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not os.environ.get(POSTGRES_URL_ENV), reason=f"{POSTGRES_URL_ENV} not set"
            ),
        ],
    ),
]


async def reset_postgres(url: str) -> None:
    """Drop our tables and Alembic's, so the next open_store migrates from nothing."""
    names = [table.name for table in reversed(metadata.sorted_tables)] + ["alembic_version"]
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL for an empty database; the SQLite file's directory does not exist yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'newsbot.sqlite3'}"
        return
    url = os.environ[POSTGRES_URL_ENV]
    await reset_postgres(url)
    yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.close()
