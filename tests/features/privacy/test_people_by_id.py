"""Personal data is found, exported and forgotten by id, never by what someone is called.

Issue 16, item 1. Anyone can set their display name to someone else's. Before, ``my-data``
gave every audit entry whose text matched the requester's name, so renaming yourself to a
minor's name handed you her safeguarding records; and ``forget-me`` rewrote every whole-word
match of the forgetter's name across the workspace, so it rewrote records about anybody
who shared it (or about "the coordinator", for someone called that). Audit entries and
outbox messages now name people by id, and the names are filled in when read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from conversations.events import Actor, CommandSent
from conversations.features.admin import entries
from conversations.features.privacy.privacy import PLACEHOLDER_NAME
from storage import db, migrate
from storage.models import AuditEntry, AuditPerson, OutboxMessage, Person, Workspace
from tests.support.harness import Chat, open_chat


class RenamingChat(Chat):
    """The harness, where each person's display name is whatever they set it to last."""

    names: dict[str, str]

    def actor(self, handle: str) -> Actor:
        base = super().actor(handle)
        return replace(base, display_name=self.names.get(handle, base.display_name))


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[RenamingChat]:
    async with open_chat(database_url) as opened:
        renaming = RenamingChat(opened.app, opened.clock)
        renaming.names = {}
        yield renaming


async def _my_data(chat: Chat, who: str) -> dict[str, object]:
    (reply,) = await chat.app.engine.handle(CommandSent(actor=chat.actor(who), text="my-data"))
    (file,) = reply.attachments
    data = json.loads(file.data.decode("utf-8"))
    assert isinstance(data, dict)
    return data


def _actions(data: dict[str, object]) -> list[str]:
    log = data["audit_log"]
    assert isinstance(log, list)
    return [entry["action"] for entry in log]


async def _safeguarded(chat: RenamingChat) -> None:
    """Maya coordinates; Ana is marked under 18 with her guardian's consent on record."""
    chat.names.update(maya="Maya Okafor", ana="Ana Lima", cleo="Cleo Dune")
    await chat.say("maya", "help")
    await chat.say("ana", "help")
    await chat.say("cleo", "help")
    assert "under 18" in await chat.say("maya", "minor @ana yes")
    assert "guardian" in await chat.say("maya", "guardian consent @ana")


async def test_someone_who_renames_herself_to_a_minors_name_gets_none_of_her_records(
    chat: RenamingChat,
) -> None:
    await _safeguarded(chat)
    assert {"minor.mark", "guardian.consent"} <= set(_actions(await _my_data(chat, "ana")))

    chat.names["cleo"] = "Ana Lima"  # Cleo now calls herself exactly what Ana is called
    stolen = await _my_data(chat, "cleo")
    assert not {"minor.mark", "guardian.consent"} & set(_actions(stolen))
    assert "Ana Lima" not in json.dumps(stolen["audit_log"])


async def test_the_audit_reads_people_as_they_are_called_now(chat: RenamingChat) -> None:
    await _safeguarded(chat)
    chat.names["ana"] = "Ana Lima-Santos"
    await chat.say("ana", "status")  # her next message brings her new name
    audit = await chat.say("maya", "audit")
    assert "minor.mark Ana Lima-Santos (minor: no → yes)" in audit  # words, never True
    assert "{0}" not in audit and "True" not in audit


async def test_forgetting_someone_rewrites_nothing_about_a_namesake(chat: RenamingChat) -> None:
    await _safeguarded(chat)
    chat.names["cleo"] = "Ana Lima"  # a namesake (or an impersonator) asks to be forgotten
    await chat.say("maya", "admin grant @cleo executive")
    await chat.say("cleo", "forget-me")
    await chat.press("cleo", "Yes, delete my data", kind="forget_confirm")

    async with chat.app.sessions() as session:
        read = await entries.named(
            session, await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        )
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "ana"))
    targets = {(e.entry.action, e.target) for e in read}
    assert ("minor.mark", "Ana Lima") in targets  # about Ana: untouched
    assert ("guardian.consent", "Ana Lima") in targets
    assert ("role.grant", PLACEHOLDER_NAME) in targets  # about Cleo: reads as forgotten
    assert ana is not None and ana.display_name == "Ana Lima"
    assert {"minor.mark", "guardian.consent"} <= set(_actions(await _my_data(chat, "ana")))


