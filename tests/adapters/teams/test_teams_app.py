"""Teams, end to end: activities in the shape the Teams channel sends them, posted to
``/api/messages`` on the real aiohttp server and botbuilder's CloudAdapter, with
``serviceUrl`` pointing at a local fake Bot Connector that records what the bot sends.

The activities are stored in ``tests/support/fixtures/teams/`` as Teams sends them (a
message, a channel message with an @mention, an ``Action.Submit`` message, an
``adaptiveCard/action`` invoke, ``installationUpdate`` and ``conversationUpdate``
with ``membersAdded``), with ``{placeholders}`` for who speaks and where.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from adapters.teams.connector import TeamsConfig
from bot.app import build
from bot.config import load_settings
from bot.server import make_web_app
from storage.models import (
    CheckIn,
    Enrolment,
    InboundEvent,
    OutboxStatus,
    Pair,
    Person,
    Programme,
    TeamsConversation,
)
from tests.support.cards import adaptive_card_validator
from tests.support.fake_teams import Reply
from tests.support.local_server import LocalServer, in_pieces
from tests.support.teams_world import (
    CHANNEL,
    PEOPLE,
    TEAM,
    TENANT,
    TeamsWorld,
    activity,
    card_actions,
    chat,
    teams_world,
)


@pytest.fixture
async def teams(database_url: str) -> AsyncIterator[TeamsWorld]:
    async for world in teams_world(database_url, TeamsConfig()):
        yield world


async def _join(teams: TeamsWorld, user: str, text: str) -> None:
    """``user`` joins: the welcome comes with the code of conduct, which they accept (as
    everyone must before being paired) by typing, so no card is redrawn along the way."""
    welcome, code = await teams.say(user, text)
    assert "You've joined as a" in welcome and "Code of conduct: New-hire buddy" in code
    [agreed] = await teams.say(user, "conduct buddies agree")
    assert agreed.startswith("Thank you for accepting the code of conduct"), agreed


async def _paired(teams: TeamsWorld) -> None:
    for user in PEOPLE:
        await teams.install(user)
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies")
    await _join(teams, "29:ana", "join buddies mentor --skills python")
    await _join(teams, "29:ben", "join buddies mentee --interests python")
    [said] = await teams.say("29:maya", "pair @ana @ben buddies")
    assert said.startswith("Paired Ana (mentor) with Ben (mentee)"), said


# -- the journey ---------------------------------------------------------------------------


async def test_a_whole_pairing_runs_over_teams(teams: TeamsWorld) -> None:
    await teams.install("29:maya")
    [hello] = teams.fake.texts(chat("29:maya"))
    assert "Hello Maya" in hello
    await _paired(teams)

    await teams.dispatcher.drain()
    for user in ("29:ana", "29:ben"):  # each gets the pair's introduction in their own chat
        intros = [t for t in teams.fake.texts(chat(user)) if "Why you were paired" in t]
        assert len(intros) == 1, teams.fake.texts(chat(user))

    status, _ = await teams.press("29:ben", "We met")
    assert status == 200
    [update] = teams.fake.updates(chat("29:ben"))
    card = update.activity["attachments"][0]["content"]
    assert card_actions(card) == []  # redrawn in place: nobody answers it twice
    assert "✓ We met (Ben)" in json.dumps(card, ensure_ascii=False)

    await teams.dispatcher.drain()
    for user in ("29:ana", "29:ben"):  # check-ins arrive proactively
        assert any("How did session 1" in t for t in teams.fake.texts(chat(user)))

    validator = adaptive_card_validator()
    for card in teams.fake.cards():
        validator.validate(card)
        assert card["version"] == "1.5"


async def test_a_check_in_form_is_filled_in_a_card_and_stays_private(teams: TeamsWorld) -> None:
    await _paired(teams)
    await teams.dispatcher.drain()
    await teams.press("29:ben", "We met")
    await teams.dispatcher.drain()

    form = next(c for c in reversed(teams.fake.cards(chat("29:ben"))) if "How did" in json.dumps(c))
    inputs = {e["id"] for e in form["body"] if str(e.get("type", "")).startswith("Input.")}
    assert inputs == {"rating", "reflection", "quote"}

    before = len(teams.fake.messages(chat("29:ben")))
    secret = "I worry I am not pulling my weight"
    status, _ = await teams.press("29:ben", "Send check-in", {"rating": "4", "reflection": secret})
    assert status == 200
    assert any("thank" in t.lower() for t in teams.fake.texts(chat("29:ben"))[before:])
    [update] = teams.fake.updates(chat("29:ben"))[-1:]
    assert card_actions(update.activity["attachments"][0]["content"]) == []
    async with teams.app.sessions() as session:
        [checkin] = (await session.scalars(select(CheckIn))).all()
    assert checkin.rating == 4
    await teams.dispatcher.drain()
    everything = json.dumps([s.activity for s in teams.fake.sent])
    assert secret not in everything


async def test_a_card_answered_with_action_execute_is_redrawn_in_the_invoke_response(
    teams: TeamsWorld,
) -> None:
    await _paired(teams)
    await teams.dispatcher.drain()
    activity_id, data = teams.card_with("29:ana", "We met")
    body = activity("invoke_action", replyToId=activity_id, title="We met", **teams._who("29:ana"))
    body["value"]["action"]["data"] = data

    status, answer = await teams.post(body)

    assert status == 200
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert card_actions(answer["value"]) == []
    adaptive_card_validator().validate(answer["value"])


async def test_a_refused_button_leaves_the_card_as_it_was(teams: TeamsWorld) -> None:
    await _paired(teams)
    await teams.dispatcher.drain()
    activity_id, _ = teams.card_with("29:ana", "We met")
    body = activity("message_submit", replyToId=activity_id, **teams._who("29:ana"))
    body["value"] = {"mentorbot": {"action": "met", "value": "999"}}

    status, _ = await teams.post(body)

    assert status == 200
    assert teams.fake.updates() == []


async def test_a_button_the_bot_did_not_make_is_out_of_date(teams: TeamsWorld) -> None:
    await teams.install("29:ana")
    body = activity("message_submit", replyToId="1:9999", **teams._who("29:ana"))
    body["value"] = {"somethingElse": True}

    status, _ = await teams.post(body)

    assert status == 200
    assert "out of date" in teams.fake.texts(chat("29:ana"))[-1]


# -- channels and mentions -----------------------------------------------------------------


async def test_the_app_added_to_a_team_says_hello_and_announcements_reach_its_channel(
    teams: TeamsWorld,
) -> None:
    body = activity(
        "conversation_update_team",
        channel=CHANNEL,
        team=TEAM,
        teamName="Engineering",
        **teams._who("29:maya"),
    )
    status, _ = await teams.post(body)
    assert status == 200
    [hello] = teams.fake.texts(CHANNEL)
    assert "mentoring bot" in hello
    async with teams.app.sessions() as session:
        [stored] = (await session.scalars(select(TeamsConversation))).all()
    assert stored.conversation_id == CHANNEL and stored.kind == "channel"

    await teams.install("29:maya")
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    [said] = await teams.say("29:maya", "program open buddies #Engineering")
    assert "Announced" in said, said
    await teams.dispatcher.drain()
    [announcement] = teams.fake.texts(CHANNEL)[1:]
    assert "Join New-hire buddy" in announcement


async def test_a_command_in_a_channel_uses_mentions_and_is_answered_privately(
    teams: TeamsWorld,
) -> None:
    for user in PEOPLE:
        await teams.install(user)
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies")
    await _join(teams, "29:ana", "join buddies mentor")
    await _join(teams, "29:ben", "join buddies mentee")

    status = await teams.say_in_channel(
        "29:maya", "pair <at>Ana</at> <at>Ben</at> buddies", ["29:ana", "29:ben"]
    )

    assert status == 200
    [in_channel] = [
        t
        for s, t in zip(teams.fake.messages(), teams.fake.texts(), strict=True)
        if s.conversation_id.startswith(CHANNEL)
    ]
    assert "answered in our 1:1 chat" in in_channel
    await teams.dispatcher.drain()
    assert any(
        t.startswith("Paired Ana (mentor) with Ben") for t in teams.fake.texts(chat("29:maya"))
    )


class Drive(LocalServer):
    """A file server in place of SharePoint, recording each download it is asked for. How
    a file is served: whole; "slow" (in two pieces with a pause between); "cut" (cut
    short half-way); or a URL to redirect to."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.delivery: dict[str, str] = {}
        self.asked: list[str] = []
        self.base_url = ""

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/download/{name}", self._file)

    def started(self, base_url: str) -> str:
        self.base_url = base_url
        return base_url

    def url(self, name: str) -> str:
        return f"{self.base_url}/download/{name}"

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.asked.append(name)
        how = self.delivery.get(name, "")
        if how.startswith("http"):
            raise web.HTTPFound(how)
        if how:
            return await in_pieces(request, self.files[name], cut=how == "cut")
        return web.Response(body=self.files[name], content_type="text/csv")


