"""Inbound benchmark: signed ``/mentor status`` slash commands through the real server,
against a bare slack-bolt app that only acks, driven by one load generator in one run.

What runs where (the machine it was written on has two cores):

* **ours** is ``mentorbot serve`` itself (``python -m bot serve``), a process of its own
  with background planning and delivery running as in production, on an SQLite file
  seeded through the engine: a workspace, one open programme, ``pairs`` pairs who
  accepted its code of conduct. Each command is a person in a pair asking for their
  status, so every request verifies the signature, goes through bolt, and makes the
  engine read the person, their roles, their pairs and the curriculum in a transaction
  and render Block Kit, which the adapter posts to the command's ``response_url``.
* **bare** is ``python -m bench.bare_slack``, also a process of its own: the same
  ``AsyncApp`` settings, mounted on aiohttp the same way, whose ``/mentor`` handler only
  calls ``ack()``.
* The load generator and a small fake Slack (:mod:`bench.fake_slack`: ``auth.test``,
  ``users.info`` and the response URLs) share this process, so a server under test has a
  core to itself and the time a reply reaches its ``response_url`` is read on the same
  clock as the time its command was sent.

Both servers are started and left idle for a moment; each is warmed up (``warmup``
commands, every person at least once so the adapter's profile cache is as it would be
in a running workspace); then each is sent ``requests`` commands by ``concurrency``
workers, each sending its next command only when the last one is done. The measured
commands go in three rounds, the bare app's share and then ours in every round, so that
whatever else the machine is doing meanwhile falls on both alike; the server not being
driven sits idle.

Bolt acknowledges before the engine has answered (the answer goes to ``response_url``),
so for ours a command is done when both its HTTP 200 and its ephemeral reply have
arrived: the concurrency is really that many people waiting, and the throughput counts
completed replies, not acknowledgements. For the bare app a command is done at its HTTP
200. At a fixed concurrency a server's latency is about concurrency ÷ throughput, so the
faster bare app queues more and its HTTP latency is not a floor for ours.

Reported for each: commands/s, p50 and p99 of the HTTP response, and for ours also the
p50 and p99 of the reply; the server's CPU time per command; ours ÷ bare throughput.
The issue's targets, reported as met or not: ours ÷ bare ≥ 0.5, and p99 under 100 ms at
50 concurrent requests (shown for the HTTP response, which is what the target names, and
for the reply, which is what a person waits for). Resident memory of both servers is
sampled idle and after their run; the memory benchmark (:mod:`bench.memory`) reports it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import update

from bench.common import cpu_seconds, mark, percentile, resident_kb
from bench.fake_slack import FakeSlack
from bot.app import build
from bot.config import load_settings, variable_names
from conversations.events import Actor, CommandSent
from storage.models import OutboxMessage, OutboxStatus

REQUESTS = 3000
WARMUP = 300
CONCURRENCY = 50
PAIRS = 25
RATIO_TARGET = 0.5
P99_TARGET_MS = 100.0
SECRET = "bench-signing-secret-0123456789ab"
TOKEN = "xoxb-bench"
TEAM = "T0BENCH"
PROGRAMME = "bench"
CURRICULUM = "new-hire-buddy"
CURRICULUM_NAME = "New-hire buddy"
"""The programme's name (its curriculum's), which every status reply names."""
COORDINATOR = "UBENCHCOORD"
TIMEZONE = "Europe/London"
REPLY_TIMEOUT = 30.0
"""A reply not at its response URL this long after its command counts as missing."""
ROUNDS = 3
"""The measured commands go in this many rounds, each server in turn in every round."""
SETTLE_SECONDS = 2.0
"""Idle time after a server says it is ready: its first tick and delivery pass run."""


@dataclass(frozen=True)
class Side:
    server: str
    requests: int
    http_200: int
    """Commands answered 200 (anything else, a refused connection included, is a failure)."""
    replies: int
    """Ephemeral replies that reached their response URL and gave the person's status."""
    wrong_replies: int
    """Replies that came but said something else (an error, say)."""
    elapsed_seconds: float
    throughput: float
    """Completed commands per second: the HTTP 200 and, for ours, the reply."""
    http_p50_ms: float
    http_p99_ms: float
    reply_p50_ms: float | None
    """From sending the command until its reply arrived (ours only)."""
    reply_p99_ms: float | None
    server_cpu_ms: float
    """The server process's CPU time (user + system) over the measured run, per command."""
    generator_busy: float
    """This process's CPU time over the measured run ÷ its length: near 1.0, the load
    generator (and fake Slack) had a core to themselves and were the limit."""


