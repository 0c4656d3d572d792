"""Digest benchmark: the executive digest over a busy workspace, against one bare aggregate.

Default size is the digest issue's: 10,000 pairs in five programmes of one workspace and
500,000 check-ins over the last six months, with the rest of a real workspace around them
(people and their enrolments in a dozen departments, meetings at each programme's cadence,
check-in prompts, a fifth of them never answered, milestone pulses, quotes shared this
week, a few open concerns, mentees waiting for a mentor). Each database (an SQLite file;
PostgreSQL when ``TEST_DATABASE_URL`` or ``--postgres-url`` names a server) is migrated and
bulk-seeded once. The digest only reads, so every run works on that one database and
measures, in the same run, each in a session of its own:

* the bare baseline: ``SELECT count(*), avg(rating) FROM check_ins``, one plain aggregate
  over the largest table the digest reads;
* the aggregates (``conversations.features.digest``): ``figures.figures``,
  ``figures.departments`` and ``digest.highlights``, each query also timed on its own;
* the whole digest: ``digest.compose``, the message and its matplotlib chart.

One pass of all three warms the caches (and matplotlib) first; its compose time is reported
apart. Reported: the median of each over the runs, the ratios to the bare query, the
slowest query, and the digest's figures against the ones the seeded instance must give.
The issue's target, reported as met or not: the digest under 1 s on each database.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.common import chunks, databases_for, mark, model_table, side_by_side
from conversations.features.digest import digest
from conversations.features.digest.figures import STALL_DAYS, departments, figures, total
from storage import db, migrate
from storage.models import (
    CheckIn,
    Concern,
    Enrolment,
    EnrolmentStatus,
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Prompt,
    PulseResponse,
    Side,
    Workspace,
)

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
"""A Monday, 08:00 UTC: the digest's default moment, a minute after the newest row."""
TIMEZONE = "Europe/London"
WINDOW_DAYS = 182
"""Six months of history."""
COHORT_SHARE = 0.6
"""Pairs that started with their programme's launch cohort (the first four weeks)."""
ENDED_SHARE = 0.08
PAUSED_SHARE = 0.06
QUIET_SHARE = 0.06
"""Active pairs that stopped meeting three to six weeks ago (the digest's pairs at risk)."""
MET_SHARE = 0.85
UNANSWERED_SHARE = 0.18
"""Check-in prompts nobody answered."""
PULSE_ANSWERED = 0.7
QUOTE_SHARE = 0.05
"""Check-ins of the last week that shared a quote."""
LEFT_SHARE = 0.6
"""Of ended pairs: both people left the programme (the others' mentees wait for another)."""
PULSE_DAYS = (45, 90, 165)
PROGRAMMES = (
    ("career-eng", "Career mentoring: Engineering", "cross-department-career", 14),
    ("career-ops", "Career mentoring: Operations", "cross-department-career", 14),
    ("career-gtm", "Career mentoring: Sales and Marketing", "cross-department-career", 14),
    ("new-hires", "New-hire buddies", "new-hire-buddy", 7),
    ("teachers", "Teacher peer mentoring", "teacher-peer-mentoring", 21),
)
"""Key, name, bundled curriculum, its cadence in days."""
DEPARTMENTS = (
    ("Engineering", 18),
    ("Sales", 12),
    ("Operations", 10),
    ("Customer Success", 9),
    ("Marketing", 8),
    ("Finance", 7),
    ("Product", 7),
    ("People", 6),
    ("Data", 6),
    ("Design", 5),
    ("IT", 4),
    ("Legal", 1),
    ("", 2),
)
"""Department names and weights; "" is not given (the digest says "Not given")."""
FIRST = (
    "Amara", "Ben", "Chloé", "Dev", "Elif", "Finn", "Grace", "Hamid", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tess",
)  # fmt: skip
LAST = (
    "Adeyemi", "Brennan", "Costa", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad",
    "Ibrahim", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Neill", "Patel",
)  # fmt: skip
QUOTES = (
    "Talking it through with {name} made the next step obvious.",
    "I finally asked for the stretch project, and got it.",
    "Half an hour a fortnight has changed how I plan my week.",
    "{name} showed me how decisions really get made here.",
    "I feel much less alone with the hard conversations.",
)
REFLECTIONS = (
    "Good session; I need to follow up on the promotion criteria.",
    "We ran out of time again. Shorter agenda next time.",
    "Felt honest and useful.",
)
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = (2, 5, 18, 40, 35)
TARGET_SECONDS = 1.0
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
WEEK = timedelta(days=7)

