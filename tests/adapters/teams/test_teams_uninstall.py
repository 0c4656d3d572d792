"""Removing the app in Teams, as Teams says it: ``installationUpdate`` with ``remove``.

Removed from someone's personal scope, only their own chat is gone: nothing more is posted
there and no chat is started for them in its place, what was queued for them is skipped
with the reason, their pairs pause and coordinators are told; adding the app again brings
them back. Removed from a team, the team's channels are forgotten, so announcements stop.
An upgrade's ``remove-upgrade`` is not a removal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.teams.connector import TeamsConfig
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.outbox import Outbox
from storage.models import OutboxStatus, Pair, PairStatus, Person, TeamsConversation
from tests.support.teams_world import (
    CHANNEL,
    PEOPLE,
    TEAM,
    TeamsWorld,
    activity,
    chat,
    teams_world,
)


@pytest.fixture
async def teams(database_url: str) -> AsyncIterator[TeamsWorld]:
    async for world in teams_world(database_url, TeamsConfig()):
        yield world


async def _paired(teams: TeamsWorld) -> None:
    """Maya coordinates; Ana (mentor) and Ben (mentee) join, accept the code and are paired;
    everything queued so far is delivered."""
    for user in PEOPLE:
        await teams.install(user)
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies")
    for user, side in (("29:ana", "mentor"), ("29:ben", "mentee")):
        await teams.say(user, f"join buddies {side}")
        await teams.say(user, "conduct buddies agree")
    [said] = await teams.say("29:maya", "pair @ana @ben buddies")
    assert said.startswith("Paired Ana (mentor) with Ben (mentee)"), said
    await teams.dispatcher.drain()


async def _personal(teams: TeamsWorld, user: str, action: str) -> None:
    body = activity("installation_update", **teams._who(user))
    body["action"] = action
    status, _ = await teams.post(body)
    assert status == 200


async def _queue_to(teams: TeamsWorld, user: str, text: str) -> None:
    """A message for ``user`` waiting in the outbox (as a reminder would be)."""
    async with teams.app.sessions.begin() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == user))
        assert person is not None
        await Outbox(session, teams.app.clock.now()).to_person(
            person, Message(text=text, kind=Kind.MEET_NUDGE), key=text, holds=ALWAYS, urgent=True
        )


async def test_someone_who_removes_the_app_hears_nothing_more_until_they_add_it_again(
    teams: TeamsWorld,
) -> None:
    await _paired(teams)
    heard_by_ana = len(teams.fake.texts(chat("29:ana")))
    started = teams.fake.counts["create"]
    await _queue_to(teams, "29:ana", "A reminder for Ana")

    await _personal(teams, "29:ana", "remove")
    await teams.dispatcher.drain()

    assert teams.fake.texts(chat("29:ana"))[heard_by_ana:] == []
    assert teams.fake.counts["create"] == started  # no chat started for her in its place
    [skipped] = [r for r in await teams.outbox() if r.idempotency_key == "A reminder for Ana"]
    assert skipped.status == OutboxStatus.SKIPPED
    assert skipped.last_error == (
        "Ana has no chat with the app in Teams any more (they removed it, or Teams refused "
        "one), so it was not sent; nothing goes to them until they add the app again"
    )
    assert (
        "Ana removed me from their chat on Teams, so I can't reach them and I've paused "
        "their pairs. Nothing more goes to them until they add me again."
    ) in teams.fake.texts(chat("29:maya"))
    async with teams.app.sessions() as session:
        [pair] = (await session.scalars(select(Pair))).all()
        assert pair.status == PairStatus.PAUSED

    await _personal(teams, "29:ana", "add")
    await _queue_to(teams, "29:ana", "Welcome back, Ana")
    await teams.dispatcher.drain()
    assert "Welcome back, Ana" in teams.fake.texts(chat("29:ana"))
    assert "A reminder for Ana" not in teams.fake.texts(chat("29:ana"))


async def test_an_upgrade_is_not_a_removal(teams: TeamsWorld) -> None:
    await _paired(teams)

    await _personal(teams, "29:ana", "remove-upgrade")
    await _queue_to(teams, "29:ana", "Still here")
    await teams.dispatcher.drain()

    assert "Still here" in teams.fake.texts(chat("29:ana"))


async def _team(teams: TeamsWorld, action: str) -> None:
    body = activity(
        "installation_update_team",
        action=action,
        channel=CHANNEL,
        team=TEAM,
        teamName="Engineering",
        **teams._who("29:maya"),
    )
    status, _ = await teams.post(body)
    assert status == 200


async def test_the_app_removed_from_a_team_stops_announcing_there(teams: TeamsWorld) -> None:
    await teams.install("29:maya")
    await _team(teams, "add")
    async with teams.app.sessions() as session:
        [stored] = (await session.scalars(select(TeamsConversation))).all()
    assert (stored.conversation_id, stored.team_id) == (CHANNEL, TEAM)

    await _team(teams, "remove")

    async with teams.app.sessions() as session:
        assert (await session.scalars(select(TeamsConversation))).all() == []
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies #Engineering")
    await teams.dispatcher.drain()
    assert teams.fake.texts(CHANNEL) == []
    told = [t for t in teams.fake.texts(chat("29:maya")) if "could not be delivered" in t]
    assert len(told) == 1 and "the app is not in a team with channel" in told[0], told

    await _team(teams, "add")
    [said] = await teams.say("29:maya", "program announce buddies #Engineering")
    assert "Announced" in said, said
    await teams.dispatcher.drain()
    [announcement] = teams.fake.texts(CHANNEL)
    assert "Join New-hire buddy" in announcement
