"""The permission matrix: every verb and every button, as every kind of person, allowed or
refused.

The table below is the policy, written out by hand; the test runs each verb as a
participant who has joined nothing, a mentor and a mentee who are paired, a
coordinator, a safeguarding contact, an executive, and a coordinator of *another*
workspace. A refusal must say so ("not allowed") and change nothing at all; a
verb the table does not list fails the test, so a new verb cannot arrive without
a decision about who may use it. The other workspace's coordinator may use their
own coordinator verbs, but nothing they do may touch this workspace.

The table's third column is for a coordinator who is also *in* the pair the words name
(the mentor, then the mentee): nobody acts on, or sees the handling of, a pairing they are
in. Their pairing was paused over a concern their partner reported; whatever they type,
the concern, its audit entries and its notices stay as they were and nothing they are
shown tells how it is being handled. Every button gets the same decision in
``BUTTONS``, so a new button cannot arrive without one either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from conversations import codec
from conversations.events import ButtonPressed, CommandSent
from conversations.holds import ALWAYS
from conversations.planner import insert_planned, planned_row
from conversations.registry import Registry
from storage import repositories as repo
from storage.models import (
    AuditEntry,
    Concern,
    Enrolment,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    PauseReason,
    Person,
    Programme,
    Role,
    RoleGrant,
    Workspace,
)
from tests.support.harness import Chat, open_chat

ANYONE = "anyone"
COORDINATOR = "coordinator"
CONTACT = "safeguarding contact or coordinator"

# What a coordinator who is in the pair the words exercise gets (Ana and Ben, the pair in
# career, each a coordinator in turn): nobody acts on, or sees the handling of, a pairing
# they are in (issue 16 item 3).
USE = "as their roles allow"
"""Theirs to use: a participant's verb on their own pairing, or a coordinator's on the
programme; nothing they are shown may tell how their pairing is being handled."""
REFUSED = "refused"
"""Acts on their own pairing's handling: "not allowed", changing nothing."""
HIDDEN = "answered without their pairing's handling"
"""Answered as for any contact or coordinator, with their own pairing's handling left out
(a concern about it reads as one that does not exist)."""