AGGREGATE_QUERIES = (
    ("meetings", "figures: met (meetings ⋈ pairs)"),
    ("prompts", "figures: asked / answered (prompts ⋈ pairs)"),
    ("check_ins", "figures: ratings (check_ins ⋈ pairs)"),
    ("pulse_responses", "figures: milestones (pulse_responses ⋈ pairs)"),
    ("enrolments", "figures: joined (enrolments)"),
    ("enrolments", "figures: left (enrolments)"),
    ("pairs", "figures: live / new / active / stalled (pairs)"),
    ("concerns", "figures: open concerns"),
    ("enrolments", "figures: participants (enrolments)"),
    ("pairs", "figures: sessions met / skipped / not heard (pairs ⋈ meetings by session)"),
    ("enrolments", "departments: people"),
    ("enrolments", "departments: pairs and met (enrolments ⋈ pairs)"),
    ("enrolments", "departments: mentees waiting (enrolments, NOT EXISTS pairs)"),
    ("check_ins", "highlights (check_ins ⋈ pairs ⋈ people)"),
    ("people", "highlights: names to take out (people ⋈ enrolments)"),
)
"""The statements the aggregates run, in order: the table each one's FROM names first, and
a name for it."""


@dataclass(frozen=True)
class Counts:
    """The digest's figures for the whole workspace (this week: the week ending at NOW)."""

    active_pairs: int
    stalled_pairs: int
    live_this_week: int
    new_this_week: int
    met_this_week: int
    asked_this_week: int
    answered_this_week: int
    rated_this_week: int
    rating_sum_this_week: int
    milestones_this_week: int
    joined_this_week: int
    left_this_week: int
    participants: int
    open_concerns: int
    departments: int
    """Department groups the digest breaks people down into ("Not given" included)."""
    waiting_mentees: int
    highlights: int


@dataclass(frozen=True)
class Result:
    database: str
    pairs: int
    checkins: int
    programmes: int
    rows: dict[str, int]
    """Rows seeded, by table."""
    seed_seconds: float
    runs: int
    bare_seconds: float
    """Median over the runs of the bare aggregate over check_ins."""
    aggregates_seconds: float
    """Median over the runs of figures + departments + highlights."""
    aggregates_runs: tuple[float, ...]
    compose_seconds: float
    """Median over the runs of the whole digest (compose, chart included)."""
    compose_runs: tuple[float, ...]
    first_compose_seconds: float
    """The warm-up pass's compose (matplotlib's first figure), not in the median."""
    aggregates_ratio: float
    """aggregates ÷ bare."""
    compose_ratio: float
    """compose ÷ bare."""
    queries: dict[str, float]
    """Median seconds of each aggregate query, in the order they run."""
    slowest_query: str
    png_bytes: int
    digest: Counts
    """What the digest's aggregates found."""
    expected: Counts
    """What the seeded instance must give."""
    counts_match: bool
    """The aggregates found the expected figures and compose's text says the same."""
    aggregates_under_1s: bool
    compose_under_1s: bool


@dataclass
class Seed:
    """The generated instance; the bulk tables' rows as tuples in their ``*_COLUMNS`` order."""

    workspace: dict[str, Any]
    programmes: list[dict[str, Any]]
    people: list[dict[str, Any]]
    enrolments: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    concerns: list[dict[str, Any]]
    meetings: list[tuple[Any, ...]] = field(default_factory=list)
    check_ins: list[tuple[Any, ...]] = field(default_factory=list)
    prompts: list[tuple[Any, ...]] = field(default_factory=list)
    pulses: list[tuple[Any, ...]] = field(default_factory=list)

    def rows(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "enrolments": len(self.enrolments),
            "pairs": len(self.pairs),
            "meetings": len(self.meetings),
            "check_ins": len(self.check_ins),
            "prompts": len(self.prompts),
            "pulse_responses": len(self.pulses),
            "concerns": len(self.concerns),
        }


