"""Uninstalls and revoked tokens, driven as Slack drives a distributed app: installed by
OAuth into two workspaces, then uninstalled from one (``app_uninstalled``), or its bot
token revoked (``tokens_revoked``), or Slack refusing the token when a message is sent.

What must hold: the workspace's tokens are forgotten at once; what is queued or being
retried there is skipped with a reason a coordinator can read, and Slack hears nothing
more with the dead token (not even a notice to a coordinator); the other workspace's
messages go on, each call carrying only its own workspace's token; someone in the removed
workspace is told clearly; and a reinstall resumes new messages, not the skipped ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from adapters.slack.plugin import PLATFORM
from adapters.slack.tokens import SlackConfig
from bot.app import App, build
from bot.config import load_settings
from bot.server import make_web_app
from bot.transports import Router
from conversations.clock import VirtualClock
from conversations.delivery import Dispatcher
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.outbox import Outbox
from storage.models import OutboxMessage, OutboxStatus, Workspace, slack_bots, slack_installations
from tests.support.fake_slack import FakeSlack, Install, Reply
from tests.support.harness import START
from tests.support.slack_world import SECRET, SlackWorld, payload, sign, slash_command

GLOBEX = Install(team="T2", name="Globex", token="xoxb-installed", installer="UZED")
ACME = Install(team="T3", name="Acme", token="xoxb-acme", installer="UACE")
CHANNELS = {"T2": "C0GLOBEX", "T3": "C0ACME"}
PEOPLE = {"UZED": ("Zed", "T2"), "UACE": ("Ace", "T3")}


@dataclass
class Distributed:
    """The real server as a distributed Slack app (OAuth installs, tokens in our database),
    its outbox delivered through the Slack transport the server itself would build."""

    fake: FakeSlack
    server: TestServer
    app: App
    dispatcher: Dispatcher
    http: aiohttp.ClientSession
    sequence: int = 0

    async def install(self, code: str) -> None:
        """Someone clicks "Add to Slack" and approves: the install link, then Slack's
        redirect back with ``code`` and the state it was given."""
        async with self.http.get(
            self.server.make_url("/slack/install"), allow_redirects=False
        ) as started:
            location = started.headers.get("Location") or await started.text()
        state = location.split("state=")[1].split("&")[0].split('"')[0]
        async with self.http.get(
            self.server.make_url(f"/slack/oauth_redirect?code={code}&state={state}"),
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        ) as done:
            assert done.status == 200, await done.text()

    async def post(self, body: str, content_type: str) -> int:
        stamp = int(time.time())  # Slack signs with the real time, whatever the bot's clock
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": sign(body, stamp),
        }
        async with self.http.post(
            self.server.make_url("/slack/events"), data=body.encode(), headers=headers
        ) as response:
            await response.read()
            return response.status

    async def command(self, user: str, text: str) -> str:
        """``/mentor <text>`` from ``user`` in their workspace; the reply's text."""
        self.sequence += 1
        name = f"c{self.sequence}"
        body = slash_command(
            user_id=user,
            text=text,
            response_url=self.fake.response_url(name),
            trigger_id=f"{self.sequence}.1.abc",
            team_id=PEOPLE[user][1],
        )
        assert await self.post(body, "application/x-www-form-urlencoded") == 200
        await self.fake.wait_until(lambda: any(r["url"] == name for r in self.fake.responses))
        return str(next(r for r in self.fake.responses if r["url"] == name)["text"])

    async def event(self, fixture: str, team: str) -> int:
        """A stored Events API callback (``fixture``) from ``team``, with a fresh event id."""
        self.sequence += 1
        body = payload(fixture)
        body.update(team_id=team, event_id=f"Ev{self.sequence:08d}")
        status = await self.post(json.dumps(body), "application/json")
        assert await self.app.settle(within=10) == 0  # handled after the acknowledgement
        return status

    async def announce(self, user: str) -> None:
        """A coordinator opens a programme in their workspace's channel: one announcement
        is queued there."""
        await self.command(user, "program create buddies --curriculum new-hire-buddy")
        channel = CHANNELS[PEOPLE[user][1]]
        reply = await self.command(user, f"program open buddies <#{channel}|general>")
        assert "buddies" in reply, reply

    async def rows(self, team: str) -> list[OutboxMessage]:
        async with self.app.sessions() as session:
            return list(
                await session.scalars(
                    select(OutboxMessage)
                    .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
                    .where(Workspace.external_id == team)
                    .order_by(OutboxMessage.id)
                )
            )

    async def stored_tokens(self, team: str) -> int:
        """How many rows of Slack's installation tables still hold a token of ``team``."""
        async with self.app.sessions() as session:
            bots = await session.scalar(
                select(func.count())
                .select_from(slack_bots)
                .where(slack_bots.c.team_id == team, slack_bots.c.bot_token.is_not(None))
            )
            installs = await session.scalar(
                select(func.count())
                .select_from(slack_installations)
                .where(
                    slack_installations.c.team_id == team,
                    slack_installations.c.bot_token.is_not(None),
                )
            )
        return int(bots or 0) + int(installs or 0)


