"""Concerns: telling the programme team, privately, that something is wrong.

Anyone can report one, from the button on every pair message, from their home screen or by
typing ``report``, through one form: what kind of concern it is, whether someone needs help
right now, and what happened. It is stored and, in the same transaction, queued for the
people entitled to read it: the workspace's safeguarding contacts and its coordinators,
each once. Never to either person in the pair it is about: the reporter has their answer
already, and the partner is not told anything, even when they coordinate the programme.

A concern moves open → acknowledged → resolved (``STEPS``), each step taken by one contact
and audited by the command that takes it. A step that no longer applies, because someone
else got there first, changes nothing and says so.

An urgent concern goes out at once, whatever the hour or the quiet days, and must not sit
unseen: ``escalate_due`` passes one nobody has acknowledged within the workspace's
escalation period to the next contact in a stable order, and again each period, until
someone acknowledges or resolves it. Claiming is one ``UPDATE … RETURNING``, as in the
planner, so two instances ticking at once escalate each concern once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import cards, codec
from conversations.durations import elapsed
from conversations.errors import UserError
from conversations.features.concerns import cards as concern_cards
from conversations.features.concerns.holds import concern_open, concern_unacknowledged
from conversations.kinds import Kind
from conversations.messages import Button, Card, CardField, Input, Message, Option, Section
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import Concern, Pair, PairStatus, Person, Programme, Role, RoleGrant


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Step(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


STEPS: dict[tuple[str, Step], Status] = {
    (Status.OPEN, Step.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.OPEN, Step.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Step.RESOLVE): Status.RESOLVED,
}
"""Every move a concern can make; anything else is a press on a concern that moved on."""

CATEGORIES: dict[str, str] = {
    "uncomfortable": "Something made me uncomfortable",
    "safety": "Safety or wellbeing",
    "behaviour": "Inappropriate behaviour",
    "other": "Something else",
}
"""The form's choices: the stored value, and the words people read."""

URGENCY: dict[str, bool] = {"no": False, "yes": True}
MAX_DESCRIPTION = 4000
REPEAT_WINDOW = timedelta(minutes=10)
"""The same words sent again this soon (a double press, a retried form) are one concern."""
CONTACT_ROLES = (Role.SAFEGUARDING, Role.COORDINATOR)
MAX_NAMED = 3
"""How many contacts the reporter's thank-you names before it says "and N others"."""

ACKNOWLEDGE = "concern.acknowledge"
PAUSE = "concern.pause"
RESOLVE = "concern.resolve"

# --- what a concern is about -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What a concern is about: a pair the reporter is in, or a whole programme."""

    programme: Programme
    pair: Pair | None = None

    @property
    def value(self) -> str:
        """The form's submit value, checked again against the reporter when it comes back."""
        if self.pair is not None:
            return codec.ConcernAbout("pair", self.pair.id).encode()
        return codec.ConcernAbout("programme", self.programme.id).encode()

    def for_reporter(self, reporter: Person) -> str:
        if self.pair is not None:
            return (
                f"your pairing with {self.pair.other(reporter.id).label} in {self.programme.name}"
            )
        return self.programme.name


async def target(
    session: AsyncSession, *, workspace_id: int, reporter: Person, value: str
) -> Target:
    """The target a form's value names, if this reporter may report about it.

    A pair only by someone in it (and not one merely proposed, which nobody has been told
    about); a programme by anyone in its workspace. Anything else is out of date or
    forged, and gets the same answer either way.
    """
    about = codec.ConcernAbout.decode(value)
    if about.kind == "pair":
        pair = await session.get(Pair, about.id)
        if (
            pair is None
            or pair.programme.workspace_id != workspace_id
            or not pair.includes(reporter.id)
            or pair.status == PairStatus.PROPOSED
        ):
            raise codec.OutOfDate
        return Target(programme=pair.programme, pair=pair)
    programme = await session.get(Programme, about.id)
    if programme is None or programme.workspace_id != workspace_id:
        raise codec.OutOfDate
    return Target(programme=programme)