MEETING_COLUMNS = ("pair_id", "session_index", "outcome", "logged_by_id", "logged_at")
CHECK_IN_COLUMNS = (
    "pair_id",
    "person_id",
    "session_index",
    "rating",
    "reflection",
    "shareable_quote",
    "created_at",
)
PROMPT_COLUMNS = (
    "pair_id",
    "person_id",
    "kind",
    "ref_index",
    "asked_at",
    "answered_at",
    "reminders_sent",
    "next_reminder_at",
)
PULSE_COLUMNS = ("pair_id", "person_id", "day", "rating", "comment", "created_at")


def _this_week(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and now - WEEK < moment <= now


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, in whole numbers that add up to it."""
    whole = sum(weights) or 1.0
    counts, running, given = [], 0.0, 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        counts.append(upto - given)
        given = upto
    return counts


def instance(*, pairs: int, checkins: int, seed: int, now: datetime = NOW) -> Seed:
    """One workspace, five programmes, ``pairs`` pairs over six months, ``checkins``
    check-ins spread over the pairs' lives (each person's on distinct session indexes)."""
    rng = random.Random(seed)
    window_start = now - WINDOW_DAYS * DAY
    waiting = max(3, pairs // 40)
    workspace = {
        "id": 1,
        "platform": "slack",
        "external_id": "T-BENCH",
        "name": "Bench",
        "settings": {},
        "created_at": window_start - 30 * DAY,
    }
    programmes: list[dict[str, Any]] = [
        {
            "id": k + 1,
            "workspace_id": 1,
            "key": key,
            "name": name,
            "curriculum_key": curriculum,
            "curriculum_version": 1,
            "cadence_days": cadence,
            "status": ProgrammeStatus.ACTIVE,
            "safeguarded": False,
            "settings": {},
            "created_by_id": None,
            "created_at": window_start - 21 * DAY,
            "launched_at": window_start,
            "closed_at": None,
        }
        for k, (key, name, curriculum, cadence) in enumerate(PROGRAMMES)
    ]
    names, weights = zip(*DEPARTMENTS, strict=True)
    people: list[dict[str, Any]] = []
    enrolments: list[dict[str, Any]] = []

    def person(created: datetime) -> int:
        pid = len(people) + 1
        people.append(
            {
                "id": pid,
                "workspace_id": 1,
                "platform_user_id": f"U{pid:07d}",
                "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "email": None,
                "timezone": TIMEZONE,
                "reachable": True,
                "is_minor": False,
                "created_at": created,
            }
        )
        return pid

    def enrol(
        programme_id: int, person_id: int, side: str, created: datetime, left: datetime | None
    ) -> None:
        enrolments.append(
            {
                "id": len(enrolments) + 1,
                "programme_id": programme_id,
                "person_id": person_id,
                "side": side,
                "status": EnrolmentStatus.LEFT if left else EnrolmentStatus.ACTIVE,
                "department": rng.choices(names, weights)[0],
                "title": "",
                "seniority": rng.randint(1, 6),
                "skills": [],
                "interests": [],
                "goals": "",
                "languages": ["en"],
                "capacity": 1,
                "availability": "",
                "consented_at": created,
                "consent_version": 1,
                "created_at": created,
                "left_at": left,
            }
        )

    result = Seed(
        workspace=workspace,
        programmes=programmes,
        people=people,
        enrolments=enrolments,
        pairs=[],
        concerns=[],
    )
    lives: list[tuple[datetime, datetime]] = []
    for i in range(pairs):
        programme = programmes[i % len(programmes)]
        cadence = int(programme["cadence_days"])
        if rng.random() < COHORT_SHARE:
            started = window_start + rng.uniform(0, 28) * DAY
        else:
            started = window_start + rng.uniform(28, WINDOW_DAYS - 0.1) * DAY
        age = (now - started) / DAY
        draw = rng.random()
        ended = paused = None
        status = PairStatus.ACTIVE
        life_end = now - MINUTE
        if draw < ENDED_SHARE and age > 35:
            status = PairStatus.ENDED
            ended = started + rng.uniform(28, age - 1) * DAY
            life_end = ended
        elif draw < ENDED_SHARE + PAUSED_SHARE and age > 10:
            status = PairStatus.PAUSED
            paused = now - rng.uniform(1, min(60, age - 3)) * DAY
            life_end = paused
        elif rng.random() < QUIET_SHARE and age > 50:
            life_end = now - rng.uniform(22, 45) * DAY  # stopped meeting: at risk
        enrolled = started - rng.uniform(2, 21) * DAY
        mentor = person(enrolled - rng.uniform(0, 30) * DAY)
        mentee = person(enrolled - rng.uniform(0, 30) * DAY)
        left = None
        if ended is not None and rng.random() < LEFT_SHARE:
            left = min(ended + rng.uniform(0, 2) * DAY, now - MINUTE)
        enrol(programme["id"], mentor, Side.MENTOR, enrolled, left)
        enrol(programme["id"], mentee, Side.MENTEE, enrolled + rng.uniform(0, 1) * DAY, left)
        pair_id = i + 1
        index = 0
        last_met = None
        while True:
            logged = started + (index + rng.uniform(0.2, 0.9)) * cadence * DAY
            if logged >= life_end:
                break
            met = rng.random() < MET_SHARE
            last_met = logged if met else last_met
            result.meetings.append(
                (
                    pair_id,
                    index,
                    MeetingOutcome.MET if met else MeetingOutcome.NOT_YET,
                    rng.choice((mentor, mentee)),
                    logged,
                )
            )
            index += 1
        session_started = started + index * cadence * DAY
        result.pairs.append(
            {
                "id": pair_id,
                "programme_id": programme["id"],
                "mentor_id": mentor,
                "mentee_id": mentee,
                "status": status,
                "reason": "Both in different departments; shared interest in leadership.",
                "session_index": index,
                "session_started_at": session_started,
                "started_at": started,
                "last_met_at": last_met,
                "ended_at": ended,
                "end_reason": "completed" if ended else None,
                "created_by_id": None,
                "created_at": started - rng.uniform(1, 3) * DAY,
                "pinned": False,
                "score": round(rng.uniform(0.4, 0.95), 3),
                "paused_by": "participant" if paused else None,
                "next_agenda_at": session_started if status == PairStatus.ACTIVE else None,
                "nudge_at": None,
                "next_pulse_at": None,
                "pulses_sent": sum(1 for d in PULSE_DAYS if started + d * DAY <= life_end),
                "stall_at": None,
                "inactive_at": None,
                "auto_pause_at": None,
            }
        )
        lives.append((started, life_end))
    for _ in range(waiting):  # mentees enrolled in the last eight weeks, not yet matched
        programme = rng.choice(programmes)
        created = now - rng.uniform(0.5, 56) * DAY
        enrol(
            programme["id"], person(created - rng.uniform(0, 30) * DAY), Side.MENTEE, created, None
        )

    counts = _allocate(checkins, [(end - start) / DAY for start, end in lives])
    for pair, (started, life_end), count in zip(result.pairs, lives, counts, strict=True):
        sides = ((pair["mentor_id"], pair["mentee_id"]), (pair["mentee_id"], pair["mentor_id"]))
        for (author, partner), k in zip(sides, (count - count // 2, count // 2), strict=True):
            unanswered = round(k * UNANSWERED_SHARE / (1 - UNANSWERED_SHARE))
            slots = k + unanswered
            if not slots:
                continue
            skipped = set(rng.sample(range(slots), unanswered))
            width = (life_end - started) / slots
            partner_first = str(people[partner - 1]["display_name"]).split()[0]
            for j in range(slots):
                asked = started + (j + rng.uniform(0.05, 0.6)) * width
                if j in skipped:
                    result.prompts.append(
                        (pair["id"], author, "checkin", j, asked, None, rng.randint(1, 2), None)
                    )
                    continue
                created = asked + min(
                    rng.uniform(1, 48) * HOUR, (started + (j + 1) * width) - asked
                )
                quote = None
                if _this_week(created, now) and rng.random() < QUOTE_SHARE:
                    quote = rng.choice(QUOTES).format(name=partner_first)
                result.check_ins.append(
                    (
                        pair["id"],
                        author,
                        j,
                        rng.choices(RATINGS, RATING_WEIGHTS)[0],
                        rng.choice(REFLECTIONS) if rng.random() < 0.3 else None,
                        quote,
                        created,
                    )
                )
                reminders = 0 if created - asked < 24 * HOUR else 1
                result.prompts.append(
                    (pair["id"], author, "checkin", j, asked, created, reminders, None)
                )
            for day in PULSE_DAYS:
                asked = started + day * DAY
                if asked >= life_end:
                    break
                answered = None
                if rng.random() < PULSE_ANSWERED:
                    answered = min(asked + rng.uniform(1, 48) * HOUR, now - MINUTE)
                    rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
                    result.pulses.append((pair["id"], author, day, rating, None, answered))
                result.prompts.append((pair["id"], author, "pulse", day, asked, answered, 0, None))

    open_concerns = max(3, pairs // 1000)
    for k in range(3 * open_concerns):
        pair = result.pairs[rng.randrange(len(result.pairs))]
        created = now - rng.uniform(1, 90) * DAY
        resolved = k >= open_concerns
        result.concerns.append(
            {
                "workspace_id": 1,
                "programme_id": pair["programme_id"],
                "pair_id": pair["id"],
                "reporter_id": pair["mentee_id"],
                "category": rng.choice(("conduct", "wellbeing", "workload", "other")),
                "urgent": rng.random() < 0.1,
                "description": "Reported in confidence.",
                "status": "resolved" if resolved else rng.choice(("open", "acknowledged")),
                "created_at": created,
                "acknowledged_by_id": None,
                "acknowledged_at": None,
                "resolved_by_id": None,
                "resolved_at": min(created + 3 * DAY, now - MINUTE) if resolved else None,
            }
        )
    return result


def expected(seed: Seed, *, now: datetime = NOW) -> Counts:
    """The digest's figures for the instance, counted in Python from the rows themselves."""
    stall_before = now - timedelta(days=STALL_DAYS)
    active = [p for p in seed.pairs if p["status"] == PairStatus.ACTIVE]
    live_pairs = {
        (p["mentee_id"], p["programme_id"])
        for p in seed.pairs
        if p["status"] in (PairStatus.ACTIVE, PairStatus.PAUSED)
    }
    completed = {
        (p["mentee_id"], p["programme_id"]) for p in seed.pairs if p["end_reason"] == "completed"
    }
    current = [e for e in seed.enrolments if e["status"] != EnrolmentStatus.LEFT]
    checkins_week = [c for c in seed.check_ins if _this_week(c[6], now)]
    asked_week = [p for p in seed.prompts if p[2] == "checkin" and _this_week(p[4], now)]
    quotes = sum(1 for c in checkins_week if c[5] is not None)
    return Counts(
        active_pairs=len(active),
        stalled_pairs=sum(
            1 for p in active if (p["last_met_at"] or p["started_at"]) <= stall_before
        ),
        live_this_week=sum(
            1
            for p in seed.pairs
            if p["started_at"] <= now and (p["ended_at"] is None or p["ended_at"] > now - WEEK)
        ),
        new_this_week=sum(1 for p in seed.pairs if _this_week(p["started_at"], now)),
        met_this_week=len(
            {m[0] for m in seed.meetings if m[2] == MeetingOutcome.MET and _this_week(m[4], now)}
        ),
        asked_this_week=len(asked_week),
        answered_this_week=sum(1 for p in asked_week if p[5] is not None),
        rated_this_week=len(checkins_week),
        rating_sum_this_week=sum(c[3] for c in checkins_week),
        milestones_this_week=sum(1 for p in seed.pulses if _this_week(p[5], now)),
        joined_this_week=sum(1 for e in seed.enrolments if _this_week(e["created_at"], now)),
        left_this_week=sum(1 for e in seed.enrolments if _this_week(e["left_at"], now)),
        participants=len({(e["programme_id"], e["person_id"]) for e in current}),
        open_concerns=sum(1 for c in seed.concerns if c["status"] != "resolved"),
        departments=len({e["department"].strip() or "Not given" for e in current}),
        waiting_mentees=sum(
            1
            for e in current
            if e["side"] == Side.MENTEE
            and e["status"] == EnrolmentStatus.ACTIVE
            and (e["person_id"], e["programme_id"]) not in live_pairs | completed
        ),
        highlights=min(quotes, digest.MAX_HIGHLIGHTS),
    )


