"""Outbox rows seeded straight into a database, and the check that each went out once.

The multi-instance and fault tests seed rows addressed to channels and timed "now",
so nobody's working hours or planning are involved: only claiming, leasing,
sending, confirming and retrying. Rows for a ``webhook`` workspace go through the
webhook transport (``OUTBOX_WEBHOOK_URL``, a :class:`tests.support.fake_platform.FakePlatform`)
with no platform rate limit; rows for a ``slack`` workspace are spaced as Slack
requires (one message a second per channel).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.app import App
from conversations.messages import Message
from storage import db
from storage.models import OutboxMessage, OutboxStatus, Workspace
from storage.repositories import enqueue
from tests.support.fake_platform import FakePlatform


async def seed(
    url: str,
    count: int,
    *,
    channels: int = 30,
    platform: str = "slack",
    external_id: str | None = None,
    not_before: datetime | None = None,
    label: str = "multi",
) -> list[str]:
    """``count`` outbox rows due at ``not_before`` (default now) for one workspace of
    ``platform``, spread over ``channels`` channels; returns their idempotency keys.

    The workspace is created unless one with ``external_id`` exists already."""
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    due = not_before or now
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine).begin() as session:
            external = external_id or f"T{run}"
            workspace = await session.scalar(
                select(Workspace).where(
                    Workspace.platform == platform, Workspace.external_id == external
                )
            )
            if workspace is None:
                workspace = Workspace(
                    platform=platform, external_id=external, name="Multi", created_at=now
                )
                session.add(workspace)
                await session.flush()
            keys = [f"{label}:{run}:{i}" for i in range(count)]
            for i, key in enumerate(keys):
                added = await enqueue(
                    session,
                    workspace_id=workspace.id,
                    key=key,
                    kind="announcement",
                    payload=Message(text=f"announcement {i}", kind="announcement").to_json(),
                    not_before=due,
                    created_at=now,
                    channel=f"C{i % channels}",
                    timing="now",
                )
                assert added
    finally:
        await engine.dispose()
    return keys


async def outbox(url: str) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        await engine.dispose()


def check_exactly_once(
    platform: FakePlatform, keys: Sequence[str], rows: Sequence[OutboxMessage]
) -> None:
    """Each key reached the platform once, and its row says so with the platform's id."""
    assert platform.duplicates == {}, "keys delivered more than once"
    missing = set(keys) - set(platform.counts)
    assert not missing, f"{len(missing)} keys never delivered"
    assert set(platform.counts) == set(keys)
    assert len(platform.accepted) == len(keys)
    mine = [row for row in rows if row.idempotency_key in set(keys)]
    assert {row.idempotency_key for row in mine} == set(keys)
    unsent = {row.idempotency_key: row.status for row in mine if row.status != OutboxStatus.SENT}
    assert unsent == {}, "rows not recorded as sent"
    # Each row records the id the platform gave its one delivery (by answer or confirmation).
    wrong = {
        row.idempotency_key: row.platform_message_id
        for row in mine
        if row.platform_message_id != platform.ids[row.idempotency_key]
    }
    assert wrong == {}


def sender_pid(row: OutboxMessage) -> int:
    """The process id of the sender a sent row records (``host:pid:nonce``)."""
    assert row.leased_by is not None, f"sent row {row.id} does not record its sender"
    return int(row.leased_by.split(":")[-2])


async def seed_states(app: App, states: dict[str, int]) -> list[str]:
    """Outbox rows in the given depth states (due, scheduled, sending, dead)."""
    now = app.clock.now()
    keys: list[str] = []
    for state, count in states.items():
        made = await seed(
            app.settings.database_url,
            count,
            channels=count,
            not_before=now + timedelta(days=1) if state == "scheduled" else now,
            label=f"metrics-{state}",
        )
        keys += made
        if state in ("sending", "dead"):
            async with app.sessions.begin() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.idempotency_key.in_(made))
                    .values(
                        status=OutboxStatus(state),
                        leased_by="elsewhere",
                        lease_expires_at=now + timedelta(minutes=5),
                    )
                )
    return keys
