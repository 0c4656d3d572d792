"""Several ``mentorbot worker`` processes on one PostgreSQL: every message exactly once.

Real worker processes deliver through the webhook transport to a fake platform
served by this test process (tests/fake_platform.py), which counts each
idempotency key it accepts. Rows are seeded straight into the outbox for a
Slack workspace, addressed to channels and timed "now", so nobody's working
hours or planning are involved: only claiming, leasing, sending, confirming
and retrying.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import delete, select

from conversations.messages import Message
from storage import db
from storage.models import OutboxMessage, OutboxStatus, Workspace
from storage.repositories import enqueue
from tests.fake_platform import FakePlatform

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="TEST_DATABASE_URL is not set: PostgreSQL leg skipped",
)

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


async def seed(url: str, count: int, *, channels: int = 30) -> list[str]:
    """``count`` outbox rows due now for one Slack workspace; returns their keys."""
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine).begin() as session:
            workspace = Workspace(
                platform="slack", external_id=f"T{run}", name="Multi", created_at=now
            )
            session.add(workspace)
            await session.flush()
            keys = [f"multi:{run}:{i}" for i in range(count)]
            for i, key in enumerate(keys):
                added = await enqueue(
                    session,
                    workspace_id=workspace.id,
                    key=key,
                    kind="announcement",
                    payload=Message(text=f"announcement {i}", kind="announcement").to_json(),
                    not_before=now,
                    created_at=now,
                    channel=f"C{i % channels}",
                    timing="now",
                )
                assert added
    finally:
        await engine.dispose()
    return keys


async def outbox(url: str) -> list[OutboxMessage]:
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        await engine.dispose()


@dataclass
class Worker:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    stream: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if not self.stream.closed:
            self.stream.flush()
        text = self.log.read_text(errors="replace")
        return f"--- worker {self.name} (pid {self.pid}) ---\n{text[-4000:] or '(no output)'}"


async def start_worker(
    name: str, url: str, platform: FakePlatform, tmp_path: Path, **settings: str
) -> Worker:
    """``python -m bot worker`` delivering every 0.2 s through the fake platform."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "OUTBOX_WEBHOOK_URL": platform.url,
        "DISPATCH_SECONDS": "0.2",
        "TICK_SECONDS": "3600",
        "OUTBOX_CONCURRENCY": "4",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    log = tmp_path / f"worker-{name}.log"
    stream = log.open("wb")  # a file, not a pipe nobody reads, so a chatty worker never blocks
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "worker",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stream,
        stderr=asyncio.subprocess.STDOUT,
    )
    return Worker(name=name, process=process, log=log, stream=stream)


async def stop(*workers: Worker) -> None:
    for worker in workers:
        if worker.process.returncode is None:
            worker.process.terminate()
    for worker in workers:
        try:
            await asyncio.wait_for(worker.process.wait(), timeout=15)
        except TimeoutError:
            worker.process.kill()
            await worker.process.wait()
        worker.stream.close()


async def arrival(
    platform: FakePlatform, distinct: int, workers: Sequence[Worker], *, within: float
) -> None:
    """Wait until ``distinct`` keys have been accepted; fail early if a worker exits."""
    reached = asyncio.create_task(platform.reached(distinct).wait())
    exits = {asyncio.create_task(w.process.wait()): w for w in workers}
    try:
        done, _ = await asyncio.wait(
            {reached, *exits}, timeout=within, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (reached, *exits):
            task.cancel()
    logs = "\n".join(w.output() for w in workers)
    if reached not in done:
        gone = [f"{w.name} exited {w.process.returncode}" for t, w in exits.items() if t in done]
        pytest.fail(
            f"{len(platform.counts)} of {distinct} keys arrived in {within:.0f} s"
            f" ({len(platform.posts)} POSTs, refused {dict(platform.refused)};"
            f" {', '.join(gone) or 'workers still running'})\n{logs}"
        )


def check_exactly_once(
    platform: FakePlatform, keys: Sequence[str], rows: Sequence[OutboxMessage]
) -> None:
    assert platform.duplicates == {}, "keys delivered more than once"
    missing = set(keys) - set(platform.counts)
    assert not missing, f"{len(missing)} keys never delivered"
    assert set(platform.counts) == set(keys)
    assert len(platform.accepted) == len(keys)
    assert {row.idempotency_key for row in rows} == set(keys)
    unsent = {row.idempotency_key: row.status for row in rows if row.status != OutboxStatus.SENT}
    assert unsent == {}, "rows not recorded as sent"
    # Each row records the id the platform gave its one delivery (by answer or confirmation).
    wrong = {
        row.idempotency_key: row.platform_message_id
        for row in rows
        if row.platform_message_id != platform.ids[row.idempotency_key]
    }
    assert wrong == {}


def sender_pid(row: OutboxMessage) -> int:
    assert row.leased_by is not None, f"sent row {row.id} does not record its sender"
    return int(row.leased_by.split(":")[-2])


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


async def test_a_worker_killed_mid_send_loses_nothing_and_duplicates_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    keys = await seed(pg_url, 200)
    settings = {**FAST, "OUTBOX_LEASE_SECONDS": "5"}
    async with FakePlatform(delay=0.1) as platform:
        first = await start_worker("a", pg_url, platform, tmp_path, **settings)
        second: Worker | None = None
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