async def _seed(engine: AsyncEngine, seed: Seed) -> None:
    """Bulk inserts (executemany, 5,000 rows a statement), one transaction."""
    async with engine.begin() as conn:
        for model, rows in (
            (Workspace, [seed.workspace]),
            (Programme, seed.programmes),
            (Person, seed.people),
            (Enrolment, seed.enrolments),
            (Pair, seed.pairs),
            (Concern, seed.concerns),
        ):
            for chunk in chunks(rows):
                await conn.execute(insert(model_table(model)), list(chunk))
        for bulk, columns, tuples in (
            (Meeting, MEETING_COLUMNS, seed.meetings),
            (CheckIn, CHECK_IN_COLUMNS, seed.check_ins),
            (Prompt, PROMPT_COLUMNS, seed.prompts),
            (PulseResponse, PULSE_COLUMNS, seed.pulses),
        ):
            for chunk in chunks(tuples):
                await conn.execute(
                    insert(model_table(bulk)),
                    [dict(zip(columns, row, strict=True)) for row in chunk],
                )
        if engine.dialect.name == "postgresql":
            for name in ("programmes", "people", "enrolments", "pairs"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        # Tables this size would long since have been analysed by autovacuum.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def bare_query() -> Any:
    """One plain aggregate over the whole of the largest table the digest reads."""
    return select(func.count(), func.avg(CheckIn.rating)).select_from(CheckIn)


class _Statements:
    """Times every statement the engine runs while ``recording`` (execute and fetch: both
    drivers' adapters read the whole result inside ``execute``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.recording = False
        self.times: list[tuple[str, float]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info.pop("bench_started", None)
        if self.recording and started is not None:
            self.times.append((statement, time.perf_counter() - started))

    def take(self) -> list[tuple[str, float]]:
        """Each statement recorded since the last take, named (see ``AGGREGATE_QUERIES``)."""
        found, self.times = self.times, []
        tables = [_firstmodel_table(statement) for statement, _ in found]
        if tables == [table for table, _ in AGGREGATE_QUERIES]:
            return [(name, t) for (_, name), (_, t) in zip(AGGREGATE_QUERIES, found, strict=True)]
        return [
            (f"query {i + 1} ({table})", t)
            for i, (table, (_, t)) in enumerate(zip(tables, found, strict=True))
        ]


def _firstmodel_table(statement: str) -> str:
    """The first table the statement's own FROM names (not a subquery's)."""
    for match in re.finditer(r"\bFROM\s+\"?(\w+)", statement):
        before = statement[: match.start()]
        if before.count("(") == before.count(")"):
            return match.group(1)
    return "?"


@dataclass(frozen=True)
class _Pass:
    bare: float
    aggregates: float
    compose: float
    queries: list[tuple[str, float]]
    found: Counts
    message_ok: bool
    png_bytes: int


async def _one_pass(
    sessions: async_sessionmaker[AsyncSession], statements: _Statements, seed: Seed, want: Counts
) -> _Pass:
    """The bare query, the aggregates, then the whole digest: each in a session of its own."""
    ids = [int(p["id"]) for p in seed.programmes]
    async with sessions() as session:
        started = time.perf_counter()
        await session.execute(bare_query())
        bare = time.perf_counter() - started
    async with sessions() as session:
        statements.recording = True
        started = time.perf_counter()
        fig = total((await figures(session, programme_ids=ids, end=NOW)).values())
        groups = await departments(session, programme_ids=ids, end=NOW)
        quotes = await digest.highlights(session, programme_ids=ids, end=NOW)
        aggregates = time.perf_counter() - started
        statements.recording = False
        queries = statements.take()
    async with sessions() as session:
        started = time.perf_counter()
        message = await digest.compose(
            session,
            workspace_id=1,
            programme_id=None,
            timezone=TIMEZONE,
            now=NOW,
            min_group=5,
        )
        compose = time.perf_counter() - started
    found = Counts(
        active_pairs=fig.active,
        stalled_pairs=fig.stalled,
        live_this_week=fig.live[0],
        new_this_week=fig.new[0],
        met_this_week=fig.met[0],
        asked_this_week=fig.asked[0],
        answered_this_week=fig.answered[0],
        rated_this_week=fig.rating_count[0],
        rating_sum_this_week=fig.rating_sum[0],
        milestones_this_week=fig.milestones[0],
        joined_this_week=fig.joined[0],
        left_this_week=fig.left[0],
        participants=fig.participants,
        open_concerns=fig.concerns,
        departments=len(groups),
        waiting_mentees=sum(g.waiting for g in groups),
        highlights=len(quotes),
    )
    png = message.attachments[0].data if message and message.attachments else b""
    message_ok = (
        message is not None
        and f"{want.active_pairs} active pairs ({want.new_this_week} new)" in message.text
        and png.startswith(b"\x89PNG")
    )
    return _Pass(bare, aggregates, compose, queries, found, message_ok, len(png))


async def _measure(url: str, seed: Seed, want: Counts, runs: int) -> tuple[_Pass, list[_Pass]]:
    """One warm-up pass, then ``runs`` measured ones, on one engine."""
    engine = db.create_engine(url)
    statements = _Statements(engine)
    sessions = db.session_factory(engine)
    try:
        warm = await _one_pass(sessions, statements, seed, want)
        return warm, [await _one_pass(sessions, statements, seed, want) for _ in range(runs)]
    finally:
        await engine.dispose()


class _Database:
    """A seeded database, removed afterwards."""

    async def create(self) -> str:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _SQLite(_Database):
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="mentorbot-bench-digest-"))

    async def create(self) -> str:
        return f"sqlite+aiosqlite:///{self._dir / 'digest.sqlite3'}"

    async def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class _PostgreSQL(_Database):
    """A throwaway database beside the server database named by the URL (as tests do)."""

    def __init__(self, server_url: str) -> None:
        self._admin_url = db.normalise_url(server_url)
        self._name = f"mentorbot_bench_{uuid.uuid4().hex[:12]}"
        self._created = False

    async def _admin(self, statement: str) -> None:
        admin = db.create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await admin.dispose()

    async def create(self) -> str:
        await self._admin(f'CREATE DATABASE "{self._name}"')
        self._created = True
        url = make_url(self._admin_url).set(database=self._name)
        return url.render_as_string(hide_password=False)

    async def close(self) -> None:
        if self._created:
            await self._admin(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            self._created = False


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


async def _run_one(
    kind: str, database: _Database, seed: Seed, want: Counts, *, runs: int
) -> Result:
    url = await database.create()
    engine = db.create_engine(url)
    try:
        await migrate.upgrade(engine)
        started = time.perf_counter()
        await _seed(engine, seed)
        seed_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    warm, passes = await _measure(url, seed, want, runs)
    bare = _median([p.bare for p in passes])
    aggregates = _median([p.aggregates for p in passes])
    compose = _median([p.compose for p in passes])
    queries: dict[str, list[float]] = {}
    for one in passes:
        for name, seconds in one.queries:
            queries.setdefault(name, []).append(seconds)
    medians = {name: round(_median(times), 4) for name, times in queries.items()}
    last = passes[-1]
    return Result(
        database=kind,
        pairs=len(seed.pairs),
        checkins=len(seed.check_ins),
        programmes=len(seed.programmes),
        rows=seed.rows(),
        seed_seconds=round(seed_seconds, 3),
        runs=runs,
        bare_seconds=round(bare, 4),
        aggregates_seconds=round(aggregates, 4),
        aggregates_runs=tuple(round(p.aggregates, 4) for p in passes),
        compose_seconds=round(compose, 4),
        compose_runs=tuple(round(p.compose, 4) for p in passes),
        first_compose_seconds=round(warm.compose, 4),
        aggregates_ratio=round(aggregates / bare, 2) if bare else 0.0,
        compose_ratio=round(compose / bare, 2) if bare else 0.0,
        queries=medians,
        slowest_query=max(medians, key=lambda name: medians[name]) if medians else "",
        png_bytes=last.png_bytes,
        digest=last.found,
        expected=want,
        counts_match=all(p.found == want and p.message_ok for p in [warm, *passes]),
        aggregates_under_1s=aggregates < TARGET_SECONDS,
        compose_under_1s=compose < TARGET_SECONDS,
    )


async def run_async(
    *,
    pairs: int = 10_000,
    checkins: int = 500_000,
    databases: Sequence[str] = ("sqlite",),
    postgres_url: str | None = None,
    runs: int = 3,
    seed: int = 2026,
) -> list[Result]:
    instance_ = instance(pairs=pairs, checkins=checkins, seed=seed)
    want = expected(instance_)
    results = []
    for kind in databases:
        if kind == "postgresql":
            if not postgres_url:
                raise ValueError("PostgreSQL needs --postgres-url or TEST_DATABASE_URL")
            database: _Database = _PostgreSQL(postgres_url)
        else:
            database = _SQLite()
        try:
            results.append(await _run_one(kind, database, instance_, want, runs=runs))
        finally:
            await database.close()
    return results


def run(**kwargs: Any) -> list[Result]:
    return asyncio.run(run_async(**kwargs))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(results: Sequence[Result]) -> str:
    if not results:
        return "no database to run against"
    first = results[0]
    rows = first.rows
    head = (
        f"{first.pairs:,} pairs in {first.programmes} programmes, {first.checkins:,} check-ins, "
        f"{rows['prompts']:,} prompts, {rows['meetings']:,} meetings, "
        f"{rows['enrolments']:,} enrolments (median of {first.runs} runs)"
    )
    queries = list(dict.fromkeys(name for r in results for name in r.queries))
    labels = (
        "bulk seed",
        "bare: count(*), avg(rating) of check_ins",
        "aggregates (figures, departments, highlights)",
        "aggregates runs",
        "aggregates ÷ bare",
        "whole digest (compose, chart included)",
        "compose runs",
        "compose ÷ bare",
        "first compose (warm-up, not in median)",
        "chart",
        "active pairs / at risk",
        "met this week / live",
        "check-ins answered / asked this week",
        "figures as seeded",
        f"target: aggregates < {TARGET_SECONDS:g} s",
        f"target: whole digest < {TARGET_SECONDS:g} s",
        "slowest query",
        *(f"  {name}" for name in queries),
    )
    columns = [
        [
            f"{r.seed_seconds:.2f} s",
            _ms(r.bare_seconds),
            _ms(r.aggregates_seconds),
            ", ".join(f"{t * 1000:.0f}" for t in r.aggregates_runs) + " ms",
            f"{r.aggregates_ratio:.2f}×",
            _ms(r.compose_seconds),
            ", ".join(f"{t * 1000:.0f}" for t in r.compose_runs) + " ms",
            f"{r.compose_ratio:.2f}×",
            _ms(r.first_compose_seconds),
            f"{r.png_bytes / 1024:.1f} KB PNG",
            f"{r.digest.active_pairs:,} / {r.digest.stalled_pairs:,}",
            f"{r.digest.met_this_week:,} / {r.digest.live_this_week:,}",
            f"{r.digest.answered_this_week:,} / {r.digest.asked_this_week:,}",
            "yes" if r.counts_match else "NO",
            mark(r.aggregates_under_1s),
            mark(r.compose_under_1s),
            r.slowest_query.split(" (")[0],
            *(_ms(r.queries[name]) if name in r.queries else "–" for name in queries),
        ]
        for r in results
    ]
    return side_by_side(head, labels, columns, [r.database for r in results])


def main(
    *,
    as_json: bool,
    pairs: int,
    checkins: int,
    database: str,
    postgres_url: str | None,
    runs: int = 3,
    seed: int = 2026,
) -> int:
    chosen = databases_for(database, postgres_url, bench="digest")
    if isinstance(chosen, str):
        print(chosen)
        return 2
    databases, skipped, url = chosen
    results = run(
        pairs=max(1, pairs),
        checkins=max(0, checkins),
        databases=databases,
        postgres_url=url,
        runs=max(1, runs),
        seed=seed,
    )
    if as_json:
        print(
            json.dumps(
                {
                    "benchmark": "digest",
                    "skipped": skipped,
                    "results": [asdict(r) for r in results],
                }
            )
        )
    else:
        print(table(results))
        if skipped:
            print("(PostgreSQL skipped: set TEST_DATABASE_URL or pass --postgres-url)")
    return 0 if all(r.counts_match for r in results) else 1
