"""Six virtual months of pairs meeting, late, early, skipping and going silent.

A seeded simulation through the real engine: pairs on a fortnightly programme (twelve
sessions) and a weekly one (six) each draw, per session, what they do: meet a few hours
after the session falls due, meet a few days late, meet early, say they skipped it, or
say nothing at all (and sometimes own up to a meeting after the session passed). The
clock jumps from one thing due to the next, ticking the planner as a server would, and
after every tick the record must agree with what the people did:

* every session behind a pair has exactly one outcome, with no gaps: sessions 1 to N
  are met, skipped or not heard, in order, and the pair is on session N + 1;
* each session's outcome is what the pair did for it: a meeting counts for the session
  it was about, never a later one;
* no pair completes before its last session happened or was passed;
* sessions met equal the meetings the people logged;
* ``status``, ``export`` and the digest count sessions the same way.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from conversations import codec
from conversations.events import ButtonPressed, CommandSent
from conversations.features.pairing import tally
from conversations.messages import Message
from storage.models import EndReason, Meeting, MeetingOutcome, Pair, PairStatus
from tests.support.harness import START, Chat

SEED = 2026
MONTHS = timedelta(days=183)
PROGRAMMES = {"career": ("cross-department-career", 14, 12), "buddies": ("new-hire-buddy", 7, 6)}
"""key: (curriculum, cadence in days, sessions)."""
PAIRS_EACH = 3
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CHOICES = (("due", 35), ("late", 20), ("early", 15), ("skip", 10), ("silent", 20))


@dataclass
class Plan:
    """What a pair will do for one session, and when."""

    index: int
    action: str  # "met", "skip", or "late met" (for a session that already passed)
    at: datetime


@dataclass
class Sim:
    pair_id: int
    key: str
    mentor: str
    mentee: str
    cadence: timedelta
    total: int
    plans: list[Plan] = field(default_factory=list)
    planned_for: int = -1
    """The session whose plan was drawn (so each session draws once)."""
    did: dict[int, MeetingOutcome] = field(default_factory=dict)
    """What the people did, per session: met or skipped; not heard is inferred."""
    meetings: int = 0
    """Meetings the people logged (each once)."""


async def _setup(chat: Chat) -> list[Sim]:
    for key, (curriculum, _, _) in PROGRAMMES.items():
        await chat.say("maya", f"program create {key} --curriculum {curriculum}")
        await chat.say("maya", f"program open {key}")
    sims: list[Sim] = []
    for key, (_, cadence, total) in PROGRAMMES.items():
        for n in range(PAIRS_EACH):
            mentor, mentee = f"{key[0]}mentor{n}", f"{key[0]}mentee{n}"
            await chat.say(mentor, f"join {key} mentor")
            await chat.say(mentee, f"join {key} mentee")
            for handle in (mentor, mentee):
                await chat.say(handle, f"conduct {key} agree")
            reply = await chat.say("maya", f"pair @{mentor} @{mentee} {key}")
            assert reply.startswith("Paired"), reply
            sims.append(Sim(0, key, mentor, mentee, cadence=timedelta(days=cadence), total=total))
    async with chat.app.sessions() as session:
        ids = list(await session.scalars(select(Pair.id).order_by(Pair.id)))
    for sim, pair_id in zip(sims, ids, strict=True):
        sim.pair_id = pair_id
    return sims


async def _say(chat: Chat, who: str, text: str) -> str:
    """A command through the engine. Nothing is delivered in this simulation: what it checks
    is the record, and rendering every message would only slow it down."""
    replies = await chat.app.engine.handle(CommandSent(actor=chat.actor(who), text=text))
    chat.replies.setdefault(who, []).extend(replies)
    return "\n".join(r.text for r in replies)


async def _pairs(chat: Chat) -> dict[int, Pair]:
    async with chat.app.sessions() as session:
        return {p.id: p for p in (await session.scalars(select(Pair))).unique()}


def _draw(rng: random.Random, sim: Sim, pair: Pair) -> None:
    """What the pair does for the session it has just reached."""
    started = pair.session_started_at
    assert started is not None
    due = started + sim.cadence
    grace = sim.cadence / 2
    action = rng.choices([c for c, _ in CHOICES], weights=[w for _, w in CHOICES])[0]
    index = pair.session_index
    if action == "due":  # the meeting, logged a few hours after the session fell due
        sim.plans.append(Plan(index, "met", due + rng.uniform(1, 8) * HOUR))
    elif action == "late":
        sim.plans.append(Plan(index, "met", due + rng.uniform(1, grace / DAY - 0.5) * DAY))
    elif action == "early":
        sim.plans.append(Plan(index, "met", started + rng.uniform(0.3, 0.9) * sim.cadence))
    elif action == "skip":
        sim.plans.append(Plan(index, "skip", due + rng.uniform(0, grace / DAY - 0.5) * DAY))
    elif rng.random() < 0.4:  # silent, then owns up once the session has passed
        sim.plans.append(Plan(index, "late met", due + grace + rng.uniform(0.5, 2) * DAY))


async def _act(chat: Chat, rng: random.Random, sim: Sim, plan: Plan, pair: Pair) -> None:
    who = rng.choice((sim.mentor, sim.mentee))
    if plan.action == "late met":
        if plan.index >= pair.session_index:
            return  # still open (the pair is waiting on it): the plan is moot
        value = codec.MeetingAnswer(sim.pair_id, plan.index, MeetingOutcome.MET).encode()
        replies = await chat.app.engine.handle(
            ButtonPressed(actor=chat.actor(who), action="meeting.log", value=value)
        )
        reply = "\n".join(r.text for r in replies)
    else:
        if plan.index != pair.session_index:
            return
        reply = await _say(chat, who, "met" if plan.action == "met" else "met skipped")
    number = plan.index + 1
    if plan.action == "skip":
        assert reply.startswith(f"Noted: you skipped session {number}."), reply
        sim.did[plan.index] = MeetingOutcome.SKIPPED
    else:
        assert reply.startswith(f"Logged session {number} as met"), reply
        sim.did[plan.index] = MeetingOutcome.MET
        sim.meetings += 1


async def _export(chat: Chat, key: str) -> list[dict[str, str]]:
    await _say(chat, "maya", f"export {key}")
    (attachment,) = chat.replies["maya"][-1].attachments
    return list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8-sig"))))


def _field(message: Message, label: str) -> str:
    card = message.card
    assert card is not None
    return next(str(f.value) for s in card.sections for f in s.fields if f.label == label)


async def _check(chat: Chat, sims: list[Sim], pairs: dict[int, Pair]) -> tuple[object, ...]:
    """The record against what the people did; returns what the counts depend on."""
    async with chat.app.sessions() as session:
        rows = (
            await session.execute(select(Meeting.pair_id, Meeting.session_index, Meeting.outcome))
        ).all()
        tallies = await tally.count(session, per="pair", ids=list(pairs))
    recorded: dict[int, dict[int, list[str]]] = {}
    for pair_id, index, outcome in rows:
        recorded.setdefault(pair_id, {}).setdefault(index, []).append(outcome)
    for sim in sims:
        pair = pairs[sim.pair_id]
        closed = {
            index: outcome
            for index, outcomes in recorded.get(sim.pair_id, {}).items()
            if (outcome := tally.strongest(outcomes)) is not None
        }
        behind = min(pair.session_index, sim.total)
        # Sessions 1..N closed, in order, no gaps; the current one open.
        assert sorted(closed) == list(range(behind)), (sim.key, pair.session_index, closed)
        # Each outcome is what the people did; a session they said nothing for passed unheard.
        for index, outcome in closed.items():
            assert outcome == sim.did.get(index, MeetingOutcome.NOT_HEARD), (sim, index, closed)
        # Nothing they did was credited to a later session.
        assert not [i for i in sim.did if i >= behind], (sim, closed)
        # Not heard is the planner's, once per session; a meeting is logged once.
        for outcomes in recorded.get(sim.pair_id, {}).values():
            assert outcomes.count(MeetingOutcome.NOT_HEARD) <= 1
            assert outcomes.count(MeetingOutcome.MET) <= 1
        # Completed only with every session behind it; nothing else ends a pair here.
        if pair.status == PairStatus.ENDED:
            assert pair.end_reason == EndReason.COMPLETED
            assert pair.session_index == sim.total and behind == sim.total
        counted = tallies[sim.pair_id]
        met = sum(o is MeetingOutcome.MET for o in closed.values())
        assert counted.met == met == sim.meetings
        assert counted.passed == behind
    return (len(rows), tuple(sorted((p.id, p.status) for p in pairs.values())))


async def _check_counts(chat: Chat, sims: list[Sim], pairs: dict[int, Pair]) -> None:
    """``status``, ``export`` and the digest say the same, and what the record says."""
    async with chat.app.sessions() as session:
        tallies = await tally.count(session, per="pair", ids=list(pairs))
    summed = dict.fromkeys(PROGRAMMES, tally.Tally())
    for key, (_, _, total) in PROGRAMMES.items():
        mine = [s for s in sims if s.key == key]
        export = await _export(chat, key)
        assert len(export) == len(mine)
        for row, sim in zip(export, mine, strict=True):
            pair = pairs[sim.pair_id]
            counted = tallies[sim.pair_id]
            assert row["session"] == f"{min(pair.session_index + 1, total)} of {total}"
            assert (row["meetings_met"], row["sessions_skipped"], row["sessions_not_heard"]) == (
                str(counted.met),
                str(counted.skipped),
                str(counted.not_heard),
            )
            assert (row["status"] == "ended") == (pair.status == PairStatus.ENDED)
            summed[key] = summed[key] + counted
    # A coordinator with no pairing of her own: status is every programme's health.
    await _say(chat, "maya", "status")
    health = chat.replies["maya"][-len(PROGRAMMES) :]
    assert {_key(m.text): _field(m, "Sessions") for m in health} == {
        key: counted.words() for key, counted in summed.items()
    }
    await _say(chat, "maya", "digest preview")  # every programme at once
    everyone = sum(summed.values(), tally.Tally())
    assert _field(chat.replies["maya"][-1], "Sessions so far") == everyone.words()


def _key(text: str) -> str:
    """The programme a health summary is about: "Name (key): …"."""
    return text.split("): ", 1)[0].rsplit("(", 1)[1]


@pytest.mark.slow
async def test_six_months_of_pairs_keep_their_sessions_true(chat: Chat) -> None:
    rng = random.Random(SEED)
    sims = await _setup(chat)
    end = START + MONTHS
    ticks = 0
    counted: tuple[object, ...] = ()
    while chat.clock.now() < end:
        pairs = await _pairs(chat)
        now = chat.clock.now()
        for sim in sims:
            pair = pairs[sim.pair_id]
            if pair.status != PairStatus.ACTIVE:
                sim.plans = [p for p in sim.plans if p.action == "late met"]
                continue
            if pair.session_index != sim.planned_for:
                sim.planned_for = pair.session_index
                _draw(rng, sim, pair)
            elif (
                pair.session_due_at is None
                and pair.next_agenda_at is None
                and not [p for p in sim.plans if p.index == pair.session_index]
            ):
                # Waiting after two sessions unheard: they pick it up again within the week.
                sim.plans.append(Plan(pair.session_index, "met", now + rng.uniform(2, 6) * DAY))
            for plan in sorted(sim.plans, key=lambda p: p.at):
                if plan.at <= now:
                    sim.plans.remove(plan)
                    await _act(chat, rng, sim, plan, (await _pairs(chat))[sim.pair_id])
        pairs = await _pairs(chat)
        record = await _check(chat, sims, pairs)
        if record != counted:  # the counts can only have changed with the record
            await _check_counts(chat, sims, pairs)
            counted = record
        moments = [p.at for s in sims for p in s.plans]
        moments += [
            t
            for p in pairs.values()
            if p.status == PairStatus.ACTIVE
            for t in (p.session_due_at, p.next_agenda_at)
            if t is not None
        ]
        step = min([m for m in moments if m > now] + [now + 4 * DAY]) - now
        chat.clock.advance(max(step, timedelta(minutes=1)))
        await chat.app.engine.tick()
        ticks += 1
    pairs = await _pairs(chat)
    await _check(chat, sims, pairs)
    await _check_counts(chat, sims, pairs)
    # The simulation went where it should: every kind of outcome happened, and the weekly
    # pairs (six sessions in six months) all finished.
    everything = {o for s in sims for o in s.did.values()}
    assert everything == {MeetingOutcome.MET, MeetingOutcome.SKIPPED}
    async with chat.app.sessions() as session:
        outcomes = set(await session.scalars(select(Meeting.outcome)))
    assert {"met", "skipped", "not_heard"} <= outcomes
    buddies = [pairs[s.pair_id] for s in sims if s.key == "buddies"]
    assert all(p.status == PairStatus.ENDED for p in buddies)
    assert ticks < 200  # the clock jumps from one thing due to the next
