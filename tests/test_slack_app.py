"""Slack, end to end: signed, real-shaped payloads through the real aiohttp server and
slack-bolt, against a local fake Slack Web API that records every call."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.transport import SlackTransport
from bot.app import App, build
from bot.config import load_settings
from bot.server import make_web_app
from bot.transports import Router
from conversations.clock import VirtualClock
from conversations.delivery import Dispatcher
from tests.fake_slack import FakeSlack
from tests.harness import START

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ZONES = {"UMAYA": "America/Toronto", "UANA": "America/Toronto", "UBEN": "America/Halifax"}


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def test_slacks_published_example_is_signed_the_way_slack_signs() -> None:
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
            "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
            "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
            "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert sign(body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")


@dataclass
class SlackWorld:
    fake: FakeSlack
    server: TestServer
    app: App
    dispatcher: Dispatcher
    http: aiohttp.ClientSession
    sequence: int = 0

    async def post(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   signature: str | None = None, timestamp: int | None = None,
                   headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        stamp = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": signature or sign(body, stamp), **(headers or {})}
        async with self.http.post(self.server.make_url("/slack/events"), data=body.encode(),
                                  headers=sent) as response:
            await response.read()
            return response

    async def command(self, user: str, text: str) -> dict[str, object]:
        """/mentor <text> from a user; returns the ephemeral reply posted to response_url."""
        self.sequence += 1
        name = f"c{self.sequence}"
        body = urlencode({
            "token": "legacy", "team_id": "T1", "team_domain": "northwind",
            "channel_id": "C0", "channel_name": "general", "user_id": user,
            "user_name": user.lower(), "command": "/mentor", "text": text,
            "response_url": self.fake.response_url(name),
            "trigger_id": f"{self.sequence}.1.abc", "api_app_id": "A1"})
        response = await self.post(body)
        assert response.status == 200
        await self.fake.wait_until(lambda: any(r["url"] == name for r in self.fake.responses)
                                   or any(c.method == "views.open"
                                          and c.params.get("trigger_id", "").startswith(
                                              f"{self.sequence}.") for c in self.fake.calls))
        return next((r for r in self.fake.responses if r["url"] == name), {})

    async def press(self, user: str, post_index: int, label: str) -> None:
        """Press a button on a message the bot posted (block_actions, as Slack sends it)."""
        post = self.fake.posts[post_index]
        blocks = post.blocks or []
        button = next(e for b in blocks if b.get("type") == "actions"
                      for e in b["elements"] if e["text"]["text"] == label)
        self.sequence += 1
        name = f"a{self.sequence}"
        payload = {
            "type": "block_actions", "team": {"id": "T1", "domain": "northwind"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": f"{self.sequence}.2.def",
            "container": {"type": "message", "message_ts": post.ts,
                          "channel_id": post.channel, "is_ephemeral": False},
            "channel": {"id": post.channel, "name": "mpdm"},
            "message": {"type": "message", "ts": post.ts, "text": post.text,
                        "blocks": blocks},
            "response_url": self.fake.response_url(name),
            "actions": [{"type": "button", "action_id": button["action_id"],
                         "block_id": "b", "text": button["text"],
                         "value": button.get("value", ""), "action_ts": "1"}],
        }
        updates = self.fake.counts["chat.update"]
        response = await self.post(urlencode({"payload": json.dumps(payload)}))
        assert response.status == 200
        await self.fake.wait_until(lambda: any(r["url"] == name for r in self.fake.responses)
                                   and self.fake.counts["chat.update"] > updates)


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackWorld]:
    async with FakeSlack() as fake:
        for user, zone in ZONES.items():
            fake.users[user] = {"tz": zone, "real_name": user[1:].title(),
                                "profile": {"display_name": user[1:].title(),
                                            "email": f"{user.lower()}@example.org"}}
        settings = load_settings(database_url=database_url, slack_bot_token="xoxb-test",
                                 slack_signing_secret=SECRET, slack_api_url=fake.api_url)
        app = await build(settings, clock=VirtualClock(START), upgrade=False)
        transport = SlackTransport(lambda _w: _token(), base_url=fake.api_url)
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        dispatcher = app.dispatcher(Router({"slack": transport}), concurrency=1,
                                    platforms=frozenset({"slack"}))
        async with aiohttp.ClientSession() as http:
            yield SlackWorld(fake=fake, server=server, app=app, dispatcher=dispatcher,
                             http=http)
        await transport.close()
        await server.close()


async def _token() -> str:
    return "xoxb-test"


async def test_a_whole_pairing_runs_over_slack(slack: SlackWorld) -> None:
    reply = await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    assert reply["response_type"] == "ephemeral"
    assert "Created New-hire buddy (buddies)" in str(reply["text"])
    await slack.command("UMAYA", "program open buddies")
    await slack.command("UANA", "join buddies mentor --skills python")
    await slack.command("UBEN", "join buddies mentee --interests python")
    reply = await slack.command("UMAYA", "pair <@UANA|ana> <@UBEN|ben> buddies")
    assert str(reply["text"]).startswith("Paired Ana (mentor) with Ben (mentee)")
    assert await slack.dispatcher.drain() == 1
    group = FakeSlack.conversation_id("UANA", "UBEN")
    [intro] = slack.fake.posts_in(group)
    assert "Why:" in str(intro.text)
    assert intro.metadata == {"event_type": "mentorbot_message",
                              "event_payload": {"key": "pair:1:intro"}}
    await slack.press("UBEN", 0, "We met")
    [update] = slack.fake.calls_to("chat.update")
    assert not any(b.get("type") == "actions" for b in update.params["blocks"])
    await slack.dispatcher.drain()
    for user in ("UANA", "UBEN"):
        [checkin] = slack.fake.posts_in(FakeSlack.conversation_id(user))
        assert "How did session 1" in str(checkin.text)
    assert len(slack.fake.posts_in(group)) == 2  # the next agenda


async def test_a_form_opens_as_a_modal_and_its_submission_reaches_the_engine(
        slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    await slack.command("UBEN", "join buddies")
    [opened] = slack.fake.calls_to("views.open")
    view = opened.params["view"]
    assert view["type"] == "modal" and view["callback_id"] == "mentorbot.form"
    submission = {
        "type": "view_submission", "team": {"id": "T1"},
        "user": {"id": "UBEN", "username": "ben", "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": "9.9.9",
        "view": {**view, "id": "V1", "state": {"values": {
            "side": {"side": {"type": "static_select",
                              "selected_option": {"value": "mentee"}}},
            "department": {"department": {"type": "plain_text_input", "value": "Sales"}},
        }}},
    }
    response = await slack.post(urlencode({"payload": json.dumps(submission)}))
    assert response.status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("UBEN")))
    assert "You've joined as a mentee" in str(slack.fake.posts_in("UBEN")[0].text)


@pytest.mark.parametrize(("signature", "age"), [
    ("v0=" + "0" * 64, 0),    # forged
    (None, 6 * 60),           # stale: older than five minutes
])
async def test_a_forged_or_stale_request_is_refused_and_changes_nothing(
        slack: SlackWorld, signature: str | None, age: int) -> None:
    body = urlencode({"team_id": "T1", "user_id": "UMAYA", "command": "/mentor",
                      "text": "program create x1 --curriculum new-hire-buddy",
                      "response_url": slack.fake.response_url("x")})
    stamp = int(time.time()) - age
    response = await slack.post(body, signature=signature, timestamp=stamp)
    assert response.status == 401
    async with slack.http.post(slack.server.make_url("/slack/events"), data=body) as missing:
        assert missing.status == 401
    assert slack.fake.calls == [] and slack.fake.responses == []


async def test_a_retried_event_has_one_effect(slack: SlackWorld) -> None:
    event = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
             "event_id": "Ev1", "event_time": int(time.time()),
             "event": {"type": "app_home_opened", "user": "UBEN", "channel": "DUBEN",
                       "tab": "home", "event_ts": "1.1"}}
    body = json.dumps(event)
    for retry in ("", "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "timeout"} \
            if retry else {}
        response = await slack.post(body, content_type="application/json", headers=headers)
        assert response.status == 200
    await slack.fake.wait_until(lambda: slack.fake.counts["views.publish"] >= 1)
    assert slack.fake.counts["views.publish"] == 1
    [home] = slack.fake.calls_to("views.publish")
    assert home.params["view"]["type"] == "home"


async def test_an_unsigned_event_is_not_even_recorded(slack: SlackWorld) -> None:
    body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "EvForged",
                       "event": {"type": "app_home_opened", "user": "UBEN"}})
    response = await slack.post(body, content_type="application/json",
                                signature="v0=" + "1" * 64)
    assert response.status == 401
    from sqlalchemy import select

    from storage.models import InboundEvent

    async with slack.app.sessions() as session:
        assert (await session.scalars(select(InboundEvent))).all() == []
