"""A Slack workspace for tests: the real server with Slack mounted, a fake Slack Web API,
and the signed, real-shaped payloads Slack sends (from ``tests/support/fixtures/slack/``).

Several suites drive Slack this way (the Slack app tests, the hostile-input suites, the
metrics and shutdown tests), so the world lives here rather than in one of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.slack.transport import SlackTransport
from bot.app import App, build
from bot.config import load_settings
from bot.server import make_web_app
from bot.transports import Router
from conversations.clock import VirtualClock
from conversations.delivery import Dispatcher
from storage.models import OutboxMessage
from tests.support.fake_slack import FakeSlack, Post
from tests.support.harness import START
from tests.support.paths import FIXTURES as SUPPORT_FIXTURES

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ZONES = {"UMAYA": "America/Toronto", "UANA": "America/Toronto", "UBEN": "America/Halifax"}
FIXTURES = SUPPORT_FIXTURES / "slack"


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command(
    *,
    user_id: str,
    text: str,
    response_url: str,
    trigger_id: str,
    user_name: str = "",
    team_id: str = "T1",
) -> str:
    """``slash_command.txt`` filled in: the form body Slack posts for ``/mentor <text>``."""
    template = (FIXTURES / "slash_command.txt").read_text(encoding="utf-8").strip()
    fields = {
        "team_id": team_id,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "text": text,
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return template.format(**{name: quote_plus(value) for name, value in fields.items()})


def payload(name: str) -> dict[str, Any]:
    """A stored JSON payload, to be filled in by the test."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def interaction(body: dict[str, Any]) -> str:
    """An interactivity payload as Slack posts it: form-encoded, in a ``payload`` field."""
    return urlencode({"payload": json.dumps(body)})


def as_user(body: dict[str, Any], user: str) -> None:
    body["user"].update(id=user, username=user.lower(), name=user.lower())


def channel_name(channel: str) -> str:
    """What Slack names a conversation in an interaction payload: "directmessage" for a DM,
    "mpdm-…" for a group DM, a channel's own name (the fake's ids say which it made)."""
    if channel.startswith("D"):
        return "directmessage"
    if channel.startswith("G"):
        return "mpdm-" + "--".join(channel[1:].lower().split("u")[1:]) + "-1"
    return channel.lower()


