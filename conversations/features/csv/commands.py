"""Spreadsheets in and out: enrol a whole roster at once, and take the pairs away.

Coordinators of real programmes start from an HR export or a sign-up sheet,
and report from a spreadsheet, so typing ``enroll`` a hundred times (or copying
pairs out of chat) is not an option. An import is all or nothing unless the
coordinator asks to skip bad rows: the engine runs each command in one
transaction, so refusing with ``UserError`` leaves the database untouched. An
export carries counts and dates only; check-in ratings and private reflections
never leave the bot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.csv.csv_import import (
    COLUMN_LIST,
    MAX_BYTES,
    MAX_ROWS,
    ONE_SIDE,
    Directory,
    ImportRow,
    Problem,
    looks_like_email,
    parse_participants,
)
from conversations.features.enrolment.enrolment import enrol
from conversations.features.pairing import tally
from conversations.features.programmes.commands import COORDINATING
from conversations.kinds import Kind
from conversations.messages import Attachment, Message
from conversations.registry import verb
from storage import repositories as repo
from storage.models import (
    CheckIn,
    Enrolment,
    EnrolmentStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Role,
)

SHOWN_PROBLEMS = 20
CSV_TYPES = frozenset(
    {"text/csv", "application/csv", "text/comma-separated-values", "text/x-csv", "text/plain"}
)
SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
NO_FILE = (
    "Attach a CSV file to the import command: in Slack or Teams, add the file to your "
    "message; in the console, type import <program> <file.csv>. The first row names the "
    f"columns, from: {COLUMN_LIST}. Only role (mentor or mentee), and id or email, are "
    "required."
)
EXPORT_COLUMNS = (
    "programme",
    "mentor_id",
    "mentor_name",
    "mentor_email",
    "mentee_id",
    "mentee_name",
    "mentee_email",
    "status",
    "started_at",
    "session",
    "meetings_met",
    "sessions_skipped",
    "sessions_not_heard",
    "check_ins",
    "last_met_at",
    "ended_at",
    "end_reason",
)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _csv_file(attachments: Sequence[Attachment]) -> Attachment:
    """The one CSV attached to the command, or a refusal that says what to send instead."""
    files = [
        a
        for a in attachments
        if a.name.lower().endswith(".csv")
        or (a.media_type.lower() in CSV_TYPES and not a.name.lower().endswith(SPREADSHEETS))
    ]
    if len(files) > 1:
        raise UserError(
            f"Attach one CSV file at a time; I got {len(files)} "
            f"({', '.join(a.name for a in files)})."
        )
    if files:
        return files[0]
    workbook = next((a for a in attachments if a.name.lower().endswith(SPREADSHEETS)), None)
    if workbook is not None:
        raise UserError(
            f"{workbook.name} is a spreadsheet workbook, which I can't read. Save it as CSV "
            "(in Excel: File → Save As → CSV UTF-8) and attach that instead."
        )
    raise UserError(NO_FILE)


def _text(attachment: Attachment) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark), within the size limit."""
    if len(attachment.data) > MAX_BYTES:
        size = len(attachment.data) / (1024 * 1024)
        raise UserError(
            f"{attachment.name} is {size:.1f} MB, more than the {MAX_BYTES // (1024 * 1024)} MB "
            f"I can import at once. Split it into files of up to {MAX_ROWS:,} rows and import "
            "each one."
        )
    try:
        return attachment.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(
            f"{attachment.name} isn't UTF-8 text, so names with accents would come out wrong. "
            "Save it again as CSV UTF-8 (in Excel: File → Save As → CSV UTF-8) and attach that."
        ) from None


@dataclass(frozen=True, slots=True)
class _Known:
    """A person already in the workspace, as far as the import needs to know them."""

    id: int
    user_id: str
    label: str


async def _workspace_people(ctx: Context) -> tuple[dict[str, _Known], dict[str, _Known]]:
    """Everyone in the workspace by platform id and by lower-cased email (first by id wins)."""
    rows = await ctx.session.execute(
        select(Person.id, Person.platform_user_id, Person.email, Person.display_name)
        .where(Person.workspace_id == ctx.workspace.id)
        .order_by(Person.id)
    )
    by_id: dict[str, _Known] = {}
    by_email: dict[str, _Known] = {}
    for person_id, user_id, email, name in rows.all():
        known = _Known(id=person_id, user_id=user_id, label=name or user_id)
        by_id[user_id] = known
        if email:
            by_email.setdefault(email.lower(), known)
    return by_id, by_email