# verb → (who may use it, the words after the verb that exercise it,
#         what a coordinator in the pair those words name gets)
POLICY: dict[str, tuple[str, str, str]] = {
    "help": (ANYONE, "", USE),
    "programs": (ANYONE, "", USE),
    "join": (ANYONE, "career mentee --department Sales", USE),
    "status": (ANYONE, "", USE),
    "agenda": (ANYONE, "", USE),
    "pause": (ANYONE, "career", USE),
    "resume": (ANYONE, "career", USE),
    "leave": (ANYONE, "career", USE),
    "block": (ANYONE, "@cleo", USE),
    "met": (ANYONE, "yes career", USE),
    "checkin": (ANYONE, "4 career", USE),
    "snooze": (ANYONE, "1w", USE),
    "report": (ANYONE, "career", USE),
    "conduct": (ANYONE, "career", USE),
    "digest unsubscribe": (ANYONE, "", USE),
    "my-data": (ANYONE, "", USE),
    "forget-me": (ANYONE, "", USE),
    "concern": (CONTACT, "1", HIDDEN),
    "concerns": (CONTACT, "open", HIDDEN),
    "admin grant": (COORDINATOR, "@cleo executive", USE),
    "admin revoke": (COORDINATOR, "@cleo executive", USE),
    "program create": (COORDINATOR, "spring --curriculum new-hire-buddy", USE),
    "program open": (COORDINATOR, "career", USE),
    "program announce": (COORDINATOR, "career <#C1|general>", USE),
    "program launch": (COORDINATOR, "career", USE),
    "program pause": (COORDINATOR, "career", USE),
    "program resume": (COORDINATOR, "career", USE),
    "program close": (COORDINATOR, "career", USE),
    "program status": (COORDINATOR, "career", USE),
    "program set": (COORDINATOR, "career --departments any", USE),
    "program conduct": (COORDINATOR, 'career "Be kind. Keep confidences."', USE),
    "audit": (COORDINATOR, "", HIDDEN),
    "import": (COORDINATOR, "career", USE),
    "export": (COORDINATOR, "career", USE),
    "digest subscribe": (COORDINATOR, "@helen career mon 08:00", USE),
    "digest preview": (COORDINATOR, "career", USE),
    "minor": (COORDINATOR, "@cleo yes", USE),
    "guardian consent": (COORDINATOR, "@cleo", USE),
    "guardian revoke": (COORDINATOR, "@cleo", USE),
    "pair": (COORDINATOR, "@ana @cleo career", USE),
    "pair resume": (COORDINATOR, "@ana @ben career", REFUSED),
    "unpair": (COORDINATOR, "@ana @ben career", REFUSED),
    "enroll": (COORDINATOR, "@dev career mentee", USE),
    "match": (COORDINATOR, "career", USE),
    "proposal": (COORDINATOR, "career", USE),
    "match swap": (COORDINATOR, "career @ben @cleo", USE),
    "match remove": (COORDINATOR, "career @ben", USE),
    "match pin": (COORDINATOR, "career @ben", USE),
    "match unpin": (COORDINATOR, "career @ben", USE),
    "publish": (COORDINATOR, "career", USE),
    "do-not-pair": (COORDINATOR, "@ana @cleo", USE),
    "do-not-pair remove": (COORDINATOR, "@ana @cleo", USE),
    "clearance record": (COORDINATOR, "@ana", REFUSED),
    "clearance revoke": (COORDINATOR, "@ana", REFUSED),
    "outbox": (COORDINATOR, "", HIDDEN),
    "outbox retry": (COORDINATOR, "all", HIDDEN),
    "quiet": (COORDINATOR, "add 2026-12-25", USE),
}

ROLES = ("participant", "mentor", "mentee", "coordinator", "safeguarding", "executive")
HANDLE = {
    "participant": "cleo",
    "mentor": "ana",
    "mentee": "ben",
    "coordinator": "maya",
    "safeguarding": "sam",
    "executive": "helen",
}


def allowed(policy: str, role: str) -> bool:
    if policy == ANYONE:
        return True
    if policy == CONTACT:
        return role in ("coordinator", "safeguarding")
    return role == "coordinator"


def test_every_verb_has_a_decision() -> None:
    assert sorted(Registry.discover().verbs) == sorted(POLICY)


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[Chat]:
    async with open_chat(database_url) as chat:
        await chat.say("maya", "program create career --curriculum new-hire-buddy")
        await chat.say("maya", "program open career")
        for handle in ("ana", "ben", "sam", "helen", "cleo", "dev"):
            await chat.hello(handle)
        await chat.say("maya", "admin grant @sam safeguarding")
        await chat.say("maya", "admin grant @helen executive")
        await chat.say("ana", "join career mentor --department IT --skills data")
        await chat.say("ben", "join career mentee --department Sales --interests data")
        for handle in ("ana", "ben"):
            await chat.say(handle, "conduct career agree")
        paired = await chat.say("maya", "pair @ana @ben career")
        assert paired.startswith("Paired"), paired
        await chat.say("ben", "report career")
        await chat.submit(
            "ben",
            {"category": "other", "urgent": "no", "description": "Something felt off."},
            kind="concern_form",
        )
        async with chat.app.sessions() as session:
            assert len((await session.scalars(select(Concern))).all()) == 1
        yield chat


