"""Queries the engine needs, in one place, so handlers read as intent.

Everything takes the caller's session: one inbound event is one transaction,
and a refused or failed event rolls back whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    AuditEntry,
    AuditPerson,
    Enrolment,
    EnrolmentStatus,
    InboundEvent,
    OutboxMention,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Role,
    RoleGrant,
    Workspace,
)

LIVE_PAIR = (PairStatus.ACTIVE, PairStatus.PAUSED)
RUNNING_PROGRAMMES = (ProgrammeStatus.ENROLLING, ProgrammeStatus.ACTIVE)
"""Programmes people may join and whose pairs the planner moves on."""


async def workspace_by_external(
    session: AsyncSession, *, platform: str, external_id: str
) -> Workspace | None:
    return await session.scalar(
        select(Workspace).where(
            Workspace.platform == platform, Workspace.external_id == external_id
        )
    )


async def person_by_platform_id(
    session: AsyncSession, *, workspace_id: int, platform_user_id: str
) -> Person | None:
    return await session.scalar(
        select(Person).where(
            Person.workspace_id == workspace_id, Person.platform_user_id == platform_user_id
        )
    )


PLACEHOLDER_PREFIX = "email:"
"""Platform id given to people imported by email who have not spoken to the bot yet."""


async def placeholder_by_email(
    session: AsyncSession, *, workspace_id: int, email: str
) -> Person | None:
    return await session.scalar(
        select(Person).where(
            Person.workspace_id == workspace_id,
            func.lower(Person.email) == email.strip().lower(),
            Person.platform_user_id.startswith(PLACEHOLDER_PREFIX),
        )
    )


async def person_by_email(session: AsyncSession, *, workspace_id: int, email: str) -> Person | None:
    return await session.scalar(
        select(Person)
        .where(
            Person.workspace_id == workspace_id,
            func.lower(Person.email) == email.strip().lower(),
        )
        .order_by(Person.id)
        .limit(1)
    )


async def people_by_email(session: AsyncSession, *, workspace_id: int, email: str) -> list[Person]:
    """Who has this address (as the platform gave it, or as they were imported by)."""
    rows = await session.scalars(
        select(Person).where(
            Person.workspace_id == workspace_id,
            Person.forgotten_at.is_(None),
            or_(
                Person.platform_user_id == f"{PLACEHOLDER_PREFIX}{email}",
                func.lower(Person.email) == email,
            ),
        )
    )
    return list(rows.unique())


async def roles_of(session: AsyncSession, person: Person) -> frozenset[str]:
    rows = await session.scalars(
        select(RoleGrant.role).where(
            RoleGrant.workspace_id == person.workspace_id, RoleGrant.person_id == person.id
        )
    )
    return frozenset(rows)


async def people_with_role(session: AsyncSession, *, workspace_id: int, role: str) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.workspace_id == workspace_id, RoleGrant.role == role)
        .order_by(Person.id)
    )
    return list(rows)


async def safeguard_for(
    session: AsyncSession, *, workspace_id: int, mentor_id: int, mentee_id: int
) -> Person | None:
    """The adult who sees a safeguarded pair's messages: a coordinator, else a safeguarding
    contact, who is neither of the two (nobody is the safeguard of their own pairing). One
    rule for starting such a pairing (``eligibility``) and for copying its messages on every
    platform (``adapters.store.safeguard``)."""
    return await session.scalar(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.workspace_id == workspace_id,
            RoleGrant.role.in_((Role.COORDINATOR, Role.SAFEGUARDING)),
            Person.id.not_in((mentor_id, mentee_id)),
        )
        .order_by((RoleGrant.role != Role.COORDINATOR), Person.id)
        .limit(1)
    )


async def programme_by_key(
    session: AsyncSession, *, workspace_id: int, key: str
) -> Programme | None:
    return await session.scalar(
        select(Programme).where(Programme.workspace_id == workspace_id, Programme.key == key)
    )


async def programmes(session: AsyncSession, *, workspace_id: int) -> list[Programme]:
    rows = await session.scalars(
        select(Programme).where(Programme.workspace_id == workspace_id).order_by(Programme.key)
    )
    return list(rows)


async def enrolment(
    session: AsyncSession, *, programme_id: int, person_id: int, side: str
) -> Enrolment | None:
    return await session.scalar(
        select(Enrolment).where(
            Enrolment.programme_id == programme_id,
            Enrolment.person_id == person_id,
            Enrolment.side == side,
        )
    )


async def enrolments_of(session: AsyncSession, *, person_id: int) -> list[Enrolment]:
    rows = await session.scalars(
        select(Enrolment)
        .where(Enrolment.person_id == person_id, Enrolment.status != EnrolmentStatus.LEFT)
        .order_by(Enrolment.id)
    )
    return list(rows.unique())


async def live_pairs_of(
    session: AsyncSession, *, person_id: int, programme_id: int | None = None
) -> list[Pair]:
    query = select(Pair).where(
        (Pair.mentor_id == person_id) | (Pair.mentee_id == person_id),
        Pair.status.in_(LIVE_PAIR),
    )
    if programme_id is not None:
        query = query.where(Pair.programme_id == programme_id)
    rows = await session.scalars(query.order_by(Pair.id))
    return list(rows.unique())


async def live_pairs_in(session: AsyncSession, *, programme_id: int) -> list[Pair]:
    rows = await session.scalars(
        select(Pair)
        .where(Pair.programme_id == programme_id, Pair.status.in_(LIVE_PAIR))
        .order_by(Pair.id)
    )
    return list(rows.unique())


async def count_live_mentees(session: AsyncSession, *, programme_id: int, mentor_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(Pair.id)).where(
                Pair.programme_id == programme_id,
                Pair.mentor_id == mentor_id,
                Pair.status.in_(LIVE_PAIR),
            )
        )
        or 0
    )


async def enqueue(
    session: AsyncSession,
    *,
    workspace_id: int,
    key: str,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime,
    created_at: datetime,
    person_id: int | None = None,
    pair_id: int | None = None,
    channel: str | None = None,
    ref_index: int | None = None,
    timing: str = "working",
    expires_at: datetime | None = None,
    planned: bool = False,
    holds: list[dict[str, Any]] | None = None,
    mentions: Iterable[int] = (),
) -> bool:
    """Add an outbox row unless one with this idempotency key exists. True if added.
    ``holds``: what must still be true when it is sent (``conversations.holds``);
    ``mentions``: the ids of everyone it names besides its recipient and its pair's people
    (``OutboxMention``), so that a person's messages are found by id (``forget-me``,
    ``outbox``), never by their name."""
    values = {
        "holds": holds or [],
        "workspace_id": workspace_id,
        "idempotency_key": key,
        "kind": kind,
        "payload": payload,
        "planned": planned,
        "person_id": person_id,
        "pair_id": pair_id,
        "channel": channel,
        "ref_index": ref_index,
        "timing": timing,
        "expires_at": expires_at,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": not_before,
        "created_at": created_at,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    added = (await session.execute(statement)).scalar_one_or_none()
    if added is None:
        return False
    named = set(mentions) - {person_id}
    if named and pair_id is not None:  # the pair's people are named by its pair_id already
        pair = await session.get(Pair, pair_id)
        if pair is not None:
            named -= {pair.mentor_id, pair.mentee_id}
    if named:
        await session.execute(
            insert(OutboxMention).values(
                [{"outbox_id": added, "person_id": person} for person in sorted(named)]
            )
        )
    return True


async def audit(
    session: AsyncSession,
    *,
    workspace_id: int,
    actor_id: int | None,
    action: str,
    at: datetime,
    target: str = "",
    programme_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    people: Sequence[Person] = (),
) -> None:
    """Record an action. ``people`` are who it is about: ``target``, ``before`` and
    ``after`` name them as ``{0}``, ``{1}``… and the names are filled in when the entry is
    read (``conversations.features.admin.entries``), so it is found by id and shows a
    rename or a forgotten person as they are now."""
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor_id=actor_id,
        programme_id=programme_id,
        action=action,
        target=target[:200],  # the column's length: a target names someone, briefly
        before=before,
        after=after,
        created_at=at,
    )
    session.add(entry)
    if people:
        await session.flush()
        session.add_all(
            AuditPerson(entry_id=entry.id, position=position, person_id=person.id)
            for position, person in enumerate(people)
        )


def names(people: Sequence[Person]) -> str:
    """Names joined for a sentence: "Ana, Ben and Chen"."""
    labels = [p.label for p in people]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


async def forget_inbound(
    sessions: async_sessionmaker[AsyncSession], *, platform: str, event_id: str
) -> None:
    """Undo :func:`first_time` for an event whose handling was cut off and rolled back."""
    async with sessions.begin() as session:
        await session.execute(
            delete(InboundEvent).where(
                InboundEvent.platform == platform, InboundEvent.event_id == event_id[:255]
            )
        )


RETRY_IDS_KEPT = timedelta(days=2)
"""How long a platform's event id is kept to recognise a retry: Slack retries within an
hour, the Bot Framework within minutes, so two days is ample."""


async def forget_retry_ids(session: AsyncSession, *, now: datetime) -> int:
    """Ids of events handled long ago serve no purpose (no platform retries that late): they
    go, oldest first. Ids grow with time, so finding the first one still kept reads from
    the start of the table, which this keeps short."""
    cutoff = now - RETRY_IDS_KEPT
    first_kept = await session.scalar(
        select(InboundEvent.id)
        .where(InboundEvent.received_at >= cutoff)
        .order_by(InboundEvent.id)
        .limit(1)
    )
    old = (
        InboundEvent.id < first_kept
        if first_kept is not None
        else InboundEvent.received_at < cutoff
    )
    result = await session.execute(
        delete(InboundEvent).where(old).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def first_time(
    sessions: async_sessionmaker[AsyncSession], *, platform: str, event_id: str, now: datetime
) -> bool:
    """Record a platform's event id; False if it was recorded before (the platform is
    delivering it again), so a retried event has one effect."""
    try:
        async with sessions.begin() as session:
            session.add(InboundEvent(platform=platform, event_id=event_id[:255], received_at=now))
    except IntegrityError:
        return False
    return True
