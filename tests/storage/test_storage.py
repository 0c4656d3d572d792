"""Storage on both databases: migrations are the schema, times stay UTC, keys stay unique."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from storage import db, migrate
from storage import repositories as repo
from storage.models import Base, OutboxMessage, Person, Workspace

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.create_engine(database_url)
    yield db.session_factory(engine)
    await engine.dispose()


@pytest.mark.slow
async def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        assert diff == []
        assert await migrate.is_current(engine)
    finally:
        await engine.dispose()


async def test_migrating_twice_is_harmless(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def _workspace(session: object) -> Workspace:
    workspace = Workspace(platform="slack", external_id="T1", settings={}, created_at=NOW)
    session.add(workspace)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    return workspace


async def test_times_come_back_aware_and_in_utc(sessions: Sessions) -> None:
    halifax = timezone(timedelta(hours=-3))
    async with sessions.begin() as session:
        workspace = await _workspace(session)
        session.add(
            Person(
                workspace_id=workspace.id,
                platform_user_id="U1",
                timezone="America/Halifax",
                created_at=NOW.astimezone(halifax),
            )
        )
    async with sessions() as session:
        person = await session.scalar(select(Person))
    assert person is not None
    assert person.created_at == NOW and person.created_at.utcoffset() == timedelta(0)


async def test_a_naive_datetime_is_refused_rather_than_guessed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with sessions.begin() as session:
            session.add(
                Workspace(
                    platform="slack",
                    external_id="T1",
                    settings={},
                    created_at=NOW.replace(tzinfo=None),
                )
            )


async def test_enqueueing_the_same_idempotency_key_twice_is_a_no_op(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        workspace = await _workspace(session)
        first = await repo.enqueue(
            session,
            workspace_id=workspace.id,
            key="pair:1:intro",
            kind="introduction",
            payload={"text": "hi"},
            not_before=NOW,
            created_at=NOW,
        )
        second = await repo.enqueue(
            session,
            workspace_id=workspace.id,
            key="pair:1:intro",
            kind="introduction",
            payload={"text": "again"},
            not_before=NOW,
            created_at=NOW,
        )
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert (first, second) == (True, False)
    assert [r.payload for r in rows] == [{"text": "hi"}]


async def test_a_person_is_unique_within_a_workspace(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        workspace = await _workspace(session)
        session.add(
            Person(workspace_id=workspace.id, platform_user_id="U1", timezone="UTC", created_at=NOW)
        )
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(
                Person(
                    workspace_id=workspace.id,
                    platform_user_id="U1",
                    timezone="UTC",
                    created_at=NOW,
                )
            )
    async with sessions() as session:
        assert await session.scalar(select(func.count(Person.id))) == 1


def test_db_upgrade_creates_a_fresh_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nested" / "fresh.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip() == (f"database is at revision {migrate.head_revision()}")
    assert target.exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgresql://u@h:5433/d", "postgresql+asyncpg://u@h:5433/d"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_database_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    assert db.normalise_url(given) == expected