@pytest.fixture
async def slack_app(database_url: str) -> AsyncIterator[Distributed]:
    async with FakeSlack(tokens={}) as fake:
        fake.installs = {"globex": GLOBEX, "acme": ACME}
        for user, (name, _team) in PEOPLE.items():
            fake.users[user] = {"real_name": name, "tz": "Europe/Oslo", "profile": {}}
        settings = load_settings(
            database_url=database_url,
            slack_signing_secret=SECRET,
            slack_client_id="111.222",
            slack_client_secret="shh",
            slack_api_url=fake.api_url,
        )
        app = await build(settings, clock=VirtualClock(START), upgrade=False)
        config = SlackConfig(
            signing_secret=SECRET,
            client_id="111.222",
            client_secret="shh",
            api_url=fake.api_url,
        )
        router = Router(dict(PLATFORM.transports(app, config)))
        dispatcher = app.dispatcher(router, concurrency=1, platforms=frozenset({"slack"}))
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                world = Distributed(
                    fake=fake, server=server, app=app, dispatcher=dispatcher, http=http
                )
                await world.install("globex")
                await world.install("acme")
                yield world
        finally:
            await router.close()
            await server.close()
            await app.close()


def _teams_named(call_params: dict[str, Any]) -> set[str]:
    """The workspaces a call is about, by the channels and people it names."""
    named = set()
    for key in ("channel", "user", "users"):
        for value in str(call_params.get(key) or "").split(","):
            if value in CHANNELS.values():
                named.add(next(team for team, c in CHANNELS.items() if c == value))
            elif value.lstrip("D") in PEOPLE:
                named.add(PEOPLE[value.lstrip("D")][1])
    return named


async def test_each_workspaces_calls_carry_only_its_own_token(slack_app: Distributed) -> None:
    """Zed runs Globex's programmes and Ace Acme's: every call the bot makes about Globex
    carries Globex's token, and every call about Acme carries Acme's."""
    await slack_app.announce("UZED")
    await slack_app.announce("UACE")
    assert await slack_app.dispatcher.drain() == 2

    assert [p.channel for p in slack_app.fake.posts] == ["C0GLOBEX", "C0ACME"]
    token_of = {GLOBEX.token: "T2", ACME.token: "T3"}
    checked = 0
    for call in slack_app.fake.calls:
        if call.token is None:
            continue
        named = _teams_named(call.params)
        assert named <= {token_of[call.token]}, (call.method, call.params, call.token)
        checked += bool(named)
    assert checked >= 4  # users.info for each coordinator and a post in each channel


async def test_uninstalling_forgets_the_tokens_and_skips_what_was_queued_there(
    slack_app: Distributed,
) -> None:
    """Globex's announcement fails once (Slack is down) and waits for its retry; then Globex
    uninstalls the app. Its token is forgotten at once; when the retry comes, the message is
    skipped with the reason, Slack hears nothing more with Globex's token, and no
    coordinator is sent a notice about it. Acme's announcement goes out as usual."""
    await slack_app.announce("UZED")
    slack_app.fake.queue("chat.postMessage", Reply.http(500))
    assert await slack_app.dispatcher.drain() == 0
    [waiting] = await slack_app.rows("T2")
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    await slack_app.announce("UACE")

    slack_app.fake.uninstall("T2")
    heard = len(slack_app.fake.calls)
    assert await slack_app.event("event_app_uninstalled.json", "T2") == 200

    assert await slack_app.stored_tokens("T2") == 0
    assert await slack_app.stored_tokens("T3") == 2  # its bot's row and its installation's
    slack_app.app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert await slack_app.dispatcher.drain() == 1

    [skipped] = await slack_app.rows("T2")
    assert skipped.status == OutboxStatus.SKIPPED
    assert skipped.last_error == (
        "Mentorbot was removed from this workspace (the app was uninstalled), so it was not "
        "sent; nothing is sent there until it is installed again"
    )
    after = slack_app.fake.calls[heard:]
    assert [c for c in after if c.token == GLOBEX.token] == []
    assert [p.channel for p in slack_app.fake.posts] == ["C0ACME"]
    assert {c.token for c in after if c.method == "chat.postMessage"} == {ACME.token}
    problems = [r for r in await slack_app.rows("T2") if r.kind == Kind.DELIVERY_PROBLEM]
    assert problems == []


async def test_someone_in_a_removed_workspace_is_told_it_was_removed(
    slack_app: Distributed,
) -> None:
    await slack_app.event("event_app_uninstalled.json", "T2")

    reply = await slack_app.command("UZED", "programs")

    assert reply == (
        "Mentorbot was removed from this workspace, so I can't do anything here until it is "
        "installed again. Ask whoever manages Slack apps here to reinstall it."
    )
    assert "There are no programmes" in await slack_app.command("UACE", "programs")


