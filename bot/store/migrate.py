"""Apply the bundled Alembic migrations programmatically, on an open connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the migrations shipped in this package; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Bring the schema up to date; a no-op when it already is. Run it via `run_sync`."""
    command.upgrade(alembic_config(connection), "head")


def downgrade_to_base(connection: Connection) -> None:
    """Drop everything the migrations created. For tests and for uninstalling."""
    command.downgrade(alembic_config(connection), "base")


def head_revision() -> str | None:
    """The newest migration shipped with this build: what a current database is at."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