async def test_forgetting_someone_leaves_messages_about_a_namesake_as_they_were(
    chat: RenamingChat,
) -> None:
    chat.names.update(maya="Maya Okafor", sam1="Sam Lee", sam2="Sam Lee", ben="Ben Ode")
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    for who, side in (("sam2", "mentee"), ("ben", "mentor"), ("sam1", "mentee")):
        await chat.say(who, f"join buddies {side} --department Sales")
        await chat.say(who, "conduct buddies agree")
    await chat.say("maya", "pair @ben @sam2 buddies")
    await chat.say("sam2", "leave buddies")
    told = [m.text for m in chat.inbox("maya") if "Sam Lee" in m.text]
    assert told  # the coordinators' notice names the Sam Lee who left

    async with chat.app.sessions() as session:
        maya = await session.scalar(select(Person).where(Person.platform_user_id == "maya"))
        assert maya is not None
        before = {
            row.id: row.payload
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.person_id == maya.id)
            )
        }
    assert any("Sam Lee" in json.dumps(p) for p in before.values())
    await chat.say("sam1", "forget-me")  # the other Sam Lee
    await chat.press("sam1", "Yes, delete my data", kind="forget_confirm")
    async with chat.app.sessions() as session:
        after = {
            row.id: row.payload
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(list(before)))
            )
        }
    assert after == before


NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_migration_links_old_entries_only_where_the_name_is_certain(
    tmp_path: Path,
) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0014")
        sessions = db.session_factory(engine)
        async with sessions.begin() as session:
            # Only the columns a workspace had at 0014 (0016 adds when the app was removed).
            space_id = await session.scalar(
                sa.insert(Workspace.__table__)
                .values(
                    platform="console", external_id="acme", name="", settings={}, created_at=NOW
                )
                .returning(Workspace.__table__.c.id)
            )
            people = {}
            for handle, name in (("ana", "Ana"), ("ben", "Ben"), ("sam1", "Sam"), ("sam2", "Sam")):
                person = Person(
                    workspace_id=space_id,
                    platform_user_id=handle,
                    display_name=name,
                    timezone="UTC",
                    created_at=NOW,
                )
                session.add(person)
                people[handle] = person
            await session.flush()
            for action, target in (
                ("minor.mark", "Ana"),
                ("unpair", "Ana + Ben"),
                ("match.pin", "Ben → Ana"),
                ("enrol", "Ben as mentor"),
                ("role.grant", "Sam"),  # two people are called Sam: not certain
                ("match", "buddies"),  # a programme, not a person
            ):
                await session.execute(
                    sa.insert(AuditEntry.__table__).values(
                        workspace_id=space_id,
                        actor_id=people["ana"].id,
                        action=action,
                        target=target,
                        created_at=NOW,
                    )
                )
        await migrate.upgrade(engine, "head")
        async with sessions() as session:
            read = await entries.named(
                session, await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            )
            links = (await session.execute(select(AuditPerson.entry_id))).scalars().all()
        assert [(e.entry.target, e.target) for e in read] == [
            ("{0}", "Ana"),
            ("{0} + {1}", "Ana + Ben"),
            ("{0} → {1}", "Ben → Ana"),
            ("{0} as mentor", "Ben as mentor"),
            ("Sam", "Sam"),
            ("buddies", "buddies"),
        ]
        assert len(links) == 6
        # back down past 0016, which copies `workspaces`: no row of any workspace is lost
        await migrate.downgrade(engine, "0014")
        async with engine.connect() as connection:
            targets = (
                await connection.execute(sa.text("SELECT target FROM audit_log ORDER BY id"))
            ).scalars()
            assert list(targets) == [
                "Ana",
                "Ana + Ben",
                "Ben → Ana",
                "Ben as mentor",
                "Sam",
                "buddies",
            ]
    finally:
        await engine.dispose()


async def test_a_typed_name_is_never_matched_to_whoever_chose_it(chat: RenamingChat) -> None:
    """Regression (issue 16 item 1, found writing SECURITY.md): a word that was nobody's id
    was looked up as a display name, so whoever renamed themselves to the word a
    coordinator typed got the pairing. Now only a mention (an id) or an email address
    picks a person."""
    chat.names.update(maya="Maya Okafor", eve="zoe")  # Eve calls herself "zoe"
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    for who, side in (("ana", "mentor"), ("eve", "mentee")):
        await chat.say(who, f"join buddies {side} --department Sales")
        await chat.say(who, "conduct buddies agree")
    before = await chat.snapshot()
    refused = await chat.say("maya", "pair @ana @zoe buddies")
    assert "I don't know anyone called 'zoe'" in refused and "Mention them with @" in refused
    assert await chat.snapshot() == before
    assert (await chat.say("maya", "pair @ana <@eve|zoe> buddies")).startswith("Paired")