async def test_a_revoked_bot_token_is_forgotten_and_nothing_more_goes_there(
    slack_app: Distributed,
) -> None:
    await slack_app.announce("UZED")
    slack_app.fake.uninstall("T2")
    heard = len(slack_app.fake.calls)

    assert await slack_app.event("event_tokens_revoked.json", "T2") == 200

    assert await slack_app.stored_tokens("T2") == 0
    assert await slack_app.dispatcher.drain() == 0
    [skipped] = await slack_app.rows("T2")
    assert skipped.status == OutboxStatus.SKIPPED
    assert "(its bot token was revoked)" in str(skipped.last_error)
    assert slack_app.fake.calls[heard:] == []


async def test_a_token_slack_refuses_stops_the_workspace_without_a_notice_through_it(
    slack_app: Distributed,
) -> None:
    """The uninstall event never arrived (or arrived late): Slack answers the next post
    ``token_revoked``. That message is skipped, not retried or reported through the same
    dead token; the token is deleted at once; and the workspace's next message is skipped
    without calling Slack."""
    await slack_app.announce("UZED")
    slack_app.fake.uninstall("T2")
    assert await slack_app.stored_tokens("T2") > 0

    assert await slack_app.dispatcher.drain() == 0
    [first] = await slack_app.rows("T2")
    assert first.status == OutboxStatus.SKIPPED
    assert "(Slack refused its token: token_revoked)" in str(first.last_error)
    refused = len(slack_app.fake.calls)
    assert [c.token for c in slack_app.fake.calls_to("chat.postMessage")] == [GLOBEX.token]
    assert await slack_app.stored_tokens("T2") == 0
    assert await slack_app.stored_tokens("T3") > 0  # the other workspace's stays

    async with slack_app.app.sessions.begin() as session:
        globex = await session.scalar(select(Workspace).where(Workspace.external_id == "T2"))
        assert globex is not None and globex.removed_at is not None
        await Outbox(session, slack_app.app.clock.now()).to_channel(
            globex.id,
            "C0GLOBEX",
            Message(text="Another", kind=Kind.ANNOUNCEMENT),
            key="again",
            holds=ALWAYS,
        )
    assert await slack_app.dispatcher.drain() == 0
    assert slack_app.fake.calls[refused:] == []
    assert {r.status for r in await slack_app.rows("T2")} == {OutboxStatus.SKIPPED}


async def test_reinstalling_resumes_new_messages_but_not_the_skipped_ones(
    slack_app: Distributed,
) -> None:
    await slack_app.announce("UZED")
    slack_app.fake.uninstall("T2")
    await slack_app.event("event_app_uninstalled.json", "T2")
    await slack_app.dispatcher.drain()

    again = Install(team="T2", name="Globex", token="xoxb-globex-again", installer="UZED")
    slack_app.fake.installs["globex-again"] = again
    await slack_app.install("globex-again")
    slack_app.app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    reply = await slack_app.command("UZED", "program announce buddies <#C0GLOBEX|general>")
    assert reply.startswith("Announced New-hire buddy"), reply
    assert await slack_app.dispatcher.drain() == 1

    posts = slack_app.fake.calls_to("chat.postMessage")
    assert [(c.params["channel"], c.token) for c in posts] == [("C0GLOBEX", again.token)]
    statuses = [r.status for r in await slack_app.rows("T2")]
    assert statuses == [OutboxStatus.SKIPPED, OutboxStatus.SENT]
    shown = await slack_app.command("UZED", "outbox skipped")
    assert "1 sent, 1 skipped" in shown, shown
    assert "Mentorbot was removed from this workspace (the app was uninstalled)" in shown


async def test_a_single_workspace_app_stops_on_uninstall_and_resumes_when_used_again(
    slack: SlackWorld,
) -> None:
    """With one configured SLACK_BOT_TOKEN there is no installation to forget; the workspace
    still stops, answers Slack 200 (not 404), and resumes once someone there uses the app
    again (Slack only lets them once it is installed)."""
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies <#C0GENERAL|general>")
    response = await slack.event(payload("event_app_uninstalled.json"))
    assert response.status == 200
    assert await slack.app.settle(within=10) == 0  # handled after the acknowledgement

    assert await slack.dispatcher.drain() == 0
    [skipped] = await slack.outbox()
    assert skipped.status == OutboxStatus.SKIPPED
    assert slack.fake.posts == []

    slack.app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    reply = await slack.command("UMAYA", "program announce buddies <#C0GENERAL|general>")
    assert str(reply["text"]).startswith("Announced New-hire buddy"), reply
    assert await slack.dispatcher.drain() == 1
    assert [p.channel for p in slack.fake.posts] == ["C0GENERAL"]


async def test_a_tokens_revoked_event_slack_would_not_send_changes_nothing(
    slack_app: Distributed,
) -> None:
    slack_app.sequence += 1
    body = payload("event_tokens_revoked.json")
    body.update(team_id="T2", event_id="Ev0MALFORMED")
    body["event"]["tokens"] = {"bot": "UBOT"}  # a string where Slack sends a list of ids

    assert await slack_app.post(json.dumps(body), "application/json") == 400

    assert await slack_app.stored_tokens("T2") == 2
