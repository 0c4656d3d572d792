"""SIGTERM stops a server gracefully: no new work, in-flight work finished, leases handed back.

A platform (Heroku, Kubernetes) sends SIGTERM before replacing an instance. What was
acknowledged must still be answered, what was being sent must be recorded as sent,
and what this instance had claimed but not started must be free for the next one at
once, not after its lease runs out.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.app import build
from bot.config import load_settings
from conversations.engine import Engine
from conversations.events import Event
from conversations.messages import Message
from storage.models import OutboxMessage, OutboxStatus
from tests.support.bot_process import BotProcess, arrival, start_bot, stop
from tests.support.fake_platform import FakePlatform
from tests.support.outbox_helpers import outbox, seed_states
from tests.support.slack_world import SlackWorld, slash_command


async def test_a_command_acknowledged_before_shutdown_still_gets_its_reply(
    slack: SlackWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    handle = Engine.handle

    async def slow(self: Engine, event: Event) -> list[Message]:
        started.set()
        await release.wait()
        return await handle(self, event)

    monkeypatch.setattr(Engine, "handle", slow)
    body = slash_command(
        user_id="UMAYA",
        text="help",
        response_url=slack.fake.response_url("late"),
        trigger_id="1.1.abc",
    )
    response = await slack.post(body)
    assert response.status == 200  # bolt acknowledged; the engine is still working
    await asyncio.wait_for(started.wait(), timeout=10)
    closing = asyncio.create_task(slack.server.close())
    await asyncio.sleep(0.5)
    assert not closing.done(), "the server closed under an acknowledged command"
    release.set()
    await asyncio.wait_for(closing, timeout=15)
    [reply] = [r for r in slack.fake.responses if r["url"] == "late"]
    assert "mentor" in str(reply["text"]).lower()


async def serving(url: str, platform: FakePlatform, tmp_path: Path, name: str) -> BotProcess:
    return await start_bot(
        "serve",
        name,
        url=url,
        tmp_path=tmp_path,
        platform=platform,
        # Leases far longer than the test: only a release can free a claimed row.
        settings={"OUTBOX_LEASE_SECONDS": "300", "DISPATCH_SECONDS": "0.1"},
    )


async def terminated(bot: BotProcess) -> int:
    """SIGTERM and the exit code, whatever happens, the process gone afterwards."""
    bot.process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(bot.process.wait(), timeout=30)
    finally:
        await stop(bot)


@pytest.mark.process
@pytest.mark.slow
async def test_sigterm_finishes_in_flight_sends_and_hands_back_the_rest(
    database_url: str, tmp_path: Path
) -> None:
    app = await build(load_settings(database_url=database_url), upgrade=False)
    try:
        async with app.sessions.begin() as session:
            await session.execute(OutboxMessage.__table__.delete())
        keys = await seed_states(app, {"due": 60})
    finally:
        await app.close()
    async with FakePlatform(delay=0.5) as platform:
        first = await serving(database_url, platform, tmp_path, "first")
        await arrival(platform, 8, [first], within=60)
        assert await terminated(first) == 0, first.output()
        stopped = await outbox(database_url)
        sent = {row.idempotency_key for row in stopped if row.status == OutboxStatus.SENT}
        # Every POST that reached the platform was recorded: in-flight sends finished.
        assert sent == set(platform.accepted)
        # Nothing is left claimed: the rest is free for the next instance now.
        assert [row.idempotency_key for row in stopped if row.status == OutboxStatus.SENDING] == []
        unsent = [row for row in stopped if row.status == OutboxStatus.PENDING]
        assert unsent, "the first server sent everything before it was told to stop"
        assert all(row.leased_by is None and row.attempts == 0 for row in unsent)
        second = await serving(database_url, platform, tmp_path, "second")
        await arrival(platform, len(keys), [second], within=60)
        await asyncio.sleep(1.0)  # a duplicate would arrive now
        assert await terminated(second) == 0, second.output()
    assert platform.duplicates == {}
    assert sorted(platform.counts) == sorted(keys)
    final = await outbox(database_url)
    assert {row.status for row in final} == {OutboxStatus.SENT}
