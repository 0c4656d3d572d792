"""Fan-out benchmark: the outbox delivered to a fake platform that enforces Slack's limits.

Default size is the scheduler issue's: 10,000 announcements spread over 2,000 channels
of one Slack workspace whose budget is 200 messages a second. A local fake platform
(aiohttp on 127.0.0.1, in a process of its own as a real one would be) accepts at most
one message a second per conversation and the workspace budget over a sliding one-second
window; past either it answers 429 with ``Retry-After: 1`` and records nothing. A real
:class:`~conversations.delivery.Dispatcher` (wall clock, the webhook transport, the rate
limiter from ``ratelimit.policies``) delivers the outbox, an SQLite file, until every row
is sent or dead.

Reported: elapsed time, achieved rate, the allowed rate (the workspace budget or one a
second per channel, whichever is lower), their ratio, duplicates (keys the platform
accepted more than once), losses (keys it never accepted) and the 429s it answered. The
issue's target: at least 90 % of the allowed rate, with no duplicate and no loss.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import shutil
import tempfile
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Table, func, insert, select

from adapters.slack.limits import rate_policy as slack_policy
from adapters.teams.limits import rate_policy as teams_policy
from adapters.webhook.transport import WebhookTransport
from conversations.clock import SystemClock
from conversations.curriculum import Library
from conversations.delivery import Dispatcher
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.ratelimit import RateLimiter
from storage import db, migrate
from storage.models import OutboxMessage, OutboxStatus, Workspace

CHUNK = 5000
RATE_TARGET = 0.9


@dataclass(frozen=True)
class Result:
    messages: int
    channels: int
    workspace_rate: float
    concurrency: int
    elapsed_seconds: float
    """From the first claim until every row was sent or dead."""
    achieved_rate: float
    """Messages accepted by the platform ÷ elapsed seconds."""
    allowed_rate: float
    """min(workspace rate, channels × 1 message/s)."""
    achieved_ratio: float
    """achieved ÷ allowed (a short run can exceed 1: each window may open with a burst)."""
    ideal_seconds: float
    """The least time the platform's windows allow for this many messages."""
    sent: int
    dead: int
    duplicates: int
    """Keys the platform accepted more than once."""
    losses: int
    """Keys the platform never accepted."""
    http_429: int
    """429s the platform answered (each one is retried after Retry-After)."""
    http_429_workspace: int
    """Of those, how many for the workspace budget (the rest: one conversation's limit)."""
    timed_out: bool
    target_met: bool


