"""A database error never carries the values of the statement that failed.

Found writing SECURITY.md (issue 16, item 6): the trace of an unexpected database error is
logged, and SQLAlchemy's message includes the statement's parameters, which can be a private
reflection or a concern's words. The engine is made with ``hide_parameters``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from storage import db
from storage.models import Workspace

SECRET = "a private word nobody may log"


async def test_a_failed_statement_says_what_failed_but_not_what_was_in_it(
    database_url: str,
) -> None:
    engine = db.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            row = {"platform": "console", "external_id": SECRET, "name": SECRET, "settings": {}}
            await connection.execute(insert(Workspace), [{**row, "created_at": None}])
    except IntegrityError as exc:
        assert "workspaces" in str(exc)
        assert SECRET not in str(exc)
    else:
        pytest.fail("a workspace without its creation time was stored")
    finally:
        await engine.dispose()
