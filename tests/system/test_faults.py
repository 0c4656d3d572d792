"""Faults a running ``mentorbot serve`` must survive without losing or repeating a message.

Each test starts the real server as a separate process (``python -m bot serve``)
on an ephemeral port, with fakes served by this test process: the webhook
platform (tests/support/fake_platform.py, which counts every idempotency key it accepts)
and the Slack Web API (tests/support/fake_slack.py, which keeps every post with its
outbox key in the message metadata). Then something goes wrong:

- the server is killed with SIGKILL in the middle of a fan-out of 1,000 messages,
  and started again;
- the platforms answer 500 and 429 in streaks;
- Slack delivers the same event three times at once (its retries);
- Slack's Web API cannot be reached when a command arrives.

Every message must arrive exactly once, and every event have one effect. The
database outage is in tests/test_fault_database.py.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from adapters.outage import SORRY
from bot.app import build
from bot.config import load_settings
from bot.server import make_web_app
from storage import db
from storage.models import InboundEvent, OutboxStatus
from tests.support import slack_requests
from tests.support.bot_process import BotProcess, arrival, free_port, kill, start_bot, stop
from tests.support.fake_platform import FakePlatform
from tests.support.fake_slack import FakeSlack, Reply
from tests.support.outbox_helpers import check_exactly_once, outbox, seed, sender_pid
from tests.support.slack_world import SECRET

FAN_OUT = 1000
KILL_AFTER = 300
"""Keys delivered before the first server is killed: about a third of the fan-out."""

QUICK = {"OUTBOX_CONCURRENCY": "16", "OUTBOX_LEASE_SECONDS": "5"}
"""Sixteen sends side by side, and a crashed process's rows free again after 5 s."""


@pytest.mark.process
@pytest.mark.slow
async def test_a_server_killed_during_a_fan_out_of_1000_restarts_and_sends_each_once(
    database_url: str, tmp_path: Path
) -> None:
    """SIGKILL mid-send, restart: nothing lost, nothing twice.

    The fake platform counts a delivery when it arrives and answers 50 ms later, so
    the server dies with sends in flight that reached the platform unanswered. Its
    successor must ask the platform about those (and record the platform's id)
    instead of sending them again, and send everything else once."""
    keys = await seed(database_url, FAN_OUT, channels=100, platform="webhook", label="fan")
    async with FakePlatform(delay=0.05) as platform:
        first = await start_bot(
            "serve", "a", url=database_url, tmp_path=tmp_path, platform=platform, settings=QUICK
        )
        second: BotProcess | None = None
        try:
            await arrival(platform, KILL_AFTER, [first], within=60)
            await kill(first)
            before = set(platform.counts)
            second = await start_bot(
                "serve", "b", url=database_url, tmp_path=tmp_path, platform=platform, settings=QUICK
            )
            await arrival(platform, FAN_OUT, [second], within=60)
        finally:
            await stop(first, *([second] if second else []))  # a graceful stop records all
        rows = await outbox(database_url)
    assert first.process.returncode == -signal.SIGKILL
    assert len(before) < FAN_OUT, "the first server finished before it was killed"
    check_exactly_once(platform, keys, rows)
    # Sends that reached the platform unanswered were confirmed by the second server
    # asking the platform, and recorded with its id (checked above), not sent again.
    assert platform.confirmed, "no row in flight at the kill was confirmed with the platform"
    assert set(platform.confirmed) <= before
    assert second is not None
    by_second = {row.idempotency_key for row in rows if sender_pid(row) == second.pid}
    assert set(keys) - before <= by_second