@dataclass(frozen=True)
class Result:
    requests: int
    warmup: int
    concurrency: int
    pairs: int
    ours: Side
    bare: Side
    ratio: float
    """ours ÷ bare throughput."""
    ratio_met: bool
    http_p99_met: bool
    reply_p99_met: bool
    load_average: float
    """The machine's one-minute load average when the run began: anything else running
    (a test suite, say) takes cores from the servers and the load generator."""


@dataclass(frozen=True)
class Resident:
    """Resident memory (kB) of each server process, idle after start-up and after its run."""

    serve_idle_kb: int
    serve_after_kb: int
    bare_idle_kb: int
    bare_after_kb: int
    requests: int
    """Commands (warm-up included) each server had handled by the second sample."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.user_id.lower()}@example.org"

    def actor(self) -> Actor:
        """The person as the Slack adapter will see them (users.info gives the same), so a
        status command finds nothing about them to update."""
        return Actor(
            platform="slack",
            workspace=TEAM,
            user_id=self.user_id,
            display_name=self.name,
            timezone=TIMEZONE,
            email=self.email,
        )

    def profile(self) -> dict[str, Any]:
        """What users.info answers for them."""
        return {
            "team_id": TEAM,
            "real_name": self.name,
            "tz": TIMEZONE,
            "profile": {"display_name": self.name, "email": self.email},
        }


def people(pairs: int) -> tuple[Person, list[Person], list[Person]]:
    """The coordinator, the mentors and the mentees (mentor k is paired with mentee k)."""
    mentors = [Person(f"UBM{k:05d}", f"Mentor {k}") for k in range(1, pairs + 1)]
    mentees = [Person(f"UBE{k:05d}", f"Mentee {k}") for k in range(1, pairs + 1)]
    return Person(COORDINATOR, "Coordinator"), mentors, mentees


async def seed(database_url: str, *, pairs: int) -> None:
    """Migrate and fill the database through the engine, as people in Slack would: the
    coordinator creates and opens a programme, everyone joins and accepts its code of
    conduct, the coordinator pairs them. The introductions this queues count as delivered
    already, so background delivery adds nothing to the measurement."""
    coordinator, mentors, mentees = people(pairs)
    app = await build(load_settings(database_url=database_url))
    try:

        async def say(person: Person, text: str, *, expect: str) -> None:
            replies = await app.engine.handle(CommandSent(actor=person.actor(), text=text))
            said = "\n".join(r.text for r in replies)
            if expect not in said:
                raise RuntimeError(f"seeding: {text!r} answered {said!r}")

        await say(
            coordinator,
            f"program create {PROGRAMME} --curriculum {CURRICULUM}",
            expect=f"({PROGRAMME})",
        )
        await say(coordinator, f"program open {PROGRAMME}", expect="")
        for mentor, mentee in zip(mentors, mentees, strict=True):
            await say(mentor, f"join {PROGRAMME} mentor --skills python", expect="")
            await say(mentor, f"conduct {PROGRAMME} agree", expect="Thank you")
            await say(mentee, f"join {PROGRAMME} mentee --interests python", expect="")
            await say(mentee, f"conduct {PROGRAMME} agree", expect="Thank you")
            await say(
                coordinator,
                f"pair <@{mentor.user_id}> <@{mentee.user_id}> {PROGRAMME}",
                expect="Paired",
            )
        async with app.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENT, sent_at=app.clock.now())
            )
    finally:
        await app.close()


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 over ``v0:<timestamp>:<raw body>``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command(*, user: Person, text: str, response_url: str, trigger_id: str) -> str:
    """The form body Slack posts for ``/mentor <text>``, fields in Slack's order."""
    return urlencode(
        {
            "token": "bench-verification-token",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": "C0BENCH",
            "channel_name": "general",
            "user_id": user.user_id,
            "user_name": user.name.lower().replace(" ", "."),
            "command": "/mentor",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


@dataclass
class Samples:
    """What one :func:`drive` saw: each command's HTTP and reply latency, in ms."""

    http_ms: list[float]
    reply_ms: list[float]
    statuses: Counter[int]
    wrong: int
    elapsed: float
    generator_cpu: float = 0.0
    server_cpu: float = 0.0

    @classmethod
    def empty(cls) -> Samples:
        return cls(http_ms=[], reply_ms=[], statuses=Counter(), wrong=0, elapsed=0.0)

    def add(self, other: Samples) -> None:
        """Fold another round's samples into these."""
        self.http_ms += other.http_ms
        self.reply_ms += other.reply_ms
        self.statuses.update(other.statuses)
        self.wrong += other.wrong
        self.elapsed += other.elapsed
        self.generator_cpu += other.generator_cpu
        self.server_cpu += other.server_cpu


async def drive(
    url: str,
    fake: FakeSlack,
    *,
    users: Sequence[Person],
    first: int,
    count: int,
    concurrency: int,
    replies: bool,
) -> Samples:
    """``count`` signed ``/mentor status`` commands from ``users`` in turn, ``concurrency``
    at a time; with ``replies`` each also waits for its reply at the fake's response URL.
    Command ``i`` is named ``first + i``, so no two runs share a response URL."""
    samples = Samples.empty()
    queue = iter(range(first, first + count))

    async def worker(http: aiohttp.ClientSession) -> None:
        for index in queue:
            name = f"r{index}"
            body = slash_command(
                user=users[index % len(users)],
                text="status",
                response_url=fake.response_url(name),
                trigger_id=f"{index}.1.bench",
            )
            waiting = fake.expect(name) if replies else None
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": sign(body, stamp),
            }
            sent = time.perf_counter()
            try:
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            samples.http_ms.append((time.perf_counter() - sent) * 1000)
            samples.statuses[status] += 1
            if waiting is None:
                continue
            if status != 200:  # refused: no reply is coming
                fake.forget(name)
                continue
            try:
                arrival = await asyncio.wait_for(waiting, REPLY_TIMEOUT)
            except TimeoutError:
                fake.forget(name)
                continue
            if f"{CURRICULUM_NAME}, with" in arrival.text:
                samples.reply_ms.append((arrival.at - sent) * 1000)
            else:
                samples.wrong += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        samples.elapsed = time.perf_counter() - started
        samples.generator_cpu = time.process_time() - cpu
    return samples


def _side(server: str, samples: Samples, *, requests: int, replies: bool) -> Side:
    done = len(samples.reply_ms) if replies else samples.statuses[200]
    return Side(
        server=server,
        requests=requests,
        http_200=samples.statuses[200],
        replies=len(samples.reply_ms),
        wrong_replies=samples.wrong,
        elapsed_seconds=round(samples.elapsed, 3),
        throughput=round(done / samples.elapsed, 1) if samples.elapsed else 0.0,
        http_p50_ms=round(percentile(samples.http_ms, 0.5), 2),
        http_p99_ms=round(percentile(samples.http_ms, 0.99), 2),
        reply_p50_ms=round(percentile(samples.reply_ms, 0.5), 2) if replies else None,
        reply_p99_ms=round(percentile(samples.reply_ms, 0.99), 2) if replies else None,
        server_cpu_ms=round(samples.server_cpu / requests * 1000, 3) if requests else 0.0,
        generator_busy=round(samples.generator_cpu / samples.elapsed, 2)
        if samples.elapsed
        else 0.0,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(**settings: str) -> dict[str, str]:
    """This environment without any of mentorbot's own settings, then ``settings``: the
    server runs on what the benchmark gives it, not on whatever this shell has set."""
    ours = variable_names()
    kept = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return {**kept, **settings}


class Server:
    """A server process: started, waited for until ``ready_path`` answers 200, stopped."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str], folder: Path):
        self.name = name
        self.port = _free_port()
        self._argv = list(argv)
        self._env = {**env, "PORT": str(self.port)}
        self._folder = folder
        self._log_path = folder / f"{name}.log"
        self._log: IO[bytes] | None = None
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        if not self._log_path.exists():
            return ""
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def start(self, ready_path: str, *, within: float = 90.0) -> None:
        """Start, and wait until ``ready_path`` answers 200 (checked every 50 ms)."""
        self._log = self._log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *self._argv,
            env=self._env,
            cwd=self._folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
        )
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    break
                try:
                    async with http.get(self.url + ready_path) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        await self.stop()
        raise RuntimeError(f"{self.name} did not become ready; its log ends:\n{self.log_tail()}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _shares(total: int, rounds: int) -> list[int]:
    """``total`` split into ``rounds`` nearly equal parts (no empty part)."""
    rounds = max(1, min(rounds, total))
    return [total // rounds + (k < total % rounds) for k in range(rounds)]


async def _exercise(
    servers: dict[str, Server],
    fake: FakeSlack,
    *,
    users: Sequence[Person],
    warmup: int,
    requests: int,
    concurrency: int,
) -> tuple[dict[str, Samples], dict[str, int], dict[str, int]]:
    """Idle samples, each server's warm-up, the measured rounds (each server in turn, every
    round), samples after: (measured, idle kB, after kB), by server name."""
    await asyncio.sleep(SETTLE_SECONDS)
    idle = {name: resident_kb(server.pid) for name, server in servers.items()}
    first = 0

    async def run(name: str, count: int) -> Samples:
        nonlocal first
        url = servers[name].url + "/slack/events"
        ran = await drive(
            url,
            fake,
            users=users,
            first=first,
            count=count,
            concurrency=concurrency,
            replies=name == "ours",
        )
        first += count
        return ran

    for name in servers:
        await run(name, warmup)
    measured = {name: Samples.empty() for name in servers}
    for share in _shares(requests, ROUNDS):
        for name, server in servers.items():
            cpu = cpu_seconds(server.pid)
            ran = await run(name, share)
            ran.server_cpu = cpu_seconds(server.pid) - cpu
            measured[name].add(ran)
    after = {name: resident_kb(server.pid) for name, server in servers.items()}
    return measured, idle, after


async def measure(
    *,
    requests: int = REQUESTS,
    warmup: int = WARMUP,
    concurrency: int = CONCURRENCY,
    pairs: int = PAIRS,
) -> tuple[Result, Resident]:
    """Both servers under the same load from this process, in alternating rounds."""
    load = os.getloadavg()[0]
    coordinator, mentors, mentees = people(pairs)
    users = [p for pair in zip(mentors, mentees, strict=True) for p in pair]
    warmup = max(warmup, len(users))
    folder = Path(tempfile.mkdtemp(prefix="mentorbot-bench-inbound-"))
    fake = FakeSlack({p.user_id: p.profile() for p in [coordinator, *users]}, team=TEAM)
    servers: dict[str, Server] = {}
    try:
        await fake.start()
        database_url = f"sqlite+aiosqlite:///{folder / 'inbound.sqlite3'}"
        await seed(database_url, pairs=pairs)
        slack = {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.api_url,
        }
        servers["bare"] = Server(
            "bare",
            [sys.executable, "-m", "bench.bare_slack"],
            env=_environment(**slack),
            folder=folder,
        )
        servers["ours"] = Server(
            "ours",
            [sys.executable, "-m", "bot", "serve"],
            env=_environment(**slack, DATABASE_URL=database_url),
            folder=folder,
        )
        await servers["bare"].start("/healthz")
        await servers["ours"].start("/readyz")
        measured, idle, after = await _exercise(
            servers,
            fake,
            users=users,
            warmup=warmup,
            requests=requests,
            concurrency=concurrency,
        )
    finally:
        for server in servers.values():
            await server.stop()
        await fake.close()
        shutil.rmtree(folder, ignore_errors=True)
    ours = _side("mentorbot serve", measured["ours"], requests=requests, replies=True)
    bare = _side("bare slack-bolt", measured["bare"], requests=requests, replies=False)
    ratio = ours.throughput / bare.throughput if bare.throughput else 0.0
    result = Result(
        requests=requests,
        warmup=warmup,
        concurrency=concurrency,
        pairs=pairs,
        ours=ours,
        bare=bare,
        ratio=round(ratio, 3),
        ratio_met=ratio >= RATIO_TARGET,
        http_p99_met=ours.http_p99_ms < P99_TARGET_MS,
        reply_p99_met=ours.reply_p99_ms is not None and ours.reply_p99_ms < P99_TARGET_MS,
        load_average=round(load, 2),
    )
    resident = Resident(
        serve_idle_kb=idle["ours"],
        serve_after_kb=after["ours"],
        bare_idle_kb=idle["bare"],
        bare_after_kb=after["bare"],
        requests=warmup + requests,
    )
    return result, resident


def complete(result: Result) -> bool:
    """Every command answered 200 on both sides, and every one of ours got its reply."""
    return (
        result.ours.http_200 == result.ours.requests
        and result.bare.http_200 == result.bare.requests
        and result.ours.replies == result.ours.requests
    )


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def table(result: Result) -> str:
    ours, bare = result.ours, result.bare
    head = (
        f"/mentor status × {result.requests:,} at concurrency {result.concurrency} "
        f"(after {result.warmup:,} warm-up), {result.pairs} pairs, SQLite; "
        f"load average {result.load_average:.2f} at the start"
    )
    rows = [
        ("", ours.server, bare.server),
        ("commands/s", f"{ours.throughput:,.1f}", f"{bare.throughput:,.1f}"),
        ("HTTP 200", f"{ours.http_200:,}", f"{bare.http_200:,}"),
        ("HTTP p50", _ms(ours.http_p50_ms), _ms(bare.http_p50_ms)),
        ("HTTP p99", _ms(ours.http_p99_ms), _ms(bare.http_p99_ms)),
        ("replies arrived", f"{ours.replies:,}", "—"),
        ("reply p50", _ms(ours.reply_p50_ms), "—"),
        ("reply p99", _ms(ours.reply_p99_ms), "—"),
        ("server CPU per command", f"{ours.server_cpu_ms:.2f} ms", f"{bare.server_cpu_ms:.2f} ms"),
        ("load generator busy", f"{ours.generator_busy:.0%}", f"{bare.generator_busy:.0%}"),
        ("elapsed", f"{ours.elapsed_seconds:.2f} s", f"{bare.elapsed_seconds:.2f} s"),
        ("ours ÷ bare commands/s", f"{result.ratio:.3f}", ""),
        (f"target: ours ÷ bare ≥ {RATIO_TARGET:g}", mark(result.ratio_met), ""),
        (f"target: HTTP p99 < {P99_TARGET_MS:g} ms", mark(result.http_p99_met), ""),
        (f"(reply p99 < {P99_TARGET_MS:g} ms)", mark(result.reply_p99_met), ""),
    ]
    width = max(len(r[0]) for r in rows)
    cell = max(len(v) for r in rows for v in r[1:])
    lines = [head, *(f"{a:<{width}}  {b:>{cell}}  {c:>{cell}}".rstrip() for a, b, c in rows)]
    if ours.wrong_replies:
        lines.append(f"{ours.wrong_replies} replies said something other than the status")
    return "\n".join(lines)


def run(**kwargs: Any) -> tuple[Result, Resident]:
    return asyncio.run(measure(**kwargs))


def main(*, as_json: bool, requests: int, warmup: int, concurrency: int, pairs: int) -> int:
    result, _ = run(
        requests=max(1, requests),
        warmup=max(0, warmup),
        concurrency=max(1, concurrency),
        pairs=max(1, pairs),
    )
    print(json.dumps({"benchmark": "inbound", **asdict(result)}) if as_json else table(result))
    return 0 if complete(result) else 1
