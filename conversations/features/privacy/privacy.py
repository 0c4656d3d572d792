"""Data rights: a copy of everything kept about a person, forgetting them, and retention.

Mentoring records hold what people say in confidence, and some programmes serve
children, so three promises are kept here rather than left to good intentions:

* **A copy.** ``personal_data`` gathers everything stored about one person, so
  they can see it without asking anyone. It leaves out what would expose someone
  else: concerns other people reported (reporters must be safe to report), the
  confidential do-not-pair list, other people's notes and contact details.
* **Forgetting.** ``forget`` deletes the person's data but keeps an anonymous
  placeholder row, so their partner's history stays whole and every count
  (pairs, meetings, ratings) stays true. Mentions of them in messages and the
  audit log are replaced, not deleted, for the same reason. Concerns they
  reported are kept as safety records, without the link to them.
* **Retention.** ``purge_expired`` deletes the free text of check-ins and pulses
  once a programme has been closed for the retention period: nobody needs a
  private reflection years after the programme ended.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    cast,
    delete,
    func,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from conversations import cards
from conversations.features.pairing import lifecycle
from conversations.kinds import Kind
from conversations.outbox import Outbox
from conversations.registry import Forgetting, PersonalData
from storage import repositories as repo
from storage.models import (
    AuditEntry,
    CheckIn,
    Concern,
    DigestSubscription,
    DoNotPair,
    EndReason,
    Enrolment,
    EnrolmentStatus,
    MatchOffer,
    Meeting,
    MeetingOutcome,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Prompt,
    PulseResponse,
    RoleGrant,
    Workspace,
)

PLACEHOLDER_NAME = "a former participant"
"""What a forgotten person is called everywhere from then on."""
FORGOTTEN_PREFIX = "forgotten:"
"""A forgotten person's platform id starts with this, so it never matches anyone again."""
CONFIDENTIAL_ACTIONS = ("concern", "do-not-pair", "safeguarding", "block")
"""Audit actions that would reveal what someone else reported or asked for in confidence:
left out of a copy unless the person themselves did them."""
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD)
NOT_INCLUDED = (
    "Concerns that other people reported, including any about you, are not included, to "
    "protect the people who report.",
    "Confidential records the programme team keeps about who should not be paired are not "
    "included, because they concern other people too.",
    "Other people's private notes, ratings and contact details are never included.",
    "The technical details your chat platform needs to reach you (a conversation "
    "reference) exist but are not included: they are addresses for machines, not "
    "information about you.",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# -- a copy of everything --------------------------------------------------------------------


async def personal_data(
    session: AsyncSession,
    *,
    person: Person,
    workspace: Workspace,
    now: datetime,
    hooks: Sequence[PersonalData] = (),
) -> dict[str, Any]:
    """Everything stored about ``person``, as JSON-ready data (datetimes in ISO 8601).

    Built table by table from what the person is linked to, so a new table that
    holds personal data shows up here as a deliberate addition, not by accident.
    """
    pairs = list(
        (
            await session.scalars(
                select(Pair)
                .where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id))
                .order_by(Pair.id)
            )
        ).unique()
    )
    pair_ids = [p.id for p in pairs]
    manager = await session.get(Person, person.manager_id) if person.manager_id else None
    # What other parts of the system keep about them (an adapter's tables), by hook name.
    elsewhere = {
        hook.name: await hook.export(session, person) for hook in hooks if hook.export is not None
    }
    return {
        "about": f"Everything the mentoring bot stores about you in this "
        f"{workspace.platform} workspace, as of {now.isoformat()}.",
        "generated_at": now.isoformat(),
        "person": {
            "display_name": person.display_name,
            "platform_user_id": person.platform_user_id,
            "email": person.email,
            "timezone": person.timezone,
            "locale": person.locale,
            "working_hours": person.working_hours,
            "manager": manager.label if manager else None,
            "snoozed_until": _iso(person.snoozed_until),
            "reachable": person.reachable,
            "is_minor": person.is_minor,
            "guardian_consent_at": _iso(person.guardian_consent_at),
            "clearance_recorded_at": _iso(person.clearance_recorded_at),
            "clearance_expires_at": _iso(person.clearance_expires_at),
            "greeted_at": _iso(person.greeted_at),
            "created_at": _iso(person.created_at),
        },
        "technical": {
            "conversation_reference_stored": bool(person.conversation_ref),
            "note": NOT_INCLUDED[-1],
        },
        "roles": await _roles(session, person),
        "enrolments": await _enrolments(session, person),
        "pairs": [_pair(pair, person) for pair in pairs],
        "meetings": await _meetings(session, pairs, person),
        "check_ins": await _check_ins(session, person),
        "pulse_responses": await _pulses(session, person),
        "prompts": await _prompts(session, person),
        "concerns_you_reported": await _concerns(session, person),
        "digest_subscriptions": await _subscriptions(session, person),
        "audit_log": await _audit(session, person),
        "messages_to_you": await _messages(session, person, pair_ids),
        **elsewhere,
        "not_included": list(NOT_INCLUDED),
    }


