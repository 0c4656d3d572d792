"""``mentorbot digest preview``: the executive digest in the terminal, and its chart as a PNG.

It reads the database in ``DATABASE_URL`` and shows what a digest covering every
opened programme of a workspace (or one programme) would say right now, in the
reader's time zone; the chart goes to a file, since a terminal cannot show it.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from adapters.console.render import render
from bot.config import Settings
from conversations.clock import SystemClock
from conversations.features.digest import digest
from storage import db, migrate
from storage.models import Programme, ProgrammeStatus, Workspace


async def preview(
    settings: Settings,
    *,
    programme_key: str | None,
    workspace: str | None,
    out: Path,
    timezone: str | None = None,
    now: datetime | None = None,
) -> int:
    # The database, migrated as ``build`` would, and not the whole app: assembling the
    # engine imports every command, the matcher's numpy and the curricula, and a preview
    # needs none of them (about a second of a two-second command).
    db.ensure_sqlite_directory(settings.database_url)
    database = db.create_engine(settings.database_url)
    try:
        await migrate.upgrade(database)
        async with db.session_factory(database)() as session:
            query = (
                select(Workspace.id, Workspace.platform, Workspace.external_id, Programme.id)
                .join(Programme, Programme.workspace_id == Workspace.id)
                .where(Programme.status != ProgrammeStatus.DRAFT)
            )
            if programme_key:
                query = query.where(Programme.key == programme_key.lower())
            if workspace:
                query = query.where(Workspace.external_id == workspace)
            rows = list(await session.execute(query))
            spaces = sorted({(r[0], r[1], r[2]) for r in rows})
            if not spaces:
                what = f"programme '{programme_key}'" if programme_key else "opened programme"
                print(f"mentorbot: no {what} to report on in this database", file=sys.stderr)
                return 1
            if len(spaces) > 1:
                names = ", ".join(f"{p}:{e}" for _, p, e in spaces)
                print(
                    f"mentorbot: several workspaces match ({names}); choose one with --workspace",
                    file=sys.stderr,
                )
                return 2
            space_id = spaces[0][0]
            programme_id = rows[0][3] if programme_key else None
            message = await digest.compose(
                session,
                workspace_id=space_id,
                programme_id=programme_id,
                timezone=timezone or settings.default_timezone,
                now=now or SystemClock().now(),
                min_group=settings.digest_min_group,
            )
        if message is None:
            print("mentorbot: nothing to report yet", file=sys.stderr)
            return 1
        print(render(message))
        for attachment in message.attachments:
            await asyncio.to_thread(_write, out, attachment.data)
            print(f"\nchart written to {out}")
        return 0
    finally:
        await database.dispose()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