@dataclass
class DriveWorld:
    teams: TeamsWorld
    drive: Drive

    async def share(self, user: str, url: str, text: str = "import buddies") -> None:
        """``user`` shares people.csv (at ``url``) in their chat with the bot, saying ``text``."""
        body = activity("message", text=text, **self.teams._who(user))
        body["attachments"] = [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "contentUrl": "https://contoso.sharepoint.com/personal/maya/people.csv",
                "name": "people.csv",
                "content": {
                    "downloadUrl": url,
                    "uniqueId": "1150d938-8870-4044-9f2c-5bbdeac3f1a6",
                    "fileType": "csv",
                },
            }
        ]
        status, _ = await self.teams.post(body)
        assert status == 200

    async def people(self) -> int:
        return await self.teams.count(Person)


@pytest.fixture
async def drive(database_url: str) -> AsyncIterator[DriveWorld]:
    """Teams with a file server it is configured to trust (``TEAMS_FILE_URL``), as a test
    or a proxy would configure it; SharePoint itself is https only."""
    async with Drive() as files:
        async for world in teams_world(database_url, TeamsConfig(file_url=files.base_url + "/")):
            await world.install("29:maya")
            await world.say("29:maya", "program create buddies --curriculum new-hire-buddy")
            yield DriveWorld(teams=world, drive=files)