async def _roles(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(RoleGrant).where(RoleGrant.person_id == person.id).order_by(RoleGrant.id)
    )
    return [{"role": r.role, "granted_at": _iso(r.granted_at)} for r in rows]


async def _enrolments(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Enrolment, Programme)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.person_id == person.id)
        .order_by(Enrolment.id)
    )
    return [
        {
            "programme": programme.key,
            "programme_name": programme.name,
            "side": e.side,
            "status": e.status,
            "department": e.department,
            "title": e.title,
            "seniority": e.seniority,
            "skills": list(e.skills or []),
            "interests": list(e.interests or []),
            "goals": e.goals,
            "languages": list(e.languages or []),
            "capacity": e.capacity,
            "availability": e.availability,
            "consent": {"accepted_at": _iso(e.consented_at), "code_version": e.consent_version},
            "created_at": _iso(e.created_at),
            "left_at": _iso(e.left_at),
        }
        for e, programme in rows.unique()
    ]


def _pair(pair: Pair, person: Person) -> dict[str, Any]:
    return {
        "pair": pair.id,
        "programme": pair.programme.key,
        "your_role": "mentor" if pair.mentor_id == person.id else "mentee",
        "partner": pair.other(person.id).label,
        "status": pair.status,
        "why_you_were_paired": pair.reason,
        "session": pair.session_index + 1,
        "created_at": _iso(pair.created_at),
        "started_at": _iso(pair.started_at),
        "last_met_at": _iso(pair.last_met_at),
        "ended_at": _iso(pair.ended_at),
        "end_reason": pair.end_reason,
    }


async def _meetings(
    session: AsyncSession, pairs: Sequence[Pair], person: Person
) -> list[dict[str, Any]]:
    if not pairs:
        return []
    partners = {p.id: p.other(person.id).id for p in pairs}
    rows = await session.scalars(
        select(Meeting).where(Meeting.pair_id.in_(partners)).order_by(Meeting.id)
    )

    def who(meeting: Meeting) -> str:
        if meeting.outcome == MeetingOutcome.NOT_HEARD:
            return "nobody: the session passed without an answer"
        if meeting.logged_by_id == person.id:
            return "you"
        if meeting.logged_by_id == partners[meeting.pair_id]:
            return "your partner"
        return "the programme team"

    return [
        {
            "pair": m.pair_id,
            "session": m.session_index + 1,
            "outcome": m.outcome,
            "logged_by": who(m),
            "logged_at": _iso(m.logged_at),
        }
        for m in rows
    ]


async def _check_ins(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(CheckIn).where(CheckIn.person_id == person.id).order_by(CheckIn.id)
    )
    return [
        {
            "pair": c.pair_id,
            "session": c.session_index + 1,
            "rating": c.rating,
            "private_reflection": c.reflection,
            "line_to_share": c.shareable_quote,
            "created_at": _iso(c.created_at),
        }
        for c in rows
    ]


