"""What the Teams adapter keeps in the database, so any instance can message anyone.

A bot can only message a Teams user or channel proactively with a
ConversationReference it was given earlier (its service URL, the conversation
id, the bot's own id). Each person's reference lives on ``people.conversation_ref``;
team channels' in ``teams_conversations``. Every copy of an outbox message the
bot posts is recorded in ``teams_messages`` (see :class:`storage.models.TeamsMessage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, delete, false, func, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import store as shared
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Attachment, Message
from conversations.outbox import Outbox
from conversations.personal_data import outbox_rows_naming, replacer, scrub_mentions
from conversations.registry import Forgetting, PersonalData, Registry
from storage.models import OutboxMessage, Pair, Person, TeamsConversation, TeamsMessage, Workspace

__all__ = ["Pair", "Person", "Workspace"]

PLATFORM = "teams"


async def workspace(session: AsyncSession, tenant: str, now: datetime) -> Workspace:
    """The tenant's workspace, created when the bot first hears from it."""
    found = await session.scalar(
        select(Workspace).where(Workspace.platform == PLATFORM, Workspace.external_id == tenant)
    )
    if found is not None:
        return found
    created = Workspace(platform=PLATFORM, external_id=tenant, settings={}, created_at=now)
    try:
        async with session.begin_nested():
            session.add(created)
    except IntegrityError:  # another request created it a moment ago
        found = await session.scalar(
            select(Workspace).where(Workspace.platform == PLATFORM, Workspace.external_id == tenant)
        )
        assert found is not None
        return found
    return created


def same_source(stored: dict[str, Any], reference: dict[str, Any]) -> bool:
    """Whether a new reference comes from where the stored one did: the same Bot Framework
    channel and the same tenant. A personal chat's id and service URL may change (the app
    reinstalled, a region moved); its channel and tenant do not."""

    def tenant(ref: dict[str, Any]) -> object:
        conversation = ref.get("conversation")
        return conversation.get("tenantId") if isinstance(conversation, dict) else None

    return stored.get("channelId") == reference.get("channelId") and tenant(stored) == tenant(
        reference
    )


async def remember_person(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant: str,
    user_id: str,
    reference: dict[str, Any],
) -> bool:
    """Store the person's 1:1 chat reference; False when the person is not known yet."""
    async with sessions.begin() as session:
        person = await _person(session, tenant=tenant, user_id=user_id)
        if person is None:
            return False
        stored = person.conversation_ref
        if stored and not same_source(stored, reference):
            return False  # an activity from elsewhere never re-points someone's chat
        if stored != reference:
            person.conversation_ref = reference

        if not person.reachable:
            person.reachable = True  # they are talking to the bot again
        return True


async def remember_conversation(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant: str,
    conversation_id: str,
    kind: str,
    name: str,
    reference: dict[str, Any],
    now: datetime,
    team_id: str | None = None,
) -> None:
    """Store (or refresh) a channel's or chat's reference."""
    for _ in range(2):  # a concurrent first insert loses once, then updates
        try:
            async with sessions.begin() as session:
                space = await workspace(session, tenant, now)
                row = await session.scalar(
                    select(TeamsConversation).where(
                        TeamsConversation.workspace_id == space.id,
                        TeamsConversation.conversation_id == conversation_id,
                    )
                )
                if row is None:
                    session.add(
                        TeamsConversation(
                            workspace_id=space.id,
                            conversation_id=conversation_id,
                            kind=kind,
                            name=name,
                            reference=reference,
                            updated_at=now,
                            team_id=team_id,
                        )
                    )
                else:
                    row.kind, row.name, row.reference, row.updated_at = (
                        kind,
                        name,
                        reference,
                        now,
                    )
                    row.team_id = team_id or row.team_id
            return
        except IntegrityError:
            continue


async def _person(session: AsyncSession, *, tenant: str, user_id: str) -> Person | None:
    """Someone in a Teams tenant, by their Teams user id."""
    return await session.scalar(
        select(Person)
        .join(Workspace, Workspace.id == Person.workspace_id)
        .where(
            Workspace.platform == PLATFORM,
            Workspace.external_id == tenant,
            Person.platform_user_id == user_id,
        )
    )


