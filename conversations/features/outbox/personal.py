"""What the outbox keeps about a person: the messages addressed to them or their pairs,
and mentions of them in messages to others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import (
    iso,
    outbox_rows_naming,
    pair_ids_of,
    replacer,
    rowcount,
    scrub_mentions,
)
from conversations.registry import Forgetting, personal_data
from storage.models import OutboxMessage, OutboxStatus, Person

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD)
KEPT_AFTER_DELIVERY = timedelta(days=7)
"""How long what a delivered (or skipped) message said stays in the outbox: long enough to
look into a complaint about it, short enough that a ``my-data`` file, a profile in an
introduction or a forwarded reply does not sit in the database for months."""


async def _purge_words(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """What messages said is emptied once it has served: a week after it was delivered or
    skipped, and a message that failed for good after the retention period (a coordinator
    may still retry it until then). The row stays, with its kind and times, so counts stay
    true. Only rows still holding words are touched."""
    holding = and_(OutboxMessage.planned.is_(False), cast(OutboxMessage.payload, Text) != "{}")
    done = and_(
        OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.SKIPPED)),
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) <= now - KEPT_AFTER_DELIVERY,
    )
    given_up = and_(
        OutboxMessage.status == OutboxStatus.DEAD, OutboxMessage.created_at <= now - retention
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(holding, or_(done, given_up))
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def addressed_to(person_id: int, pair_ids: Sequence[int] | Select[int]) -> ColumnElement[bool]:
    """Addressed to them, or to one of their pairs (``pair_ids``) as a pair."""
    return or_(
        OutboxMessage.person_id == person_id,
        and_(OutboxMessage.person_id.is_(None), OutboxMessage.pair_id.in_(pair_ids)),
    )


async def _forget_messages(forgetting: Forgetting) -> None:
    """Messages to them, or to their pairs, that were never delivered are dropped; those
    delivered keep their kind and times (so counts stay true) but lose what they said.
    Mentions of them in what others were sent (rows that name them, by id) become the
    placeholder. Runs after the adapters' hooks, which find their copies through these
    rows."""
    session = forgetting.session
    theirs = addressed_to(forgetting.person.id, list(forgetting.pair_ids))
    await session.execute(
        delete(OutboxMessage)
        .where(theirs, OutboxMessage.status.in_(UNSENT))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(theirs)
        .values(payload={}, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if forgetting.names is not None:
        await scrub_mentions(
            session,
            model=OutboxMessage,
            columns=(OutboxMessage.payload, OutboxMessage.last_error),
            where=OutboxMessage.id.in_(outbox_rows_naming(forgetting.person.id)),
            replace=replacer(forgetting.names, sentences=True),
        )


@personal_data("messages_to_you", forget=_forget_messages, purge=_purge_words, order=90)
async def messages_to_you(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(addressed_to(person.id, pair_ids_of(person.id)))
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "kind": m.kind,
            "to": "you" if m.person_id == person.id else "your pair",
            "status": m.status,
            "created_at": iso(m.created_at),
            "sent_at": iso(m.sent_at),
        }
        for m in rows
    ]
