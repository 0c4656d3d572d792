"""``mentorbot demo``: a whole programme, enrolment to close, in under ten seconds.

A fictional organisation of twelve people across departments and time zones
runs the cross-department career programme on a virtual clock. Most pairs
thrive, one stalls, one person leaves; the transcript shows what each person
saw, and a summary closes it. Everything goes through the real engine, the
real database (a fresh SQLite file) and the console adapter.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from adapters.console.render import render
from adapters.console.repl import link_mentions
from adapters.console.transport import ConsoleTransport
from bot.app import App, build
from bot.config import load_settings
from conversations import codec
from conversations.clock import VirtualClock
from conversations.delivery import Delivery
from conversations.events import Actor, ButtonPressed, CommandSent, Event, FormSubmitted
from conversations.features.pairing import schedule
from conversations.kinds import Kind
from conversations.messages import Message
from storage.models import CheckIn, Meeting, MeetingOutcome, Pair

Say = Callable[[Event, str], Awaitable[list[Message]]]
START = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)  # a Monday, inside working hours across Canada
WORKSPACE = "northwind"


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    timezone: str
    department: str
    title: str


PEOPLE = {
    m.handle: m
    for m in (
        Member(
            "maya", "Maya Okafor", "America/Toronto", "People & Culture", "Programme coordinator"
        ),
        Member(
            "helen", "Helen Park", "America/Toronto", "Executive office", "Chief operating officer"
        ),
        Member("daniel", "Daniel Reyes", "America/Toronto", "Executive office", "Chief executive"),
        Member("priya", "Priya Nair", "America/Vancouver", "Finance", "Finance director"),
        Member("grace", "Grace Liu", "America/Edmonton", "Operations", "Head of operations"),
        Member("tomas", "Tomás García", "America/Toronto", "Marketing", "Marketing lead"),
        Member("aisha", "Aisha Bello", "America/Winnipeg", "Engineering", "Principal engineer"),
        Member("ben", "Ben Tremblay", "America/Halifax", "IT", "Systems analyst"),
        Member("chloe", "Chloé Martin", "America/Montreal", "Customer care", "Team lead"),
        Member("sam", "Sam Wilson", "America/Vancouver", "Finance", "Junior accountant"),
        Member("lena", "Lena Fischer", "America/Edmonton", "People & Culture", "HR advisor"),
        Member("omar", "Omar Haddad", "America/Regina", "Sales", "Account manager"),
    )
}

PEOPLE_NAMES = {handle: m.name.split()[0] for handle, m in PEOPLE.items()}

JOINS = {
    "daniel": ("mentor", "leadership, strategy, public speaking", "technology, data", ""),
    "priya": ("mentor", "budgeting, negotiation", "operations, data", ""),
    "grace": ("mentor", "operations, people management", "customer experience", ""),
    "tomas": ("mentor", "storytelling, marketing", "sales", ""),
    "aisha": ("mentor", "software architecture, data", "teaching", ""),
    "ben": (
        "mentee",
        "networks, scripting",
        "leadership, technology",
        "understand how decisions get made at the top",
    ),
    "chloe": (
        "mentee",
        "coaching",
        "people management, customer experience",
        "step up to managing managers",
    ),
    "sam": ("mentee", "spreadsheets", "data, software architecture", "move into data engineering"),
    "lena": (
        "mentee",
        "interviewing",
        "budgeting, operations",
        "understand the money side of decisions",
    ),
    "omar": ("mentee", "negotiation", "marketing, storytelling", "build a personal brand"),
}

# mentee: how their pair behaves, and how many days after an agenda they usually meet
BEHAVIOUR = {
    "ben": ("thrive", 9),
    "sam": ("thrive", 11),
    "lena": ("thrive", 12),
    "chloe": ("leave", 10),
    "omar": ("stall", 13),
}
REFLECTIONS = (
    "I said out loud what I actually want. That felt new.",
    "Need to follow up on the budget question before next time.",
    "Less nervous than last time.",
)
MIDWAY = 91
SHARED = (
    "I was nervous about talking to someone so senior; the agenda gave us somewhere to start.",
    "Having someone outside my own team to think out loud with has changed how I plan my week.",
    "Daniel made time for me every fortnight, even in the middle of the audit.",
    "We drift from the prompts now, and I think that is the point.",
)
"""Lines participants chose to share, without their names, in the executive digest."""


@dataclass
class PairPlan:
    mentor: str
    mentee: str
    behaviour: str
    rhythm: int
    pair_id: int = 0
    agenda_day: int | None = None
    agenda: Message | None = None
    pending_checkins: dict[str, Message] = field(default_factory=dict)
    met_sessions: int = 0


class Transcript:
    """Prints a day heading lazily, before the first thing that happens that day."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.heading: str | None = None

    def day(self, moment: datetime, number: int) -> None:
        self.heading = f"\n── Day {number + 1} · {moment:%a %d %b %Y} " + "─" * 40

    def __call__(self, text: str) -> None:
        if self.heading is not None:
            self._write(self.heading)
            self.heading = None
        self._write(text)


