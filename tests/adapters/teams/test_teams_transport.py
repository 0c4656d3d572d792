"""The Teams outbox transport against a fake Bot Connector: what Teams receives, what is
recorded, and what the dispatcher is told when Teams says no.

``TeamsTransport`` is exercised directly (no dispatcher) with real database rows, real
botbuilder (``CloudAdapter`` and its msrest connector client) and the local fake
connector of :mod:`tests.support.fake_teams`, on SQLite and PostgreSQL. This matters because the
transport's promises are only observable at those edges: Teams can never be asked
whether a message arrived, so the ``teams_messages`` rows are what keeps a retry from
posting a pair's message twice; the references in ``people`` and ``teams_conversations``
are the only way to reach anyone proactively; and the dispatcher acts on the
:class:`DeliveryError` classification (pause a pair, stop retrying, wait for
``Retry-After``), which depends on how botbuilder surfaces each kind of HTTP failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from adapters.teams.connector import TeamsConfig, cloud_adapter
from adapters.teams.transport import TeamsTransport
from bot.app import App, build
from bot.config import load_settings
from conversations.clock import VirtualClock
from conversations.delivery import Delivery, DeliveryError
from conversations.messages import Button, Card, Message, Section
from storage.models import (
    Pair,
    Person,
    Programme,
    Role,
    RoleGrant,
    TeamsConversation,
    TeamsMessage,
    Workspace,
)
from tests.support.fake_teams import ADAPTIVE_CARD, FakeBotConnector, Reply
from tests.support.harness import START

TENANT = "t1"
BOT = {"id": "28:bot", "name": "Mentor Bot"}
CHANNEL = "19:general@thread.tacv2"
COPY_NOTE = "Copy for the programme team"
POST = "send"
"""The fake's kind of call a proactive message must be: ``POST v3/conversations/{id}/activities``.
botbuilder's ``continue_conversation`` runs the turn on a made-up event with an invented
id; left in place, ``send_activity`` would post a reply to that id (``…/activities/{id}``),
which in a channel is a reply to a thread that does not exist."""
AGENDA = Message(
    text="Session 2 with Ben: goals. Did you meet?",
    card=Card(
        header="Session 2: goals",
        sections=(Section(text="Talk about what you want from the next month."),),
        buttons=(Button(label="We met", action="met", value="7", style="primary"),),
    ),
    kind="agenda",
)


def chat(user: str) -> str:
    """The id of the user's 1:1 chat with the bot."""
    return FakeBotConnector.personal_conversation_id(user)