@pytest.mark.process
@pytest.mark.slow
async def test_streaks_of_500_and_429_from_both_platforms_end_with_each_message_sent_once(
    database_url: str, tmp_path: Path
) -> None:
    """The webhook platform refuses its first 20 deliveries (10 × 500, then 10 × 429
    with Retry-After: 1); Slack answers chat.postMessage with 5 HTML 500 pages, then 5
    rate limits. The server retries each refused message, with backoff, until it is
    accepted, and never sends an accepted one again."""
    webhook_keys = await seed(database_url, 60, channels=30, platform="webhook", label="hook")
    slack_keys = await seed(
        database_url, 20, channels=20, platform="slack", external_id="T1", label="slack"
    )
    async with FakePlatform(script=[500] * 10 + [429] * 10) as platform, FakeSlack() as fake:
        fake.queue("chat.postMessage", *[Reply.http(500)] * 5, *[Reply.ratelimited(1)] * 5)
        server = await start_bot(
            "serve",
            "streaks",
            url=database_url,
            tmp_path=tmp_path,
            platform=platform,
            settings={"OUTBOX_CONCURRENCY": "32", **slack_requests.settings(fake)},
        )
        try:
            await arrival(platform, len(webhook_keys), [server], within=60)
            await fake.wait_until(
                lambda: (
                    len({p.metadata["event_payload"]["key"] for p in fake.posts if p.metadata})
                    >= len(slack_keys)
                ),
                within=60,
            )
        finally:
            await stop(server)
        rows = await outbox(database_url)
    assert platform.refused == {500: 10, 429: 10}
    check_exactly_once(platform, webhook_keys, rows)
    attempts = {row.idempotency_key: row.attempts for row in rows}
    refused = Counter(post.key for post in platform.posts if post.status != 200)
    assert {key: attempts[key] - 1 for key in refused} == dict(refused)

    calls = fake.calls_to("chat.postMessage")
    assert len(calls) == len(slack_keys) + 10  # each refusal was retried, nothing else
    refused = Counter(c.params["metadata"]["event_payload"]["key"] for c in calls[:10])
    assert {key: attempts[key] - 1 for key in refused} == dict(refused)
    posted = {p.metadata["event_payload"]["key"]: p for p in fake.posts if p.metadata}
    assert len(fake.posts) == len(posted) == len(slack_keys), "a Slack message posted twice"
    slack_rows = {r.idempotency_key: r for r in rows if r.idempotency_key in slack_keys}
    assert {r.status for r in slack_rows.values()} == {OutboxStatus.SENT}
    assert {k: r.platform_message_id for k, r in slack_rows.items()} == {
        key: f"{post.channel}:{post.ts}" for key, post in posted.items()
    }


@pytest.mark.process
@pytest.mark.slow
async def test_the_same_slack_event_three_times_at_once_has_one_effect(
    database_url: str, tmp_path: Path
) -> None:
    """Slack retries an event it thinks timed out (X-Slack-Retry-Num 1, 2); the three
    copies can arrive together. One is handled, the others are acknowledged as done."""
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        server = await start_bot(
            "serve",
            "retries",
            url=database_url,
            tmp_path=tmp_path,
            settings=slack_requests.settings(fake),
        )
        try:
            event = slack_requests.direct_message(user="UBEN", text="help", event_id="EvTriple")
            answers = await asyncio.gather(
                *(
                    slack_requests.post(
                        http,
                        server.url,
                        event,
                        content_type="application/json",
                        headers={"X-Slack-Retry-Num": n, "X-Slack-Retry-Reason": "http_timeout"}
                        if n
                        else {},
                    )
                    for n in ("", "1", "2")
                )
            )
            assert [status for status, _ in answers] == [200, 200, 200]
            # All three were answered: the copies that were not handled never reached the
            # engine. The one that was is answered in the DM; then a later message (a new
            # event) is answered after it, with nothing more in between.
            await fake.wait_until(lambda: len(fake.posts_in("DUBEN")) >= 1, within=20)
            later = slack_requests.direct_message(user="UBEN", text="status", event_id="EvLater")
            assert (
                await slack_requests.post(http, server.url, later, content_type="application/json")
            )[0] == 200
            await fake.wait_until(lambda: len(fake.posts_in("DUBEN")) >= 2, within=20)
        finally:
            await stop(server)
    said = [str(p.text) for p in fake.posts_in("DUBEN")]
    assert len(said) == 2, said
    assert said[0].startswith("Here's what you can ask me")  # help, once
    assert said[1].startswith("You're not in a programme yet")  # then status
    engine = db.create_engine(database_url)
    try:
        async with db.session_factory(engine)() as session:
            recorded = await session.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(InboundEvent.event_id == "EvTriple")
            )
    finally:
        await engine.dispose()
    assert recorded == 1


async def test_a_command_while_slacks_api_is_unreachable_is_answered_200_and_apologised_for(
    database_url: str,
) -> None:
    """Bolt checks the bot token with Slack (auth.test) before a listener runs; when the
    Web API cannot be reached that raises, which bolt would answer with a 500. The
    command is answered 200 instead, and the apology goes to its response URL."""
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        settings = load_settings(
            database_url=database_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=f"http://127.0.0.1:{free_port()}/api/",  # nothing listens there
        )
        app = await build(settings, upgrade=False)
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        try:
            body = slack_requests.command(slack, user="UBEN", text="status", name="api-down")
            status, _ = await slack_requests.post(http, str(server.make_url("")).rstrip("/"), body)
            await slack.wait_until(lambda: bool(slack.responses), within=20)
        finally:
            await server.close()
    assert status == 200
    assert [(r["url"], r["text"], r["response_type"]) for r in slack.responses] == [
        ("api-down", SORRY, "ephemeral")
    ]