def roster(rows: int) -> bytes:
    """A CSV of ``rows`` people, big enough that it travels in more than one piece."""
    lines = [b"id,name,role,department,timezone"]
    lines += [
        f"29:p{n:04d},Person {n},{'mentor' if n % 2 else 'mentee'},Sales,UTC".encode()
        for n in range(rows)
    ]
    return b"\n".join(lines) + b"\n"


async def test_a_csv_shared_in_the_chat_is_imported(drive: DriveWorld) -> None:
    drive.drive.files["people.csv"] = (
        b"id,name,role,department,timezone\n"
        b"29:ana,Ana,mentor,Engineering,America/Toronto\n"
        b"29:ben,Ben,mentee,Sales,America/Halifax\n"
    )
    await drive.share("29:maya", drive.drive.url("people.csv"))
    texts = drive.teams.fake.texts(chat("29:maya"))
    assert texts[-1].startswith("Imported 2 people into New-hire")


async def test_a_csv_that_arrives_in_pieces_is_imported_whole(drive: DriveWorld) -> None:
    """One read returns what has arrived so far; the import waits for the whole file."""
    drive.drive.files["people.csv"] = roster(120)
    drive.drive.delivery["people.csv"] = "slow"
    await drive.share("29:maya", drive.drive.url("people.csv"))
    texts = drive.teams.fake.texts(chat("29:maya"))
    assert texts[-1].startswith("Imported 120 people into New-hire"), texts[-1]


async def test_a_csv_cut_short_imports_nothing_and_says_so(drive: DriveWorld) -> None:
    before = await drive.people()
    drive.drive.files["people.csv"] = roster(120)
    drive.drive.delivery["people.csv"] = "cut"
    await drive.share("29:maya", drive.drive.url("people.csv"))
    assert drive.teams.fake.texts(chat("29:maya"))[-1] == (
        "I couldn't read people.csv, so nothing was imported. Please share it again."
    )
    assert await drive.people() == before


async def test_a_redirected_download_is_not_followed(drive: DriveWorld) -> None:
    drive.drive.files["people.csv"] = roster(2)
    drive.drive.files["elsewhere.csv"] = roster(2)
    drive.drive.delivery["people.csv"] = drive.drive.url("elsewhere.csv")
    await drive.share("29:maya", drive.drive.url("people.csv"))
    assert drive.drive.asked == ["people.csv"]
    texts = drive.teams.fake.texts(chat("29:maya"))
    assert texts[-1].startswith("I couldn't read people.csv")


async def test_a_file_anywhere_but_sharepoint_over_https_is_not_asked_for(
    drive: DriveWorld,
) -> None:
    """Only SharePoint over https, and the server the configuration names, are asked: a
    payload naming any other host, or SharePoint over plain http, is refused unasked."""
    drive.drive.files["people.csv"] = roster(2)
    async with Drive() as other:  # the same machine, another port: not the one configured
        other.files["people.csv"] = roster(2)
        for url in (
            other.url("people.csv"),
            "http://contoso.sharepoint.com/personal/maya/people.csv",
            "https://contoso.sharepoint.com.example.org/people.csv",
            "ftp://contoso.sharepoint.com/people.csv",
        ):
            await drive.share("29:maya", url)
            texts = drive.teams.fake.texts(chat("29:maya"))
            assert texts[-1].startswith("I couldn't read people.csv"), url
        assert other.asked == []
    assert drive.drive.asked == []


