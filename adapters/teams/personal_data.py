"""The Teams adapter's own personal data: the copies it keeps of what it posted.

The adapter keeps a copy of each card it posts (to redraw it once answered) and the bytes
of a file waiting for its recipient to accept it (``teams_messages``), and the names of
the conversations it was added to (``teams_conversations``). The engine knows none of
this; ``register`` adds a hook for these tables to the engine's registry, and ``forget-me``
and the retention purge run it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Text, cast, delete, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.features.privacy.privacy import replacer, scrub_mentions
from conversations.messages import Message
from conversations.registry import Forgetting, PersonalData, Registry
from storage.models import OutboxMessage, TeamsConversation, TeamsMessage

KEPT_FOR = timedelta(days=14)
"""How long the copy of a posted card or an offered file is kept."""


async def forget(forgetting: Forgetting) -> None:
    """Their copies go; their partner's copies of pair messages lose what they said; files
    waiting for anyone that mention them are dropped; names in what is left are replaced."""
    session, person = forgetting.session, forgetting.person
    if forgetting.pair_ids:
        keys = select(OutboxMessage.idempotency_key).where(
            OutboxMessage.person_id.is_(None), OutboxMessage.pair_id.in_(forgetting.pair_ids)
        )
        await session.execute(
            update(TeamsMessage)
            .where(TeamsMessage.outbox_key.in_(keys), TeamsMessage.message.is_not(None))
            .values(message=null())
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        delete(TeamsMessage)
        .where(
            TeamsMessage.workspace_id == person.workspace_id,
            TeamsMessage.recipient == forgetting.platform_user_id,
        )
        .execution_options(synchronize_session=False)
    )
    if forgetting.names is None:
        return
    await _drop_waiting_files(session, workspace_id=person.workspace_id, forgetting=forgetting)
    for model, columns, sentences in (
        (TeamsMessage, (TeamsMessage.message,), True),
        (TeamsConversation, (TeamsConversation.name, TeamsConversation.reference), False),
    ):
        await scrub_mentions(
            session,
            model=model,
            columns=columns,
            workspace_id=person.workspace_id,
            needles=forgetting.needles,
            replace=replacer(forgetting.names, sentences=sentences),
        )


async def _drop_waiting_files(
    session: AsyncSession, *, workspace_id: int, forgetting: Forgetting
) -> None:
    """Files waiting for someone to accept them (an export, say) that mention the person
    are dropped; whoever it was for is told it is no longer available and can ask again."""
    assert forgetting.names is not None
    rows = await session.execute(
        select(TeamsMessage.id, TeamsMessage.message).where(
            TeamsMessage.workspace_id == workspace_id,
            TeamsMessage.message.is_not(None),
            cast(TeamsMessage.message, Text).contains('"media_type"'),
        )
    )
    drop = []
    for row_id, stored in rows:
        if not isinstance(stored, dict):
            continue
        message = Message.from_json(stored)
        text = " ".join(a.data.decode("utf-8", "replace") for a in message.attachments)
        if forgetting.names.search(text):
            drop.append(row_id)
    if drop:
        await session.execute(
            update(TeamsMessage)
            .where(TeamsMessage.id.in_(drop))
            .values(message=null())
            .execution_options(synchronize_session=False)
        )


async def purge(session: AsyncSession, now: datetime) -> int:
    """Copies kept to redraw an answered card, or a file waiting for its recipient (such as
    a my-data.json), go after two weeks. Returns how many were cleared."""
    result = await session.execute(
        update(TeamsMessage)
        .where(TeamsMessage.message.is_not(None), TeamsMessage.sent_at <= now - KEPT_FOR)
        .values(message=null())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


HOOK = PersonalData(name="teams adapter copies", forget=forget, purge=purge)


def register(registry: Registry) -> None:
    """Add this adapter's personal-data hook (its tables exist whether or not Teams is on)."""
    registry.add_personal_data(HOOK)
