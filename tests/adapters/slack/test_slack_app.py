"""Slack, end to end: signed, real-shaped payloads through the real aiohttp server and
slack-bolt, against a local fake Slack Web API that records every call.

The payloads are stored as Slack sends them, in ``tests/support/fixtures/slack/``: a slash
command's form body (with ``{placeholders}`` for what varies) and the JSON of a
button press, a modal submission and two Events API callbacks. Each test fills in
who is speaking and where, and nothing else.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import build
from bot.config import load_settings
from bot.server import make_web_app
from conversations.clock import VirtualClock
from storage.models import CheckIn, InboundEvent, OutboxStatus, Pair, Person
from tests.support.cards import assert_slack_accepts
from tests.support.fake_slack import FakeSlack, Reply
from tests.support.harness import START
from tests.support.local_server import LocalServer
from tests.support.slack_world import (
    FIXTURES,
    SECRET,
    SlackWorld,
    as_user,
    interaction,
    payload,
    sign,
    slash_command,
)


def test_slacks_published_example_is_signed_the_way_slack_signs() -> None:
    body = (FIXTURES / "slash_command_signing_example.txt").read_text(encoding="utf-8").strip()
    assert sign(body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


async def _join(slack: SlackWorld, user: str, text: str, *, agree: bool = True) -> None:
    """/mentor join …: the welcome and then the code of conduct arrive as two ephemeral
    replies (waited for, so neither lands in a later step); then, unless told otherwise,
    the person accepts the code, as they must before being paired."""
    await slack.command(user, text)
    name = f"c{slack.sequence}"
    await slack.fake.wait_until(lambda: sum(r["url"] == name for r in slack.fake.responses) == 2)
    code = [r for r in slack.fake.responses if r["url"] == name][-1]
    assert "Code of conduct: New-hire buddy" in json.dumps(code.get("blocks"))
    if agree:
        reply = await slack.command(user, "conduct buddies agree")
        assert str(reply["text"]).startswith("Thank you for accepting the code of conduct")


async def _paired(slack: SlackWorld) -> None:
    """Maya runs a buddy programme; Ana (mentor) and Ben (mentee) join and are paired."""
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    await _join(slack, "UANA", "join buddies mentor --skills python")
    await _join(slack, "UBEN", "join buddies mentee --interests python")
    reply = await slack.command("UMAYA", "pair <@UANA|ana> <@UBEN|ben> buddies")
    assert str(reply["text"]).startswith("Paired Ana (mentor) with Ben (mentee)")


async def _check_in(slack: SlackWorld, user: str, *, rating: str, reflection: str) -> str:
    """``user`` opens the form on their check-in DM, fills it in and submits it; returns
    what the bot then told them."""
    [checkin] = slack.fake.posts_in(FakeSlack.conversation_id(user))
    view = await slack.open_form(user, checkin)
    assert view["type"] == "modal" and view["callback_id"] == "mentorbot.form"
    inputs = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs == {
        "rating": "static_select",
        "reflection": "plain_text_input",
        "quote": "plain_text_input",
    }
    chosen = {"text": {"type": "plain_text", "text": rating, "emoji": True}, "value": rating}
    response = await slack.submit(
        user,
        view,
        {
            "rating": {"rating": {"type": "static_select", "selected_option": chosen}},
            "reflection": {"reflection": {"type": "plain_text_input", "value": reflection}},
        },
    )
    assert response.status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in(user)))
    [thanks] = slack.fake.posts_in(user)  # a user id as channel: the bot's DM with them
    return str(thanks.text)


async def test_a_whole_pairing_runs_over_slack(slack: SlackWorld) -> None:
    reply = await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    assert reply["response_type"] == "ephemeral"
    assert "Created New-hire buddy (buddies)" in str(reply["text"])
    await slack.command("UMAYA", "program open buddies")
    await _join(slack, "UANA", "join buddies mentor --skills python")
    await _join(slack, "UBEN", "join buddies mentee --interests python")
    reply = await slack.command("UMAYA", "pair <@UANA|ana> <@UBEN|ben> buddies")
    assert str(reply["text"]).startswith("Paired Ana (mentor) with Ben (mentee)")
    assert await slack.dispatcher.drain() == 1
    group = FakeSlack.conversation_id("UANA", "UBEN")
    [intro] = slack.fake.posts_in(group)
    assert "Why:" in str(intro.text)
    assert intro.metadata == {
        "event_type": "mentorbot_message",
        "event_payload": {"key": "pair:1:intro"},
    }
    await slack.press("UBEN", 0, "We met")
    [update] = slack.fake.calls_to("chat.update")
    assert not any(b.get("type") == "actions" for b in update.params["blocks"])
    await slack.dispatcher.drain()
    for user in ("UANA", "UBEN"):
        [checkin] = slack.fake.posts_in(FakeSlack.conversation_id(user))
        assert "How did session 1" in str(checkin.text)
    assert len(slack.fake.posts_in(group)) == 2  # the next agenda


async def test_each_person_checks_in_through_a_modal_and_their_reflection_stays_private(
    slack: SlackWorld,
) -> None:
    await _paired(slack)
    await slack.dispatcher.drain()
    await slack.press("UBEN", 0, "We met")
    await slack.dispatcher.drain()
    reflections = {
        "UANA": "Ben seemed lost in the codebase; reflection-ana-7f3a",
        "UBEN": "I worry I ask too many questions; reflection-ben-91c2",
    }
    for user, reflection in reflections.items():
        said = await _check_in(slack, user, rating="4", reflection=reflection)
        assert said == (
            "Thanks for checking in on session 1 (4/5). "
            "Your note is saved privately; nobody else will see it."
        )
    await slack.dispatcher.drain()
    async with slack.app.sessions() as session:
        kept = (await session.execute(select(CheckIn.rating, CheckIn.reflection))).all()
    assert sorted(kept) == sorted((4, reflection) for reflection in reflections.values())
    seen = json.dumps(
        [
            [c.params for c in slack.fake.calls],
            [p.params for p in slack.fake.posts],
            slack.fake.responses,
        ],
        default=str,
    )
    for reflection in reflections.values():
        assert reflection.split("; ")[-1] not in seen
        assert reflection.split("; ")[0] not in seen


async def test_a_participant_is_refused_pair_privately_and_nothing_is_posted(
    slack: SlackWorld,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    await _join(slack, "UANA", "join buddies mentor --skills python", agree=False)
    await _join(slack, "UBEN", "join buddies mentee --interests python", agree=False)
    await slack.dispatcher.drain()
    calls, responses, posts = (
        len(slack.fake.calls),
        len(slack.fake.responses),
        len(slack.fake.posts),
    )
    reply = await slack.command("UANA", "pair <@UANA|ana> <@UBEN|ben> buddies")
    assert reply["response_type"] == "ephemeral"
    assert str(reply["text"]).startswith("Only coordinators can use pair")
    assert await slack.dispatcher.drain() == 0
    assert len(slack.fake.responses) == responses + 1
    assert len(slack.fake.posts) == posts
    assert {c.method for c in slack.fake.calls[calls:]} <= {"users.info"}


async def test_a_command_typed_in_the_bots_dm_is_answered_in_that_dm(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    message = payload("event_message_im.json")
    message["event"].update(
        user="UBEN", channel="DUBEN", text="join buddies mentee --interests python"
    )
    message["event"]["blocks"][0]["elements"][0]["elements"][0]["text"] = message["event"]["text"]
    responses = len(slack.fake.responses)
    response = await slack.event(message)
    assert response.status == 200
    await slack.fake.wait_until(lambda: len(slack.fake.posts_in("DUBEN")) == 2)
    answer, code = slack.fake.posts_in("DUBEN")
    assert "You've joined as a mentee" in str(answer.text)
    assert "Before you're matched in New-hire buddy" in str(code.text)
    assert len(slack.fake.posts) == 2 and len(slack.fake.responses) == responses


async def test_a_command_far_too_long_gets_a_friendly_answer_not_an_error(
    slack: SlackWorld,
) -> None:
    reply = await slack.command("UMAYA", "program create " + "x" * 40_000)  # asserts HTTP 200
    assert reply["response_type"] == "ephemeral"
    assert "too long" in str(reply["text"])
    assert slack.fake.posts == []


@pytest.mark.parametrize(
    "action_id",
    [
        "programme.retired:0",  # our shape, but an action this version no longer has
        "approve_request",  # not an action id this app ever made
    ],
)
async def test_a_button_the_engine_does_not_know_is_out_of_date_and_changes_nothing(
    slack: SlackWorld, action_id: str
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    body = payload("block_actions_button.json")
    as_user(body, "UMAYA")
    body["response_url"] = slack.fake.response_url("stale")
    body["actions"][0]["action_id"] = action_id
    body["message"]["blocks"][1]["elements"][0]["action_id"] = action_id
    response = await slack.post(interaction(body))
    assert response.status == 200
    await slack.fake.wait_until(lambda: any(r["url"] == "stale" for r in slack.fake.responses))
    [answer] = [r for r in slack.fake.responses if r["url"] == "stale"]
    assert str(answer["text"]).startswith("That button is out of date")
    assert answer["response_type"] == "ephemeral"
    assert slack.fake.counts["chat.update"] == 0 and slack.fake.posts == []


async def test_a_message_slack_refuses_is_dead_with_its_reason_and_coordinators_are_told(
    slack: SlackWorld,
) -> None:
    await _paired(slack)
    slack.fake.queue("chat.postMessage", Reply.error("channel_not_found"))
    await slack.dispatcher.drain()
    rows = await slack.outbox()
    [intro] = [r for r in rows if r.idempotency_key == "pair:1:intro"]
    assert intro.status == OutboxStatus.DEAD
    assert intro.last_error is not None and "channel_not_found" in intro.last_error
    [notice] = [r for r in rows if r.kind == "delivery_problem"]  # queued by the failure
    assert notice.idempotency_key.startswith(f"failed:{intro.id}:to:")
    assert slack.fake.posts_in(FakeSlack.conversation_id("UANA", "UBEN")) == []
    [told] = slack.fake.posts_in(FakeSlack.conversation_id("UMAYA"))  # the only coordinator
    assert notice.status == OutboxStatus.SENT
    assert "could not be delivered: channel: channel_not_found" in str(told.text)


async def test_a_form_opens_as_a_modal_and_its_submission_reaches_the_engine(
    slack: SlackWorld,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    await slack.command("UBEN", "join buddies")
    [opened] = slack.fake.calls_to("views.open")
    view = opened.params["view"]
    assert view["type"] == "modal" and view["callback_id"] == "mentorbot.form"
    response = await slack.submit(
        "UBEN",
        view,
        {
            "side": {"side": {"type": "static_select", "selected_option": {"value": "mentee"}}},
            "department": {"department": {"type": "plain_text_input", "value": "Sales"}},
        },
    )
    assert response.status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("UBEN")))
    assert "You've joined as a mentee" in str(slack.fake.posts_in("UBEN")[0].text)


@pytest.mark.parametrize(
    ("signature", "age"),
    [
        ("v0=" + "0" * 64, 0),  # forged
        (None, 6 * 60),  # stale: older than five minutes
    ],
)
async def test_a_forged_or_stale_request_is_refused_and_changes_nothing(
    slack: SlackWorld, signature: str | None, age: int
) -> None:
    body = slash_command(
        user_id="UMAYA",
        text="program create x1 --curriculum new-hire-buddy",
        response_url=slack.fake.response_url("x"),
        trigger_id="1.1.abc",
    )
    stamp = int(time.time()) - age
    response = await slack.post(body, signature=signature, timestamp=stamp)
    assert response.status == 401
    async with slack.http.post(slack.server.make_url("/slack/events"), data=body) as missing:
        assert missing.status == 401
    assert slack.fake.calls == [] and slack.fake.responses == []


async def test_a_retried_event_has_one_effect(slack: SlackWorld) -> None:
    event = payload("event_app_home_opened.json")
    event["event"].update(user="UBEN", channel="DUBEN")
    event.update(event_id="Ev1", event_time=int(time.time()))
    for retry in ("", "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "timeout"} if retry else {}
        response = await slack.event(event, headers=headers)
        assert response.status == 200
    await slack.fake.wait_until(lambda: slack.fake.counts["views.publish"] >= 1)
    assert slack.fake.counts["views.publish"] == 1
    [home] = slack.fake.calls_to("views.publish")
    assert home.params["view"]["type"] == "home"


async def test_an_unsigned_event_is_not_even_recorded(slack: SlackWorld) -> None:
    event = payload("event_app_home_opened.json")
    event["event_id"] = "EvForged"
    response = await slack.post(
        json.dumps(event), content_type="application/json", signature="v0=" + "1" * 64
    )
    assert response.status == 401
    async with slack.app.sessions() as session:
        assert (await session.scalars(select(InboundEvent))).all() == []


def test_socket_mode_needs_an_app_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert main(["serve", "--socket-mode"]) == 2
    assert "--socket-mode needs SLACK_APP_TOKEN" in capsys.readouterr().err


async def test_installing_into_a_workspace_starts_the_oauth_flow(database_url: str) -> None:
    from sqlalchemy import text

    settings = load_settings(
        database_url=database_url,
        slack_signing_secret=SECRET,
        slack_client_id="111.222",
        slack_client_secret="shh",
    )
    app = await build(settings, upgrade=False)
    server = TestServer(make_web_app(app), port=0)
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.make_url("/slack/install"), allow_redirects=False) as response,
        ):
            page = await response.text()
            assert response.status in (200, 302)
            assert "client_id=111.222" in page or "client_id=111.222" in response.headers.get(
                "Location", ""
            )
        async with app.sessions() as session:
            states = await session.scalar(text("SELECT count(*) FROM slack_oauth_states"))
        assert states == 1  # the state that Slack's redirect must bring back
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.make_url("/slack/oauth_redirect?code=x&state=forged")) as response,
        ):
            assert response.status in (400, 401, 403)
    finally:
        await server.close()


async def test_a_workspace_installs_the_app_and_its_token_is_stored(database_url: str) -> None:
    """And whoever installed it is the new workspace's first coordinator, not whoever
    happens to speak to the bot first."""
    from adapters.slack.tokens import SlackConfig, Tokens, installation_store
    from storage import repositories as repo
    from storage.models import Role, Workspace

    async with FakeSlack() as fake:
        fake.users["UZED"] = {"real_name": "Zed", "tz": "Europe/Oslo", "profile": {}}

        settings = load_settings(
            database_url=database_url,
            slack_signing_secret=SECRET,
            slack_client_id="111.222",
            slack_client_secret="shh",
            slack_api_url=fake.api_url,
        )
        app = await build(settings, upgrade=False)
        server = TestServer(make_web_app(app), port=0)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(
                    server.make_url("/slack/install"), allow_redirects=False
                ) as started:
                    location = started.headers.get("Location") or await started.text()
                state = location.split("state=")[1].split("&")[0].split('"')[0]
                # The state cookie is Secure (HTTPS only); a browser would send it back.
                async with http.get(
                    server.make_url(f"/slack/oauth_redirect?code=good-code&state={state}"),
                    headers={"Cookie": f"slack-app-oauth-state={state}"},
                ) as done:
                    assert done.status == 200, await done.text()
            config = SlackConfig(
                signing_secret=SECRET,
                client_id="111.222",
                client_secret="shh",
                api_url=fake.api_url,
            )
            tokens = Tokens(config, installation_store(config, app.database))
            globex = Workspace(platform="slack", external_id="T2", settings={})
            assert await tokens.token_for(globex) == "xoxb-installed"
            assert (
                await tokens.token_for(Workspace(platform="slack", external_id="T9", settings={}))
                is None
            )
            async with app.sessions() as session:
                space = await repo.workspace_by_external(
                    session, platform="slack", external_id="T2"
                )
                assert space is not None
                coordinators = await repo.people_with_role(
                    session, workspace_id=space.id, role=Role.COORDINATOR
                )
            assert [(p.platform_user_id, p.display_name) for p in coordinators] == [("UZED", "Zed")]
        finally:
            await server.close()


async def test_socket_mode_receives_a_slash_command_over_the_websocket(database_url: str) -> None:
    """Development behind a firewall: the same /mentor, over Socket Mode instead of HTTP."""
    from adapters.slack.app import SlackAdapter
    from adapters.slack.tokens import SlackConfig

    async with FakeSlack(tokens={"xoxb-test": "T1", "xapp-test": "T1"}) as fake:
        fake.users["UMAYA"] = {"tz": "America/Toronto", "real_name": "Maya"}
        fake.socket_envelopes.append(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "token": "legacy",
                    "team_id": "T1",
                    "team_domain": "northwind",
                    "channel_id": "C0",
                    "channel_name": "general",
                    "user_id": "UMAYA",
                    "user_name": "maya",
                    "command": "/mentor",
                    "text": "programs",
                    "api_app_id": "A1",
                    "response_url": fake.response_url("socket"),
                    "trigger_id": "1.2.3",
                },
            }
        )
        settings = load_settings(database_url=database_url)
        app = await build(settings, clock=VirtualClock(START), upgrade=False)
        adapter = SlackAdapter(
            app,
            SlackConfig(
                signing_secret=SECRET,
                bot_token="xoxb-test",
                api_url=fake.api_url,
                app_token="xapp-test",
            ),
        )
        handler = await adapter.socket_mode()
        try:
            await fake.wait_until(lambda: bool(fake.responses), within=15)
            assert {"envelope_id": "env-1"}.items() <= fake.socket_acks[0].items()
            assert "There are no programmes here yet" in fake.responses[0]["text"]
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
            await app.close()


def file_share(user: str, text: str, url: str, *, size: int = 40) -> dict[str, Any]:
    """``event_message_im.json`` as ``user`` sharing people.csv (at ``url``) in the bot's DM."""
    message = payload("event_message_im.json")
    message["event"].update(
        user=user,
        channel=f"D{user}",
        text=text,
        subtype="file_share",
        files=[
            {
                "id": "F1",
                "name": "people.csv",
                "mimetype": "text/csv",
                "filetype": "csv",
                "size": size,
                "url_private": url,
                "url_private_download": url,
            }
        ],
    )
    message["event"]["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    return message


async def test_a_csv_shared_in_the_bots_dm_is_imported(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    slack.fake.files["people.csv"] = (
        b"id,name,role,department,timezone\n"
        b"UANA,Ana,mentor,Engineering,America/Toronto\n"
        b"UBEN,Ben,mentee,Sales,America/Halifax\n"
    )
    message = file_share("UMAYA", "import buddies", slack.fake.file_url("people.csv"), size=120)
    assert (await slack.event(message)).status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")))
    [answer] = slack.fake.posts_in("DUMAYA")
    assert str(answer.text).startswith("Imported 2 people into New-hire buddy")


async def test_an_export_arrives_as_a_file_in_the_coordinators_dm(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies")
    await _join(slack, "UANA", "join buddies mentor")
    await _join(slack, "UBEN", "join buddies mentee")
    await slack.command("UMAYA", "pair <@UANA|ana> <@UBEN|ben> buddies")
    reply = await slack.command("UMAYA", "export buddies")
    assert "I've put the file in our direct messages" in str(reply["text"])
    [shared] = slack.fake.shared
    assert shared["channel"] == FakeSlack.conversation_id("UMAYA")
    [content] = slack.fake.uploads.values()
    assert b"mentor_id" in content and b"UANA" in content and b"UBEN" in content


async def test_joining_from_a_channel_announcement_leaves_its_buttons_for_everyone(
    slack: SlackWorld,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies <#C0GENERAL|general>")
    await slack.dispatcher.drain()
    [announcement] = slack.fake.posts_in("C0GENERAL")

    await slack.press(
        "UANA",
        announcement,
        "Join as a mentee",
        until=lambda: (
            any(c.method == "views.open" for c in slack.fake.calls) or bool(slack.fake.responses)
        ),
    )

    assert slack.fake.counts["chat.update"] == 0


class Elsewhere(LocalServer):
    """A server that is not Slack's, recording whoever asks it for a file, and with what."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.base_url = ""

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/{name}", self._file)

    def started(self, base_url: str) -> str:
        self.base_url = base_url
        return base_url

    async def _file(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        return web.Response(body=b"id,name,role\nUANA,Ana,mentor\n")


async def test_a_shared_file_outside_slacks_file_host_is_not_fetched_with_the_token(
    slack: SlackWorld,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    async with Elsewhere() as elsewhere:
        message = file_share("UMAYA", "import buddies", f"{elsewhere.base_url}/people.csv")
        assert (await slack.event(message)).status == 200
        await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")))
    assert elsewhere.requests == []  # the bot token never left for another host
    [answer] = slack.fake.posts_in("DUMAYA")
    assert not str(answer.text).startswith("Imported")


def roster(rows: int) -> bytes:
    """A CSV of ``rows`` people, big enough that it travels in more than one piece."""
    lines = [b"id,name,role,department,timezone"]
    lines += [
        f"UP{n:04d},Person {n},{'mentor' if n % 2 else 'mentee'},Sales,America/Toronto".encode()
        for n in range(rows)
    ]
    return b"\n".join(lines) + b"\n"


async def _people(slack: SlackWorld) -> int:
    async with slack.app.sessions() as session:
        return len((await session.scalars(select(Person))).all())


async def test_a_csv_that_arrives_in_pieces_is_imported_whole(slack: SlackWorld) -> None:
    """One read returns what has arrived so far; the import waits for the whole file."""
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    slack.fake.files["people.csv"] = roster(120)
    slack.fake.file_delivery["people.csv"] = "slow"
    message = file_share("UMAYA", "import buddies", slack.fake.file_url("people.csv"), size=9000)
    assert (await slack.event(message)).status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")), within=30)
    [answer] = slack.fake.posts_in("DUMAYA")
    assert str(answer.text).startswith("Imported 120 people into New-hire buddy")


async def test_a_csv_cut_short_imports_nothing_and_says_so(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    before = await _people(slack)
    slack.fake.files["people.csv"] = roster(120)
    slack.fake.file_delivery["people.csv"] = "cut"
    message = file_share("UMAYA", "import buddies", slack.fake.file_url("people.csv"), size=9000)
    assert (await slack.event(message)).status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")))
    [answer] = slack.fake.posts_in("DUMAYA")
    assert (
        answer.text == "I couldn't read people.csv, so nothing was imported. Please share it again."
    )
    assert await _people(slack) == before


async def test_a_redirected_file_download_is_not_followed(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    slack.fake.files["people.csv"] = roster(2)
    async with Elsewhere() as elsewhere:
        slack.fake.file_delivery["people.csv"] = f"{elsewhere.base_url}/people.csv"
        message = file_share("UMAYA", "import buddies", slack.fake.file_url("people.csv"))
        assert (await slack.event(message)).status == 200
        await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")))
    assert elsewhere.requests == []  # the token did not follow the redirect
    [answer] = slack.fake.posts_in("DUMAYA")
    assert str(answer.text).startswith("I couldn't read people.csv")


async def test_a_file_too_large_to_import_is_not_downloaded(slack: SlackWorld) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    slack.fake.files["people.csv"] = roster(2)
    url = slack.fake.file_url("people.csv")
    message = file_share("UMAYA", "import buddies", url, size=3 * 1024 * 1024)
    assert (await slack.event(message)).status == 200
    await slack.fake.wait_until(lambda: bool(slack.fake.posts_in("DUMAYA")))
    [answer] = slack.fake.posts_in("DUMAYA")
    assert answer.text == (
        "people.csv is larger than 2 MB, so I didn't read it and nothing was imported."
    )
    assert slack.fake.counts["files/people.csv"] == 0


async def test_a_group_dm_is_known_by_what_slack_calls_it_not_by_its_id(
    slack: SlackWorld,
) -> None:
    """Slack documents that conversation id prefixes change (a conversation shared with
    another organisation, say); the payload's own name for the conversation decides."""
    await _paired(slack)
    await slack.dispatcher.drain()
    [intro] = slack.fake.posts_in(FakeSlack.conversation_id("UANA", "UBEN"))
    body = slack.button("UBEN", intro, "We met")
    body["channel"]["id"] = body["container"]["channel_id"] = "C0SHAREDPAIR"
    assert body["channel"]["name"].startswith("mpdm-")
    assert (await slack.post(interaction(body))).status == 200
    await slack.fake.wait_until(lambda: slack.fake.counts["chat.update"] == 1)
    [update] = slack.fake.calls_to("chat.update")
    assert update.params["channel"] == "C0SHAREDPAIR"
    assert not any(b.get("type") == "actions" for b in update.params["blocks"])


async def test_a_private_channels_announcement_keeps_its_buttons_whatever_its_id(
    slack: SlackWorld,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    await slack.command("UMAYA", "program open buddies <#C0GENERAL|general>")
    await slack.dispatcher.drain()
    [announcement] = slack.fake.posts_in("C0GENERAL")
    body = slack.button("UANA", announcement, "Join as a mentee")
    body["channel"].update(id="GPRIVATE", name="mentoring-leads")
    body["container"]["channel_id"] = "GPRIVATE"
    assert (await slack.post(interaction(body))).status == 200
    await slack.fake.wait_until(
        lambda: (
            any(c.method == "views.open" for c in slack.fake.calls) or bool(slack.fake.responses)
        )
    )
    assert slack.fake.counts["chat.update"] == 0


async def test_a_card_for_two_stalled_pairs_is_answered_one_line_at_a_time(
    slack: SlackWorld,
) -> None:
    """Maya's two pairs stall together: one card, and pressing one pair's button leaves the
    other pair's buttons in place."""
    await _paired(slack)
    await slack.command(
        "UMAYA", 'program create spring --curriculum new-hire-buddy --name "Spring"'
    )
    await slack.command("UMAYA", "program open spring")
    for user, side in (("UANA", "mentor"), ("UBEN", "mentee")):
        await slack.command(user, f"join spring {side}")
        name = f"c{slack.sequence}"  # the welcome, then the code of conduct
        await slack.fake.wait_until(
            lambda n=name: sum(r["url"] == n for r in slack.fake.responses) == 2
        )
        agreed = await slack.command(user, "conduct spring agree")
        assert str(agreed["text"]).startswith("Thank you for accepting"), agreed
    reply = await slack.command("UMAYA", "pair <@UANA|ana> <@UBEN|ben> spring")
    assert str(reply["text"]).startswith("Paired Ana (mentor) with Ben (mentee)")
    await slack.dispatcher.drain()
    slack.app.clock.advance(timedelta(days=22))
    await slack.app.engine.tick()
    await slack.dispatcher.drain()
    [card] = [
        p
        for p in slack.fake.posts_in(FakeSlack.conversation_id("UMAYA"))
        if "pairs may need a hand" in str(p.text)
    ]
    assert str(card.text).startswith("2 pairs may need a hand:")
    assert card.blocks is not None
    assert_slack_accepts(card.blocks, most=50)
    assert sum(b["type"] == "actions" for b in card.blocks) == 2
    await slack.press("UMAYA", card, "Pause the pair", line="in Spring")
    [update] = slack.fake.calls_to("chat.update")
    kinds = [b["type"] for b in update.params["blocks"]]
    assert kinds == ["header", "section", "actions", "section", "context"]
    assert "in New-hire buddy" in update.params["blocks"][1]["text"]["text"]
    assert "✓ Pause the pair" in update.params["blocks"][4]["elements"][0]["text"]
    async with slack.app.sessions() as session:
        statuses = [
            (p.programme.key, p.status) for p in (await session.scalars(select(Pair))).all()
        ]
    assert sorted(statuses) == [("buddies", "active"), ("spring", "paused")]


async def test_a_workspace_in_an_enterprise_grid_finds_its_own_token(database_url: str) -> None:
    """Regression (found writing SECURITY.md): the bot token was looked up with no
    enterprise id, so a workspace installed inside an Enterprise Grid never found its token
    and everything for it was skipped as if the app had been removed."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.tokens import SlackConfig, Tokens, installation_store
    from storage.models import Workspace

    app = await build(load_settings(database_url=database_url), upgrade=False)
    try:
        config = SlackConfig(signing_secret=SECRET, client_id="111.222", client_secret="shh")
        installations = installation_store(config, app.database)
        assert installations is not None
        for enterprise, team, token in (("E1", "T1", "xoxb-grid"), (None, "T2", "xoxb-plain")):
            await installations.async_save(
                Installation(
                    app_id="A1",
                    enterprise_id=enterprise,
                    team_id=team,
                    user_id="U1",
                    bot_token=token,
                    bot_id="B1",
                    bot_user_id="UB1",
                )
            )
        tokens = Tokens(config, installations)

        def workspace(team: str) -> Workspace:
            return Workspace(platform="slack", external_id=team, settings={})

        assert await tokens.token_for(workspace("T1")) == "xoxb-grid"
        assert await tokens.token_for(workspace("T2")) == "xoxb-plain"
        assert await tokens.token_for(workspace("T3")) is None
    finally:
        await app.close()