def actions(element: Any) -> list[dict[str, Any]]:
    """Every ``Action.*`` in a card, however deeply nested (ActionSets included)."""
    found: list[dict[str, Any]] = []
    if isinstance(element, dict):
        if str(element.get("type", "")).startswith("Action."):
            found.append(element)
        for value in element.values():
            found += actions(value)
    elif isinstance(element, list):
        for item in element:
            found += actions(item)
    return found


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """botbuilder's client (``requests``) honours proxy variables, which would send the
    fake's 127.0.0.1 traffic elsewhere."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@dataclass
class World:
    app: App
    fake: FakeBotConnector
    transport: TeamsTransport
    workspace: Workspace

    def reference(
        self, user: str, name: str = "", *, conversation: str | None = None
    ) -> dict[str, Any]:
        """A 1:1 ConversationReference, as ``ConversationReference.serialize()`` makes it."""
        return {
            "user": {"id": user, "name": name or user},
            "bot": dict(BOT),
            "conversation": {
                "id": conversation or chat(user),
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelId": "msteams",
            "serviceUrl": self.fake.service_url,
        }

    async def person(
        self, user: str, name: str, *, reachable_chat: bool = True, json_null: bool = False
    ) -> Person:
        """A person row; with a stored 1:1 reference unless ``reachable_chat`` is False.

        Without one, ``conversation_ref`` is left unset (SQL NULL), as the engine creates
        people; ``json_null`` sets it to None explicitly instead, which SQLAlchemy's JSON
        type stores as a JSON ``null``.
        """
        async with self.app.sessions.begin() as session:
            person = Person(
                workspace_id=self.workspace.id,
                platform_user_id=user,
                display_name=name,
                timezone="UTC",
                created_at=START,
            )
            if reachable_chat:
                person.conversation_ref = self.reference(user, name)
            elif json_null:
                person.conversation_ref = None
            session.add(person)
        return person

    async def safeguarding_contact(self, person: Person) -> None:
        await self._grant(person, Role.SAFEGUARDING)

    async def coordinator(self, person: Person) -> None:
        await self._grant(person, Role.COORDINATOR)

    async def _grant(self, person: Person, role: Role) -> None:
        async with self.app.sessions.begin() as session:
            session.add(
                RoleGrant(
                    workspace_id=self.workspace.id, person_id=person.id, role=role, granted_at=START
                )
            )

    async def pair(self, mentor: Person, mentee: Person, *, safeguarded: bool = False) -> Pair:
        """A real programme and pair, loaded with its mentor, mentee and programme."""
        async with self.app.sessions.begin() as session:
            programme = Programme(
                workspace_id=self.workspace.id,
                key="spring",
                name="Spring mentoring",
                curriculum_key="basics",
                curriculum_version=1,
                cadence_days=14,
                safeguarded=safeguarded,
                created_at=START,
            )
            session.add(programme)
            await session.flush()
            row = Pair(
                programme_id=programme.id,
                mentor_id=mentor.id,
                mentee_id=mentee.id,
                created_at=START,
            )
            session.add(row)
            await session.flush()
            pair_id = row.id
        async with self.app.sessions() as session:  # a fresh load, as the dispatcher does
            loaded = await session.get(Pair, pair_id)
            assert loaded is not None
            assert loaded.mentor.platform_user_id == mentor.platform_user_id
            assert loaded.mentee.platform_user_id == mentee.platform_user_id
            assert loaded.programme.safeguarded is safeguarded
        return loaded

    async def channel(self, conversation_id: str = CHANNEL) -> None:
        reference = {
            "bot": dict(BOT),
            "conversation": {
                "id": conversation_id,
                "conversationType": "channel",
                "tenantId": TENANT,
                "isGroup": True,
            },
            "channelId": "msteams",
            "serviceUrl": self.fake.service_url,
        }
        async with self.app.sessions.begin() as session:
            session.add(
                TeamsConversation(
                    workspace_id=self.workspace.id,
                    conversation_id=conversation_id,
                    kind="channel",
                    name="General",
                    reference=reference,
                    updated_at=START,
                )
            )

    def delivery(
        self,
        key: str = "agenda:7:2",
        *,
        to: Person | None = None,
        pair: Pair | None = None,
        channel: str | None = None,
        message: Message = AGENDA,
    ) -> Delivery:
        return Delivery(
            outbox_id=1,
            key=key,
            workspace=self.workspace,
            message=message,
            person=to,
            pair=pair,
            channel=channel,
        )

    async def recorded(self, key: str | None = None) -> list[TeamsMessage]:
        """The ``teams_messages`` rows (of one outbox key), oldest first."""
        query = select(TeamsMessage).order_by(TeamsMessage.id)
        if key is not None:
            query = query.where(TeamsMessage.outbox_key == key)
        async with self.app.sessions() as session:
            return list(await session.scalars(query))

    async def stored_reference(self, person: Person) -> dict[str, Any] | None:
        async with self.app.sessions() as session:
            ref = await session.scalar(
                select(Person.conversation_ref).where(Person.id == person.id)
            )
        return dict(ref) if ref else None


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with FakeBotConnector(tenant_id=TENANT) as fake:
        app = await build(
            load_settings(database_url=database_url), clock=VirtualClock(START), upgrade=False
        )
        async with app.sessions.begin() as session:
            workspace = Workspace(
                platform="teams", external_id=TENANT, settings={}, created_at=START
            )
            session.add(workspace)
        transport = TeamsTransport(
            cloud_adapter(TeamsConfig()), app.sessions, app_id=None, now=app.clock.now
        )
        try:
            yield World(app=app, fake=fake, transport=transport, workspace=workspace)
        finally:
            await transport.close()
            await app.close()


# -- to a person ---------------------------------------------------------------------------


async def test_a_person_gets_an_adaptive_card_in_their_chat_and_it_is_recorded(
    world: World,
) -> None:
    ana = await world.person("29:ana", "Ana")

    sent = await world.transport.send(world.delivery(to=ana))

    [posted] = world.fake.messages()
    assert posted.kind == POST  # see POST: not a reply to an invented activity
    assert posted.reply_to is None
    assert posted.conversation_id == chat("29:ana")
    assert sent == posted.activity_id == "1:0001"
    assert posted.activity["type"] == "message"
    [attachment] = posted.activity["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["version"] == "1.5"
    [text] = world.fake.texts(chat("29:ana"))
    assert "Session 2: goals" in text
    assert "Talk about what you want" in text
    [met] = actions(attachment["content"])
    assert met["type"] == "Action.Submit"
    assert met["title"] == "We met"
    assert world.fake.counts["create"] == 0  # a known chat: nothing started

    [row] = await world.recorded()
    assert row.outbox_key == "agenda:7:2"
    assert row.recipient == "29:ana"
    assert row.workspace_id == world.workspace.id
    assert row.conversation_id == chat("29:ana")
    assert row.activity_id == "1:0001"
    assert row.sent_at == START
    assert row.message is not None  # it has a button, so it can be redrawn once answered
    assert Message.from_json(dict(row.message)) == AGENDA


async def test_a_card_without_buttons_is_recorded_without_its_message(world: World) -> None:
    ana = await world.person("29:ana", "Ana")
    note = Message(text="Thanks for meeting!", card=Card(header="Well done"), kind="checked_in")

    await world.transport.send(world.delivery("thanks:1", to=ana, message=note))

    assert len(world.fake.messages(chat("29:ana"))) == 1
    [row] = await world.recorded()
    assert (row.recipient, row.message) == ("29:ana", None)


async def test_resending_a_delivered_message_posts_nothing_new(world: World) -> None:
    ana = await world.person("29:ana", "Ana")
    delivery = world.delivery(to=ana)

    assert await world.transport.confirm(delivery) is None
    first = await world.transport.send(delivery)
    assert await world.transport.confirm(delivery) == first
    again = await world.transport.send(delivery)

    assert again == first
    assert len(world.fake.messages()) == 1
    assert world.fake.counts[POST] == 1


# -- to a pair -----------------------------------------------------------------------------


async def test_a_pair_gets_one_copy_each_in_their_own_chats(world: World) -> None:
    ben = await world.person("29:ben", "Ben")
    ana = await world.person("29:ana", "Ana")
    pair = await world.pair(ben, ana)

    sent = await world.transport.send(world.delivery(pair=pair))

    assert [(m.kind, m.conversation_id) for m in world.fake.messages()] == [
        (POST, chat("29:ben")),
        (POST, chat("29:ana")),
    ]
    assert world.fake.counts == {POST: 2}  # nothing else: no create, no group chat
    for user in ("29:ben", "29:ana"):
        [card] = world.fake.cards(chat(user))
        assert len(actions(card)) == 1  # both can answer
    assert sent == world.fake.messages(chat("29:ben"))[0].activity_id
    rows = await world.recorded("agenda:7:2")
    assert sorted((r.recipient, r.conversation_id) for r in rows) == [
        ("29:ana", chat("29:ana")),
        ("29:ben", chat("29:ben")),
    ]


async def test_a_safeguarded_pair_copies_the_first_coordinator_without_buttons(
    world: World,
) -> None:
    ben = await world.person("29:ben", "Ben")
    ana = await world.person("29:ana", "Ana")
    maya = await world.person("29:maya", "Maya")
    zoe = await world.person("29:zoe", "Zoe")
    await world.coordinator(maya)
    await world.coordinator(zoe)  # a second coordinator: only the first is copied
    pair = await world.pair(ben, ana, safeguarded=True)

    await world.transport.send(world.delivery(pair=pair))

    assert sorted(m.conversation_id for m in world.fake.messages()) == sorted(
        [chat("29:ben"), chat("29:ana"), chat("29:maya")]
    )
    assert world.fake.messages(chat("29:zoe")) == []
    for user in ("29:ben", "29:ana"):
        [card] = world.fake.cards(chat(user))
        assert [a["type"] for a in actions(card)] == ["Action.Submit"]
    [copy] = world.fake.messages(chat("29:maya"))
    [attachment] = copy.activity["attachments"]
    assert "actions" not in attachment["content"]
    assert actions(copy.activity) == []
    assert "Action.Submit" not in str(copy.activity)
    assert COPY_NOTE in copy.activity.get("summary", "")  # the notification's preview line
    [text] = world.fake.texts(chat("29:maya"))
    assert "Talk about what you want" in text  # the same content, for oversight

    rows = {r.recipient: r for r in await world.recorded("agenda:7:2")}
    assert set(rows) == {"29:ben", "29:ana", "29:maya"}
    assert rows["29:maya"].message is None  # nothing to answer on a button-less copy
    assert rows["29:ben"].message is not None


async def test_the_coordinators_copy_says_it_is_a_copy_on_the_card(world: World) -> None:
    ben = await world.person("29:ben", "Ben")
    ana = await world.person("29:ana", "Ana")
    maya = await world.person("29:maya", "Maya")
    await world.coordinator(maya)
    pair = await world.pair(ben, ana, safeguarded=True)

    await world.transport.send(world.delivery(pair=pair))

    [text] = world.fake.texts(chat("29:maya"))
    assert COPY_NOTE in text
    assert "Ben" in text and "Ana" in text


async def test_the_copy_goes_to_an_adult_outside_the_pair_never_to_one_in_it(
    world: World,
) -> None:
    """Regression (issue 16 item 3, found writing SECURITY.md): Teams copied the first
    coordinator even when she was the mentor, so nobody outside the pair saw its messages;
    and a pair whose only outside adult was a safeguarding contact was never sent at all.
    The rule is Slack's: a coordinator, else a safeguarding contact, not in the pair."""
    maya = await world.person("29:maya", "Maya")
    ben = await world.person("29:ben", "Ben")
    eve = await world.person("29:eve", "Eve")
    await world.coordinator(maya)  # the first coordinator, and Ben's mentor
    await world.safeguarding_contact(eve)
    pair = await world.pair(maya, ben, safeguarded=True)

    await world.transport.send(world.delivery(pair=pair))

    assert sorted(m.conversation_id for m in world.fake.messages()) == sorted(
        [chat("29:maya"), chat("29:ben"), chat("29:eve")]
    )
    [text] = world.fake.texts(chat("29:eve"))
    assert COPY_NOTE in text
    [card] = world.fake.cards(chat("29:maya"))  # her own card, with its buttons
    assert COPY_NOTE not in str(card)


