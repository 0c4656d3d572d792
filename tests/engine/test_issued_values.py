"""A property over every button and form (issue 16 item 9): each refuses what it never
issued to the person pressing it.

Every registered action is pressed by a participant with a value the bot never put on a
card sent to *them*: their partner's or another pair's id, an ended pair's, another
workspace's, a day no pulse was sent on, a session not yet met, a concern, an offer, a
code of conduct, held words or a person that are not theirs. The answer is kind (a
sentence, never our apology or a trace, nothing logged at ERROR) and no row of any table
changes. A value is "issued" when it is on a button or form submit the presser received
(``issued``), so the bot's own buttons are left out, however they were generated.

A few actions carry nothing to check against (``TYPED``): what they do, the presser could
type. Each says why, and a new action must join one list or the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from conversations import codec
from conversations.engine import SORRY
from conversations.events import ButtonPressed, Event, FormSubmitted
from conversations.messages import Message
from conversations.registry import Registry
from storage.models import (
    Concern,
    Enrolment,
    HeldReply,
    MatchOffer,
    MeetingOutcome,
    OutboxMessage,
    Pair,
    Person,
    Programme,
)
from tests.support.harness import Chat, accept_conduct, programme_with_pair
from tests.support.hostile import ErrorLog, error_log, examples

ACTIONS = Registry.discover().actions
PRESSERS = ("ben", "dev", "fay")
"""Ben, mentee in a live pair that has met and been sent a pulse; Dev, mentee in another
live pair; Fay, whose pairing ended."""

TYPED = {
    "join": "a programme's key: the presser could type join <program>",
    "join.start": "a programme's key and a side: the presser could type join <program> <side>",
    "help": "carries nothing",
    codec.COMMAND: "runs a command as if typed, with the presser's permissions",
}
"""Actions whose value gives nothing the presser could not type: not checked here."""

FORM_VALUES = {
    "checkin": {"rating": "4", "reflection": "fine"},
    "pulse": {"rating": "4"},
    "concern.report": {"category": "other", "urgent": "no", "description": "Something."},
}
"""Answers each form accepts, so a press is refused for its value, never its fields."""

OUTCOMES = [o.value for o in MeetingOutcome if o.said_by_people]


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    with error_log() as log:
        yield log


async def _pair(chat: Chat, key: str, mentor: str, mentee: str, *, by: str = "maya") -> None:
    await chat.say(mentor, f"join {key} mentor --skills data")
    await chat.say(mentee, f"join {key} mentee --interests data")
    for handle in (mentor, mentee):
        await accept_conduct(chat, handle, key)
    paired = await chat.say(by, f"pair @{mentor} @{mentee} {key}")
    assert paired.startswith("Paired"), paired


async def _setup(chat: Chat) -> None:
    """Maya runs buddies: Ana mentors Ben (they met; Ben reported a concern), Cleo mentors
    Dev (Dev reported one too), Eve's pairing with Fay ended. In career, mentees choose:
    Hal has been offered Omar and Gus. In another workspace, Zed's programme pairs Yan with
    Xia, and Xia reported a concern. Weeks pass, so pulses and stall notices go out; each
    presser has asked to forget their data (and not pressed yet)."""
    await programme_with_pair(chat)
    await _pair(chat, "buddies", "cleo", "dev")
    await _pair(chat, "buddies", "eve", "fay")
    assert "Ended" in await chat.say("maya", "unpair @eve @fay buddies")
    await chat.say("ben", "met")
    for reporter in ("ben", "dev"):
        await chat.say(reporter, "report buddies")
        await chat.submit(reporter, FORM_VALUES["concern.report"], kind="concern_form")
    await chat.say("maya", "program create career --curriculum cross-department-career")
    await chat.say("maya", "program open career")
    await chat.say("maya", "program set career --matching choice")
    for handle, side, flags in (
        ("omar", "mentor", "--skills data"),
        ("gus", "mentor", "--skills data"),
        ("hal", "mentee", "--interests data"),
    ):
        enrolled = await chat.say(
            "maya", f"enroll <@{handle}|{handle.title()}> career {side} {flags}"
        )
        assert enrolled.startswith("Enrolled"), enrolled
        await accept_conduct(chat, handle, "career")
    await chat.say("maya", "match career")
    await chat.say("maya", "publish career")
    assert "mentor_choice" in chat.kinds("hal")

    globex = chat.elsewhere("globex")
    await globex.hello("zed")
    await globex.say("zed", "program create stars --curriculum new-hire-buddy")
    await globex.say("zed", "program open stars")
    await _pair(globex, "stars", "yan", "xia", by="zed")
    await globex.say("xia", "report stars")
    await globex.submit("xia", FORM_VALUES["concern.report"], kind="concern_form")

    while "pulse" not in chat.kinds("ben"):
        await chat.wait(days=7)
    for handle in PRESSERS:
        await chat.say(handle, "forget-me")
        await chat.say(handle, "agenda")


Values = dict[str, st.SearchStrategy[str]]
READY: dict[int, dict[str, Values]] = {}
"""Per chat (by ``id``, rewritten whenever a new chat is set up), each presser's values,
made once it was set up, so every example draws from the same pools."""


async def _once(chat: Chat) -> dict[str, Values]:
    """Hypothesis runs a test body many times over one fixture: set it up the first time
    (and never again, even when the first time failed, so its failure is the one shown)."""
    if not chat.replies:
        chat.replies["setting up"] = []
        await _setup(chat)
        others = await _other_programmes(chat)
        mine = {who: await _ids(chat, who) for who in PRESSERS}
        READY[id(chat)] = {
            who: never_issued(ids, candidates(ids, others), issued(chat, who))
            for who, ids in mine.items()
        }
    return READY[id(chat)]


def issued(chat: Chat, handle: str) -> set[tuple[str, str]]:
    """Every (action, value) on a button or form submit this person received, and what
    each "open the form" button of theirs opens."""
    messages = chat.inbox(handle) + chat.replies.get(handle, [])
    found: set[tuple[str, str]] = set()
    for message in messages:
        for button in message.buttons():
            found.add((button.action, button.value))
            if button.action == codec.OPEN_FORM:
                opened = codec.FormOpen.decode(button.value)
                found.add((opened.action, opened.value))
    return found


@dataclass(frozen=True)
class Ids:
    """Every id in the database of each kind (in any workspace) with some that are none,
    and the presser's own (their pairs, enrolments, concerns, their own id)."""

    found: dict[str, list[int]]
    own: dict[str, list[int]]

    def of(self, kind: str) -> list[int]:
        known = self.found.get(kind, [])
        return sorted({*known, 0, max(known, default=0) + 1, codec.MAX_ID})

    def others(self, kind: str) -> list[int]:
        return [i for i in self.of(kind) if i not in self.own.get(kind, [])]

    def mine(self, kind: str, value: str) -> bool:
        """Whether an encoded button value mentions the id of one of the presser's own (a
        rough test, good enough to weight the draw towards their own rows)."""
        return any(str(i) in value.split(":") for i in self.own.get(kind, []))


