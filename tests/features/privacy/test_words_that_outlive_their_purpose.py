"""Data that outlives its purpose (issue 16, item 7): what a delivered message said leaves
the outbox a week after delivery, and a resolved concern's words after the retention
period; the rows stay, so every count stays true."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversations.features.privacy.privacy import purge_expired
from storage.models import Concern, InboundEvent, OutboxMessage, OutboxStatus, Pair, Person
from tests.support.harness import Chat, programme_with_pair

WORDS = "My mentor keeps cancelling and said something that upset me."


async def _rows(chat: Chat) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_delivered_message_keeps_its_words_for_a_week_then_only_its_kind_and_times(
    chat: Chat,
) -> None:
    """Regression: a my-data file answered through the outbox (and every introduction, with
    both people's profiles) stayed in the outbox for good, past the retention purge."""
    await programme_with_pair(chat)
    sent = [r for r in await _rows(chat) if r.status == OutboxStatus.SENT and r.payload]
    assert sent, "the pair's introduction and notices were delivered with their words"
    await chat.wait(days=6)
    assert all(r.payload for r in await _rows(chat) if r.id in {s.id for s in sent})
    await chat.wait(days=2)  # ticks run the retention job
    after = {r.id: r for r in await _rows(chat)}
    for row in sent:
        kept = after[row.id]
        assert kept.payload == {}, kept.kind
        assert (kept.kind, kept.status, kept.sent_at) == (row.kind, row.status, row.sent_at)


async def test_a_resolved_concerns_words_go_after_the_retention_period(chat: Chat) -> None:
    await programme_with_pair(chat)
    async with chat.app.sessions.begin() as session:
        pair = await session.scalar(select(Pair))
        ben = await session.scalar(select(Person).where(Person.platform_user_id == "ben"))
        assert pair is not None and ben is not None
        now = chat.clock.now()
        for resolved in (now, None):
            session.add(
                Concern(
                    workspace_id=ben.workspace_id,
                    programme_id=pair.programme_id,
                    pair_id=pair.id,
                    reporter_id=ben.id,
                    category="other",
                    description=WORDS,
                    status="resolved" if resolved else "open",
                    resolved_at=resolved,
                    created_at=now,
                )
            )
    retention = chat.app.settings.retention_days
    for days, words in ((retention - 1, [WORDS, WORDS]), (retention + 1, ["", WORDS])):
        async with chat.app.sessions.begin() as session:
            await purge_expired(
                session,
                now=chat.clock.now() + timedelta(days=days),
                retention_days=retention,
                hooks=chat.app.engine.registry.personal_data,
            )
        async with chat.app.sessions() as session:
            kept = list(await session.scalars(select(Concern).order_by(Concern.id)))
        assert [c.description for c in kept] == words  # an open concern keeps its words
        assert [c.status for c in kept] == ["resolved", "open"]


async def test_the_ids_kept_to_spot_retries_go_once_no_retry_can_come(chat: Chat) -> None:
    """Found writing SECURITY.md: every platform event id was kept for good. Two days on,
    it goes; a recent one stays, so a retry arriving now is still recognised."""
    async with chat.app.sessions.begin() as session:
        for event_id, age in (("old-1", 5), ("old-2", 3), ("recent", 0)):
            session.add(
                InboundEvent(
                    platform="slack",
                    event_id=event_id,
                    received_at=chat.clock.now() - timedelta(days=age, hours=1),
                )
            )
    await chat.wait(days=1)  # ticks run the job
    async with chat.app.sessions() as session:
        kept = list(await session.scalars(select(InboundEvent.event_id)))
    assert kept == ["recent"]