async def test_a_safeguarded_pair_without_a_coordinator_is_not_sent_at_all(
    world: World,
) -> None:
    ben = await world.person("29:ben", "Ben")
    ana = await world.person("29:ana", "Ana")
    pair = await world.pair(ben, ana, safeguarded=True)
    delivery = world.delivery(pair=pair)

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(delivery)

    assert caught.value.permanent is True
    assert str(caught.value).startswith("safeguarding:")
    assert world.fake.requests == []
    assert await world.recorded() == []
    assert await world.transport.confirm(delivery) is None


async def test_a_coordinator_in_the_pair_is_not_its_safeguard(world: World) -> None:
    """Before, Ben (a coordinator mentoring Ana) counted as the pair's copy, so the two of
    them talked with nobody else present. With no adult outside the pair, nothing goes."""
    ben = await world.person("29:ben", "Ben")
    ana = await world.person("29:ana", "Ana")
    await world.coordinator(ben)
    pair = await world.pair(ben, ana, safeguarded=True)

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(world.delivery(pair=pair))

    assert caught.value.permanent and "nobody outside the pair" in str(caught.value)
    assert world.fake.requests == []


# -- someone the bot never talked to -------------------------------------------------------


async def test_a_chat_is_started_for_someone_without_one_and_its_reference_kept(
    world: World,
) -> None:
    await world.person("29:ana", "Ana")  # the tenant's only known reference
    cleo = await world.person("29:cleo", "Cleo", reachable_chat=False)

    first = await world.transport.send(world.delivery("welcome:cleo:1", to=cleo))

    [create] = [s for s in world.fake.sent if s.kind == "create"]
    assert world.fake.requests[0] == ("POST", "/teams/v3/conversations")
    body = create.activity
    assert [m["id"] for m in body["members"]] == ["29:cleo"]
    # botbuilder's schema spells the field "tenantID"; Teams reads channelData.tenant.
    assert body.get("tenantId", body.get("tenantID")) == TENANT
    assert body["channelData"]["tenant"]["id"] == TENANT
    assert body["bot"]["id"] == BOT["id"]
    assert body.get("isGroup") is False
    [posted] = world.fake.messages()
    assert posted.conversation_id == chat("29:cleo")
    assert first == posted.activity_id
    assert [k for k, _ in world.fake.requests] == ["POST", "POST"]  # create, then send

    stored = await world.stored_reference(cleo)
    assert stored is not None
    assert stored["conversation"]["id"] == chat("29:cleo")
    assert stored["serviceUrl"] == world.fake.service_url
    assert stored["bot"]["id"] == BOT["id"]

    await world.transport.send(world.delivery("welcome:cleo:2", to=cleo))
    assert world.fake.counts["create"] == 1
    assert world.fake.counts[POST] == 2
    assert len(world.fake.messages(chat("29:cleo"))) == 2