async def test_without_a_configured_file_server_only_https_sharepoint_is_trusted(
    teams: TeamsWorld,
) -> None:
    await teams.install("29:maya")
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    async with Drive() as files:
        files.files["people.csv"] = roster(2)
        await DriveWorld(teams=teams, drive=files).share("29:maya", files.url("people.csv"))
        assert files.asked == []  # http://127.0.0.1:…: not SharePoint, and not over https
    assert teams.fake.texts(chat("29:maya"))[-1].startswith("I couldn't read people.csv")


def _consent_cards(world: TeamsWorld, user: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (sent.activity_id, attachment)
        for sent in world.fake.messages(chat(user))
        for attachment in sent.activity.get("attachments") or []
        if attachment.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
    ]


async def _file_answer(
    world: TeamsWorld, user: str, card: tuple[str, dict[str, Any]], action: str, upload_url: str
) -> int:
    activity_id, attachment = card
    body = activity("invoke_action", replyToId=activity_id, title="", **world._who(user))
    body["name"] = "fileConsent/invoke"
    context = attachment["content"]["acceptContext" if action == "accept" else "declineContext"]
    body["value"] = {
        "type": "fileUpload",
        "action": action,
        "context": context,
        "uploadInfo": {
            "contentUrl": "https://contoso-my.sharepoint.com/personal/maya/buddies.csv",
            "name": attachment["name"],
            "uploadUrl": upload_url,
            "uniqueId": "e3d4a8a5-5bd4-4a1b-a7a5-7c1e1f1c2d3e",
            "fileType": "csv",
        },
    }
    status, _ = await world.post(body)
    return status


async def test_an_export_is_offered_as_a_file_and_uploaded_once_accepted(
    database_url: str,
) -> None:
    uploaded: list[tuple[bytes, str]] = []

    async def onedrive(request: web.Request) -> web.Response:
        uploaded.append((await request.read(), request.headers.get("Content-Range", "")))
        return web.json_response({"id": "file-1"}, status=201)

    drive = web.Application()
    drive.router.add_put("/upload", onedrive)
    async with TestServer(drive, port=0) as server:
        trusted = TeamsConfig(file_url=str(server.make_url("/")))  # as TEAMS_FILE_URL trusts it
        async for teams in teams_world(database_url, trusted):
            await _paired(teams)
            await _export_uploaded_once(teams, str(server.make_url("/upload")), uploaded)


async def _export_uploaded_once(
    teams: TeamsWorld, upload_url: str, uploaded: list[tuple[bytes, str]]
) -> None:
    said = await teams.say("29:maya", "export buddies")
    assert any(t.startswith("Exported 1 pair") for t in said), said
    [card] = _consent_cards(teams, "29:maya")
    assert card[1]["content"]["sizeInBytes"] > 0

    status = await _file_answer(teams, "29:ana", card, "accept", upload_url)
    assert status == 200 and uploaded == []  # only the person it was offered to

    status = await _file_answer(teams, "29:maya", card, "accept", upload_url)
    assert status == 200
    [(data, content_range)] = uploaded
    assert data.startswith("\ufeffprogramme,".encode()) and b"buddies,29:ana,Ana" in data
    assert content_range == f"bytes 0-{len(data) - 1}/{len(data)}"
    info = teams.fake.messages(chat("29:maya"))[-1].activity["attachments"][0]
    assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
    assert info["content"]["uniqueId"]

    status = await _file_answer(teams, "29:maya", card, "accept", upload_url)
    assert status == 200 and len(uploaded) == 1  # once only: the file was let go


async def test_a_file_is_never_uploaded_to_a_host_that_is_not_the_tenants(
    teams: TeamsWorld,
) -> None:
    """Regression: the file-consent upload PUT the file to whatever ``uploadUrl`` the
    activity named. Only the tenant's SharePoint or OneDrive (or TEAMS_FILE_URL) is used."""
    uploaded: list[bytes] = []

    async def collector(request: web.Request) -> web.Response:
        uploaded.append(await request.read())
        return web.json_response({}, status=201)

    elsewhere = web.Application()
    elsewhere.router.add_put("/upload", collector)
    async with TestServer(elsewhere, port=0) as server:
        await _paired(teams)
        await teams.say("29:maya", "export buddies")
        [card] = _consent_cards(teams, "29:maya")
        for url in (str(server.make_url("/upload")), "http://contoso-my.sharepoint.com/u"):
            status = await _file_answer(teams, "29:maya", card, "accept", url)
            assert status == 200
            assert "couldn't put" in teams.fake.texts(chat("29:maya"))[-1]
    assert uploaded == []