async def _run(chat: Chat, handle: str, text: str) -> list[Any]:
    replies = await chat.app.engine.handle(CommandSent(actor=chat.actor(handle), text=text))
    await chat.dispatcher.drain()
    return replies


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.slow
async def test_each_role_may_use_exactly_the_verbs_the_policy_gives_it(
    chat: Chat, role: str
) -> None:
    handle = HANDLE[role]
    wrong: list[str] = []
    for name, (policy, words, _in_pair) in sorted(POLICY.items()):
        before = await chat.snapshot()
        replies = await _run(chat, handle, f"{name} {words}".strip())
        refused = any(r.kind == "not_allowed" for r in replies)
        if refused == allowed(policy, role):
            wrong.append(f"{name!r} as {role}: {'refused' if refused else 'allowed'}")
            continue
        if refused:
            after = await chat.snapshot()
            changed = [t for t in before if before[t] != after[t] and t != "inbound_events"]
            if changed:
                wrong.append(f"{name!r} refused for {role} but changed {changed}")
    assert wrong == []


async def _workspace_rows(chat: Chat, external_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to one workspace (its programmes, people, pairs…)."""
    async with chat.app.sessions() as session:
        space = await session.scalar(select(Workspace).where(Workspace.external_id == external_id))
        assert space is not None
        programmes = select(Programme.id).where(Programme.workspace_id == space.id)
        queries: dict[str, Any] = {
            "programmes": select(Programme).where(Programme.workspace_id == space.id),
            "people": select(Person).where(Person.workspace_id == space.id),
            "roles": select(RoleGrant).where(RoleGrant.workspace_id == space.id),
            "enrolments": select(Enrolment).where(Enrolment.programme_id.in_(programmes)),
            "pairs": select(Pair).where(Pair.programme_id.in_(programmes)),
            "concerns": select(Concern).where(Concern.workspace_id == space.id),
            "audit": select(AuditEntry).where(AuditEntry.workspace_id == space.id),
            "outbox": select(OutboxMessage).where(OutboxMessage.workspace_id == space.id),
        }
        found: dict[str, list[tuple[Any, ...]]] = {}
        for table, query in queries.items():
            rows = (await session.scalars(query)).unique().all()
            found[table] = sorted(
                tuple((c.key, str(getattr(row, c.key))) for c in row.__table__.columns)
                for row in rows
            )
        return found


@pytest.mark.slow
async def test_a_coordinator_of_another_workspace_cannot_touch_this_one(chat: Chat) -> None:
    other = chat.elsewhere("globex")
    await other.hello("zed")  # the first person there: its coordinator
    before = await _workspace_rows(chat, "acme")
    for name, (_policy, words, _in_pair) in sorted(POLICY.items()):
        if name == "forget-me":
            continue  # only asks for confirmation; forgetting oneself is tested elsewhere
        await _run(other, "zed", f"{name} {words}".strip())
    assert await _workspace_rows(chat, "acme") == before


# -- a coordinator who is in the pair ----------------------------------------------------------

IN_PAIR = {"coordinator mentor": ("ana", "ben"), "coordinator mentee": ("ben", "ana")}
"""The coordinator who is in the pair, and their partner, who reported the concern."""

LOGS = ("audit", "outbox", "outbox retry")
"""The verbs that show or act on what was done about pairs: each on its own below."""
"""Verbs that still show (or retry) what was done about a coordinator's own pairing."""

LAST = ("leave", "program close")
"""Run after every other verb: each ends the pairing the others need."""

CONCERN, PAIR, FAILED_NOTICE = "their pairing's concern", "their pairing", "a failed notice of it"
# button action → (what a coordinator in the pair gets from it, what it is pressed on or why)
BUTTONS: dict[str, tuple[str, str]] = {
    "concern.acknowledge": (REFUSED, CONCERN),
    "concern.resolve": (REFUSED, CONCERN),
    "concern.pause": (REFUSED, CONCERN),
    "stall.nudge": (REFUSED, PAIR),
    "stall.pause": (REFUSED, PAIR),
    "stall.end": (REFUSED, PAIR),
    "outbox.retry": (REFUSED, FAILED_NOTICE),
    codec.COMMAND: (REFUSED, "pair resume @ana @ben career"),
    "checkin": (USE, "their own check-in, as a participant"),
    "meeting.log": (USE, "their own meeting, as a participant"),
    "pulse": (USE, "their own pulse answer, as a participant"),
    "inactivity.keep": (USE, "their own still-meeting notice, as a participant"),
    "reply.about": (USE, "their own words, as a participant"),
    "reply.rating": (USE, "their own check-in, as a participant"),
    "concern.report": (USE, "reporting a concern of their own"),
    "conduct.accept": (USE, "their own code of conduct"),
    "join": (USE, "joining a programme"),
    "join.start": (USE, "joining a programme"),
    "offer.choose": (USE, "their own mentor choice"),
    "offer.accept": (USE, "their own mentor request"),
    "offer.decline": (USE, "their own mentor request"),
    "privacy.forget": (USE, "their own data"),
    "privacy.keep": (USE, "their own data"),
    "proposal.publish": (USE, "a programme's proposal, whoever is in it"),
    "proposal.rerun": (USE, "a programme's proposal, whoever is in it"),
    "form.open": (USE, "opens a form, each checks who asks"),
    "help": (USE, "help"),
}


def test_every_button_has_a_decision_for_a_coordinator_in_the_pair() -> None:
    assert sorted(BUTTONS) == sorted({*Registry.discover().actions, codec.COMMAND})


@pytest.fixture(params=sorted(IN_PAIR))
async def paired_coordinator(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[Chat, str, World]]:
    """The verbs' world, with Ana (or Ben) a coordinator as well as in the pair, and their
    partner's concern already handled: Sam paused the pairing over it, and the notice of it
    to Maya failed to deliver."""
    coordinator, reporter = IN_PAIR[request.param]
    async with open_chat(database_url) as chat:
        await chat.say("maya", "program create career --curriculum new-hire-buddy")
        await chat.say("maya", "program open career")
        for handle in ("ana", "ben", "sam", "helen", "cleo", "dev"):
            await chat.hello(handle)
        await chat.say("maya", "admin grant @sam safeguarding")
        await chat.say("maya", "admin grant @helen executive")
        await chat.say("maya", f"admin grant @{coordinator} coordinator")
        await chat.say("ana", "join career mentor --department IT --skills data")
        await chat.say("ben", "join career mentee --department Sales --interests data")
        for handle in ("ana", "ben"):
            await chat.say(handle, "conduct career agree")
        assert (await chat.say("maya", "pair @ana @ben career")).startswith("Paired")
        await chat.say(reporter, "report career")
        details = {"category": "other", "urgent": "no", "description": "Something felt off."}
        await chat.submit(reporter, details, kind="concern_form")
        assert "concern" not in chat.kinds(coordinator)
        assert (await chat.press("sam", "Pause the pair", kind="concern")).startswith("Paused")
        world = await _world(chat)
        yield chat, coordinator, world


class World:
    """The ids of what a coordinator in the pair must leave alone, and the traces that
    would tell them how it is being handled."""

    def __init__(self, *, concern: int, pair: int, failed: int) -> None:
        self.concern, self.pair, self.failed = concern, pair, failed
        self.traces = (
            "concern.acknowledge",  # the audit log's entries about it
            "concern.pause",
            f"#{concern} ·",  # its line in concerns
            f"#{failed} concern to",  # its failed notice in the outbox
            "acknowledged",
        )

    def value(self, target: str) -> str:
        if target == CONCERN:
            return codec.Ref(self.concern).encode()
        if target == PAIR:
            return codec.Ref(self.pair).encode()
        if target == FAILED_NOTICE:
            return codec.Ref(self.failed).encode()
        return target  # the command a "run this command" button carries


async def _world(chat: Chat) -> World:
    async with chat.app.sessions() as session:
        concern = (await session.scalars(select(Concern))).one()
        maya = await session.scalar(select(Person).where(Person.platform_user_id == "maya"))
        assert maya is not None and concern.pair_id is not None
        notice = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == "concern", OutboxMessage.person_id == maya.id
            )
        )
        assert notice is not None
        notice.status, notice.last_error = OutboxStatus.DEAD, "channel_not_found"
        await session.commit()
        return World(concern=concern.id, pair=concern.pair_id, failed=notice.id)