async def test_a_person_whose_reference_was_set_to_none_does_not_hide_the_tenants(
    world: World,
) -> None:
    await world.person("29:ana", "Ana")  # the tenant's only usable reference
    cleo = await world.person("29:cleo", "Cleo", reachable_chat=False, json_null=True)

    await world.transport.send(world.delivery(to=cleo))

    assert world.fake.counts["create"] == 1
    assert len(world.fake.messages(chat("29:cleo"))) == 1


async def test_a_channel_reference_also_tells_the_bot_where_to_start_a_chat(
    world: World,
) -> None:
    await world.channel()
    cleo = await world.person("29:cleo", "Cleo", reachable_chat=False)

    await world.transport.send(world.delivery(to=cleo))

    assert world.fake.counts["create"] == 1
    assert len(world.fake.messages(chat("29:cleo"))) == 1
    assert world.fake.messages(CHANNEL) == []


async def test_nobody_in_the_tenant_with_a_reference_means_unreachable(world: World) -> None:
    await world.person("29:ben", "Ben", reachable_chat=False)
    cleo = await world.person("29:cleo", "Cleo", reachable_chat=False)

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(world.delivery(to=cleo))

    assert caught.value.permanent is True
    assert str(caught.value).startswith("unreachable:")
    assert "29:cleo" in str(caught.value)
    assert world.fake.requests == []
    assert await world.recorded() == []
    assert await world.stored_reference(cleo) is None