async def test_a_declined_file_is_not_uploaded(teams: TeamsWorld) -> None:
    await _paired(teams)
    await teams.say("29:maya", "export buddies")
    [card] = _consent_cards(teams, "29:maya")

    status = await _file_answer(teams, "29:maya", card, "decline", "http://127.0.0.1:9/never")

    assert status == 200
    [update] = teams.fake.updates(chat("29:maya"))
    assert "Not sent" in str(update.activity.get("text"))


async def test_an_export_asked_for_in_a_channel_is_offered_in_the_chat(teams: TeamsWorld) -> None:
    await _paired(teams)

    await teams.say_in_channel("29:maya", "export buddies", [])
    await teams.dispatcher.drain()

    assert len(_consent_cards(teams, "29:maya")) == 1
    assert not any(
        a.get("contentType", "").endswith("file.consent")
        for sent in teams.fake.messages()
        if sent.conversation_id.startswith(CHANNEL)
        for a in sent.activity.get("attachments") or []
    )


# -- delivery problems ---------------------------------------------------------------------


async def test_a_person_who_blocked_the_bot_is_unreachable_and_coordinators_are_told(
    teams: TeamsWorld,
) -> None:
    await _paired(teams)
    teams.fake.queue("send", Reply.error(403, "MessageWritesBlocked", "Bot is blocked"))

    await teams.dispatcher.drain()

    rows = await teams.outbox()
    dead = [r for r in rows if r.status == OutboxStatus.DEAD]
    assert len(dead) == 1 and "unreachable" in str(dead[0].last_error)
    async with teams.app.sessions() as session:
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "29:ana"))
        assert ana is not None and not ana.reachable
    await teams.dispatcher.drain()
    assert any(
        "can't reach" in t.lower() or "unreachable" in t.lower()
        for t in teams.fake.texts(chat("29:maya"))
    ), teams.fake.texts(chat("29:maya"))


async def test_someone_enrolled_before_they_opened_a_chat_gets_one_started(
    teams: TeamsWorld,
) -> None:
    for user in ("29:maya", "29:ana"):
        await teams.install(user)
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies")
    await _join(teams, "29:ana", "join buddies mentor")
    await teams.say_in_channel("29:maya", "enroll <at>Ben</at> buddies mentee", ["29:ben"])
    teams.fake.queue("create", Reply.error(502, "BadGateway"))

    await teams.dispatcher.drain()  # the code of conduct for Ben: starting his chat fails once
    teams.app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await teams.dispatcher.drain()

    [code] = teams.fake.texts(chat("29:ben"))
    assert "Code of conduct: New-hire buddy\nYou've been enrolled in" in code
    assert teams.fake.counts["create"] == 2
    [agreed] = await teams.say("29:ben", "conduct buddies agree")
    assert agreed.startswith("Thank you for accepting"), agreed
    [said] = await teams.say("29:maya", "pair @ana @ben buddies")
    assert said.startswith("Paired"), said
    await teams.dispatcher.drain()
    assert len([t for t in teams.fake.texts(chat("29:ana")) if "Why you were paired" in t]) == 1
    assert len([t for t in teams.fake.texts(chat("29:ben")) if "Why you were paired" in t]) == 1
    assert teams.fake.counts["create"] == 2


# -- what is refused -----------------------------------------------------------------------


async def test_a_retried_activity_has_one_effect(teams: TeamsWorld) -> None:
    await teams.install("29:ana")
    body = activity("message", text="help", **teams._who("29:ana"))
    for _ in range(3):
        status, _ = await teams.post(body)
        assert status == 200
    assert len([t for t in teams.fake.texts(chat("29:ana")) if "Type help <command>" in t]) == 1


async def test_redeliveries_are_recognised_by_any_instance_and_kept_apart_by_platform(
    teams: TeamsWorld,
) -> None:
    """Slack and Teams recognise a redelivered id the same way, through one shared record:
    a second instance (another adapter over the same database) knows it too, and the same
    id from the other platform is a different event."""
    from adapters.slack.app import SlackAdapter
    from adapters.slack.tokens import SlackConfig
    from adapters.teams.app import TeamsAdapter

    slack_config = SlackConfig(signing_secret="secret", bot_token="xoxb-test")
    slack, other_slack = (
        SlackAdapter(teams.app, slack_config),
        SlackAdapter(teams.app, slack_config),
    )
    one, other = TeamsAdapter(teams.app, TeamsConfig()), TeamsAdapter(teams.app, TeamsConfig())

    assert not await slack.seen("Ev42")
    assert await other_slack.seen("Ev42")  # Slack's retry, reaching another instance
    assert not await one.seen("Ev42")  # the same id from Teams: another event
    assert await other.seen("Ev42")
    assert not await slack.seen(None) and not await slack.seen(None)  # no id: never a repeat