async def forget_chat(
    sessions: async_sessionmaker[AsyncSession], *, tenant: str, user_id: str
) -> bool:
    """The person removed the app from their own chat: its reference is dropped, so nothing
    is posted there and no chat is started for them in its place (they are unreachable
    until they add the app again: see :func:`remember_person`). False if unknown."""
    async with sessions.begin() as session:
        person = await _person(session, tenant=tenant, user_id=user_id)
        if person is None:
            return False
        person.conversation_ref = null()  # SQL NULL, not a JSON null
        return True


async def forget_conversations(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant: str,
    conversation_ids: set[str],
    team_id: str | None,
) -> int:
    """The app was removed from a team (every channel of it) or a group chat: their
    references go, so announcements there stop rather than fail, and their names no longer
    answer ``#channel``. Returns how many were forgotten."""
    async with sessions.begin() as session:
        space = await shared.workspace(session, platform=PLATFORM, external_id=tenant)
        if space is None:
            return 0
        which = or_(
            TeamsConversation.conversation_id.in_(conversation_ids),
            TeamsConversation.team_id == team_id if team_id else false(),
        )
        result = await session.execute(
            delete(TeamsConversation)
            .where(TeamsConversation.workspace_id == space.id, which)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def conversation_reference(
    session: AsyncSession, workspace_id: int, conversation_id: str
) -> dict[str, Any] | None:
    row = await session.scalar(
        select(TeamsConversation.reference).where(
            TeamsConversation.workspace_id == workspace_id,
            TeamsConversation.conversation_id == conversation_id,
        )
    )
    return dict(row) if row else None


async def any_reference(session: AsyncSession, workspace_id: int) -> dict[str, Any] | None:
    """A recent reference in the tenant: its service URL and bot id let the bot start a chat
    with someone who never opened one."""
    row = await session.scalar(
        select(TeamsConversation.reference)
        .where(TeamsConversation.workspace_id == workspace_id)
        .order_by(TeamsConversation.updated_at.desc())
        .limit(1)
    )
    if row:
        return dict(row)
    refs = await session.scalars(
        select(Person.conversation_ref)
        .where(Person.workspace_id == workspace_id, Person.conversation_ref.is_not(None))
        .order_by(Person.id.desc())
        .limit(50)
    )
    # A JSON null is not SQL NULL: skip it here rather than trust the filter.
    return next((dict(ref) for ref in refs if isinstance(ref, dict) and ref), None)


async def save_person_reference(
    session: AsyncSession, person_id: int, reference: dict[str, Any]
) -> None:
    person = await session.get(Person, person_id)
    if person is not None:
        person.conversation_ref = reference


async def copies_sent(session: AsyncSession, key: str) -> dict[str, str]:
    """Recipient → activity id of each copy of an outbox message already posted."""
    rows = await session.execute(
        select(TeamsMessage.recipient, TeamsMessage.activity_id).where(
            TeamsMessage.outbox_key == key
        )
    )
    return {recipient: activity for recipient, activity in rows}


def record(
    session: AsyncSession,
    *,
    workspace_id: int,
    conversation_id: str,
    activity_id: str,
    recipient: str,
    message: Message,
    now: datetime,
    outbox_key: str | None = None,
) -> None:
    """Note a posted message; its neutral form is kept only when it can be answered."""
    row = TeamsMessage(
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        activity_id=activity_id,
        outbox_key=outbox_key,
        recipient=recipient,
        sent_at=now,
    )
    if message.buttons():  # left unset otherwise: SQL NULL, not a JSON null
        row.message = message.to_json()
    session.add(row)


async def answerable(
    session: AsyncSession, conversation_id: str, activity_id: str
) -> Message | None:
    """The neutral message behind a card the bot posted, to redraw it once answered."""
    stored = await session.scalar(
        select(TeamsMessage.message)
        .where(
            TeamsMessage.conversation_id == conversation_id,
            TeamsMessage.activity_id == activity_id,
            TeamsMessage.message.is_not(None),
        )
        .limit(1)
    )
    return Message.from_json(dict(stored)) if stored else None


async def now_shown(
    session: AsyncSession, conversation_id: str, activity_id: str, message: Message
) -> None:
    """Keep ``message`` as what a posted card now shows (one line of it answered), so the
    next press redraws from it."""
    await session.execute(
        update(TeamsMessage)
        .where(
            TeamsMessage.conversation_id == conversation_id,
            TeamsMessage.activity_id == activity_id,
            TeamsMessage.message.is_not(None),
        )
        .values(message=message.to_json())
        .execution_options(synchronize_session=False)
    )


async def person_reference(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    """The person's own 1:1 chat reference, as stored now (not as the delivery loaded it)."""
    person = await session.get(Person, person_id)
    return dict(person.conversation_ref) if person is not None and person.conversation_ref else None


async def chat_removed(session: AsyncSession, person_id: int) -> bool:
    """Whether the person has no chat with the bot and is known to be out of its reach (they
    removed the app, or Teams refused a chat with them): none is started for them."""
    person = await session.get(Person, person_id)
    return person is not None and not person.conversation_ref and not person.reachable


async def channels_named(
    sessions: async_sessionmaker[AsyncSession], *, tenant: str, names: set[str]
) -> dict[str, list[str]]:
    """Lower-cased channel name → the ids of the tenant's stored channels of that name."""
    async with sessions() as session:
        space = await shared.workspace(session, platform=PLATFORM, external_id=tenant)
        if space is None:
            return {}
        rows = await session.execute(
            select(TeamsConversation.name, TeamsConversation.conversation_id).where(
                TeamsConversation.workspace_id == space.id,
                TeamsConversation.kind == "channel",
                func.lower(TeamsConversation.name).in_([n.lower() for n in names]),
            )
        )
        found: dict[str, list[str]] = {}
        for name, conversation in rows:
            found.setdefault(name.lower(), []).append(conversation)
    return found


async def queue_privately(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant: str,
    user_id: str,
    replies: list[Message],
    key: str,
    now: datetime,
) -> bool:
    """Queue ``replies`` for the person's 1:1 chat (urgent, keyed ``key:<index>`` so a
    redelivery queues nothing twice); False when the bot does not know them yet."""
    async with sessions.begin() as session:
        space = await shared.workspace(session, platform=PLATFORM, external_id=tenant)
        person = (
            await shared.person(session, workspace_id=space.id, user_id=user_id)
            if space is not None
            else None
        )
        if person is None:
            return False
        outbox = Outbox(session, now)
        for index, reply in enumerate(replies):
            await outbox.to_person(person, reply, key=f"{key}:{index}", holds=ALWAYS, urgent=True)

    return True


@dataclass(frozen=True, slots=True)
class WaitingFile:
    """A file offered with a consent card, waiting for the person to accept it."""

    id: int
    activity_id: str
    attachment: Attachment


async def offer_file(
    sessions: async_sessionmaker[AsyncSession],
    *,
    workspace_id: int,
    conversation_id: str,
    recipient: str,
    attachment: Attachment,
    now: datetime,
) -> int:
    """Keep a file until its recipient accepts or declines it; returns its id for the card."""
    async with sessions.begin() as session:
        row = TeamsMessage(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            activity_id="",
            recipient=recipient,
            message=Message(
                text=attachment.name, attachments=(attachment,), kind=Kind.FILE
            ).to_json(),
            sent_at=now,
        )
        session.add(row)
        await session.flush()
        return row.id


async def file_card_posted(
    sessions: async_sessionmaker[AsyncSession], file_id: int, activity_id: str
) -> None:
    """Note the consent card's activity, so it can be replaced once answered."""
    async with sessions.begin() as session:
        stored = await session.get(TeamsMessage, file_id)
        if stored is not None:
            stored.activity_id = activity_id


async def waiting_file(
    sessions: async_sessionmaker[AsyncSession], file_id: int, *, recipient: str
) -> WaitingFile | None:
    """The file waiting under ``file_id``, if it is still there and was offered to
    ``recipient`` (nobody accepts a file offered to someone else)."""
    async with sessions() as session:
        row = await session.get(TeamsMessage, file_id)
        if row is None or row.recipient != recipient or not isinstance(row.message, dict):
            return None
        attachment = Message.from_json(row.message).attachments[0]
        return WaitingFile(id=row.id, activity_id=row.activity_id, attachment=attachment)


async def drop_file(sessions: async_sessionmaker[AsyncSession], file_id: int) -> None:
    """The file was accepted or declined: it is not kept any longer."""
    async with sessions.begin() as session:
        stored = await session.get(TeamsMessage, file_id)
        if stored is not None:
            stored.message = null()  # SQL NULL, not a JSON null


# -- personal data ----------------------------------------------------------------------------
# The adapter keeps a copy of each card it posts (to redraw it once answered), the bytes of a
# file waiting for its recipient to accept it, and the names of the conversations it was
# added to. The engine knows none of this: ``register`` adds a hook for these tables to the
# engine's registry, and ``forget-me`` and the retention purge run it.

KEPT_FOR = timedelta(days=14)
"""How long the copy of a posted card or an offered file is kept."""


async def forget_person(forgetting: Forgetting) -> None:
    """Everything here is found by id, never by looking for their name: their own copies
    go; their partner's copies of pair messages lose what they said; copies of messages
    that name them (the outbox says so, by id) have the mention replaced. Every file still
    waiting in the workspace is dropped (an export may list them; whoever it was for can
    ask again), and so is every kept copy of a direct reply (a reply is linked to nobody
    by id, and may have named them; the copy only serves to redraw an answered card).
    Conversations stored from their own activities forget them."""
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
    await session.execute(
        update(TeamsMessage)
        .where(
            TeamsMessage.workspace_id == person.workspace_id,
            TeamsMessage.message.is_not(None),
            or_(
                cast(TeamsMessage.message, Text).contains('"media_type"'),
                TeamsMessage.outbox_key.is_(None),
            ),
        )
        .values(message=null())
        .execution_options(synchronize_session=False)
    )
    await _forget_in_conversations(forgetting)
    if forgetting.names is None:
        return
    named = select(OutboxMessage.idempotency_key).where(
        OutboxMessage.id.in_(outbox_rows_naming(person.id))
    )
    await scrub_mentions(
        session,
        model=TeamsMessage,
        columns=(TeamsMessage.message,),
        where=TeamsMessage.outbox_key.in_(named),
        replace=replacer(forgetting.names, sentences=True),
    )


async def _forget_in_conversations(forgetting: Forgetting) -> None:
    """Their 1:1 chat's stored reference goes (nobody can write to them any more); in any
    other conversation stored from one of their activities, the reference's ``user`` (their
    id and name, as Teams sent them) is dropped: posting to a channel does not need it."""
    session = forgetting.session
    rows = await session.scalars(
        select(TeamsConversation).where(
            TeamsConversation.workspace_id == forgetting.person.workspace_id
        )
    )
    for row in rows:
        user = row.reference.get("user") if isinstance(row.reference, dict) else None
        if not isinstance(user, dict) or user.get("id") != forgetting.platform_user_id:
            continue
        if row.kind == "personal":
            await session.delete(row)
        else:
            row.reference = {k: v for k, v in row.reference.items() if k != "user"}


async def purge_copies(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Copies kept to redraw an answered card, or a file waiting for its recipient (such as
    a my-data.json), go after two weeks. Returns how many were cleared."""
    result = await session.execute(
        update(TeamsMessage)
        .where(TeamsMessage.message.is_not(None), TeamsMessage.sent_at <= now - KEPT_FOR)
        .values(message=null())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


PERSONAL_DATA = PersonalData(
    name="teams adapter copies", forget=forget_person, purge=purge_copies, order=85
)
"""Before the outbox's hook (90): the outbox rows say which copies were the person's."""


def register(registry: Registry) -> None:
    """Add this adapter's personal-data hook (its tables exist whether or not Teams is on)."""
    registry.add_personal_data(PERSONAL_DATA)
