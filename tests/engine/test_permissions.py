"""The permission matrix: every verb, as every kind of person, allowed or refused.

The table below is the policy, written out by hand; the test runs each verb as a
participant who has joined nothing, a mentor and a mentee who are paired, a
coordinator, a safeguarding contact, an executive, and a coordinator of *another*
workspace. A refusal must say so ("not allowed") and change nothing at all; a
verb the table does not list fails the test, so a new verb cannot arrive without
a decision about who may use it. The other workspace's coordinator may use their
own coordinator verbs, but nothing they do may touch this workspace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from conversations.events import CommandSent
from conversations.registry import Registry
from storage import repositories as repo
from storage.models import (
    AuditEntry,
    Concern,
    Enrolment,
    OutboxMessage,
    Pair,
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

# verb → (who may use it, the words after the verb that exercise it)
POLICY: dict[str, tuple[str, str]] = {
    "help": (ANYONE, ""),
    "programs": (ANYONE, ""),
    "join": (ANYONE, "career mentee --department Sales"),
    "status": (ANYONE, ""),
    "agenda": (ANYONE, ""),
    "pause": (ANYONE, "career"),
    "resume": (ANYONE, "career"),
    "leave": (ANYONE, "career"),
    "block": (ANYONE, "@cleo"),
    "met": (ANYONE, "yes career"),
    "checkin": (ANYONE, "4 career"),
    "snooze": (ANYONE, "1w"),
    "report": (ANYONE, "career"),
    "conduct": (ANYONE, "career"),
    "digest unsubscribe": (ANYONE, ""),
    "my-data": (ANYONE, ""),
    "forget-me": (ANYONE, ""),
    "concern": (CONTACT, "1"),
    "concerns": (CONTACT, "open"),
    "admin grant": (COORDINATOR, "@cleo executive"),
    "admin revoke": (COORDINATOR, "@cleo executive"),
    "program create": (COORDINATOR, "spring --curriculum new-hire-buddy"),
    "program open": (COORDINATOR, "career"),
    "program announce": (COORDINATOR, "career <#C1|general>"),
    "program launch": (COORDINATOR, "career"),
    "program pause": (COORDINATOR, "career"),
    "program resume": (COORDINATOR, "career"),
    "program close": (COORDINATOR, "career"),
    "program status": (COORDINATOR, "career"),
    "program set": (COORDINATOR, "career --departments any"),
    "program conduct": (COORDINATOR, 'career "Be kind. Keep confidences."'),
    "audit": (COORDINATOR, ""),
    "import": (COORDINATOR, "career"),
    "export": (COORDINATOR, "career"),
    "digest subscribe": (COORDINATOR, "@helen career mon 08:00"),
    "digest preview": (COORDINATOR, "career"),
    "minor": (COORDINATOR, "@cleo yes"),
    "guardian consent": (COORDINATOR, "@cleo"),
    "guardian revoke": (COORDINATOR, "@cleo"),
    "pair": (COORDINATOR, "@ana @cleo career"),
    "pair resume": (COORDINATOR, "@ana @ben career"),
    "unpair": (COORDINATOR, "@ana @ben career"),
    "enroll": (COORDINATOR, "@dev career mentee"),
    "match": (COORDINATOR, "career"),
    "proposal": (COORDINATOR, "career"),
    "match swap": (COORDINATOR, "career @ben @cleo"),
    "match remove": (COORDINATOR, "career @ben"),
    "match pin": (COORDINATOR, "career @ben"),
    "match unpin": (COORDINATOR, "career @ben"),
    "publish": (COORDINATOR, "career"),
    "do-not-pair": (COORDINATOR, "@ana @cleo"),
    "do-not-pair remove": (COORDINATOR, "@ana @cleo"),
    "clearance record": (COORDINATOR, "@ana"),
    "clearance revoke": (COORDINATOR, "@ana"),
    "outbox": (COORDINATOR, ""),
    "outbox retry": (COORDINATOR, "all"),
    "quiet": (COORDINATOR, "add 2026-12-25"),
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
    for name, (policy, words) in sorted(POLICY.items()):
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
    for name, (_policy, words) in sorted(POLICY.items()):
        if name == "forget-me":
            continue  # only asks for confirmation; forgetting oneself is tested elsewhere
        await _run(other, "zed", f"{name} {words}".strip())
    assert await _workspace_rows(chat, "acme") == before


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