async def test_an_invoke_the_bot_has_no_use_for_is_answered_not_refused(
    teams: TeamsWorld,
) -> None:
    """botbuilder answers invokes nobody handles with 501, which Teams shows as an error."""
    await teams.install("29:ana")
    body = activity("invoke_action", replyToId="1:0001", title="", **teams._who("29:ana"))
    body["name"] = "composeExtension/query"
    body["value"] = {"commandId": "search", "parameters": []}
    status, answer = await teams.post(body)
    assert (status, answer) == (200, {})


@pytest.mark.parametrize(
    "value",
    [
        None,  # no value at all
        {"action": None},  # no action
        {"action": {"type": "Action.Submit", "data": {}}},  # not an Action.Execute
    ],
)
async def test_a_card_action_botbuilder_refuses_is_answered_400_not_500(
    teams: TeamsWorld, value: dict[str, Any] | None
) -> None:
    """Regression: botbuilder refuses a malformed ``adaptiveCard/action`` with an error
    response object its own JSON encoding cannot write; it was answered 500."""
    await teams.install("29:ana")
    body = activity("invoke_action", replyToId="1:0001", title="", **teams._who("29:ana"))
    body["value"] = value
    status, answer = await teams.post(body)
    assert status == 400
    assert answer["statusCode"] == 400 and answer["type"] == "application/vnd.microsoft.error"
    assert answer["value"]["code"] in ("BadRequest", "NotSupported")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message", "text": "hi"}', "application/json", 400),  # no serviceUrl
        (b"\xff\xfe\x00", "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b'{"type": "message", "pad": "' + b"x" * 300_000 + b'"}', "application/json", 413),
    ],
)
async def test_bad_requests_get_a_clear_4xx_and_change_nothing(
    teams: TeamsWorld, body: bytes, content_type: str, status: int
) -> None:
    answer, _ = await teams.post(body, headers={"Content-Type": content_type})
    assert answer == status
    assert await teams.count(InboundEvent) == 0
    assert await teams.count(Person) == 0
    assert teams.fake.sent == []


async def test_a_command_far_too_long_gets_a_friendly_answer(teams: TeamsWorld) -> None:
    await teams.install("29:ana")
    [said] = await teams.say("29:ana", "status " + "x" * 40_000)
    assert "too long" in said.lower()


# -- authentication ------------------------------------------------------------------------

APP_ID = "00000000-0000-0000-0000-00000000b07a"
ISSUER = "https://api.botframework.com"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeyServer:
    """Microsoft's OpenID metadata and signing keys, served locally so botbuilder can check
    a token without the internet. A thread of its own: botbuilder fetches them with
    blocking ``requests`` calls from inside the event loop."""

    def __init__(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        keys = {"keys": [{**jwk, "kid": "k1", "use": "sig", "endorsements": ["msteams"]}]}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/openid":
                    body = {"issuer": ISSUER, "jwks_uri": f"{outer.url}/keys"}
                elif self.path == "/keys":
                    body = keys
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
async def secured(database_url: str) -> AsyncIterator[TeamsWorld]:
    keys = KeyServer()
    config = TeamsConfig(
        app_id=APP_ID,
        app_password="secret",
        app_type="MultiTenant",
        # The public cloud's settings, with the signing keys served locally.
        bot_framework={
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": f"{keys.url}/openid",
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": f"{keys.url}/openid",
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": "https://login.microsoftonline.com/botframework.com",
        },
    )
    try:
        async for world in teams_world(database_url, config):
            yield world
    finally:
        keys.close()


def _token(
    issuer: str = ISSUER,
    *,
    audience: str = APP_ID,
    service_url: str = "",
    key: rsa.RSAPrivateKey = SIGNING_KEY,
    lifetime: int = 600,
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "serviceurl": service_url,
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _member_joined(world: TeamsWorld) -> dict[str, Any]:
    """Someone joined a team the bot is in: stored, and nothing is sent back."""
    body = activity(
        "conversation_update_team",
        channel=CHANNEL,
        team=TEAM,
        teamName="Engineering",
        **world._who("29:maya"),
    )
    body["membersAdded"] = [{"id": "29:ben"}]
    return body


async def test_with_an_app_id_a_valid_bot_framework_token_is_accepted(
    secured: TeamsWorld,
) -> None:
    token = _token(service_url=secured.fake.service_url)

    status, _ = await secured.post(
        _member_joined(secured), headers={"Authorization": f"Bearer {token}"}
    )

    assert status == 200
    assert await secured.count(TeamsConversation) == 1


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        f"Bearer {_token('https://evil.example.org')}",
        f"Bearer {_token(audience='someone-elses-bot')}",
        f"Bearer {_token(service_url='https://elsewhere.example.org/')}",
        f"Bearer {_token(key=OTHER_KEY)}",
        f"Bearer {_token(lifetime=-3600)}",
    ],
    ids=[
        "no header",
        "empty",
        "no token",
        "garbage",
        "basic auth",
        "wrong issuer",
        "wrong audience",
        "wrong service url",
        "forged signature",
        "expired",
    ],
)
async def test_with_an_app_id_a_request_without_a_valid_token_is_refused(
    secured: TeamsWorld, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    status, _ = await secured.post(_member_joined(secured), headers=headers)

    assert status == 401
    assert await secured.count(TeamsConversation) == 0
    assert await secured.count(InboundEvent) == 0
    assert await secured.count(Person) == 0
    assert secured.fake.requests == []


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator", ""])
async def test_an_activity_from_another_bot_framework_channel_is_refused(
    teams: TeamsWorld, channel: str
) -> None:
    """Regression: a Direct Line or Web Chat client on the same bot registration could act
    as anyone in any tenant, and re-point a person's stored chat. Only Teams is believed."""
    await teams.install("29:ana")
    async with teams.app.sessions() as session:
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "29:ana"))
        assert ana is not None
        stored = ana.conversation_ref
    forged = activity("message", text="my-data", **teams._who("29:ana"))
    forged["channelId"] = channel
    forged["conversation"]["id"] = "webchat-conversation"
    before = len(teams.fake.requests)
    status, answer = await teams.post(forged)
    assert status == 403, answer
    assert answer == {"error": "this bot takes activities from Microsoft Teams only"}
    assert len(teams.fake.requests) == before
    async with teams.app.sessions() as session:
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "29:ana"))
        assert ana is not None and ana.conversation_ref == stored