def _clashes(
    rows: Sequence[ImportRow], by_id: dict[str, _Known], by_email: dict[str, _Known]
) -> list[Problem]:
    """Rows that contradict who the workspace already knows; found before anything is written.

    An email may only be claimed by a new id when it belongs to someone imported by
    email who hasn't spoken to the bot yet (then the id adopts that record).
    """
    problems: list[Problem] = []
    identity: dict[int, str] = {}
    for row in rows:
        found = by_id.get(row.user_id) if row.user_id else None
        if found is None and row.email:
            found = by_email.get(row.email.lower())
            if (
                found is not None
                and row.user_id
                and not found.user_id.startswith(repo.PLACEHOLDER_PREFIX)
            ):
                owner = found.label
                owner = "" if owner.lower() in (row.email.lower(), found.user_id) else owner + " "
                problems.append(
                    Problem(
                        row.line,
                        "email",
                        f"{row.email} already belongs to {owner}(id '{found.user_id}'), "
                        f"not to '{row.user_id}'.",
                    )
                )
                continue
        identity[row.line] = f"#{found.id}" if found else f"new:{row.user_id or row.email.lower()}"
    in_file: dict[str, str] = {}
    for row in rows:
        if row.line in identity:
            for key in (row.user_id, row.email.lower()):
                if key:
                    in_file.setdefault(key, identity[row.line])
    for row in rows:
        if not row.manager or row.line not in identity:
            continue
        manager = in_file.get(row.manager) or in_file.get(row.manager.lower())
        if manager is None:
            known = by_id.get(row.manager) or by_email.get(row.manager.lower())
            manager = f"#{known.id}" if known else None
        if manager == identity[row.line]:
            problems.append(Problem(row.line, "manager", f"'{row.manager}' is this same person."))
    return problems


