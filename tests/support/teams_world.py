"""A Teams tenant for tests: the real server with the Bot Framework endpoint mounted, a fake
Bot Connector, and activities stored as Teams sends them (``tests/support/fixtures/teams/``).

The Teams app tests and the hostile-input suites both drive Teams this way, so the world
lives here rather than in one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from adapters.teams.connector import TeamsConfig
from bot.app import App, build
from bot.config import load_settings
from bot.server import make_web_app
from conversations.clock import VirtualClock
from conversations.delivery import Dispatcher
from storage.models import OutboxMessage
from tests.support.fake_teams import FakeBotConnector
from tests.support.harness import START
from tests.support.paths import FIXTURES as SUPPORT_FIXTURES

FIXTURES = SUPPORT_FIXTURES / "teams"
TENANT = "t1"
CHANNEL = "19:general@thread.tacv2"
TEAM = "19:team@thread.tacv2"
PEOPLE = {
    "29:maya": ("Maya", "America/Toronto"),
    "29:ana": ("Ana", "America/Toronto"),
    "29:ben": ("Ben", "America/Halifax"),
}


def activity(fixture: str, **values: str) -> dict[str, Any]:
    """A fixture activity with its ``{placeholders}`` filled in (JSON-escaped)."""
    text = (FIXTURES / f"{fixture}.json").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", json.dumps(value)[1:-1])
    return dict(json.loads(text))


_AT = re.compile(r"@(\w+)")


def _mention(user: str) -> dict[str, Any]:
    """A Teams mention entity, as the compose box's picker makes it."""
    name = PEOPLE[user][0]
    return {"mentioned": {"id": user, "name": name}, "text": f"<at>{name}</at>", "type": "mention"}


def _mentioning(text: str) -> str:
    """``@ana`` (someone in ``PEOPLE``) as Teams writes a picked mention: ``<at>Ana</at>``."""
    return _AT.sub(
        lambda m: (
            f"<at>{PEOPLE[f'29:{m.group(1)}'][0]}</at>"
            if f"29:{m.group(1)}" in PEOPLE
            else m.group(0)
        ),
        text,
    )


def _mention_entities(body: dict[str, Any], text: str) -> None:
    for handle in _AT.findall(text):
        if f"29:{handle}" in PEOPLE:
            body.setdefault("entities", []).append(_mention(f"29:{handle}"))


def chat(user: str) -> str:
    return FakeBotConnector.personal_conversation_id(user)


@dataclass
class TeamsWorld:
    fake: FakeBotConnector
    server: TestServer
    app: App
    dispatcher: Dispatcher
    http: aiohttp.ClientSession
    sequence: int = 0

    def _who(self, user: str) -> dict[str, str]:
        name, zone = PEOPLE[user]
        self.sequence += 1
        return {
            "id": f"1700000000{self.sequence:03d}",
            "serviceUrl": self.fake.service_url,
            "user": user,
            "name": name,
            "aad": f"aad-{name.lower()}",
            "tenant": TENANT,
            "timezone": zone,
            "conversation": chat(user),
        }

    async def post(
        self, body: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        async with self.http.post(
            self.server.make_url("/api/messages"), data=data, headers=sent
        ) as response:
            raw = await response.read()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, raw.decode(errors="replace")

    async def install(self, user: str) -> None:
        status, _ = await self.post(activity("installation_update", **self._who(user)))
        assert status == 200

    async def say(self, user: str, text: str) -> list[str]:
        """``user`` types ``text`` in their 1:1 chat; returns what the bot answered there."""
        before = len(self.fake.messages(chat(user)))
        body = activity("message", text=_mentioning(text), **self._who(user))
        _mention_entities(body, text)
        status, _ = await self.post(body)
        assert status == 200
        return self.fake.texts(chat(user))[before:]

    async def say_in_channel(self, user: str, text: str, mentions: list[str]) -> int:
        body = activity("channel_message", text=text, channel=CHANNEL, team=TEAM, **self._who(user))
        for mentioned in mentions:
            body.setdefault("entities", []).append(_mention(mentioned))
        status, _ = await self.post(body)
        return status

    def card_with(
        self, user: str, title: str, *, line: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The newest message in ``user``'s chat with a button ``title``: (id, its data);
        given ``line``, the button in the ActionSet under the text that contains it."""
        for sent in reversed(self.fake.messages(chat(user))):
            for attachment in sent.activity.get("attachments") or []:
                content = attachment.get("content") or {}
                places: list[Any] = [content]
                if line is not None:
                    body = content.get("body") or []
                    places = [
                        element
                        for previous, element in zip([{}, *body], body, strict=False)
                        if element.get("type") == "ActionSet"
                        and line in str(previous.get("text", ""))
                    ]
                for found in card_actions(places):
                    if found.get("title") == title:
                        return sent.activity_id, dict(found["data"])
        raise AssertionError(f"no card with {title!r} in {self.fake.texts(chat(user))}")

    async def press(
        self,
        user: str,
        title: str,
        inputs: dict[str, str] | None = None,
        *,
        line: str | None = None,
    ) -> tuple[int, Any]:
        """``user`` presses ``title`` on the newest card that has it (``Action.Submit``);
        given ``line``, the one under that line of a card grouping several notices."""
        activity_id, data = self.card_with(user, title, line=line)
        body = activity("message_submit", replyToId=activity_id, **self._who(user))
        body["value"] = {**data, **(inputs or {})}
        return await self.post(body)

    async def outbox(self) -> list[OutboxMessage]:
        async with self.app.sessions() as session:
            return list(
                (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            )

    async def count(self, model: type[Any]) -> int:
        async with self.app.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def card_actions(element: Any) -> list[dict[str, Any]]:
    """Every action in a card, however nested."""
    found: list[dict[str, Any]] = []
    if isinstance(element, dict):
        if str(element.get("type", "")).startswith("Action."):
            found.append(element)
        for value in element.values():
            found += card_actions(value)
    elif isinstance(element, list):
        for item in element:
            found += card_actions(item)
    return found


async def teams_world(database_url: str, config: TeamsConfig) -> AsyncIterator[TeamsWorld]:
    """The real server with Teams mounted (``config`` says how it checks tokens), against a
    fake Bot Connector; one world per use, yielded once."""
    async with FakeBotConnector(tenant_id=TENANT) as fake:
        for user, (name, _zone) in PEOPLE.items():
            fake.add_member(user, name, email=f"{name.lower()}@example.org")
        # The fake Bot Connector's service URL is one replies may go to (authenticated or not).
        config = replace(config, service_urls=(*config.service_urls, fake.service_url))
        settings = load_settings(database_url=database_url, teams_enabled=True)
        app = await build(settings, clock=VirtualClock(START), upgrade=False)
        server = TestServer(make_web_app(app, configs={"teams": config}), port=0)
        await server.start_server()
        from adapters.teams.connector import cloud_adapter
        from adapters.teams.transport import TeamsTransport
        from bot.transports import Router

        transport = TeamsTransport(
            cloud_adapter(config), app.sessions, app_id=config.app_id, now=app.clock.now
        )
        dispatcher = app.dispatcher(
            Router({"teams": transport}), concurrency=1, platforms=frozenset({"teams"})
        )
        async with aiohttp.ClientSession() as http:
            yield TeamsWorld(fake=fake, server=server, app=app, dispatcher=dispatcher, http=http)
        await server.close()
