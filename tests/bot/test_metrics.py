"""GET /metrics: what Prometheus scrapes, counted from real requests and deliveries."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App, build
from bot.config import load_settings
from bot.server import make_web_app
from storage.models import OutboxMessage
from tests.support import bot_process, outbox_helpers
from tests.support.fake_platform import FakePlatform
from tests.support.slack_world import SlackWorld, slash_command

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(server: TestServer) -> tuple[str, Samples]:
    """The content type and every sample, keyed by name and sorted labels."""
    async with (
        aiohttp.ClientSession() as client,
        client.get(server.make_url("/metrics")) as response,
    ):
        assert response.status == 200
        text = await response.text()
        kind = response.headers["Content-Type"]
    return kind, parse(text)


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[tuple[App, TestServer]]:
    app = await build(load_settings(database_url=database_url), upgrade=False)
    async with app.sessions.begin() as session:
        await session.execute(OutboxMessage.__table__.delete())
    server = TestServer(make_web_app(app), port=0)
    await server.start_server()
    yield app, server
    await server.close()


async def test_metrics_speak_prometheus_and_count_the_outbox_by_state(
    served: tuple[App, TestServer],
) -> None:
    app, server = served
    await outbox_helpers.seed_states(app, {"due": 3, "scheduled": 2, "sending": 1, "dead": 4})
    kind, samples = await scrape(server)
    assert kind.startswith("text/plain; version=0.0.4")
    depth = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "mentorbot_outbox_depth"
    }
    assert depth == {"due": 3, "scheduled": 2, "sending": 1, "dead": 4}
    assert samples[("mentorbot_database_up", ())] == 1
    # Nothing has been delivered by this process yet; the counters exist at zero.
    for name in ("deliveries", "delivery_retries", "delivery_rate_limited", "dead_letters"):
        assert samples[(f"mentorbot_{name}_total", ())] == 0


async def test_a_scrape_while_the_database_is_gone_still_answers_and_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = await build(
        load_settings(database_url=f"postgresql://postgres@127.0.0.1:{port}/none"), upgrade=False
    )
    server = TestServer(make_web_app(app), port=0)
    await server.start_server()
    try:
        _, samples = await scrape(server)
    finally:
        await server.close()
    assert samples[("mentorbot_database_up", ())] == 0
    assert not any(name == "mentorbot_outbox_depth" for name, _ in samples)


async def test_slack_requests_are_counted_by_outcome_and_timed(slack: SlackWorld) -> None:
    body = slash_command(
        user_id="UMAYA",
        text="status",
        response_url=slack.fake.response_url("status"),
        trigger_id="1.1.abc",
    )
    ok = await slack.post(body)
    assert ok.status == 200
    forged = await slack.post(body, signature="v0=" + "0" * 64, timestamp=int(time.time()))
    assert forged.status == 401
    _, samples = await scrape(slack.server)
    assert (
        samples[("mentorbot_inbound_requests_total", (("outcome", "ok"), ("platform", "slack")))]
        == 1
    )
    assert (
        samples[
            ("mentorbot_inbound_requests_total", (("outcome", "rejected"), ("platform", "slack")))
        ]
        == 1
    )
    assert samples[("mentorbot_inbound_seconds_count", (("platform", "slack"),))] == 2
    # /metrics itself and other paths are not platform traffic.
    assert not any(dict(labels).get("platform") not in (None, "slack") for _, labels in samples)


@pytest.mark.slow
async def test_a_serving_process_counts_its_ticks_deliveries_retries_and_429s(
    database_url: str,
) -> None:
    script = [429, 429, 500]
    async with FakePlatform(script=script) as platform:
        settings = load_settings(
            database_url=database_url,
            outbox_webhook_url=platform.url,
            dispatch_seconds=0.1,
            outbox_concurrency=4,
        )
        app = await build(settings, upgrade=False)
        async with app.sessions.begin() as session:
            await session.execute(OutboxMessage.__table__.delete())
        keys = await outbox_helpers.seed_states(app, {"due": 5})
        server = TestServer(make_web_app(app, background=True), port=0)
        await server.start_server()
        try:
            # The 500's backoff draws up to 5 s; the 429s ask for 1 s.
            await asyncio.wait_for(platform.reached(len(keys)).wait(), timeout=30)
            samples: Samples = {}
            for _ in range(50):  # the last send is recorded just after the platform saw it
                _, samples = await scrape(server)
                if samples[("mentorbot_deliveries_total", ())] == len(keys):
                    break
                await asyncio.sleep(0.1)
        finally:
            await server.close()
    assert platform.refused == {429: 2, 500: 1}
    assert samples[("mentorbot_deliveries_total", ())] == 5
    assert samples[("mentorbot_delivery_retries_total", ())] == 3
    assert samples[("mentorbot_delivery_rate_limited_total", ())] == 2
    assert samples[("mentorbot_dead_letters_total", ())] == 0
    assert samples[("mentorbot_tick_seconds_count", ())] >= 1
    assert samples[("mentorbot_outbox_depth", (("state", "due"),))] == 0


def test_outcomes_are_named_by_status_class() -> None:
    from bot.metrics import outcome_of, platform_of

    assert [outcome_of(s) for s in (200, 302, 400, 401, 413, 500, 503)] == [
        "ok",
        "ok",
        "rejected",
        "rejected",
        "rejected",
        "error",
        "error",
    ]
    assert platform_of("/slack/events") == "slack"
    assert platform_of("/api/messages") == "teams"
    assert platform_of("/metrics") is None


@pytest.mark.process
@pytest.mark.slow
async def test_a_worker_serves_health_readiness_and_its_own_metrics_on_metrics_port(
    database_url: str, tmp_path: Path
) -> None:
    app = await build(load_settings(database_url=database_url), upgrade=True)
    try:
        async with app.sessions.begin() as session:
            await session.execute(OutboxMessage.__table__.delete())
    finally:
        await app.close()
    keys = await outbox_helpers.seed(database_url, 6, channels=6)
    port = bot_process.free_port()
    async with FakePlatform(script=[429]) as platform:
        worker = await bot_process.start_bot(
            "worker",
            "metrics",
            url=database_url,
            tmp_path=tmp_path,
            platform=platform,
            settings={"METRICS_PORT": str(port), "LOG_LEVEL": "INFO"},
        )
        try:
            await bot_process.arrival(platform, len(keys), [worker], within=30)
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as client:
                for path in ("/healthz", "/readyz"):
                    async with client.get(base + path) as response:
                        assert response.status == 200, worker.output()
                samples: Samples = {}
                for _ in range(50):
                    async with client.get(base + "/metrics") as response:
                        samples = parse(await response.text())
                    if samples[("mentorbot_deliveries_total", ())] == len(keys):
                        break
                    await asyncio.sleep(0.1)
                async with client.get(base + "/slack/events") as response:
                    assert response.status == 404  # operations only, no platform routes
        finally:
            await bot_process.stop(worker)
    assert worker.process.returncode == 0, worker.output()
    assert samples[("mentorbot_deliveries_total", ())] == len(keys)
    assert samples[("mentorbot_delivery_rate_limited_total", ())] == 1