# --- who reads it ------------------------------------------------------------------------


async def contacts(
    session: AsyncSession, *, workspace_id: int, besides: Collection[int] = ()
) -> list[Person]:
    """The people a concern goes to, in the order escalation walks: safeguarding contacts
    by when they were given the role, then coordinators likewise, each once.

    ``besides`` are left out (the people in the pair a concern is about), as is anyone
    forgotten or known to be unreachable, who could not read it anyway.
    """
    rows = await session.execute(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.workspace_id == workspace_id, RoleGrant.role.in_(CONTACT_ROLES))
        .order_by(
            case((RoleGrant.role == Role.SAFEGUARDING, 0), else_=1),
            RoleGrant.granted_at,
            RoleGrant.id,
        )
    )
    found: list[Person] = []
    for person in rows.scalars():
        if person.id in besides or person.forgotten_at is not None or not person.reachable:
            continue
        if all(person.id != seen.id for seen in found):
            found.append(person)
    return found


def left_out(concern: Concern, pair: Pair | None) -> set[int]:
    """Who is not sent this concern: the people in its pair, who must never learn of it,
    and whoever reported it, who has their answer already."""
    ids = {concern.reporter_id} if concern.reporter_id is not None else set()
    if pair is not None:
        ids |= {pair.mentor_id, pair.mentee_id}
    return ids


async def about(session: AsyncSession, concern: Concern) -> tuple[Programme | None, Pair | None]:
    programme = await session.get(Programme, concern.programme_id) if concern.programme_id else None
    pair = await session.get(Pair, concern.pair_id) if concern.pair_id else None
    return programme, pair


def names(people: Sequence[Person]) -> str:
    """Who will look at a concern, for the reporter: a few names, then how many more."""
    if len(people) <= MAX_NAMED:
        return repo.names(people)
    rest = len(people) - (MAX_NAMED - 1)
    return f"{', '.join(p.label for p in people[: MAX_NAMED - 1])} and {rest} others"


# --- the form ----------------------------------------------------------------------------


def report_form(chosen: Target, reporter: Person) -> Message:
    """The private form: a kind, whether someone needs help now, and what happened."""
    subject = chosen.for_reporter(reporter)
    partner = "your partner is not told" if chosen.pair is not None else "nobody else is told"
    return Message(
        text=f"Report a concern about {subject}. Only the programme's safeguarding contacts "
        f"and coordinators will read it; {partner}.",
        card=Card(
            header="Report a concern",
            sections=(
                Section(
                    text=f"About *{subject}*. Only the programme's safeguarding contacts and "
                    f"coordinators will read this; {partner}."
                ),
                Section(
                    text="If someone is in danger right now, call your local emergency "
                    "number first."
                ),
            ),
            inputs=(
                Input(
                    name="category",
                    label="What is it about?",
                    kind="select",
                    required=True,
                    options=tuple(Option(label=text, value=v) for v, text in CATEGORIES.items()),
                ),
                Input(
                    name="urgent",
                    label="Does someone need help right now?",
                    kind="select",
                    required=True,
                    options=(
                        Option(label="No", value="no"),
                        Option(label="Yes, someone needs help right now", value="yes"),
                    ),
                ),
                Input(
                    name="description",
                    label="What happened?",
                    kind="multiline",
                    required=True,
                    hint=f"In your own words, up to {MAX_DESCRIPTION:,} characters.",
                ),
            ),
            submit=Button(
                label="Send report",
                action=concern_cards.REPORT_CONCERN,
                value=chosen.value,
                style="primary",
            ),
        ),
        kind=Kind.CONCERN_FORM,
    )


@dataclass(frozen=True, slots=True)
class Report:
    category: str
    urgent: bool
    description: str


