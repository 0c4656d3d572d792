"""Where the bot was removed from, and what becomes of the messages queued for there.

A platform tells the bot when it is taken away: Slack's ``app_uninstalled`` and
``tokens_revoked`` events for a whole workspace, or an API call refused because the
workspace's token is gone. The workspace then records when and why (``removed_at``,
``removed_reason``), and from that moment the dispatcher sends nothing there: each
message that falls due is skipped with a reason a coordinator can read in
``outbox skipped``, rather than retried with a token that will never work again, and
nobody is told about it through that same workspace (there is no way in). The adapter
forgets the tokens itself; this module holds only the platform-neutral state, so the
engine and the dispatcher never need to know which platform said it.

Messages skipped while the bot was away are not sent later: they said what was true
then. When the bot is installed again (a new OAuth install), or anyone there reaches
it again (which Slack only allows once it is installed), the workspace is restored and
what is queued from then on goes out as usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Workspace

REMOVED = "Mentorbot was removed from this workspace"
MAX_REASON = 200
"""The length of ``workspaces.removed_reason``."""


def skip_reason(workspace: Workspace) -> str:
    """Why a message to a removed workspace was not sent, as ``outbox skipped`` shows it."""
    said = f" ({workspace.removed_reason})" if workspace.removed_reason else ""
    return f"{REMOVED}{said}, so it was not sent; nothing is sent there until it is installed again"


def removed(workspace: Workspace, *, reason: str, now: datetime) -> None:
    """Record that the bot was removed from ``workspace``: from now on nothing is sent there.
    Told twice (the uninstall event, then the token revoked), it keeps the first moment and
    the latest words."""
    if workspace.removed_at is None:
        workspace.removed_at = now
    workspace.removed_reason = reason[:MAX_REASON]


async def workspace_removed(
    session: AsyncSession, *, platform: str, external_id: str, reason: str, now: datetime
) -> bool:
    """:func:`removed` for a workspace named by its platform id; False when the bot never
    stored it (nothing was ever queued there, so there is nothing to stop)."""
    workspace = await repo.workspace_by_external(
        session, platform=platform, external_id=external_id
    )
    if workspace is None:
        return False
    removed(workspace, reason=reason, now=now)
    return True


async def removed_by_id(
    session: AsyncSession, workspace_id: int, *, reason: str, now: datetime
) -> None:
    """:func:`removed`, for the dispatcher, which knows a delivery's workspace by its id."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is not None:
        removed(workspace, reason=reason, now=now)


def restored(workspace: Workspace) -> bool:
    """The bot is back in ``workspace``: what is queued from now on is sent. True if it had
    been removed."""
    if workspace.removed_at is None:
        return False
    workspace.removed_at = None
    workspace.removed_reason = None
    return True


async def workspace_restored(session: AsyncSession, *, platform: str, external_id: str) -> bool:
    """:func:`restored` for a workspace named by its platform id (a new install of the app)."""
    workspace = await repo.workspace_by_external(
        session, platform=platform, external_id=external_id
    )
    return workspace is not None and restored(workspace)


async def is_removed(session: AsyncSession, *, platform: str, external_id: str) -> bool:
    """Whether the platform said the bot was removed from this workspace (and it is not back)."""
    workspace = await repo.workspace_by_external(
        session, platform=platform, external_id=external_id
    )
    return workspace is not None and workspace.removed_at is not None