async def _pulses(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(PulseResponse).where(PulseResponse.person_id == person.id).order_by(PulseResponse.id)
    )
    return [
        {
            "pair": p.pair_id,
            "day": p.day,
            "rating": p.rating,
            "private_comment": p.comment,
            "created_at": _iso(p.created_at),
        }
        for p in rows
    ]


async def _prompts(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Prompt).where(Prompt.person_id == person.id).order_by(Prompt.id)
    )
    return [
        {
            "pair": p.pair_id,
            "kind": p.kind,
            "about": p.ref_index + 1 if p.kind == Kind.CHECKIN else p.ref_index,
            "asked_at": _iso(p.asked_at),
            "answered_at": _iso(p.answered_at),
            "reminders_sent": p.reminders_sent,
        }
        for p in rows
    ]


async def _concerns(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """Only the concerns this person reported, in their own words."""
    rows = await session.scalars(
        select(Concern).where(Concern.reporter_id == person.id).order_by(Concern.id)
    )
    return [
        {
            "category": c.category,
            "urgent": c.urgent,
            "your_words": c.description,
            "status": c.status,
            "created_at": _iso(c.created_at),
            "acknowledged_at": _iso(c.acknowledged_at),
            "resolved_at": _iso(c.resolved_at),
        }
        for c in rows
    ]


async def _subscriptions(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(DigestSubscription, Programme.key)
        .outerjoin(Programme, Programme.id == DigestSubscription.programme_id)
        .where(DigestSubscription.person_id == person.id)
        .order_by(DigestSubscription.id)
    )
    return [
        {
            "programme": key or "all",
            "weekday": s.weekday,
            "local_time": s.local_time,
            "created_at": _iso(s.created_at),
        }
        for s, key in rows
    ]


def _confidential(action: str) -> bool:
    return action.startswith(CONFIDENTIAL_ACTIONS)


async def _audit(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """What they did, and what was done to them, except confidential records others made."""
    needles = _needles(person)
    names = _name_pattern(needles)
    clauses: list[ColumnElement[bool]] = [AuditEntry.actor_id == person.id]
    if names is not None:
        clauses.append(_mentions(AuditEntry.target, needles))
    actor = aliased(Person, name="actor")
    rows = await session.execute(
        select(AuditEntry, Programme.key, actor.display_name, actor.platform_user_id)
        .outerjoin(Programme, Programme.id == AuditEntry.programme_id)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .where(AuditEntry.workspace_id == person.workspace_id, or_(*clauses))
        .order_by(AuditEntry.id)
    )
    found = []
    for entry, key, actor_name, actor_id in rows:
        by_them = entry.actor_id == person.id
        if not by_them and (
            names is None or not names.search(entry.target) or _confidential(entry.action)
        ):
            continue
        found.append(
            {
                "action": entry.action,
                "by": "you" if by_them else (actor_name or actor_id or "the bot"),
                "target": entry.target,
                "programme": key,
                "before": entry.before,
                "after": entry.after,
                "at": _iso(entry.created_at),
            }
        )
    return found


async def _messages(
    session: AsyncSession, person: Person, pair_ids: Sequence[int]
) -> list[dict[str, Any]]:
    addressed = [OutboxMessage.person_id == person.id]
    if pair_ids:
        addressed.append(
            and_(OutboxMessage.person_id.is_(None), OutboxMessage.pair_id.in_(pair_ids))
        )
    rows = await session.scalars(
        select(OutboxMessage).where(or_(*addressed)).order_by(OutboxMessage.id)
    )
    return [
        {
            "kind": m.kind,
            "to": "you" if m.person_id == person.id else "your pair",
            "status": m.status,
            "created_at": _iso(m.created_at),
            "sent_at": _iso(m.sent_at),
        }
        for m in rows
    ]


def as_json_file(data: dict[str, Any]) -> bytes:
    """The copy as a readable UTF-8 JSON file (names with accents stay readable)."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


# -- finding and replacing mentions ------------------------------------------------------------


def _needles(person: Person) -> list[str]:
    """The strings that identify a person in free text: how they are named and mailed.

    Their platform id is only a needle when it was their name (no display name): ids
    like ``ana`` would otherwise match ordinary words.
    """
    found = [person.display_name.strip(), (person.email or "").strip()]
    if not person.display_name.strip():
        found.append(person.platform_user_id)
    return [n for n in found if n and n != PLACEHOLDER_NAME]


def _name_pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word matches of the needles; email addresses in any case."""
    parts = []
    for needle in sorted(set(needles), key=len, reverse=True):
        escaped = re.escape(needle)
        if "@" in needle:
            escaped = f"(?i:{escaped})"
        parts.append(rf"(?<!\w){escaped}(?!\w)")
    return re.compile("|".join(parts)) if parts else None


def _mentions(column: Any, needles: Sequence[str]) -> ColumnElement[bool]:
    """A broad SQL filter for rows that may mention a needle (checked exactly in Python).

    JSON columns are compared as text, where a name may be stored with ``\\u`` escapes.
    """
    text = cast(column, Text)
    variants = {v for n in needles for v in (n, json.dumps(n)[1:-1])}
    return or_(*(text.icontains(v, autoescape=True) for v in sorted(variants)))


def replacer(pattern: re.Pattern[str], *, sentences: bool) -> Callable[[str], str]:
    """Replace each mention with the placeholder; in sentences, capitalised where one starts
    ("A former participant has paused…"), elsewhere (labels, audit targets) as it is."""

    def placeholder(match: re.Match[str]) -> str:
        before = match.string[: match.start()].rstrip(" *_“\"'")
        starts = not before or before.endswith((".", "!", "?", "\n", ":"))
        return PLACEHOLDER_NAME.capitalize() if sentences and starts else PLACEHOLDER_NAME

    def replace(text: str) -> str:
        return pattern.sub(placeholder, text)

    return replace


def _scrub(value: Any, replace: Callable[[str], str]) -> Any:
    """The same JSON value with every string scrubbed (keys are field names: kept)."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {k: _scrub(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, replace) for v in value]
    return value


async def scrub_mentions(
    session: AsyncSession,
    *,
    model: Any,
    columns: Sequence[InstrumentedAttribute[Any]],
    workspace_id: int,
    needles: Sequence[str],
    replace: Callable[[str], str],
) -> int:
    """Replace mentions in these columns of the workspace's rows; returns rows changed."""
    rows = await session.scalars(
        select(model)
        .where(
            model.workspace_id == workspace_id,
            or_(*(_mentions(column, needles) for column in columns)),
        )
        .execution_options(populate_existing=True)
    )
    changed = 0
    for row in rows.unique():
        touched = False
        for column in columns:
            value = getattr(row, column.key)
            if value is None:
                continue
            scrubbed = _scrub(value, replace)
            if scrubbed != value:
                setattr(row, column.key, scrubbed)
                touched = True
        changed += touched
    return changed


# -- forgetting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting changed, for the reply (counts only: nothing personal)."""

    pairs_ended: int


async def forget(
    session: AsyncSession,
    *,
    person: Person,
    now: datetime,
    default_timezone: str,
    hooks: Sequence[PersonalData] = (),
) -> Forgotten:
    """Delete the person's data, leaving an anonymous placeholder (see the module docstring).

    Runs in the caller's transaction: if anything fails, nothing is forgotten by half.
    """
    needles = _needles(person)
    pattern = _name_pattern(needles)
    old_platform_id = person.platform_user_id
    workspace_id = person.workspace_id
    pairs = list(
        (
            await session.scalars(
                select(Pair)
                .where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id))
                .order_by(Pair.id)
            )
        ).unique()
    )
    live = [p for p in pairs if p.status in repo.LIVE_PAIR]
    proposed = [p for p in pairs if p.status == PairStatus.PROPOSED]
    kept = [p for p in pairs if p.status != PairStatus.PROPOSED]
    kept_ids = [p.id for p in kept]

    for pair in live:
        lifecycle.end(pair, reason=EndReason.LEFT, now=now)
    for pair in kept:
        pair.reason = ""  # it described both people's profiles, by name
    for pair in proposed:  # a draft nobody was told about: it must not be published
        await session.delete(pair)
    await _withdraw_offers(session, person=person, now=now)

    await session.execute(
        update(Enrolment)
        .where(Enrolment.person_id == person.id)
        .values(
            department="",
            title="",
            seniority=None,
            skills=[],
            interests=[],
            goals="",
            languages=[],
            availability="",
            status=EnrolmentStatus.LEFT,
            left_at=func.coalesce(Enrolment.left_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CheckIn)
        .where(CheckIn.person_id == person.id)
        .values(reflection=None, shareable_quote=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PulseResponse)
        .where(PulseResponse.person_id == person.id)
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Concern)
        .where(Concern.reporter_id == person.id)
        .values(reporter_id=None)
        .execution_options(synchronize_session=False)
    )
    # Prompts stay: they hold no words, only that a check-in was asked for and answered, and
    # the digest's response rates for past weeks must not change when someone leaves.
    await session.execute(
        update(Prompt)
        .where(Prompt.person_id == person.id)
        .values(next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )
    for statement in (
        delete(DigestSubscription).where(DigestSubscription.person_id == person.id),
        delete(RoleGrant).where(RoleGrant.person_id == person.id),
        # Their own blocks go. Entries others made about them stay, like concerns do, and so
        # do entries they made as a coordinator to keep two other people apart.
        delete(DoNotPair).where(
            DoNotPair.created_by_id == person.id,
            or_(DoNotPair.first_id == person.id, DoNotPair.second_id == person.id),
        ),
    ):
        await session.execute(statement.execution_options(synchronize_session=False))

    # What other parts of the system keep (an adapter's copies of what it posted) goes
    # first, while the outbox rows that tell which copies were theirs still exist.
    forgetting = Forgetting(
        session=session,
        person=person,
        platform_user_id=old_platform_id,
        pair_ids=kept_ids,
        names=pattern,
        needles=needles,
        now=now,
    )
    for hook in hooks:
        if hook.forget is not None:
            await hook.forget(forgetting)
    await _forget_messages(session, person=person, pair_ids=kept_ids)
    if pattern is not None:
        for model, columns, sentences in (
            (OutboxMessage, (OutboxMessage.payload, OutboxMessage.last_error), True),
            (AuditEntry, (AuditEntry.target, AuditEntry.before, AuditEntry.after), False),
        ):
            await scrub_mentions(
                session,
                model=model,
                columns=columns,
                workspace_id=workspace_id,
                needles=needles,
                replace=replacer(pattern, sentences=sentences),
            )

    await session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(
            display_name=PLACEHOLDER_NAME,
            platform_user_id=FORGOTTEN_PREFIX + secrets.token_hex(12),
            email=None,
            locale=None,
            timezone=default_timezone,
            working_hours=null(),
            conversation_ref=null(),
            manager_id=None,
            snoozed_until=None,
            greeted_at=None,
            reachable=False,
            is_minor=False,
            guardian_consent_at=None,
            clearance_recorded_at=None,
            clearance_expires_at=None,
            forgotten_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()
    await session.refresh(person)

    # Told after the scrub, so these notices are never rewritten by it.
    outbox = Outbox(session, now)
    for pair in live:
        partner = pair.other(person.id)
        await outbox.to_person(
            partner,
            cards.partner_notice(
                text=f"Your pairing in {pair.programme.name} has ended. It says nothing about "
                "you, and the programme team will be in touch about what comes next.",
                kind=Kind.PAIRING_ENDED,
            ),
            key=f"pair:{pair.id}:forgotten",
        )
        await outbox.to_coordinators(
            workspace_id,
            cards.partner_notice(
                text=f"{partner.label}'s pairing in {pair.programme.name} has ended, so they "
                "are without a partner and may need a new match.",
                kind=Kind.COORDINATOR_PAIRING_ENDED,
            ),
            key=f"pair:{pair.id}:forgotten:coordinators",
        )
    await repo.audit(
        session,
        workspace_id=workspace_id,
        actor_id=person.id,
        action="privacy.forget",
        target=PLACEHOLDER_NAME,
        at=now,
    )
    return Forgotten(pairs_ended=len(live))


async def _withdraw_offers(session: AsyncSession, *, person: Person, now: datetime) -> None:
    """Mentee-choice suggestions that involve them close; their reasons named them."""
    await session.execute(
        update(MatchOffer)
        .where(
            or_(MatchOffer.mentor_id == person.id, MatchOffer.mentee_id == person.id),
            MatchOffer.status.in_((OfferStatus.SUGGESTED, OfferStatus.OFFERED, OfferStatus.ASKED)),
        )
        .values(status=OfferStatus.WITHDRAWN, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(MatchOffer)
        .where(or_(MatchOffer.mentor_id == person.id, MatchOffer.mentee_id == person.id))
        .values(reason="")
        .execution_options(synchronize_session=False)
    )


async def _forget_messages(
    session: AsyncSession, *, person: Person, pair_ids: Sequence[int]
) -> None:
    """Messages to them, or to their pairs, that were never delivered are dropped; those
    delivered keep their kind and times (so counts stay true) but lose what they said."""
    addressed: list[ColumnElement[bool]] = [OutboxMessage.person_id == person.id]
    if pair_ids:
        addressed.append(
            and_(OutboxMessage.person_id.is_(None), OutboxMessage.pair_id.in_(pair_ids))
        )
    theirs = or_(*addressed)
    await session.execute(
        delete(OutboxMessage)
        .where(theirs, OutboxMessage.status.in_(UNSENT))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(theirs)
        .values(payload={}, last_error=None)
        .execution_options(synchronize_session=False)
    )


# -- retention --------------------------------------------------------------------------------


async def purge_expired(
    session: AsyncSession,
    *,
    now: datetime,
    retention_days: int,
    hooks: Sequence[PersonalData] = (),
) -> int:
    """Delete check-in reflections, shared lines and pulse comments of programmes closed more
    than ``retention_days`` ago. Ratings stay, so figures stay true. Returns rows purged.

    Two set-based UPDATEs that only touch rows still holding text: running it on every tick,
    or on several instances at once, purges each row once and otherwise changes nothing.
    Open programmes are never purged, however old.
    """
    if retention_days < 0:
        raise ValueError("retention_days cannot be negative")
    expired = (
        select(Pair.id)
        .join(Programme, Programme.id == Pair.programme_id)
        .where(
            Programme.status == ProgrammeStatus.CLOSED,
            Programme.closed_at.is_not(None),
            Programme.closed_at <= now - timedelta(days=retention_days),
        )
    )
    check_ins = await session.execute(
        update(CheckIn)
        .where(
            CheckIn.pair_id.in_(expired),
            or_(CheckIn.reflection.is_not(None), CheckIn.shareable_quote.is_not(None)),
        )
        .values(reflection=None, shareable_quote=None)
        .execution_options(synchronize_session=False)
    )
    pulses = await session.execute(
        update(PulseResponse)
        .where(PulseResponse.pair_id.in_(expired), PulseResponse.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    # What other parts of the system keep past their own retention (an adapter's copies).
    kept = 0
    for hook in hooks:
        if hook.purge is not None:
            kept += await hook.purge(session, now)
    return _rowcount(check_ins) + _rowcount(pulses) + kept