@pytest.mark.parametrize(
    "failure",
    [Reply.http(502), Reply.error(502, "BadGateway")],
    ids=["html-page", "json-error"],
)
async def test_a_retry_after_a_partial_failure_sends_only_the_missing_copy(
    world: World, failure: Reply
) -> None:
    ben = await world.person("29:ben", "Ben")
    cleo = await world.person("29:cleo", "Cleo", reachable_chat=False)
    pair = await world.pair(ben, cleo)
    delivery = world.delivery(pair=pair)
    world.fake.queue("create", failure)

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(delivery)

    assert caught.value.permanent is False
    [to_ben] = world.fake.messages()
    assert to_ben.conversation_id == chat("29:ben")
    [row] = await world.recorded(delivery.key)
    assert (row.recipient, row.activity_id) == ("29:ben", to_ben.activity_id)
    assert await world.transport.confirm(delivery) is None  # one copy is still missing
    assert await world.stored_reference(cleo) is None

    again = await world.transport.send(delivery)

    assert again == to_ben.activity_id  # the first copy's id, as before
    assert len(world.fake.messages(chat("29:ben"))) == 1  # Ben does not hear it twice
    assert len(world.fake.messages(chat("29:cleo"))) == 1
    assert world.fake.counts["create"] == 2
    assert world.fake.counts[POST] == 2
    assert await world.transport.confirm(delivery) == to_ben.activity_id
    assert {r.recipient for r in await world.recorded(delivery.key)} == {"29:ben", "29:cleo"}