async def _other_side(
    ctx: Context,
    programme: Programme,
    rows: Sequence[ImportRow],
    by_id: dict[str, _Known],
    by_email: dict[str, _Known],
    problems: Sequence[Problem],
) -> list[Problem]:
    """Rows putting someone on the side opposite to where they already are in this
    programme (a side they left doesn't count)."""
    bad = {p.line for p in problems}
    found: dict[int, tuple[ImportRow, _Known]] = {}
    for row in rows:
        known = by_id.get(row.user_id) if row.user_id else None
        if known is None and row.email:
            known = by_email.get(row.email.lower())
        if known is not None and row.line not in bad:
            found[row.line] = (row, known)
    if not found:
        return []
    ids = sorted({known.id for _, known in found.values()})
    sides: dict[int, set[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        enrolled = await ctx.session.execute(
            select(Enrolment.person_id, Enrolment.side).where(
                Enrolment.programme_id == programme.id,
                Enrolment.status != EnrolmentStatus.LEFT,
                Enrolment.person_id.in_(ids[start : start + _CHUNK]),
            )
        )
        for person_id, side in enrolled.all():
            sides.setdefault(person_id, set()).add(str(side))
    refused: list[Problem] = []
    for row, known in found.values():
        taken = sides.get(known.id, set()) - {str(row.side)}
        if taken:
            who = row.email or row.name or known.label
            refused.append(
                Problem(
                    row.line,
                    "role",
                    f"{who} is already in {programme.name} as a {taken.pop()}; {ONE_SIDE} (to "
                    f"change sides, they leave {programme.key} first).",
                )
            )
    return refused


def _listed(problems: Sequence[Problem]) -> str:
    shown = "\n".join(f"• {p}" for p in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return shown + (f"\n• … and {more} more." if more > 0 else "")


@dataclass(slots=True)
class _Tally:
    people: dict[int, bool] = field(default_factory=dict)
    """Person id → whether any of their rows made a new enrolment."""
    rows: int = 0
    left: list[str] = field(default_factory=list)
    """People who had left the programme, as "Name (line N)": not signed back up."""
    waiting: set[int] = field(default_factory=set)
    """People known only by email: linked when they first message the bot."""


_CHUNK = 500


@dataclass(slots=True)
class _People:
    """The people a file names (rows and managers), loaded in a few queries, not per row."""

    by_id: dict[str, Person] = field(default_factory=dict)
    by_email: dict[str, Person] = field(default_factory=dict)
    """Lower-cased; the earliest person with an email wins, as in repo.person_by_email."""

    def find(self, ref: str) -> Person | None:
        return self.by_id.get(ref) or self.by_email.get(ref.lower())

    def remember(self, person: Person) -> None:
        self.by_id[person.platform_user_id] = person
        if person.email:
            self.by_email.setdefault(person.email.lower(), person)


async def _load_people(ctx: Context, rows: Sequence[ImportRow]) -> _People:
    ids = {r.user_id for r in rows if r.user_id} | {r.manager for r in rows if r.manager}
    emails = {r.email.lower() for r in rows if r.email}
    emails |= {r.manager.lower() for r in rows if looks_like_email(r.manager)}
    loaded: dict[int, Person] = {}
    for column, wanted in (
        (Person.platform_user_id, sorted(ids)),
        (func.lower(Person.email), sorted(emails)),
    ):
        for start in range(0, len(wanted), _CHUNK):
            found = await ctx.session.scalars(
                select(Person).where(
                    Person.workspace_id == ctx.workspace.id,
                    column.in_(wanted[start : start + _CHUNK]),
                )
            )
            loaded.update((person.id, person) for person in found)
    people = _People()
    for person_id in sorted(loaded):
        people.remember(loaded[person_id])
    return people


def _person_for(ctx: Context, row: ImportRow, people: _People) -> Person:
    """Find the row's person by id, then by email; add them if nobody matches."""
    person = people.by_id.get(row.user_id) if row.user_id else None
    if person is None and row.email:
        person = people.by_email.get(row.email.lower())
        if person is not None and row.user_id:
            if not person.platform_user_id.startswith(repo.PLACEHOLDER_PREFIX):
                # _clashes rules this out before anything is written; refuse rather than merge.
                raise UserError(
                    f"line {row.line}, column email: {row.email} already belongs to "
                    f"{person.label}. Nothing was imported."
                )
            person.platform_user_id = row.user_id  # imported by email: now we know their id
    if person is not None:
        person.display_name = row.name or person.display_name
        person.email = row.email or person.email
    else:
        person = Person(
            workspace_id=ctx.workspace.id,
            platform_user_id=row.user_id or repo.PLACEHOLDER_PREFIX + row.email.lower(),
            display_name=row.name,  # never the email: partners see display names
            email=row.email or None,
            timezone=row.profile.timezone or ctx.settings.default_timezone,
            created_at=ctx.now,
        )
        ctx.session.add(person)
    people.remember(person)
    return person


async def _write(ctx: Context, programme: Programme, rows: Sequence[ImportRow]) -> _Tally:
    """Create or update each row's person, then enrol them, then link managers."""
    people = await _load_people(ctx, rows)
    persons = [_person_for(ctx, row, people) for row in rows]
    await ctx.session.flush()  # one batch of inserts gives every new person an id
    found = await ctx.session.scalars(
        select(Enrolment).where(Enrolment.programme_id == programme.id)
    )
    enrolments = {(e.person_id, e.side): e for e in found.unique()}
    tally = _Tally()
    for row, person in zip(rows, persons, strict=True):
        existing = enrolments.get((person.id, row.side))
        if existing is not None and existing.status == EnrolmentStatus.LEFT:
            # They chose to leave: a roster re-import must not sign them back up.
            tally.left.append(f"{person.label} (line {row.line})")
            continue
        profile = row.profile
        if existing is not None and not row.capacity_given:
            profile = replace(profile, capacity=existing.capacity)
        was_paused = existing is not None and existing.status == EnrolmentStatus.PAUSED
        enrolment, fresh = await enrol(
            ctx,
            programme=programme,
            person=person,
            side=row.side,
            profile=profile,
            by_coordinator=True,
        )
        if was_paused:
            enrolment.status = EnrolmentStatus.PAUSED  # a pause is theirs to lift, not ours
        enrolments[(person.id, row.side)] = enrolment
        tally.people[person.id] = tally.people.get(person.id, False) or fresh
        tally.rows += 1
        if person.platform_user_id.startswith(repo.PLACEHOLDER_PREFIX):
            tally.waiting.add(person.id)
        if row.manager:
            # Everyone in the file is known by now, so a manager on a later row is found too.
            manager = people.find(row.manager)
            if manager is not None and manager.id != person.id:
                person.manager_id = manager.id
    await ctx.session.flush()
    return tally


@verb(
    "import",
    summary="enrol many people at once from a CSV file",
    role=Role.COORDINATOR,
    arguments=(
        arg.programme(),
        # The file comes as an attachment; its name is how the console (which has no
        # paperclip) knows what to attach, so it is allowed here and not read.
        arg.word("file", label="file.csv", optional=True),
    ),
    options=(arg.switch("skip-invalid"),),
    note="(with the CSV file attached, or named in the console)",
    group=COORDINATING,
)
async def import_(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    if programme.status == ProgrammeStatus.CLOSED:
        raise UserError(f"{programme.name} has closed, so nobody can be imported into it.")
    attachment = _csv_file(ctx.attachments)
    skip: bool = args.skip_invalid
    by_id, by_email = await _workspace_people(ctx)
    parsed = parse_participants(
        _text(attachment), known=Directory(ids=frozenset(by_id), emails=frozenset(by_email))
    )
    problems = list(parsed.problems) + _clashes(parsed.rows, by_id, by_email)
    problems += await _other_side(ctx, programme, parsed.rows, by_id, by_email, problems)
    problems.sort(key=lambda p: p.line)
    bad = {p.line for p in problems}
    rows = [r for r in parsed.rows if r.line not in bad]
    if not rows and not problems:
        raise UserError(
            f"{attachment.name} has a header but no rows: add one row per person below it."
        )
    if problems and (not skip or not rows):
        lead = (
            f"Nothing was imported: {_plural(len(bad), 'row')} of {len(bad) + len(rows)} "
            f"{'has' if len(bad) == 1 else 'have'} problems."
        )
        advice = (
            f"Fix them and import the file again, or add --skip-invalid to import the "
            f"{_plural(len(rows), 'good row')} and skip these."
            if rows
            else "Fix them and import the file again."
        )
        raise UserError(f"{lead}\n{_listed(problems)}\n{advice}")
    tally = await _write(ctx, programme, rows)
    fresh = sum(1 for new in tally.people.values() if new)
    people = len(tally.people)
    text = (
        f"Imported {_plural(people, 'person', 'people')} into {programme.name}: "
        f"{fresh} new, {people - fresh} updated"
    )
    if problems:
        text += f"; {_plural(len(bad), 'row')} skipped:\n{_listed(problems)}"
    else:
        text += "."
    if tally.waiting:
        text += (
            f"\n{_plural(len(tally.waiting), 'person is', 'people are')} known only by email "
            "so far; I'll link each one when they first message me from that address."
        )
    if tally.left:
        text += (
            f"\nNot re-enrolled, because they left {programme.name}: {', '.join(tally.left)}. "
            "Use enroll if they've asked to come back."
        )
    await ctx.audit(
        "import",
        programme=programme,
        target=programme.key,
        after={
            "file": attachment.name[:200],
            "rows": tally.rows,
            "people": people,
            "new": fresh,
            "updated": people - fresh,
            "skipped_rows": len(bad),
            "left_not_reenrolled": len(tally.left),
        },
    )
    return [Message(text=text, kind=Kind.IMPORTED)]


def _cell(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (``=HYPERLINK(…)`` in a name)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _user_id(person: Person) -> str:
    """The platform id, or blank for someone known only by email (the email column has it)."""
    placeholder = person.platform_user_id.startswith(repo.PLACEHOLDER_PREFIX)
    return "" if placeholder else person.platform_user_id


def _date(moment: datetime | None, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat() if moment else ""


async def _counts(
    ctx: Context, pair_ids: list[int]
) -> tuple[dict[int, tally.Tally], dict[int, int]]:
    """Sessions met, skipped and not heard, and check-ins, per pair: numbers only, never a
    rating or a note."""
    if not pair_ids:
        return {}, {}
    sessions = await tally.count(ctx.session, per="pair", ids=pair_ids)
    check_ins = await ctx.session.execute(
        select(CheckIn.pair_id, func.count(CheckIn.id))
        .where(CheckIn.pair_id.in_(pair_ids))
        .group_by(CheckIn.pair_id)
    )
    return sessions, {pair_id: int(n) for pair_id, n in check_ins.all()}


@verb(
    "export",
    summary="download the programme's pairs as a CSV file",
    role=Role.COORDINATOR,
    arguments=(arg.programme(),),
    group=COORDINATING,
)
async def export(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    found = await ctx.session.scalars(
        select(Pair)
        .where(Pair.programme_id == programme.id, Pair.status != PairStatus.PROPOSED)
        .order_by(Pair.id)
    )
    pairs = list(found.unique())
    sessions, check_ins = await _counts(ctx, [p.id for p in pairs])
    curriculum = ctx.library.get(programme.curriculum_key)
    total = len(curriculum.sessions) if curriculum else 0
    zone = ctx.actor.timezone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for pair in pairs:
        at = pair.session_index + 1
        session = f"{min(at, total)} of {total}" if total else str(at)
        counted = sessions[pair.id]
        writer.writerow(
            [
                programme.key,
                _cell(_user_id(pair.mentor)),
                _cell(pair.mentor.display_name),
                _cell(pair.mentor.email or ""),
                _cell(_user_id(pair.mentee)),
                _cell(pair.mentee.display_name),
                _cell(pair.mentee.email or ""),
                pair.status,
                _date(pair.started_at or pair.created_at, zone),
                session,
                counted.met,
                counted.skipped,
                counted.not_heard,
                check_ins.get(pair.id, 0),
                _date(pair.last_met_at, zone),
                _date(pair.ended_at, zone),
                _cell(pair.end_reason or ""),
            ]
        )
    await ctx.audit(
        "export", programme=programme, target=programme.key, after={"pairs": len(pairs)}
    )
    # A byte-order mark, so Excel reads names with accents as UTF-8 rather than guessing.
    attachment = Attachment.text(f"{programme.key}-pairs.csv", "\ufeff" + out.getvalue())
    return [
        Message(
            text=f"Exported {_plural(len(pairs), 'pair')} from {programme.name} (dates in "
            f"{zone}). Check-in ratings and private notes are never included.",
            kind=Kind.EXPORTED,
            attachments=(attachment,),
        )
    ]