class DemoTransport(ConsoleTransport):
    """The console transport, also telling the script which pair got which card."""

    plans: dict[str, PairPlan]
    """By mentee handle: the matcher decides who their mentor is."""
    day: int
    digests: list[tuple[int, Message]]
    """The weekly digests an executive received, by day of the programme."""

    async def send(self, delivery: Delivery) -> str | None:
        sent = await super().send(delivery)
        message = delivery.message
        if message.kind == Kind.DIGEST:
            self.digests.append((self.day, message))
        pair = delivery.pair
        if pair is not None:
            plan = self.plans.get(pair.mentee.platform_user_id)
            if plan is not None and message.kind in (Kind.INTRODUCTION, Kind.AGENDA):
                plan.pair_id = pair.id
                plan.mentor = pair.mentor.platform_user_id
                plan.agenda, plan.agenda_day = message, self.day
        if message.kind == Kind.CHECKIN and delivery.person is not None:
            for plan in self.plans.values():
                if delivery.person.platform_user_id in (plan.mentor, plan.mentee):
                    submit = message.card.submit if message.card else None
                    pair_id = codec.SessionRef.decode(submit.value).pair_id if submit else 0
                    if pair_id == plan.pair_id:
                        plan.pending_checkins[delivery.person.platform_user_id] = message
        return sent


async def run_demo(*, database: Path, full: bool, write: Callable[[str], None]) -> int:
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 (before any I/O)
    clock = VirtualClock(START)
    settings = load_settings(database_url=f"sqlite:///{database}")
    app = await build(settings, clock=clock)
    out = Transcript(write)
    transport = DemoTransport(write=out, compact_after_first=not full)
    transport.plans, transport.day, transport.digests = {}, 0, []
    dispatcher = app.dispatcher(transport, concurrency=1, platforms=frozenset({"console"}))
    rng = random.Random(2026)

    def actor(handle: str) -> Actor:
        member = PEOPLE[handle]
        return Actor(
            platform="console",
            workspace=WORKSPACE,
            user_id=handle,
            display_name=member.name.split()[0],
            timezone=member.timezone,
        )

    codes_shown: set[str] = set()

    async def say(event: Event, shown: str) -> list[Message]:
        name = PEOPLE[event.actor.user_id].name.split()[0]
        out(f"{name} ▸ {shown}")
        replies = await app.engine.handle(event)
        for reply in replies:
            body = render(reply)
            if reply.kind == Kind.CONDUCT and reply.card is not None:
                # Everyone joining sees the same code: in full once, then in one line.
                header = reply.card.header
                if header in codes_shown and not full:
                    agree = "  ".join(f"[{n}] {b.label}" for n, b in enumerate(reply.buttons(), 1))
                    body = f"{header} (as above)  {agree}"
                codes_shown.add(header)
            out("  bot → " + name + ": " + body.replace("\n", "\n    "))
        await dispatcher.drain()
        return replies

    async def command(handle: str, text: str) -> list[Message]:
        return await say(
            CommandSent(actor=actor(handle), text=link_mentions(text, PEOPLE_NAMES), direct=True),
            text,
        )

    write("mentorbot demo: Northwind runs six months of cross-department career mentoring.")
    write("Twelve people, five pairs, one virtual clock. Every line below went through the")
    write("real engine and database; '✉' lines are what each person received.")
    out.day(clock.now(), 0)
    await command(
        "maya",
        'program create career --curriculum cross-department-career --name "Career mentoring 2026"',
    )
    await command("maya", "admin grant @helen executive")
    await command("maya", "program open career")
    await command("maya", "digest subscribe @helen career mon 08:00")
    for handle, (side, skills, interests, goals) in JOINS.items():
        member = PEOPLE[handle]
        goal = f' --goals "{goals}"' if goals else ""
        capacity = " --capacity 1" if side == "mentor" else ""
        replies = await command(
            handle,
            f'join career {side} --department "{member.department}" '
            f'--title "{member.title}" --skills "{skills}" --interests "{interests}"'
            f"{goal}{capacity}",
        )
        # Nobody is matched before accepting the programme's code of conduct.
        code = next(r for r in replies if r.kind == Kind.CONDUCT)
        agree = next(b for b in code.buttons() if b.label == "I agree")
        await say(
            ButtonPressed(actor=actor(handle), action=agree.action, value=agree.value),
            "[I agree] (code of conduct)",
        )
    plans: list[PairPlan] = []
    for mentee, (behaviour, rhythm) in BEHAVIOUR.items():
        plan = PairPlan("", mentee, behaviour, rhythm)
        transport.plans[mentee] = plan
        plans.append(plan)
    # Daniel asked to mentor someone in IT far from head office: Maya fixes that pair and
    # lets the matcher arrange everyone else around it, reviews, and publishes.
    await command("maya", "match pin career @ben @daniel")
    await command("maya", "match career")
    await command("maya", "publish career")
    await command("maya", "program launch career")

    end_day = 182
    for day in range(1, end_day + 1):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue  # Northwind doesn't work weekends; Monday's tick catches up
        clock.set(START + timedelta(days=day))
        transport.day = day
        out.day(clock.now(), day)
        for plan in plans:
            await _act(plan, day, say, actor, rng)
        if day == 95:
            await command("maya", "status career")
        await app.engine.tick()
        await dispatcher.drain()
    await command("maya", "program close career")
    await command("maya", "status career")
    await _summary(app, plans, write)
    if transport.digests:
        # The one from the middle of the programme, when every kind of figure is moving.
        day, digest = min(transport.digests, key=lambda item: abs(item[0] - MIDWAY))
        chart = database.parent / "demo-digest.png"
        when = (START + timedelta(days=day)).strftime("%a %d %b")
        write(f"\n══ The weekly digest Helen (executive) received on {when} " + "═" * 22)
        write(render(digest))
        for attachment in digest.attachments:
            await asyncio.to_thread(chart.write_bytes, attachment.data)
            write(f"(its chart, {attachment.name}, is in {chart})")
    await app.close()
    return 0