async def _handling(chat: Chat, world: World) -> list[Any]:
    """How their pairing's concern is being handled: the concern, what the audit log and
    the outbox hold about it, and the pause it put on the pairing (which only leaving or
    the programme closing may end)."""
    async with chat.app.sessions() as session:
        concern = await session.get(Concern, world.concern)
        entries = await session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("concern.%")).order_by(AuditEntry.id)
        )
        notices = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind.in_(("concern", "concern_escalation")))
            .order_by(OutboxMessage.id)
        )
        pair = await session.get(Pair, world.pair)
        assert concern is not None and pair is not None
        held = pair.status == PairStatus.ENDED or pair.paused_by == PauseReason.PROGRAMME_TEAM
        return [
            (concern.status, concern.acknowledged_by_id, concern.resolved_at),
            [(e.action, e.target, e.actor_id) for e in entries],
            [(n.id, n.status, n.attempts, n.person_id) for n in notices],
            held,
        ]


def _shown(replies: list[Any]) -> str:
    return "\n".join(
        [r.text for r in replies]
        + [s.text for r in replies if r.card is not None for s in r.card.sections]
        + [
            f"{f.label} {f.value}"
            for r in replies
            if r.card
            for s in r.card.sections
            for f in s.fields
        ]
    )


async def _in_pair_wrongs(chat: Chat, handle: str, world: World, name: str) -> list[str]:
    """What is wrong with ``name`` as the coordinator in the pair (nothing, if the policy holds)."""
    _policy, words, decision = POLICY[name]
    before, handling = await chat.snapshot(), await _handling(chat, world)
    replies = await _run(chat, handle, f"{name} {words}".strip())
    refused = any(r.kind == "not_allowed" for r in replies)
    wrong: list[str] = []
    if refused != (decision == REFUSED):
        wrong.append(f"{name!r}: {'refused' if refused else 'allowed'}")
    if refused:
        after = await chat.snapshot()
        changed = [t for t in before if before[t] != after[t] and t != "inbound_events"]
        if changed:
            wrong.append(f"{name!r} refused but changed {changed}")
    shown = [t for t in world.traces if t in _shown(replies)]
    if shown:
        wrong.append(f"{name!r} showed {shown}")
    if await _handling(chat, world) != handling:
        wrong.append(f"{name!r} changed how their pairing's concern is handled")
    return wrong