KINDS = {
    "pair": Pair.id,
    "concern": Concern.id,
    "offer": MatchOffer.id,
    "outbox": OutboxMessage.id,
    "person": Person.id,
    "enrolment": Enrolment.id,
    "held": HeldReply.id,
    "programme": Programme.id,
}


async def _ids(chat: Chat, handle: str) -> Ids:
    async with chat.app.sessions() as session:
        found = {k: list((await session.scalars(select(c))).all()) for k, c in KINDS.items()}
        me = await session.scalar(select(Person.id).where(Person.platform_user_id == handle))
        assert me is not None
        pairs = select(Pair.id).where((Pair.mentor_id == me) | (Pair.mentee_id == me))
        own = {
            "pair": list((await session.scalars(pairs)).all()),
            "person": [me],
            "enrolment": list(
                await session.scalars(select(Enrolment.id).where(Enrolment.person_id == me))
            ),
            "concern": list(
                await session.scalars(select(Concern.id).where(Concern.pair_id.in_(pairs)))
            ),
        }
    return Ids(found, own)


Candidates = dict[str, tuple[str, list[str]]]
"""For each action: the kind of id its value names first, and every value to try."""


def candidates(ids: Ids, other_programmes: list[int]) -> Candidates:
    """For each action, every value shaped as its buttons' are, naming anything at all."""
    small = range(13)
    pairs, held = ids.of("pair"), ids.of("held")

    def ref(kind: str) -> list[str]:
        return [codec.Ref(i).encode() for i in ids.of(kind)]

    found: Candidates = {
        **{a: ("pair", ref("pair")) for a in ("stall.nudge", "stall.pause", "stall.end")},
        "inactivity.keep": ("pair", ref("pair")),
        **{
            a: ("concern", ref("concern"))
            for a in ("concern.acknowledge", "concern.resolve", "concern.pause")
        },
        **{a: ("offer", ref("offer")) for a in ("offer.choose", "offer.accept", "offer.decline")},
        **{a: ("person", ref("person")) for a in ("privacy.forget", "privacy.keep")},
        "outbox.retry": ("outbox", [*ref("outbox"), "all"]),
        "checkin": ("pair", [codec.SessionRef(p, n).encode() for p in pairs for n in small]),
        "meeting.log": (
            "pair",
            [
                codec.MeetingAnswer(p, n, MeetingOutcome(o)).encode()
                for p in pairs
                for n in small
                for o in OUTCOMES
            ],
        ),
        "pulse": ("pair", [codec.PulseAnswer(p, d).encode() for p in pairs for d in range(121)]),
        "conduct.accept": (
            "enrolment",
            [codec.ConductAnswer(e, v).encode() for e in ids.of("enrolment") for v in small],
        ),
        # Left out: a pairing the presser is or was in, and a programme in their workspace.
        # Anyone may report a concern about those, even after the pairing ended, and a
        # concern is never refused for how its form arrived.
        "concern.report": (
            "pair",
            [codec.ConcernAbout("pair", p).encode() for p in ids.others("pair")]
            + [codec.ConcernAbout("programme", p).encode() for p in other_programmes],
        ),
        "reply.about": ("held", [codec.HeldFor(h, p).encode() for h in held for p in pairs]),
        "reply.rating": (
            "held",
            [
                codec.HeldRating(h, p, n, r).encode()
                for h in held
                for p in pairs
                for n in small
                for r in range(1, 6)
            ],
        ),
        "proposal.publish": ("programme", ["buddies", "career", "stars"]),
        "proposal.rerun": ("programme", ["buddies", "career", "stars"]),
    }
    forms = sorted(a for a in found if a in Registry.discover().forms)
    found[codec.OPEN_FORM] = (
        "pair",
        [codec.FormOpen(f, v).encode() for f in forms for v in found[f][1]],
    )
    return found