@dataclass
class SlackWorld:
    fake: FakeSlack
    server: TestServer
    app: App
    dispatcher: Dispatcher
    http: aiohttp.ClientSession
    sequence: int = 0

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        signature: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        stamp = int(time.time()) if timestamp is None else timestamp
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature or sign(body, stamp),
            **(headers or {}),
        }
        async with self.http.post(
            self.server.make_url("/slack/events"), data=body.encode(), headers=sent
        ) as response:
            await response.read()
            return response

    async def command(self, user: str, text: str) -> dict[str, object]:
        """/mentor <text> from a user; returns the ephemeral reply posted to response_url."""
        self.sequence += 1
        name = f"c{self.sequence}"
        body = slash_command(
            user_id=user,
            text=text,
            response_url=self.fake.response_url(name),
            trigger_id=f"{self.sequence}.1.abc",
        )
        response = await self.post(body)
        assert response.status == 200
        await self.fake.wait_until(
            lambda: (
                any(r["url"] == name for r in self.fake.responses)
                or any(
                    c.method == "views.open"
                    and c.params.get("trigger_id", "").startswith(f"{self.sequence}.")
                    for c in self.fake.calls
                )
            )
        )
        return next((r for r in self.fake.responses if r["url"] == name), {})

    def button(
        self, user: str, post: Post, label: str, *, line: str | None = None
    ) -> dict[str, Any]:
        """``block_actions_button.json`` for ``user`` pressing ``label`` on a bot's post;
        given ``line``, the one under the section whose text contains it."""
        blocks = post.blocks or []
        after = [
            (block, previous)
            for previous, block in zip([{}, *blocks], blocks, strict=False)
            if block.get("type") == "actions"
        ]
        block, button = next(
            (b, e)
            for b, previous in after
            if line is None or line in str((previous.get("text") or {}).get("text", ""))
            for e in b["elements"]
            if e["text"]["text"] == label
        )
        self.sequence += 1
        body = payload("block_actions_button.json")
        as_user(body, user)
        body["trigger_id"] = f"{self.sequence}.2.def"
        body["container"].update(message_ts=post.ts, channel_id=post.channel)
        body["channel"].update(id=post.channel, name=channel_name(post.channel))
        body["message"].update(ts=post.ts, text=post.text, blocks=blocks)
        body["response_url"] = self.fake.response_url(f"a{self.sequence}")
        [action] = body["actions"]
        action.update(
            action_id=button["action_id"], text=button["text"], value=button.get("value", "")
        )
        if "block_id" in block:  # as Slack says which block the button was in
            action["block_id"] = block["block_id"]
        if "value" not in button:
            del action["value"]
        return body

    async def press(
        self,
        user: str,
        post: int | Post,
        label: str,
        *,
        until: Callable[[], bool] | None = None,
        line: str | None = None,
    ) -> None:
        """Press a button on a message the bot posted (block_actions, as Slack sends it).

        Waits until the bot has answered on the response URL and updated the message,
        or until ``until()`` when given."""
        if isinstance(post, int):
            post = self.fake.posts[post]
        body = self.button(user, post, label, line=line)
        name = f"a{self.sequence}"
        updates = self.fake.counts["chat.update"]
        response = await self.post(interaction(body))
        assert response.status == 200
        await self.fake.wait_until(
            until
            or (
                lambda: (
                    any(r["url"] == name for r in self.fake.responses)
                    and self.fake.counts["chat.update"] > updates
                )
            )
        )

    async def open_form(self, user: str, post: Post) -> dict[str, Any]:
        """Press "Open the form" on a bot's post; returns the modal views.open was given."""
        opened = self.fake.counts["views.open"]
        await self.press(
            user, post, "Open the form", until=lambda: self.fake.counts["views.open"] > opened
        )
        view: dict[str, Any] = self.fake.calls_to("views.open")[-1].params["view"]
        return view

    async def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> aiohttp.ClientResponse:
        """``view_submission_form.json``: ``user`` submits the modal the bot opened."""
        self.sequence += 1
        body = payload("view_submission_form.json")
        as_user(body, user)
        body["trigger_id"] = f"{self.sequence}.3.ghi"
        body["view"].update(
            {
                name: view[name]
                for name in (
                    "type",
                    "blocks",
                    "private_metadata",
                    "callback_id",
                    "title",
                    "close",
                    "submit",
                )
                if name in view
            }
        )
        body["view"]["state"] = {"values": values}
        return await self.post(interaction(body))

    async def event(
        self, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        return await self.post(json.dumps(body), content_type="application/json", headers=headers)

    async def outbox(self) -> list[OutboxMessage]:
        async with self.app.sessions() as session:
            return list(
                (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            )


async def slack_world(database_url: str) -> AsyncIterator[SlackWorld]:
    """The real server with Slack mounted, against a fake Slack; other suites reuse it."""
    async with FakeSlack() as fake:
        for user, zone in ZONES.items():
            fake.users[user] = {
                "tz": zone,
                "real_name": user[1:].title(),
                "profile": {
                    "display_name": user[1:].title(),
                    "email": f"{user.lower()}@example.org",
                },
            }
        settings = load_settings(
            database_url=database_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
        )
        app = await build(settings, clock=VirtualClock(START), upgrade=False)
        transport = SlackTransport(lambda _w: _token(), base_url=fake.api_url)
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        dispatcher = app.dispatcher(
            Router({"slack": transport}), concurrency=1, platforms=frozenset({"slack"})
        )
        async with aiohttp.ClientSession() as http:
            yield SlackWorld(fake=fake, server=server, app=app, dispatcher=dispatcher, http=http)
        await transport.close()
        await server.close()


async def _token() -> str:
    return "xoxb-test"
