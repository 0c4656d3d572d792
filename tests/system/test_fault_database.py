"""PostgreSQL unreachable for ten seconds under a running ``mentorbot serve``.

The server reaches PostgreSQL through tests/support/tcp_proxy.py, which the test cuts: every
connection the server holds is dropped at once and new ones are turned away, as
in a database restart or failover, then restored ten seconds later. Slack (through
tests/support/fake_slack.py), Teams (tests/support/fake_teams.py) and the webhook platform
(tests/support/fake_platform.py) keep talking to the server meanwhile.

What must hold:

- every request during the outage is answered 200, never a 5xx, and the person is
  told, in a sentence and without a trace, to try again in a moment;
- what they sent then leaves nothing half-written behind, and their words are not
  in the log;
- messages the outbox was sending when the connection dropped, and those that
  fell due during the outage, are each delivered exactly once after it;
- once the database is back, everything works as before, with no restart.

A Slack DM that arrives during the outage is answered 200 and the person told in
the DM at once, rather than refused so that Slack retries it: a refusal would
need a non-2xx (counted against the app), and Slack's retries come after a
minute and after five, too late to tell the person anything and not at all after
a longer outage. Told now, they send it again when it suits them, as a new event.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from adapters.outage import SORRY
from adapters.slack.app import NOT_AUTHORIZED
from adapters.teams.app import TeamsAdapter
from adapters.teams.connector import TeamsConfig
from bot.app import build
from bot.config import load_settings
from bot.server import make_web_app
from storage import db
from storage.models import Base, Person, Programme
from tests.support import slack_requests
from tests.support.bot_process import BotProcess, arrival, start_bot, stop
from tests.support.fake_platform import FakePlatform
from tests.support.fake_slack import FakeSlack
from tests.support.fake_teams import FakeBotConnector
from tests.support.outbox_helpers import check_exactly_once, outbox, seed
from tests.support.slack_world import SECRET, payload
from tests.support.tcp_proxy import TcpProxy
from tests.support.teams_world import PEOPLE, TENANT, activity

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="TEST_DATABASE_URL is not set: PostgreSQL leg skipped",
    ),
]

OUTAGE = 10.0
"""Seconds the database stays unreachable."""

TRY_AGAIN = "try again in a moment"
TRACE_WORDS = ("Traceback", "Error", "Exception", "sqlalchemy", "asyncpg")
"""What a stack trace or a driver's message would put in front of a person."""

PRIVATE = "zebra-7f3a"
"""Words a person writes during the outage, which must not reach the log."""


@pytest.fixture
async def pg_url(pg_database: str | None) -> AsyncIterator[str]:
    """The session's PostgreSQL database, emptied."""
    if pg_database is None:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL leg skipped")
    engine = db.create_engine(pg_database)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield pg_database


class Teams:
    """Activities from the people in tests/support/teams_world.py, posted to the server."""

    def __init__(self, fake: FakeBotConnector, http: aiohttp.ClientSession, server: str) -> None:
        self.fake = fake
        self.http = http
        self.server = server
        self.sequence = 0
        for user, (name, _zone) in PEOPLE.items():
            fake.add_member(user, name, email=f"{name.lower()}@example.org")

    def body(self, fixture: str, user: str, **values: str) -> dict[str, Any]:
        name, zone = PEOPLE[user]
        self.sequence += 1
        return activity(
            fixture,
            id=f"1700000000{self.sequence:03d}",
            serviceUrl=self.fake.service_url,
            user=user,
            name=name,
            aad=f"aad-{name.lower()}",
            tenant=TENANT,
            timezone=zone,
            conversation=FakeBotConnector.personal_conversation_id(user),
            **values,
        )

    async def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(f"{self.server}/api/messages", json=body) as response:
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None

    async def say(self, user: str, said: str) -> tuple[int, list[str]]:
        """``user`` writes in their 1:1 chat: (HTTP status, what the bot answered there)."""
        chat = FakeBotConnector.personal_conversation_id(user)
        before = len(self.fake.texts(chat))
        status, _ = await self.post(self.body("message", user, text=said))
        return status, self.fake.texts(chat)[before:]


async def slash(
    http: aiohttp.ClientSession, server: BotProcess, fake: FakeSlack, user: str, said: str
) -> tuple[int, str]:
    """``/mentor <said>``: (HTTP status, the reply posted at its response URL)."""
    name = f"r{len(fake.responses)}-{time.monotonic_ns()}"
    body = slack_requests.command(fake, user=user, text=said, name=name)
    status, _ = await slack_requests.post(http, server.url, body)
    await fake.wait_until(lambda: any(r["url"] == name for r in fake.responses), within=20)
    return status, str(next(r for r in fake.responses if r["url"] == name)["text"])


