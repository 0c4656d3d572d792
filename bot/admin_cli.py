"""``mentorbot admin grant``: an operator gives someone a role from the terminal.

The first coordinator of a workspace is whoever installed the app there, or else the
first person to speak to the bot. When neither is who it should be (the app was
installed by IT, the first to speak was a participant), the operator who runs the
server sets it here, by the ids the platform uses, never by a display name.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sqlalchemy import select

from bot.config import Settings
from storage import db, migrate
from storage import repositories as repo
from storage.models import Person, Role, RoleGrant, Workspace


def _a(role: Role) -> str:
    return f"an {role}" if str(role)[0] in "aeiou" else f"a {role}"


async def grant(
    settings: Settings, *, workspace: str, user: str, role: str, platform: str | None
) -> int:
    """Grant ``role`` to the person ``user`` in the workspace (team or tenant) ``workspace``;
    with ``platform``, a workspace nobody there has used yet is set up first."""
    chosen = Role(role)
    db.ensure_sqlite_directory(settings.database_url)
    engine = db.create_engine(settings.database_url)
    sessions = db.session_factory(engine)
    now = datetime.now(UTC)
    try:
        await migrate.upgrade(engine)
        async with sessions.begin() as session:
            query = select(Workspace).where(Workspace.external_id == workspace)
            if platform is not None:
                query = query.where(Workspace.platform == platform)
            found = list((await session.scalars(query)).all())
            if len(found) > 1:
                names = ", ".join(sorted(w.platform for w in found))
                print(
                    f"mentorbot: workspace {workspace} exists on {names}; say which with "
                    "--platform",
                    file=sys.stderr,
                )
                return 2
            if not found and platform is None:
                print(
                    f"mentorbot: nobody in workspace {workspace} has used the bot yet; add "
                    "--platform (e.g. --platform slack) to set it up now",
                    file=sys.stderr,
                )
                return 2
            space = found[0] if found else None
            if space is None:
                space = Workspace(
                    platform=platform, external_id=workspace, settings={}, created_at=now
                )
                session.add(space)
                await session.flush()
            person = await repo.person_by_platform_id(
                session, workspace_id=space.id, platform_user_id=user
            )
            if person is None:  # named when they first speak to the bot
                person = Person(
                    workspace_id=space.id,
                    platform_user_id=user,
                    display_name="",
                    timezone=settings.default_timezone,
                    created_at=now,
                )
                session.add(person)
                await session.flush()
            where = f"{space.platform} workspace {space.external_id}"
            if chosen in await repo.roles_of(session, person):
                print(f"{user} is already {_a(chosen)} in {where}.")
                return 0
            session.add(
                RoleGrant(workspace_id=space.id, person_id=person.id, role=chosen, granted_at=now)
            )
            await repo.audit(
                session,
                workspace_id=space.id,
                actor_id=None,
                action="role.grant",
                target="{0}",
                people=(person,),
                at=now,
                after={"role": str(chosen), "by": "the server's operator"},
            )
        print(f"{user} is now {_a(chosen)} in {where}.")
        return 0
    finally:
        await engine.dispose()
