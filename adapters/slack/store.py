"""What the Slack adapter keeps in the database, in one place.

Slack's installations (a workspace's bot token, refreshed by token rotation) and the
OAuth ``state`` of an install in progress live in tables our migrations create,
through slack-sdk's SQLAlchemy stores; which events were already handled is shared
with every adapter (:func:`adapters.store.first_time`). Request handling, tokens and
the transport come here instead of running queries of their own.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.store import Pair, Workspace
from storage import repositories as repo
from storage.models import Role

__all__ = ["Pair", "Workspace", "coordinator_copy", "installations", "oauth_states"]
STATE_SECONDS = 600
"""How long an install link stays good: Slack's consent screen, then the redirect back."""


def installations(client_id: str, database: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    """Each workspace's installation (its bot token), in our database."""
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=database)


def oauth_states(database: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    """The ``state`` of installs in progress, so a forged redirect back is refused."""
    return AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=database)


async def coordinator_copy(sessions: async_sessionmaker[AsyncSession], pair: Pair) -> str | None:
    """The adult added to a safeguarded pair's space (a group DM): a coordinator, else a
    safeguarding contact, who is not in the pair (a coordinator who mentors in it is not
    the safeguard of their own pairing)."""
    async with sessions() as session:
        for role in (Role.COORDINATOR, Role.SAFEGUARDING):
            for person in await repo.people_with_role(
                session, workspace_id=pair.programme.workspace_id, role=role
            ):
                if person.id not in (pair.mentor_id, pair.mentee_id):
                    return person.platform_user_id
    return None