async def test_a_signed_activity_naming_a_service_url_that_is_not_microsofts_is_refused(
    secured: TeamsWorld,
) -> None:
    elsewhere = "https://collector.example.org/"
    body = _member_joined(secured)
    body["serviceUrl"] = elsewhere
    token = _token(service_url=elsewhere)
    status, answer = await secured.post(body, headers={"Authorization": f"Bearer {token}"})
    assert status == 403, answer
    assert answer == {"error": "the activity's serviceUrl is not a Bot Framework service"}
    assert await secured.count(TeamsConversation) == 0
    assert secured.fake.requests == []


async def test_a_stored_chat_is_never_re_pointed_by_a_reference_from_elsewhere(
    teams: TeamsWorld,
) -> None:
    from adapters.teams import store

    await teams.install("29:ana")
    async with teams.app.sessions() as session:
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "29:ana"))
        assert ana is not None and ana.conversation_ref
        stored = dict(ana.conversation_ref)
    for changed in (
        {**stored, "channelId": "webchat"},
        {**stored, "conversation": {**stored["conversation"], "tenantId": "another-tenant"}},
    ):
        assert not await store.remember_person(
            teams.app.sessions, tenant=TENANT, user_id="29:ana", reference=changed
        )
    moved = {**stored, "serviceUrl": "https://smba.trafficmanager.net/emea/"}
    assert await store.remember_person(
        teams.app.sessions, tenant=TENANT, user_id="29:ana", reference=moved
    )
    async with teams.app.sessions() as session:
        ana = await session.scalar(select(Person).where(Person.platform_user_id == "29:ana"))
        assert ana is not None and ana.conversation_ref == moved