# -- what Teams' errors mean ---------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    permanent: bool
    prefix: str = ""
    retry_after: float | None = None


ERRORS = [
    pytest.param(
        Reply.error(403, "MessageWritesBlocked"), Expected(True, "unreachable:"), id="403-blocked"
    ),
    pytest.param(
        Reply.error(403, "ConversationBlockedByUser"),
        Expected(True, "unreachable:"),
        id="403-blocked-by-user",
    ),
    pytest.param(
        Reply.error(404, "ConversationNotFound"), Expected(True, "unreachable:"), id="404-gone"
    ),
    pytest.param(Reply.throttled(7), Expected(False, "throttled", 7.0), id="429"),
    pytest.param(Reply.error(412, "PreconditionFailed"), Expected(False), id="412"),
    pytest.param(Reply.error(502, "BadGateway"), Expected(False), id="502"),
    pytest.param(Reply.error(504, "GatewayTimeout"), Expected(False), id="504"),
    pytest.param(Reply.http(502), Expected(False), id="502-html-page"),
    pytest.param(Reply.error(400, "BadArgument"), Expected(True, "rejected:"), id="400"),
    pytest.param(Reply.error(401, "Unauthorized"), Expected(True, "auth:"), id="401"),
]


@pytest.mark.parametrize(("reply", "expected"), ERRORS)
async def test_a_failed_send_is_classified(world: World, reply: Reply, expected: Expected) -> None:
    ana = await world.person("29:ana", "Ana")
    delivery = world.delivery(to=ana)
    world.fake.queue(POST, reply)

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(delivery)

    error = caught.value
    assert error.permanent is expected.permanent, str(error)
    assert str(error).startswith(expected.prefix), str(error)
    assert error.retry_after == expected.retry_after
    assert world.fake.counts[POST] == 1
    assert world.fake.sent == []
    assert await world.recorded() == []
    assert await world.transport.confirm(delivery) is None


# -- to a channel --------------------------------------------------------------------------


async def test_a_channel_message_goes_to_the_stored_channel(world: World) -> None:
    await world.channel()

    sent = await world.transport.send(world.delivery("announce:1", channel=CHANNEL))

    [posted] = world.fake.messages()
    assert posted.conversation_id == CHANNEL
    assert sent == posted.activity_id
    [text] = world.fake.texts(CHANNEL)
    assert "Session 2: goals" in text
    [row] = await world.recorded("announce:1")
    assert (row.recipient, row.conversation_id, row.activity_id) == (
        CHANNEL,
        CHANNEL,
        posted.activity_id,
    )


async def test_a_channel_without_a_reference_is_a_channel_error(world: World) -> None:
    await world.person("29:ana", "Ana")  # a person's reference does not make a channel known

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(world.delivery(channel=CHANNEL))

    assert caught.value.permanent is True
    assert str(caught.value).startswith("channel:")
    assert world.fake.requests == []
    assert await world.recorded() == []


async def test_a_403_in_a_channel_is_a_channel_error_not_an_unreachable_person(
    world: World,
) -> None:
    await world.channel()
    world.fake.queue(POST, Reply.error(403, "BotNotInConversationRoster"))

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(world.delivery(channel=CHANNEL))

    assert caught.value.permanent is True
    assert str(caught.value).startswith("channel:")
    assert world.fake.counts[POST] == 1
    assert await world.recorded() == []


# -- retries are the dispatcher's ----------------------------------------------------------


async def test_the_connector_does_not_retry_by_itself(world: World) -> None:
    ana = await world.person("29:ana", "Ana")
    world.fake.queue(POST, Reply.error(502, "BadGateway"), Reply.error(502, "BadGateway"))

    with pytest.raises(DeliveryError) as caught:
        await world.transport.send(world.delivery(to=ana))

    assert caught.value.permanent is False
    assert world.fake.counts[POST] == 1
    assert world.fake.sent == []
    assert await world.recorded() == []