async def readiness(http: aiohttp.ClientSession, server: BotProcess) -> int:
    async with http.get(f"{server.url}/readyz") as response:
        return response.status


def friendly(said: str) -> bool:
    return TRY_AGAIN in said and not any(word in said for word in TRACE_WORDS)


@pytest.mark.process
@pytest.mark.slow
async def test_a_ten_second_database_outage_loses_nothing_and_nobody_sees_an_error(
    pg_url: str, tmp_path: Path
) -> None:
    target = make_url(pg_url)
    async with (
        TcpProxy(target_host=str(target.host), target_port=int(target.port or 5432)) as proxy,
        FakeSlack() as slack,
        FakeBotConnector(tenant_id=TENANT) as connector,
        FakePlatform(delay=0.2) as platform,
        aiohttp.ClientSession() as http,
    ):
        through_proxy = target.set(port=proxy.port).render_as_string(hide_password=False)
        server = await start_bot(
            "serve",
            "outage",
            url=through_proxy,
            tmp_path=tmp_path,
            platform=platform,
            settings={
                **slack_requests.settings(slack),
                "TEAMS_ENABLED": "true",
                "OUTBOX_LEASE_SECONDS": "5",
                "TICK_SECONDS": "1",  # planning keeps ticking (and failing) through the outage
                "LOG_LEVEL": "INFO",
            },
        )
        teams = Teams(connector, http, server.url)
        try:
            # Before: Maya (Slack) and Ana (Teams) are answered as usual.
            status, said = await slash(http, server, slack, "UMAYA", "status")
            assert (status, said.startswith("You're not in a programme yet")) == (200, True)
            status, answers = await teams.say("29:ana", "status")
            assert status == 200 and answers[0].startswith("You're not in a programme yet")

            # The outbox is sending 40 messages when the connection drops.
            before_keys = await seed(pg_url, 40, channels=40, platform="webhook", label="before")
            await arrival(platform, 10, [server], within=30)
            proxy.cut()
            cut_at = time.monotonic()
            # 20 more fall due during the outage (written by the test, straight to PostgreSQL).
            during_keys = await seed(pg_url, 20, channels=20, platform="webhook", label="during")

            # During: Ben writes on Slack (a command, a DM, a button) and on Teams.
            status, said = await slash(http, server, slack, "UBEN", f"join buddies {PRIVATE}")
            assert status == 200 and friendly(said), said

            dm = slack_requests.direct_message(user="UBEN", text=PRIVATE, event_id="EvDuring")
            status, _ = await slack_requests.post(
                http, server.url, dm, content_type="application/json"
            )
            assert status == 200
            await slack.wait_until(lambda: bool(slack.posts_in("DUBEN")), within=20)
            [apology] = slack.posts_in("DUBEN")
            assert friendly(str(apology.text)), apology.text

            press = payload("block_actions_button.json")
            press["response_url"] = slack.response_url("form-during")
            [action] = press["actions"]
            action.update(action_id="form.open:0", value=json.dumps({"a": "join", "v": "buddies"}))
            status, _ = await slack_requests.post(
                http, server.url, urlencode({"payload": json.dumps(press)})
            )
            assert status == 200
            await slack.wait_until(
                lambda: any(r["url"] == "form-during" for r in slack.responses), within=20
            )
            [opened] = [r for r in slack.responses if r["url"] == "form-during"]
            assert friendly(str(opened["text"])) and opened["response_type"] == "ephemeral"

            status, answers = await teams.say("29:ben", f"join buddies {PRIVATE}")
            assert status == 200 and len(answers) == 1 and friendly(answers[0]), answers

            # A card button (Action.Execute) is answered in the invoke response itself.
            invoke = teams.body("invoke_action", "29:ben", replyToId="1:0001", title="Join")
            invoke["value"]["action"]["data"] = {
                "mentorbot": {"action": "form.open", "value": json.dumps({"a": "join", "v": "x"})}
            }
            status, answer = await teams.post(invoke)
            assert status == 200, answer
            assert answer["statusCode"] == 200 and friendly(str(answer["value"])), answer

            assert await readiness(http, server) == 503  # the load balancer is told, not people
            assert proxy.refused > 0, "the server never tried the database during the outage"
            assert server.process.returncode is None
            await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - cut_at)))
            proxy.restore()

            # After: what was being sent and what fell due go out, each once.
            keys = before_keys + during_keys
            await arrival(platform, len(keys), [server], within=60)
            assert await readiness(http, server) == 200
            status, said = await slash(http, server, slack, "UMAYA", "status")
            assert (status, said.startswith("You're not in a programme yet")) == (200, True)
            status, answers = await teams.say("29:ana", "help")
            assert status == 200 and "Type help <command>" in answers[0]
        finally:
            await stop(server)
        log = server.log.read_text(errors="replace")
    rows = await outbox(pg_url)
    check_exactly_once(platform, keys, rows)
    # Sends in flight when the connection dropped reached the platform but could not be
    # recorded; after the outage they were confirmed with the platform, not sent again.
    assert platform.confirmed and set(platform.confirmed) <= set(before_keys)

    engine = db.create_engine(pg_url)
    try:
        async with db.session_factory(engine)() as session:
            people = set(await session.scalars(select(Person.platform_user_id)))
    finally:
        await engine.dispose()
    assert people == {"UMAYA", "29:ana"}, "Ben, heard only during the outage, left a record"
    assert PRIVATE not in log
    assert "the database is unreachable; a Slack message event was not handled" in log
    assert "the database is unreachable; a Teams message activity was not handled" in log


