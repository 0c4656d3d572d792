"""Several ``mentorbot worker`` processes on one PostgreSQL: every message exactly once.

Real worker processes deliver through the webhook transport to a fake platform
served by this test process (tests/support/fake_platform.py), which counts each
idempotency key it accepts. Rows are seeded straight into the outbox for a
Slack workspace, addressed to channels and timed "now", so nobody's working
hours or planning are involved: only claiming, leasing, sending, confirming
and retrying.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from storage import db
from storage.models import OutboxMessage, Workspace
from tests.support.bot_process import BotProcess, arrival, start_bot, stop
from tests.support.fake_platform import FakePlatform
from tests.support.outbox_helpers import check_exactly_once, outbox, seed, sender_pid

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.process,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="TEST_DATABASE_URL is not set: PostgreSQL leg skipped",
    ),
]

SETTLE = 1.5
"""After the last key arrives: time for the senders to record it, and to see nothing more."""

FAST = {"OUTBOX_CONCURRENCY": "32"}
"""Slack allows one message a second per channel, and the dispatcher sends one
conversation at a time per concurrency slot: with 30 channels, 4 slots send 4
messages a second, so 300 rows take over a minute. 32 slots cover every channel and
leave the workspace budget (20 a second per process) as the limit."""


@pytest.fixture
async def pg_url(pg_database: str | None) -> AsyncIterator[str]:
    """The session's PostgreSQL database with no outbox rows and no workspaces."""
    if pg_database is None:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL leg skipped")
    engine = db.create_engine(pg_database)
    async with engine.begin() as conn:
        await conn.execute(delete(OutboxMessage))
        await conn.execute(delete(Workspace))
    await engine.dispose()
    yield pg_database


async def start_worker(
    name: str, url: str, platform: FakePlatform, tmp_path: Path, **settings: str
) -> BotProcess:
    """``python -m bot worker`` delivering every 0.2 s through the fake platform."""
    return await start_bot(
        "worker", name, url=url, tmp_path=tmp_path, platform=platform, settings=settings
    )


@pytest.mark.slow
async def test_two_worker_processes_share_the_outbox_and_send_every_message_once(
    pg_url: str, tmp_path: Path
) -> None:
    keys = await seed(pg_url, 300)
    async with FakePlatform() as platform:
        first = await start_worker("a", pg_url, platform, tmp_path, **FAST)
        second = await start_worker("b", pg_url, platform, tmp_path, **FAST)
        try:
            await arrival(platform, len(keys), [first, second], within=45)
            await asyncio.sleep(SETTLE)  # nothing more may arrive; the last rows get recorded
            rows = await outbox(pg_url)
        finally:
            await stop(first, second)
    check_exactly_once(platform, keys, rows)
    senders = Counter(sender_pid(row) for row in rows)
    assert set(senders) == {first.pid, second.pid}, (
        f"the work was not shared: rows sent per worker pid {dict(senders)}"
        f" (a={first.pid}, b={second.pid})"
    )


@pytest.mark.slow
async def test_a_worker_killed_mid_send_loses_nothing_and_duplicates_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    keys = await seed(pg_url, 200)
    settings = {**FAST, "OUTBOX_LEASE_SECONDS": "5"}
    async with FakePlatform(delay=0.1) as platform:
        first = await start_worker("a", pg_url, platform, tmp_path, **settings)
        second: BotProcess | None = None
        try:
            await arrival(platform, 40, [first], within=30)
            # The 40th POST has just arrived and waits for its answer: A dies mid-send.
            first.process.kill()
            await first.process.wait()
            before = set(platform.counts)
            second = await start_worker("b", pg_url, platform, tmp_path, **settings)
            await arrival(platform, len(keys), [second], within=45)
            await asyncio.sleep(SETTLE)
            rows = await outbox(pg_url)
        finally:
            await stop(first, *([second] if second else []))
    assert first.process.returncode == -signal.SIGKILL
    check_exactly_once(platform, keys, rows)
    # Rows A had sent without hearing back were confirmed by B asking the platform, and
    # recorded with the platform's id (checked above), not sent again.
    assert platform.confirmed, "no recovered row was confirmed with the platform"
    assert set(platform.confirmed) <= before
    assert second is not None
    by_second = {row.idempotency_key for row in rows if sender_pid(row) == second.pid}
    assert set(keys) - before <= by_second
    assert set(platform.confirmed) <= by_second


@pytest.mark.slow
async def test_streaks_of_500_and_429_end_with_every_message_delivered_once(
    pg_url: str, tmp_path: Path
) -> None:
    keys = await seed(pg_url, 100)
    script = [500] * 20 + [429] * 20
    async with FakePlatform(script=script) as platform:
        worker = await start_worker("a", pg_url, platform, tmp_path, **FAST)
        try:
            # The dispatcher's backoff after a 500 draws up to 5 s, then 10 s, ...
            await arrival(platform, len(keys), [worker], within=120)
            await asyncio.sleep(SETTLE)
            rows = await outbox(pg_url)
        finally:
            await stop(worker)
    assert platform.refused == {500: 20, 429: 20}
    check_exactly_once(platform, keys, rows)
    refused = Counter(post.key for post in platform.posts if post.status != 200)
    attempts = {row.idempotency_key: row.attempts for row in rows}
    assert {key: attempts[key] - 1 for key in refused} == dict(refused)
    assert all(attempts[key] == 1 for key in set(keys) - set(refused))


@pytest.mark.slow
async def test_a_batch_that_outlasts_its_lease_is_not_sent_twice(
    pg_url: str, tmp_path: Path
) -> None:
    """Two live workers; one claims a batch that takes longer to send than its lease.

    Four Slack channels with ten messages each go at one a second per channel, so the
    worker that claims the batch needs about ten seconds, and its lease runs out after
    5.5 s: between two of its sends, each channel's next row already prepared. The
    other worker may take over what is left, but each message must still reach the
    platform once.
    """
    keys = await seed(pg_url, 40, channels=4)
    settings = {"OUTBOX_LEASE_SECONDS": "5.5", "DISPATCH_SECONDS": "0.1"}
    async with FakePlatform(delay=0.1) as platform:
        first = await start_worker("a", pg_url, platform, tmp_path, **settings)
        second = await start_worker("b", pg_url, platform, tmp_path, **settings)
        try:
            await arrival(platform, len(keys), [first, second], within=40)
            await asyncio.sleep(SETTLE)
            rows = await outbox(pg_url)
        finally:
            await stop(first, second)
    check_exactly_once(platform, keys, rows)
