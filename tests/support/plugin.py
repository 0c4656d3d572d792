"""The fixtures every test may ask for, loaded as a pytest plugin by ``tests/conftest.py``.

Real databases for every test: an SQLite file always, PostgreSQL when asked.
``TEST_DATABASE_URL`` (set by .ci/run) names a PostgreSQL server database; each pytest
process (each xdist worker too) creates its own throwaway database beside it, named by a
uuid, migrates it once, and empties its tables before each test, so runs and workers
never see each other's data. SQLite files live under ``tmp_path``, which xdist gives each
worker its own of.

Fixtures live here and only here; test modules never import them (or each other).
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import db, migrate
from storage.models import Base
from tests.support.harness import Chat, open_chat
from tests.support.slack_world import SlackWorld, slack_world

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def _remembering(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``yaml.safe_load`` that parses each distinct text once per process and hands out
    copies. Every test builds an app and every app reads the bundled curricula; parsing
    their YAML again each time took about a third of a typical test's time. The answer
    for a text never changes, errors are never remembered, and nobody shares a result."""
    seen: dict[str, Any] = {}

    def safe_load(stream: Any) -> Any:
        if not isinstance(stream, str):
            return parse(stream)
        if stream not in seen:
            seen[stream] = parse(stream)
        return copy.deepcopy(seen[stream])

    return safe_load


def pytest_configure(config: pytest.Config) -> None:
    yaml.safe_load = _remembering(yaml.safe_load)


def _pg_admin_url() -> str:
    assert PG_URL is not None
    return db.normalise_url(PG_URL)


async def _create_pg_database(name: str) -> str:
    admin = db.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A commit need not wait for the disk: nothing here outlives the run, and a test
        # commits hundreds of times on a machine whose disk other runs share. What a
        # commit makes visible, and when, is unchanged.
        await conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    await admin.dispose()
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    engine = db.create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


async def _drop_pg_database(name: str) -> None:
    admin = db.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = f"mentorbot_test_{uuid.uuid4().hex[:12]}"
    url = asyncio.run(_create_pg_database(name))
    yield url
    asyncio.run(_drop_pg_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def _make() -> None:
        engine = db.create_engine(f"sqlite:///{path}")
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        await engine.dispose()

    asyncio.run(_make())
    return path


async def _empty_tables(url: str) -> None:
    """Every table emptied and every sequence restarted, as ``TRUNCATE … RESTART IDENTITY``
    would, but with DELETE: a test leaves a handful of rows, and TRUNCATE replaces every
    table's and index's files (about 0.4 s for the schema, against 0.03 s)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        sequences = await conn.fetch(
            "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences"
        )
        script = [f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables)]
        script += [f"ALTER SEQUENCE {name} RESTART" for (name,) in sequences]
        async with conn.transaction():
            await conn.execute(";\n".join(script))
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_database: str | None,
) -> AsyncIterator[str]:
    """A migrated, empty database of each kind: the test runs once per backend."""
    if request.param == "sqlite":
        target = tmp_path / "mentorbot.sqlite3"
        shutil.copyfile(sqlite_template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    if pg_database is None:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL leg skipped")
    await _empty_tables(pg_database)
    yield pg_database


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[Chat]:
    """The engine over a real database, spoken to as people on a chat platform."""
    async with open_chat(database_url) as opened:
        yield opened


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackWorld]:
    """The real server with Slack mounted, against a fake Slack Web API."""
    async for world in slack_world(database_url):
        yield world


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL leg ``postgres``, so ``-m "not postgres"`` runs SQLite alone and
    ``-m postgres`` the PostgreSQL leg alone, whatever fixture brought the database in."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