class FakePlatform:
    """Slack-like limits: 1 message/s per conversation, ``rate`` messages/s per workspace."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.accepted: Counter[str] = Counter()
        self.rejected = 0
        self.rejected_workspace = 0
        self._workspace: deque[float] = deque()
        self._conversations: dict[str, deque[float]] = {}
        self._ids: dict[str, str] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._post)
        app.router.add_get("/{key}", self._get)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.monotonic()
        start = now - 1.0
        workspace = self._workspace
        conversation = self._conversations.setdefault(str(body["conversation"]), deque())
        for log in (workspace, conversation):
            while log and log[0] <= start:
                log.popleft()
        if len(workspace) >= self.rate or conversation:
            self.rejected += 1
            self.rejected_workspace += not conversation
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        workspace.append(now)
        conversation.append(now)
        key = str(body["key"])
        self.accepted[key] += 1
        self._ids[key] = message_id = f"M{sum(self.accepted.values())}"
        return web.json_response({"ok": True, "id": message_id})

    async def _get(self, request: web.Request) -> web.Response:
        message_id = self._ids.get(request.match_info["key"])
        if message_id is None:
            return web.json_response({"ok": False}, status=404)
        return web.json_response({"ok": True, "id": message_id})


def _serve(rate: int, conn: Connection) -> None:
    """The fake platform's own process, as a real one would be: tells its port, serves until
    told to stop, then hands back what it accepted and how many 429s it answered."""

    async def serve() -> None:
        platform = FakePlatform(rate)
        runner = web.AppRunner(platform.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send((dict(platform.accepted), platform.rejected, platform.rejected_workspace))
        await runner.cleanup()

    asyncio.run(serve())


class _Platform:
    """Starts and stops the fake platform process."""

    def __init__(self, rate: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(rate, child), daemon=True)

    async def start(self) -> str:
        self._process.start()
        loop = asyncio.get_running_loop()
        try:
            if await loop.run_in_executor(None, self._conn.poll, 60):
                return f"http://127.0.0.1:{self._conn.recv()}/"
        except EOFError:
            pass
        raise RuntimeError(
            "the fake platform process did not start (when calling run() from a script, "
            "guard it with `if __name__ == '__main__':`, as multiprocessing requires)"
        )

    async def stop(self) -> tuple[Counter[str], int, int]:
        self._conn.send("stop")
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self._conn.poll, 30):
            raise RuntimeError("the fake platform did not report")
        accepted, rejected, rejected_workspace = self._conn.recv()
        await loop.run_in_executor(None, self._process.join, 10)
        return Counter(accepted), int(rejected), int(rejected_workspace)

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _rows(messages: int, channels: int, now: datetime) -> list[dict[str, Any]]:
    due = now - timedelta(seconds=1)
    return [
        {
            "workspace_id": 1,
            "idempotency_key": f"fanout:{i}",
            "person_id": None,
            "pair_id": None,
            "channel": f"C{i % channels:06d}",
            "kind": "announcement",
            "ref_index": None,
            "timing": "now",
            "expires_at": None,
            "payload": Message(
                text=f"Programme news #{i}: sign-ups for the spring cohort are open.",
                kind=Kind.ANNOUNCEMENT,
            ).to_json(),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "not_before": due,
            "created_at": due,
        }
        for i in range(messages)
    ]


def ideal_seconds(*, messages: int, channels: int, rate: int) -> float:
    """Each window admits its budget at once, so n messages need ceil(n / budget) − 1 s."""
    if messages <= 0:
        return 0.0
    per_channel = math.ceil(messages / max(channels, 1))
    return float(max(math.ceil(messages / rate) - 1, per_channel - 1))


async def run_async(
    *,
    messages: int = 10_000,
    channels: int = 2000,
    workspace_rate: float = 200.0,
    concurrency: int = 64,
    give_up_after: float | None = None,
) -> Result:
    rate = max(1, int(workspace_rate))
    ideal = ideal_seconds(messages=messages, channels=channels, rate=rate)
    timeout = give_up_after if give_up_after is not None else max(60.0, 3 * ideal + 30)
    folder = Path(tempfile.mkdtemp(prefix="mentorbot-bench-fanout-"))
    engine = db.create_engine(f"sqlite+aiosqlite:///{folder / 'fanout.sqlite3'}")
    platform = _Platform(rate)
    transport: WebhookTransport | None = None
    try:
        await migrate.upgrade(engine)
        clock = SystemClock()
        now = clock.now()
        rows = _rows(messages, channels, now)
        async with engine.begin() as conn:
            await conn.execute(
                insert(_table(Workspace)),
                [
                    {
                        "id": 1,
                        "platform": "slack",
                        "external_id": "T-FANOUT",
                        "name": "Fan-out",
                        "settings": {},
                        "created_at": now,
                    }
                ],
            )
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(_table(OutboxMessage)), rows[start : start + CHUNK])
        transport = WebhookTransport(await platform.start())
        sessions = db.session_factory(engine)
        dispatcher = Dispatcher(
            sessions=sessions,
            clock=clock,
            transport=transport,
            library=Library.load(),
            limiter=RateLimiter({"slack": slack_policy(rate), "teams": teams_policy(rate)}),
            concurrency=concurrency,
            platforms=frozenset({"slack"}),
        )
        unfinished = select(func.count()).where(
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
        )
        started = time.perf_counter()
        timed_out = False
        while True:
            if await dispatcher.deliver_due():
                continue
            async with sessions() as session:
                if not await session.scalar(unfinished):
                    break
            if time.perf_counter() - started > timeout:
                timed_out = True
                break
            await asyncio.sleep(0.02)  # only rows waiting out a Retry-After are left
        elapsed = time.perf_counter() - started
        async with sessions() as session:
            status = dict(
                (
                    await session.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    )
                ).all()
            )
        accepted_keys, rejected, rejected_workspace = await platform.stop()
    finally:
        if transport is not None:
            await transport.close()
        platform.kill()
        await engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    keys = {row["idempotency_key"] for row in rows}
    accepted = sum(1 for key in keys if accepted_keys[key])
    allowed = float(min(rate, channels))
    achieved = accepted / elapsed if elapsed > 0 else 0.0
    duplicates = sum(1 for n in accepted_keys.values() if n > 1)
    losses = len(keys) - accepted
    ratio = achieved / allowed if allowed else 0.0
    return Result(
        messages=messages,
        channels=channels,
        workspace_rate=workspace_rate,
        concurrency=concurrency,
        elapsed_seconds=round(elapsed, 3),
        achieved_rate=round(achieved, 1),
        allowed_rate=allowed,
        achieved_ratio=round(ratio, 3),
        ideal_seconds=ideal,
        sent=status.get(OutboxStatus.SENT, 0),
        dead=status.get(OutboxStatus.DEAD, 0),
        duplicates=duplicates,
        losses=losses,
        http_429=rejected,
        http_429_workspace=rejected_workspace,
        timed_out=timed_out,
        target_met=ratio >= RATE_TARGET and duplicates == 0 and losses == 0,
    )


def run(**kwargs: Any) -> Result:
    return asyncio.run(run_async(**kwargs))


def table(result: Result) -> str:
    rows = [
        (
            "instance",
            f"{result.messages:,} messages over {result.channels:,} channels, workspace "
            f"budget {result.workspace_rate:g}/s, concurrency {result.concurrency}",
        ),
        (
            "elapsed",
            f"{result.elapsed_seconds:.2f} s (the windows allow {result.ideal_seconds:g} s)"
            + (" — TIMED OUT" if result.timed_out else ""),
        ),
        ("achieved rate", f"{result.achieved_rate:.1f} messages/s"),
        ("allowed rate", f"{result.allowed_rate:g} messages/s"),
        ("achieved ÷ allowed", f"{result.achieved_ratio:.3f}"),
        ("sent / dead", f"{result.sent:,} / {result.dead:,}"),
        ("duplicates", f"{result.duplicates}"),
        ("losses", f"{result.losses}"),
        (
            "429s answered",
            f"{result.http_429} ({result.http_429_workspace} workspace budget, "
            f"{result.http_429 - result.http_429_workspace} per conversation)",
        ),
        (
            f"target (≥ {RATE_TARGET:.0%} of allowed, no duplicate, no loss)",
            "met" if result.target_met else "MISSED",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(
    *, as_json: bool, messages: int, channels: int, workspace_rate: float, concurrency: int = 64
) -> int:
    result = run(
        messages=messages,
        channels=channels,
        workspace_rate=workspace_rate,
        concurrency=concurrency,
    )
    print(json.dumps({"benchmark": "fanout", **asdict(result)}) if as_json else table(result))
    return 0 if result.duplicates == 0 and result.losses == 0 else 1