@pytest.mark.slow
async def test_a_coordinator_in_the_pair_gets_from_each_verb_what_the_policy_says(
    paired_coordinator: tuple[Chat, str, World],
) -> None:
    chat, handle, world = paired_coordinator
    names = sorted(
        set(POLICY) - set(LOGS),
        key=lambda n: (n in LAST, LAST.index(n) if n in LAST else 0, n),
    )
    wrong: list[str] = []
    for name in names:
        wrong += await _in_pair_wrongs(chat, handle, world, name)
    assert wrong == []


@pytest.mark.parametrize("name", LOGS)
async def test_a_coordinator_in_the_pair_is_shown_nothing_of_its_handling_by_the_logs(
    paired_coordinator: tuple[Chat, str, World], name: str
) -> None:
    chat, handle, world = paired_coordinator
    assert await _in_pair_wrongs(chat, handle, world, name) == []


def _buttons(decision: str) -> list[str]:
    return sorted(a for a, (d, _) in BUTTONS.items() if d == decision)


@pytest.mark.parametrize("action", _buttons(REFUSED))
async def test_a_coordinator_in_the_pair_cannot_press_a_button_that_handles_it(
    paired_coordinator: tuple[Chat, str, World], action: str
) -> None:
    """Pressed with their own pairing's concern, pair or failed notice, as a copy of a card
    another coordinator got would carry: refused kindly, and nothing changes."""
    chat, handle, world = paired_coordinator
    before, handling = await chat.snapshot(), await _handling(chat, world)
    value = world.value(BUTTONS[action][1])
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor(handle), action=action, value=value)
    )
    await chat.dispatcher.drain()
    [reply] = replies
    assert reply.kind in ("not_allowed", "error"), reply
    assert reply.text.strip() and "Traceback" not in reply.text
    assert [t for t in world.traces if t in _shown(replies)] == []
    after = await chat.snapshot()
    assert [t for t in before if before[t] != after[t]] == []
    assert await _handling(chat, world) == handling


