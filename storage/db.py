"""Database engines and sessions, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class DatabaseUrlError(ValueError):
    """The URL names no database we support."""


def normalise_url(url: str) -> str:
    """Accept the URL forms people paste and return the async-driver form.

    Hosting platforms hand out ``postgres://`` URLs, and people write
    ``sqlite:///file.db``; both are mapped to the async drivers we ship.
    """
    try:
        parsed = make_url(url.strip())
    except ArgumentError as exc:
        raise DatabaseUrlError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        raise DatabaseUrlError(
            f"unsupported database {backend!r}: use sqlite:///path or postgresql://user@host/db"
        )
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


CONNECT_SECONDS = 5.0
"""How long PostgreSQL gets to accept a new connection."""


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite, foreign keys on and a busy timeout, so it behaves.

    ``hide_parameters``: a failed statement's error (and so its logged trace) shows the SQL
    but never the values, which can be what someone wrote in confidence."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync is crash-safe; it skips an fsync per commit, not safety.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # asyncpg waits 60 s for a connection by default; on a path that drops packets that
    # would hold a Slack request past its 3 s, so give up early and say "try again".
    kwargs.setdefault("connect_args", {"timeout": CONNECT_SECONDS})
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder an SQLite file lives in, so a fresh clone just works."""
    from pathlib import Path

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