def checked(values: dict[str, str]) -> Report:
    """The form's answers, or a refusal that says what to fix (nothing is stored)."""
    category = (values.get("category") or "").strip().lower()
    if category not in CATEGORIES:
        raise UserError(
            "Choose what the concern is about from the list: "
            + ", ".join(f"'{text}'" for text in CATEGORIES.values())
            + "."
        )
    urgency = (values.get("urgent") or "").strip().lower()
    if urgency not in URGENCY:
        raise UserError("Say whether someone needs help right now: yes or no.")
    description = (values.get("description") or "").strip()
    if not description:
        raise UserError("Tell us what happened: a few words are enough.")
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            f"Please keep the description to {MAX_DESCRIPTION:,} characters; it has "
            f"{len(description):,}. Nothing was sent yet."
        )
    return Report(category=category, urgent=URGENCY[urgency], description=description)


# --- what contacts receive ---------------------------------------------------------------


def _when(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M} on {cards.local_date(moment, timezone)}"


def buttons(concern: Concern, pair: Pair | None) -> tuple[Button, ...]:
    """What a contact can still do with this concern."""
    if concern.status == Status.RESOLVED:
        return ()
    value = codec.Ref(concern.id).encode()
    found: list[Button] = []
    if concern.status == Status.OPEN:
        found.append(Button(label="Acknowledge", action=ACKNOWLEDGE, value=value, style="primary"))
    if pair is not None and pair.status in (PairStatus.ACTIVE, PairStatus.PAUSED):
        found.append(Button(label="Pause the pair", action=PAUSE, value=value, style="danger"))
    found.append(Button(label="Resolve", action=RESOLVE, value=value))
    return tuple(found)


def contact_card(
    *,
    concern: Concern,
    programme: Programme | None,
    pair: Pair | None,
    reporter: Person | None,
    reader: Person,
    lead: str,
    kind: Kind,
    header: str,
    history: Sequence[str] = (),
    pointer: bool = True,
) -> Message:
    """A concern in full, for someone entitled to read it, with what they can do next.

    The description is in the card only; the notification text says what kind of concern
    it is and where, so a lock screen shows no one's words; ``pointer`` adds how to find
    it again, for a card that arrives rather than one asked for.
    """
    label = CATEGORIES.get(concern.category, concern.category)
    where = programme.name if programme else "a programme since removed"
    urgency = "Yes: urgent" if concern.urgent else "No"
    subject = (
        f"{pair.mentor.label} (mentor) and {pair.mentee.label} (mentee)"
        if pair is not None
        else "the programme in general"
    )
    fields = (
        CardField(label="Concern", value=f"#{concern.id}"),
        CardField(label="Kind", value=label),
        CardField(label="Someone needs help now", value=urgency),
        CardField(label="Programme", value=where),
        CardField(label="About", value=subject),
        CardField(
            label="Reported by", value=reporter.label if reporter else "someone since removed"
        ),
        CardField(label="Reported", value=_when(concern.created_at, reader.timezone)),
        CardField(label="Status", value=concern.status),
    )
    sections = [
        Section(text=lead),
        Section(fields=fields),
        Section(text="*What they wrote:*\n" + concern.description),
    ]
    if history:
        sections.append(Section(text="\n".join(f"• {line}" for line in history)))
    sections.append(
        Section(
            text="Only safeguarding contacts and coordinators receive this; the people in "
            "the pair are not told it exists. Please keep it that way."
        )
    )
    flag = "Urgent concern" if concern.urgent else "Concern"
    read = f" Open it to read it, or type concern {concern.id}." if pointer else ""
    return Message(
        text=f"{lead} {flag} #{concern.id} in {where}: {label}.{read}",
        card=Card(
            header=header,
            sections=tuple(sections),
            buttons=buttons(concern, pair),
        ),
        kind=kind,
    )


async def history(session: AsyncSession, concern: Concern, reader: Person) -> list[str]:
    """Who moved the concern on, and when, in the reader's time zone."""
    lines = []
    for who_id, at, what in (
        (concern.acknowledged_by_id, concern.acknowledged_at, "Acknowledged"),
        (concern.resolved_by_id, concern.resolved_at, "Resolved"),
    ):
        if at is None:
            continue
        who = await session.get(Person, who_id) if who_id else None
        by = who.label if who else "someone since removed"
        lines.append(f"{what} by {by} at {_when(at, reader.timezone)}")
    if concern.escalation_level:
        times = "once" if concern.escalation_level == 1 else f"{concern.escalation_level} times"
        lines.append(f"Escalated {times} while nobody had acknowledged it")
    return lines


