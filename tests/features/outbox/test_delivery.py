"""The outbox: every message is sent once, failures retry with backoff, nothing is dropped."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from conversations.delivery import MAX_ATTEMPTS, Claim, Delivery, DeliveryError
from storage.models import OutboxMessage, OutboxStatus, Pair, Person
from tests.support.harness import Chat, programme_with_pair


@dataclass
class Flaky:
    """Fails the first ``failures`` sends, then delivers; records what got through."""

    failures: int = 0
    error: Exception = field(default_factory=lambda: DeliveryError("platform said 500"))
    delivered: list[str] = field(default_factory=list)
    calls: int = 0

    async def send(self, delivery: Delivery) -> str | None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        self.delivered.append(delivery.key)
        return f"ts-{delivery.outbox_id}"


async def _rows(chat: Chat) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_each_message_is_sent_once_however_often_the_dispatcher_runs(chat: Chat) -> None:
    transport = Flaky()
    chat.dispatcher = chat.app.dispatcher(transport, concurrency=1)
    await programme_with_pair(chat)
    await chat.say("ben", "met")
    for _ in range(3):
        await chat.dispatcher.deliver_due()
    assert sorted(transport.delivered) == sorted(set(transport.delivered))
    assert len(transport.delivered) == 4  # intro, two check-ins, next agenda
    rows = await _rows(chat)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.platform_message_id == f"ts-{r.id}" for r in rows)


async def test_a_failed_send_waits_and_retries_then_succeeds(chat: Chat) -> None:
    transport = Flaky(failures=2)
    chat.dispatcher = chat.app.dispatcher(transport, concurrency=1)
    await programme_with_pair(chat)
    [row] = await _rows(chat)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PENDING,
        1,
        "platform said 500",
    )
    assert row.not_before >= chat.clock.now()
    await chat.dispatcher.deliver_due()  # not due yet unless backoff drew zero
    chat.clock.advance(timedelta(hours=2))
    await chat.dispatcher.deliver_due()
    chat.clock.advance(timedelta(hours=2))
    await chat.dispatcher.deliver_due()
    [row] = await _rows(chat)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert transport.delivered == ["pair:1:intro"]


@pytest.mark.slow
async def test_retry_after_from_the_platform_is_honoured(chat: Chat) -> None:
    transport = Flaky(failures=1, error=DeliveryError("ratelimited", retry_after=30))
    chat.dispatcher = chat.app.dispatcher(transport, concurrency=1)
    await programme_with_pair(chat)
    [row] = await _rows(chat)
    assert row.not_before == chat.clock.now() + timedelta(seconds=30)
    chat.clock.advance(timedelta(seconds=29))
    await chat.dispatcher.deliver_due()
    assert transport.delivered == []
    chat.clock.advance(timedelta(seconds=1))
    await chat.dispatcher.deliver_due()
    assert transport.delivered == ["pair:1:intro"]


async def test_after_the_last_attempt_a_message_is_kept_as_dead_not_dropped(chat: Chat) -> None:
    transport = Flaky(failures=100, error=RuntimeError("adapter bug"))
    chat.dispatcher = chat.app.dispatcher(transport, concurrency=1)
    await programme_with_pair(chat)
    for _ in range(30):  # a day at a time: retries wait for working hours too
        chat.clock.advance(timedelta(days=1))
        await chat.dispatcher.deliver_due()
    [row] = [r for r in await _rows(chat) if r.kind == "introduction"]
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, MAX_ATTEMPTS)
    assert row.last_error == "RuntimeError: adapter bug"
    assert transport.calls >= MAX_ATTEMPTS  # then the coordinators' notice, also failing


async def test_a_permanent_failure_is_dead_at_once(chat: Chat) -> None:
    transport = Flaky(failures=1, error=DeliveryError("user_not_found", permanent=True))
    chat.dispatcher = chat.app.dispatcher(transport, concurrency=1)
    await programme_with_pair(chat)
    [row] = [r for r in await _rows(chat) if r.kind == "introduction"]
    assert (row.status, row.last_error) == (OutboxStatus.DEAD, "user_not_found")


async def test_someone_the_platform_says_is_gone_has_their_pairs_paused(chat: Chat) -> None:
    class Gone:
        async def send(self, delivery: Delivery) -> str | None:
            if delivery.person is not None and delivery.person.platform_user_id == "ben":
                raise DeliveryError("unreachable: user_not_found (users ben)", permanent=True)
            return "ok"

    await programme_with_pair(chat)
    chat.dispatcher = chat.app.dispatcher(Gone(), concurrency=1, platforms=frozenset({"console"}))
    await chat.say("ana", "pause")  # Ben is told personally, which fails
    await chat.say("ana", "resume")
    await chat.dispatcher.drain()
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
        ben = await session.scalar(select(Person).where(Person.platform_user_id == "ben"))
    assert pair is not None and ben is not None
    assert (pair.status, pair.paused_by, ben.reachable) == ("paused", "unreachable", False)
    notices = [r.payload["text"] for r in await _rows(chat) if r.kind == "delivery_problem"]
    assert notices and all(n.startswith("I can't reach Ben on console any more") for n in notices)


async def test_a_batch_whose_queue_fails_lets_the_others_finish_before_it_raises(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queue failing (its database connection dropped) must not leave the batch's other
    queues sending behind the ticker's back while it claims the next batch."""
    chat.dispatcher = chat.app.dispatcher(Flaky(), platforms=frozenset())  # queue, not send
    await programme_with_pair(chat)  # the introduction goes to the pair's conversation
    await chat.say("ben", "met")  # two check-ins, each to one person: three conversations
    dispatcher = chat.app.dispatcher(Flaky(), concurrency=4, platforms=frozenset({"console"}))
    finished: list[int] = []
    release = asyncio.Event()
    first = True

    async def deliver(claim: Claim) -> int:
        nonlocal first
        if first:
            first = False
            raise ConnectionResetError("the database went away")
        await release.wait()
        finished.append(claim.outbox_id)
        return 1

    monkeypatch.setattr(dispatcher, "_deliver", deliver)
    batch = asyncio.create_task(dispatcher.deliver_batch())
    await asyncio.sleep(0.2)
    assert not batch.done(), "the batch ended while its other queues were still sending"
    release.set()
    with pytest.raises(ConnectionResetError):
        await batch
    assert len(finished) >= 2