async def test_the_first_person_stays_coordinator_even_when_their_first_command_is_refused(
    database_url: str,
) -> None:
    """Regression: the first person's first command was refused, which rolled back the new
    workspace and their role with it, so the next person to type anything became the
    coordinator instead."""
    async with open_chat(database_url) as chat:
        await _first_refused(chat)


async def _first_refused(chat: Chat) -> None:
    refused = await chat.say("maya", "join nowhere")
    assert "nowhere" in refused, refused
    await chat.say("ana", "status")
    async with chat.app.sessions() as session:
        space = await repo.workspace_by_external(session, platform="console", external_id="acme")
        assert space is not None
        coordinators = await repo.people_with_role(
            session, workspace_id=space.id, role=Role.COORDINATOR
        )
    assert [p.platform_user_id for p in coordinators] == ["maya"]
    assert "You're a coordinator here" in await chat.hello("maya")
    assert "coordinator" not in await chat.hello("ana")


async def test_a_coordinator_in_a_pair_cannot_act_on_it_or_clear_themselves(
    database_url: str,
) -> None:
    """Regression (issue 16 item 3): a coordinator who mentors in the programme could lift
    the pause a concern put on their own pair with ``pair resume``, end it with ``unpair``,
    and record their own background check."""
    async with open_chat(database_url) as chat:
        await chat.say("maya", "program create career --curriculum new-hire-buddy")
        await chat.say("maya", "program open career")
        await chat.hello("ben")
        await chat.hello("ana")
        assert "Ana is now a coordinator" in await chat.say("maya", "admin grant @ana coordinator")
        await chat.say("maya", "join career mentor --department IT --skills data")
        await chat.say("ben", "join career mentee --department Sales --interests data")
        for handle in ("maya", "ben"):
            await chat.say(handle, "conduct career agree")
        assert (await chat.say("maya", "pair @maya @ben career")).startswith("Paired")
        before = await chat.snapshot()
        for command in (
            "pair resume @maya @ben career",
            "unpair @maya @ben career",
            "clearance record @maya --expires 2030-01-01",
        ):
            refused = await chat.say("maya", command)
            assert "another coordinator" in refused, (command, refused)
        assert await chat.snapshot() == before
        assert "Recorded" in await chat.say("ana", "clearance record @maya --expires 2030-01-01")
        # Blocked by her mentee, Maya hears only that the pairing ended, like anyone would;
        # the coordinators' notice (who blocked whom) goes to Ana alone.
        await chat.say("ben", "block @maya")
        assert "pairing_ended" in chat.kinds("maya")
        assert "coordinator_block_notice" not in chat.kinds("maya")
        assert "coordinator_block_notice" in chat.kinds("ana")