async def test_without_an_app_id_start_up_warns_loudly(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = await build(load_settings(database_url=database_url), upgrade=False)
    try:
        with caplog.at_level("WARNING"):
            make_web_app(app, configs={"teams": TeamsConfig()})
    finally:
        await app.close()
    assert any("WITHOUT AUTHENTICATION" in r.getMessage() for r in caplog.records)


async def test_the_settings_turn_teams_on_for_the_server_and_the_outbox(database_url: str) -> None:
    from bot.runtime import transport_for

    off = await build(load_settings(database_url=database_url), upgrade=False)
    on = await build(
        load_settings(
            database_url=database_url,
            microsoft_app_id=APP_ID,
            microsoft_app_password="secret",
            microsoft_app_type="SingleTenant",
            microsoft_app_tenant_id=TENANT,
        ),
        upgrade=False,
    )
    try:
        for app, expected in ((off, 404), (on, 401)):
            async with (
                TestServer(make_web_app(app), port=0) as server,
                aiohttp.ClientSession() as http,
                http.post(
                    server.make_url("/api/messages"),
                    json={"type": "message", "serviceUrl": "https://smba.example/", "text": "hi"},
                ) as response,
            ):
                assert response.status == expected
        router = transport_for(on)
        assert router is not None and "teams" in router.platforms
        assert transport_for(off) is None
    finally:
        await off.close()
        await on.close()


async def _more_people(teams: TeamsWorld) -> None:
    """Three more people in the programme, so the digest has the five it needs before it
    shows a figure (they joined earlier; how does not matter here)."""
    now = teams.app.clock.now()
    async with teams.app.sessions.begin() as session:
        programme = await session.scalar(select(Programme).where(Programme.key == "buddies"))
        assert programme is not None
        for handle in ("29:cleo", "29:dev", "29:eve"):
            person = Person(
                workspace_id=programme.workspace_id,
                platform_user_id=handle,
                display_name=handle[3:].title(),
                timezone="UTC",
                created_at=now,
            )
            session.add(person)
            await session.flush()
            session.add(
                Enrolment(
                    programme_id=programme.id, person_id=person.id, side="mentee", created_at=now
                )
            )


async def test_an_executive_gets_the_weekly_digest_with_its_chart_in_the_card(
    teams: TeamsWorld,
) -> None:
    await _paired(teams)
    await _more_people(teams)
    [said] = await teams.say("29:maya", "digest subscribe @maya buddies mon 08:00")
    assert "every Mon at 08:00" in said
    preview = teams.fake.cards(chat("29:maya"))
    await teams.say("29:maya", "digest preview")
    [shown] = teams.fake.cards(chat("29:maya"))[len(preview) :]
    assert any(e["type"] == "Image" for e in shown["body"])

    teams.app.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    await teams.app.engine.tick()
    await teams.dispatcher.drain()

    digests = [c for c in teams.fake.cards(chat("29:maya")) if "Mentoring this week" in str(c)]
    assert len(digests) == 2  # the preview, then the week's digest
    weekly = digests[-1]
    [image] = [e for e in weekly["body"] if e["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")
    adaptive_card_validator().validate(weekly)
    assert _consent_cards(teams, "29:maya") == []  # a picture is not offered as a file


async def test_a_card_for_two_stalled_pairs_is_answered_one_line_at_a_time(
    teams: TeamsWorld,
) -> None:
    """Maya's two pairs stall together: one card; pressing one pair's button redraws that
    line only, and the next press on the other line builds on what is now shown."""
    await _paired(teams)
    await teams.say("29:maya", 'program create spring --curriculum new-hire-buddy --name "Spring"')
    await teams.say("29:maya", "program open spring")
    for user, side in (("29:ana", "mentor"), ("29:ben", "mentee")):
        await teams.say(user, f"join spring {side}")
        [agreed] = await teams.say(user, "conduct spring agree")
        assert agreed.startswith("Thank you for accepting"), agreed
    [said] = await teams.say("29:maya", "pair @ana @ben spring")
    assert said.startswith("Paired Ana (mentor) with Ben (mentee)"), said
    await teams.dispatcher.drain()
    teams.app.clock.advance(timedelta(days=22))
    await teams.app.engine.tick()
    await teams.dispatcher.drain()
    [card] = [
        c for c in teams.fake.cards(chat("29:maya")) if "pairs may need a hand" in json.dumps(c)
    ]
    adaptive_card_validator().validate(card)
    assert len(card_actions(card)) == 6

    status, _ = await teams.press("29:maya", "Pause the pair", line="in Spring")
    assert status == 200
    [update] = teams.fake.updates(chat("29:maya"))
    redrawn = update.activity["attachments"][0]["content"]
    adaptive_card_validator().validate(redrawn)
    assert len(card_actions(redrawn)) == 3  # the other pair's buttons are still there
    assert "✓ Pause the pair (Maya)" in json.dumps(redrawn, ensure_ascii=False)

    status, _ = await teams.press("29:maya", "Nudge both", line="in New-hire buddy")
    assert status == 200
    [_, again] = teams.fake.updates(chat("29:maya"))
    redrawn = again.activity["attachments"][0]["content"]
    assert card_actions(redrawn) == []
    shown = json.dumps(redrawn, ensure_ascii=False)
    assert "✓ Pause the pair (Maya)" in shown and "✓ Nudge both (Maya)" in shown
    async with teams.app.sessions() as session:
        statuses = [
            (p.programme.key, p.status) for p in (await session.scalars(select(Pair))).all()
        ]
    assert sorted(statuses) == [("buddies", "active"), ("spring", "paused")]