# --- reporting ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filed:
    concern: Concern
    readers: list[Person]
    repeated: bool = False
    """The same report was sent moments ago: nothing new was stored or sent."""


def named_in(pair: Pair | None, reporter: Person | None) -> list[Person]:
    """Who a concern's card names: the pair's two people and the reporter (by id, so their
    copies are found when one of them asks for their data or to be forgotten)."""
    named = [pair.mentor, pair.mentee] if pair is not None else []
    return named + ([reporter] if reporter is not None else [])


async def file(
    session: AsyncSession,
    *,
    chosen: Target,
    reporter: Person,
    report: Report,
    now: datetime,
    escalation_minutes: int,
) -> Filed:
    """Store a concern and queue it for every contact, in this transaction."""
    pair_id = chosen.pair.id if chosen.pair is not None else None
    besides = {reporter.id} | (
        {chosen.pair.mentor_id, chosen.pair.mentee_id} if chosen.pair is not None else set()
    )
    readers = await contacts(session, workspace_id=chosen.programme.workspace_id, besides=besides)
    earlier = await session.scalar(
        select(Concern)
        .where(
            Concern.reporter_id == reporter.id,
            Concern.programme_id == chosen.programme.id,
            Concern.pair_id.is_(None) if pair_id is None else Concern.pair_id == pair_id,
            Concern.category == report.category,
            Concern.description == report.description,
            Concern.created_at >= now - REPEAT_WINDOW,
        )
        .limit(1)
    )
    if earlier is not None:
        return Filed(concern=earlier, readers=readers, repeated=True)
    concern = Concern(
        workspace_id=chosen.programme.workspace_id,
        programme_id=chosen.programme.id,
        pair_id=pair_id,
        reporter_id=reporter.id,
        category=report.category,
        urgent=report.urgent,
        description=report.description,
        status=Status.OPEN,
        created_at=now,
        escalation_level=0,
        escalate_at=now + timedelta(minutes=escalation_minutes) if report.urgent else None,
    )
    session.add(concern)
    await session.flush()
    outbox = Outbox(session, now)
    lead = (
        "An urgent concern has just been reported: someone may need help right now."
        if report.urgent
        else "A concern has been reported."
    )
    for reader in readers:
        await outbox.to_person(
            reader,
            contact_card(
                concern=concern,
                programme=chosen.programme,
                pair=chosen.pair,
                reporter=reporter,
                reader=reader,
                lead=lead,
                kind=Kind.CONCERN,
                header="Urgent concern reported" if report.urgent else "Concern reported",
            ),
            key=f"concern:{concern.id}:to:{reader.id}",
            holds=(concern_open(concern),),
            urgent=report.urgent,
            about=named_in(chosen.pair, reporter),
        )
    return Filed(concern=concern, readers=readers)


def thanks(filed: Filed, chosen: Target) -> str:
    """The reporter's answer: who will look at it, and that the partner is not told."""
    partner = "your partner is not told" if chosen.pair is not None else "nobody else is told"
    danger = (
        " If someone is in danger right now, please also call your local emergency number."
        if filed.concern.urgent
        else ""
    )
    if not filed.readers:
        return (
            f"Thank you. I've kept your report, and {partner}, but there is no safeguarding "
            "contact or coordinator here who can read it yet. Please also tell someone you "
            f"trust in your organisation.{danger}"
        )
    again = "You've already sent this, and it's with them. " if filed.repeated else ""
    return f"{again}Thank you. {names(filed.readers)} will look at this; {partner}.{danger}"


# --- moving it on ------------------------------------------------------------------------