async def _act(
    plan: PairPlan,
    day: int,
    say: Say,
    actor: Callable[[str], Actor],
    rng: random.Random,
) -> None:
    if plan.behaviour == "done":
        return
    for handle, card in list(plan.pending_checkins.items()):
        if card.card is None or card.card.submit is None:
            continue
        rating = str(rng.choice((4, 5, 5)) if plan.behaviour != "stall" else rng.choice((3, 4)))
        note = rng.choice(REFLECTIONS) if rng.random() < 0.25 else ""
        quote = rng.choice(SHARED) if plan.behaviour != "stall" and rng.random() < 0.2 else ""
        extras = ", with a private note" if note else ""
        extras += ", with a line to share" if quote else ""
        await say(
            FormSubmitted(
                actor=actor(handle),
                action="checkin",
                value=card.card.submit.value,
                values={"rating": rating, "reflection": note, "quote": quote},
            ),
            f"[Send check-in: {rating}/5{extras}]",
        )
        del plan.pending_checkins[handle]
    if plan.agenda is None or plan.agenda_day is None:
        return
    if plan.behaviour == "stall" and plan.met_sessions >= 2:
        return
    if plan.behaviour == "leave" and plan.met_sessions >= 4:
        if day >= plan.agenda_day + 3:
            await say(CommandSent(actor=actor(plan.mentee), text="leave career"), "leave career")
            plan.behaviour = "done"
        return
    if day < plan.agenda_day + plan.rhythm:
        return
    presser = plan.mentee if plan.met_sessions % 2 else plan.mentor
    met, answer = next(
        (b, codec.MeetingAnswer.decode(b.value))
        for b in plan.agenda.buttons()
        if b.action == "meeting.log"
        and codec.MeetingAnswer.decode(b.value).outcome == MeetingOutcome.MET
    )
    plan.agenda = None
    plan.met_sessions += 1
    await say(
        ButtonPressed(actor=actor(presser), action=met.action, value=met.value),
        f"[We met] (session {answer.session + 1})",
    )


async def _summary(app: App, plans: list[PairPlan], write: Callable[[str], None]) -> None:
    write("\n══ Programme summary: Career mentoring 2026 " + "═" * 34)
    write(f"{'Pair (mentor → mentee)':28} {'Met':>6} {'Check-ins':>10} {'Rating':>7}  Outcome")
    async with app.sessions() as session:
        for plan in plans:
            pair = await session.get(Pair, plan.pair_id)
            assert pair is not None
            met = (
                await session.scalar(
                    select(func.count(Meeting.id)).where(
                        Meeting.pair_id == pair.id, Meeting.outcome == MeetingOutcome.MET
                    )
                )
                or 0
            )
            checkins, rating = (
                await session.execute(
                    select(func.count(CheckIn.id), func.avg(CheckIn.rating)).where(
                        CheckIn.pair_id == pair.id
                    )
                )
            ).one()
            curriculum = app.engine.library.get(pair.programme.curriculum_key)
            total = len(curriculum.sessions) if curriculum else 0
            last = pair.last_met_at or pair.started_at
            if pair.end_reason == "left":
                outcome = f"{pair.mentee.label} left on {pair.ended_at:%d %b} (no-fault exit)"
            elif (
                met < total
                and last is not None
                and pair.ended_at is not None
                and (pair.ended_at - last).days >= schedule.STALL_DAYS
            ):
                outcome = f"stalled: no meeting logged after {last:%d %b}"
            else:
                outcome = str(pair.end_reason or pair.status)
            names = f"{pair.mentor.label} → {pair.mentee.label}"
            shown = f"{float(rating):.1f}" if rating is not None else "-"
            write(f"{names:28} {f'{met}/{total}':>6} {checkins:>10} {shown:>7}  {outcome}")
    write(
        "Private reflections were written, and none appear above: only their authors can see them."
    )
