"""Run Alembic migrations from inside the application (``mentorbot db upgrade``).

The schema is created only by migrations. Alembic is synchronous, so it runs on
the async engine's connection through ``run_sync`` — the connection-sharing
recipe from Alembic's cookbook — and env.py uses the connection it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


MIGRATION_LOCK = 0x6D656E746F72
"""PostgreSQL advisory lock key ("mentor"): instances starting together migrate in turn."""


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _migrate(engine, lambda connection: command.upgrade(alembic_config(connection), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Step back to ``revision`` (an operator undoing an upgrade; the migration tests)."""
    await _migrate(
        engine, lambda connection: command.downgrade(alembic_config(connection), revision)
    )


async def _migrate(engine: AsyncEngine, run: Callable[[Connection], None]) -> None:
    """Run Alembic in one transaction. On SQLite, foreign keys are off meanwhile: Alembic
    changes a SQLite table by copying it and dropping the old one, and with foreign keys on,
    dropping ``workspaces`` would cascade and delete every row that belongs to a workspace.
    They are switched on again (and checked) before the connection goes back to the pool."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
            await conn.commit()
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    # Several instances behind a load balancer all migrate as they start; the
                    # first takes the lock and migrates, the rest wait, then find nothing to do.
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                await conn.run_sync(run)
                if sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"the migration left rows pointing nowhere: {broken}")
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def is_current(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