async def take(
    session: AsyncSession, concern: Concern, step: Step, *, by: Person, now: datetime
) -> bool:
    """Move the concern on by one step; False (and nothing changed) if it no longer applies.

    The move is one ``UPDATE … WHERE status = <what this person saw>``, so when two
    contacts press at the same moment only one of them moves it, and the other is told who
    did. Acknowledging or resolving stops escalation; resolving an open concern also
    records its resolver as having acknowledged it, since they plainly have.
    """
    seen = concern.status
    after = STEPS.get((seen, step))
    if after is None:
        return False
    values: dict[str, object] = {"status": after, "escalate_at": None}
    if seen == Status.OPEN:
        values |= {"acknowledged_by_id": by.id, "acknowledged_at": now}
    if after == Status.RESOLVED:
        values |= {"resolved_by_id": by.id, "resolved_at": now}
    moved = (
        await session.execute(
            update(Concern)
            .where(Concern.id == concern.id, Concern.status == seen)
            .values(**values)
            .returning(Concern.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    await session.refresh(concern)
    return moved is not None


async def where_it_is(session: AsyncSession, concern: Concern, reader: Person) -> str:
    """Why a button no longer applies: who moved the concern on, and when."""
    if concern.status == Status.RESOLVED and concern.resolved_at is not None:
        who = await session.get(Person, concern.resolved_by_id) if concern.resolved_by_id else None
        by = who.label if who else "someone since removed"
        return (
            f"Concern #{concern.id} was already resolved by {by} at "
            f"{_when(concern.resolved_at, reader.timezone)}, so nothing has changed."
        )
    if concern.acknowledged_at is not None:
        who = (
            await session.get(Person, concern.acknowledged_by_id)
            if concern.acknowledged_by_id
            else None
        )
        by = who.label if who else "someone since removed"
        return (
            f"Concern #{concern.id} was already acknowledged by {by} at "
            f"{_when(concern.acknowledged_at, reader.timezone)}, so nothing has changed."
        )
    return f"Concern #{concern.id} is still open; nothing has changed."


# --- escalation --------------------------------------------------------------------------


async def escalate_due(session: AsyncSession, *, now: datetime, minutes: int) -> int:
    """Pass each urgent concern nobody has acknowledged in time to the next contact.

    Each due concern is claimed by one ``UPDATE … RETURNING`` that raises its escalation
    level and sets its next time from *now* (so downtime never causes a burst), then the
    contact at that level in ``contacts`` order (rotating when the level passes the last)
    gets an urgent "still not acknowledged" card with the usual buttons. Safe to run from
    several processes at once. Returns how many messages it queued.
    """
    claimed = (
        await session.execute(
            update(Concern)
            .where(
                Concern.urgent.is_(True),
                Concern.status == Status.OPEN,
                Concern.escalate_at <= now,
            )
            .values(
                escalation_level=Concern.escalation_level + 1,
                escalate_at=now + timedelta(minutes=minutes),
            )
            .returning(Concern.id, Concern.escalation_level)
            .execution_options(synchronize_session=False)
        )
    ).all()
    outbox = Outbox(session, now)
    queued = 0
    for concern_id, level in claimed:
        concern = await session.get(Concern, concern_id, populate_existing=True)
        if concern is None:
            continue
        programme, pair = await about(session, concern)
        order = await contacts(
            session, workspace_id=concern.workspace_id, besides=left_out(concern, pair)
        )
        if not order:
            continue
        reader = order[(level - 1) % len(order)]
        reporter = await session.get(Person, concern.reporter_id) if concern.reporter_id else None
        waited = elapsed(now - concern.created_at)
        queued += await outbox.to_person(
            reader,
            contact_card(
                concern=concern,
                programme=programme,
                pair=pair,
                reporter=reporter,
                reader=reader,
                lead=f"Still not acknowledged after {waited}: an urgent concern "
                "where someone may need help right now. Please acknowledge it if you "
                "can take it.",
                kind=Kind.CONCERN_ESCALATION,
                header="Still not acknowledged",
            ),
            key=f"concern:{concern.id}:escalation:{level}:to:{reader.id}",
            holds=(concern_unacknowledged(concern),),
            urgent=True,
            about=named_in(pair, reporter),
        )
    return queued
