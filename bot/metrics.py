"""What ``GET /metrics`` tells Prometheus about one process.

Each web app owns its own registry rather than prometheus-client's global one: a
process runs one server, but the tests build many side by side and each must see
only its own counts. Counters that live elsewhere are read at scrape time instead
of being mirrored: delivery outcomes come from the dispatcher's running ``Stats``
(the engine does not import prometheus-client), and the outbox's depth is counted
in the database when Prometheus asks, so every instance on one PostgreSQL reports
the same shared queue rather than a guess of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import platforms
from conversations.delivery import Stats
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus server reads."""

DEPTH_STATES = ("due", "scheduled", "sending", "dead")


def platform_of(path: str) -> str | None:
    """The platform whose requests arrive at ``path``; anything else is not counted."""
    return platforms.inbound_platform(path)


def outcome_of(status: int) -> str:
    """ok (2xx/3xx), rejected (4xx: bad signature, bad input, too large) or error (5xx)."""
    if status >= 500:
        return "error"
    return "rejected" if status >= 400 else "ok"


class _Delivery(Collector):
    """Delivery outcomes, read from the running dispatcher's counts."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        stats = self.metrics.delivery or Stats()
        yield _counter("mentorbot_deliveries", "Messages the platform accepted.", stats.sent)
        yield _counter(
            "mentorbot_delivery_retries",
            "Sends that failed and were put back to try again later.",
            stats.failed - stats.dead,
        )
        yield _counter(
            "mentorbot_delivery_rate_limited",
            "Sends the platform refused with a retry-after (HTTP 429).",
            stats.rate_limited,
        )
        yield _counter(
            "mentorbot_dead_letters",
            "Messages given up on (permanent refusal or too many attempts).",
            stats.dead,
        )
        yield _counter(
            "mentorbot_deliveries_skipped",
            "Messages no longer needed when their time came.",
            stats.skipped,
        )
        depth = GaugeMetricFamily(
            "mentorbot_outbox_depth",
            "Outbox rows by state, shared by every instance on the database.",
            labels=["state"],
        )
        for state in DEPTH_STATES:
            if state in self.metrics.depth:
                depth.add_metric([state], self.metrics.depth[state])
        yield depth
        yield GaugeMetricFamily(
            "mentorbot_database_up",
            "1 if the last scrape could count the outbox, 0 if the database did not answer.",
            value=1 if self.metrics.database_up else 0,
        )


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    delivery: Stats | None = None
    """The dispatcher's counts once this process delivers (``serve``)."""
    depth: dict[str, int] = field(default_factory=dict)
    database_up: bool = True
    requests: Counter = field(init=False)
    latency: Histogram = field(init=False)
    tick: Histogram = field(init=False)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "mentorbot_inbound_requests",
            "Requests from Slack and Teams, by platform and outcome (ok, rejected, error).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mentorbot_inbound_seconds",
            "Time to answer a Slack or Teams request, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.tick = Histogram(
            "mentorbot_tick_seconds",
            "Time one planning tick took (queueing what has fallen due).",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.registry.register(_Delivery(self))

    def observe(self, platform: str, status: int, seconds: float) -> None:
        self.requests.labels(platform, outcome_of(status)).inc()
        self.latency.labels(platform).observe(seconds)

    async def count_outbox(self, sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
        """Refresh the outbox depth; on a database error keep the last and say it is down."""
        state = case(
            (
                OutboxMessage.status == OutboxStatus.PENDING,
                case((OutboxMessage.not_before <= now, "due"), else_="scheduled"),
            ),
            else_=OutboxMessage.status,
        )
        query = (
            select(state, func.count())
            .where(
                OutboxMessage.status.in_(
                    (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD)
                )
            )
            .group_by(state)
        )
        try:
            async with sessions() as session:
                rows = (await session.execute(query)).all()
        except Exception as exc:
            log.warning("could not count the outbox for /metrics: %s", exc)
            self.database_up = False
            return
        self.database_up = True
        counts = {str(name): int(count) for name, count in rows}
        self.depth = {name: counts.get(name, 0) for name in DEPTH_STATES}

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def middleware(metrics: Metrics) -> Middleware:
    """Counts and times every request a platform sends, whatever becomes of it."""

    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        platform = platform_of(request.path)
        if platform is None:
            return await handler(request)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.observe(platform, status, time.perf_counter() - started)

    return measure