def never_issued(ids: Ids, found: Candidates, given: set[tuple[str, str]]) -> Values:
    """For each action, its candidates never sent to the presser: half the time one naming
    something of their own (the likeliest to slip through), else anything else."""

    def sent(action: str, value: str) -> bool:
        if (action, value) in given:
            return True
        if action == codec.OPEN_FORM:
            opened = codec.FormOpen.decode(value)
            return (opened.action, opened.value) in given
        return False

    def own(action: str, value: str) -> bool:
        if action == codec.OPEN_FORM:
            opened = codec.FormOpen.decode(value)
            return own(opened.action, opened.value)
        return ids.mine(found[action][0], value)

    values: Values = {}
    for action, (_kind, every) in found.items():
        left = [v for v in every if not sent(action, v)]
        assert left, f"every value of {action} was sent to the presser"
        mine = [v for v in left if own(action, v)]
        rest = [v for v in left if not own(action, v)]
        values[action] = st.one_of(*(st.sampled_from(c) for c in (mine, rest) if c))
    return values


async def _other_programmes(chat: Chat) -> list[int]:
    async with chat.app.sessions() as session:
        return list(
            (await session.scalars(select(Programme.id).where(Programme.key == "stars"))).all()
        )


def test_every_button_is_pressed_with_values_it_never_issued_or_says_why_not() -> None:
    checked = set(candidates(Ids({}, {}), [1]))
    assert sorted(checked | set(TYPED)) == sorted({*ACTIONS, codec.COMMAND})
    assert not checked & set(TYPED)


def _kind(replies: list[Message], errors: ErrorLog) -> None:
    assert replies, "no reply at all"
    for reply in replies:
        assert reply.text.strip(), reply
        assert reply.text != SORRY, reply.text
        assert "Traceback" not in reply.text
    assert errors.new() == []


def _event(chat: Chat, who: str, action: str, value: str) -> Event:
    if action in FORM_VALUES:
        answers = FORM_VALUES[action]
        return FormSubmitted(actor=chat.actor(who), action=action, value=value, values=answers)
    return ButtonPressed(actor=chat.actor(who), action=action, value=value)


@examples(15)
@given(data=st.data())
@pytest.mark.slow
async def test_every_button_refuses_values_it_never_issued_to_its_presser(
    chat: Chat, errors: ErrorLog, data: st.DataObject
) -> None:
    """One presser, and for every action a value they were never sent: each press is
    answered kindly, and after them all no row of any table has changed."""
    who = data.draw(st.sampled_from(PRESSERS), label="who")
    values = (await _once(chat))[who]
    before = await chat.snapshot()
    answered: list[tuple[str, str, str]] = []
    for action, strategy in sorted(values.items()):
        value = data.draw(strategy, label=action)
        replies = await chat.app.engine.handle(_event(chat, who, action, value))
        _kind(replies, errors)
        answered.append((action, value, replies[0].text))
    after = await chat.snapshot()
    changed = {
        table: sorted(set(after[table]) ^ set(rows))
        for table, rows in before.items()
        if after[table] != rows
    }
    assert changed == {}, (who, answered)