async def test_a_coordinator_in_a_pair_sees_none_of_the_handling_of_a_concern_about_it(
    database_url: str,
) -> None:
    """Regression (issue 16 item 3): a coordinator who mentors saw ``concern.pause concern
    #1`` in ``audit`` and the contacts' concern cards in ``outbox``, for a concern her mentee
    raised about their own pair."""
    async with open_chat(database_url) as chat:
        await chat.say("maya", "program create career --curriculum new-hire-buddy")
        await chat.say("maya", "program open career")
        await chat.hello("ben")
        await chat.hello("ana")
        await chat.say("maya", "admin grant @ana coordinator")
        await chat.say("maya", "join career mentor --department IT --skills data")
        await chat.say("ben", "join career mentee --department Sales --interests data")
        for handle in ("maya", "ben"):
            await chat.say(handle, "conduct career agree")
        await chat.say("maya", "pair @maya @ben career")
        await chat.press("ben", "Report a concern", kind="introduction")
        await chat.submit(
            "ben",
            {"category": "safety", "urgent": "no", "description": "She keeps cancelling"},
            kind="concern_form",
        )
        assert "concern" not in chat.kinds("maya")
        await chat.press("ana", "Pause the pair", kind="concern")
        async with chat.app.sessions.begin() as session:
            # the contacts' cards fail to deliver, so they sit in the outbox for a retry
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.kind == "concern")
                .values(status="dead", last_error="channel_not_found")
            )

        assert "concern." in await chat.say("ana", "audit")
        assert "concern to Ana" in await chat.say("ana", "outbox failed")
        mine = await chat.say("maya", "audit")
        assert "concern" not in mine and "Maya + Ben" in mine  # her own pairing is hers
        assert "concern" not in await chat.say("maya", "outbox failed")
        before = await chat.snapshot()
        assert "no failed message" in await chat.say("maya", "outbox retry all")
        assert await chat.snapshot() == before

        # A stalled-pair notice planned for Ana about Maya's pairing names Maya by the
        # pair's id alone: Ana sees it waiting, Maya does not.
        async with chat.app.sessions.begin() as session:
            ana = await session.scalar(select(Person).where(Person.platform_user_id == "ana"))
            pair = await session.scalar(select(Pair))
            assert ana is not None and pair is not None
            await insert_planned(
                session,
                [
                    planned_row(
                        workspace_id=ana.workspace_id,
                        key="stall-test",
                        kind="stall",
                        now=chat.clock.now() + timedelta(days=30),
                        ref_index=pair.id,
                        holds=ALWAYS,
                        pair_id=pair.id,
                        person_id=ana.id,
                    )
                ],
            )
        assert "stalled-pair notice to Ana" in await chat.say("ana", "outbox pending")
        assert "stalled-pair notice" not in await chat.say("maya", "outbox pending")


async def test_a_safeguarded_pairing_does_not_start_with_no_adult_outside_it(
    database_url: str,
) -> None:
    """Maya, the only coordinator left and no safeguarding contact beside her, pairs herself
    with Ben, who is under 18: the safeguarding copy of everything the pair shares would go
    to nobody outside it, so the pairing must not start."""
    async with open_chat(database_url) as chat:
        await chat.hello("maya")
        await chat.hello("ana")
        await chat.say("maya", "admin grant @ana coordinator")
        await chat.say("maya", "program create stem --curriculum stem-youth-mentoring")
        await chat.say("maya", "program open stem")
        await chat.say("maya", "minor <@ben|Ben> yes")
        await chat.say("maya", "guardian consent <@ben|Ben> 2026-02-20")
        assert "Recorded" in await chat.say("ana", "clearance record @maya --expires 2027-06-30")
        assert "no longer" in await chat.say("maya", "admin revoke @ana coordinator")
        await chat.say("maya", "join stem mentor --skills physics")
        await chat.say("ben", "join stem mentee --interests physics")
        for handle in ("maya", "ben"):
            await chat.say(handle, "conduct stem agree")
        before = await chat.snapshot()
        replies = await _run(chat, "maya", "pair @maya @ben stem")
        assert [r.kind for r in replies] in (["not_allowed"], ["error"]), replies
        assert await chat.snapshot() == before