async def test_with_oauth_a_command_during_an_outage_is_told_to_try_again(pg_url: str) -> None:
    """With OAuth (several workspaces), bolt looks the workspace's installation up in our
    database before any listener runs; while the database is away it finds none, and
    the person hears to try again in a moment, not only to reinstall the app."""
    target = make_url(pg_url)
    async with (
        TcpProxy(target_host=str(target.host), target_port=int(target.port or 5432)) as proxy,
        FakeSlack() as slack,
        aiohttp.ClientSession() as http,
    ):
        settings = load_settings(
            database_url=target.set(port=proxy.port).render_as_string(hide_password=False),
            slack_signing_secret=SECRET,
            slack_client_id="111.222",
            slack_client_secret="shh",
            slack_api_url=slack.api_url,
        )
        app = await build(settings, upgrade=False)
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        try:
            proxy.cut()
            body = slack_requests.command(slack, user="UBEN", text="status", name="oauth")
            status, _ = await slack_requests.post(http, str(server.make_url("")).rstrip("/"), body)
            await slack.wait_until(lambda: bool(slack.responses), within=20)
        finally:
            proxy.restore()
            await server.close()
    assert status == 200
    assert [r["text"] for r in slack.responses] == [NOT_AUTHORIZED]
    assert friendly(NOT_AUTHORIZED) and proxy.refused > 0


async def test_a_teams_command_done_just_before_the_database_drops_is_answered_not_apologised_for(
    pg_url: str,
) -> None:
    """The engine commits a command, and the connection drops before the adapter stores
    the chat's reference and the cards it sends. The command is done, so the person
    gets its answer; an apology inviting them to repeat it would do it twice."""
    target = make_url(pg_url)
    async with (
        TcpProxy(target_host=str(target.host), target_port=int(target.port or 5432)) as proxy,
        FakeBotConnector(tenant_id=TENANT) as connector,
        aiohttp.ClientSession() as http,
    ):
        settings = load_settings(
            database_url=target.set(port=proxy.port).render_as_string(hide_password=False)
        )
        app = await build(settings, upgrade=False)
        adapter = TeamsAdapter(app, TeamsConfig())
        web_app = web.Application()
        adapter.mount(web_app)
        server = TestServer(web_app, port=0)
        await server.start_server()
        teams = Teams(connector, http, str(server.make_url("")).rstrip("/"))

        async def dropped_after_the_engine(user: str, said: str) -> tuple[int, list[str]]:
            adapter.on_queued = proxy.cut  # called once the engine has committed
            try:
                return await teams.say(user, said)
            finally:
                adapter.on_queued = lambda: None
                proxy.restore()

        try:
            status, answers = await teams.say("29:maya", "help")
            assert status == 200 and "Type help <command>" in answers[0]
            created = await dropped_after_the_engine(
                "29:maya", "program create buddies --curriculum new-hire-buddy"
            )
            status, answers = await teams.say("29:maya", "program open buddies")
            assert status == 200 and "is open" in answers[0], answers
            # Ana's answer ends with the code of conduct, a card with buttons that the
            # adapter records (so it can be redrawn once answered): that record is lost.
            joined = await dropped_after_the_engine("29:ana", "join buddies mentor")
        finally:
            await server.close()
            await app.close()
    status, answers = created
    assert status == 200 and len(answers) == 1, answers
    assert "Created New-hire buddy (buddies)" in answers[0]
    status, answers = joined
    assert status == 200 and len(answers) == 2 and SORRY not in answers, answers
    assert "You've joined as a mentor" in answers[0]
    assert "Code of conduct: New-hire buddy" in answers[1]
    engine = db.create_engine(pg_url)
    try:
        async with db.session_factory(engine)() as session:
            assert list(await session.scalars(select(Programme.key))) == ["buddies"]
            people = set(await session.scalars(select(Person.platform_user_id)))
    finally:
        await engine.dispose()
    assert people == {"29:maya", "29:ana"}
