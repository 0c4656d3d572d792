"""Hostile requests through the real server: whatever arrives at ``/slack/events`` or
``/api/messages`` gets a clear 4xx (a JSON ``{"error": …}`` saying what is wrong) or a
friendly reply in chat; never a 5xx, never an ERROR in the log, and a refused request
changes nothing in the database.

Slack requests here are correctly signed (over the raw bytes, as Slack signs), so each
one reaches the checks behind the signature, not just the signature check.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters import limits as adapter_limits
from adapters.teams.connector import TeamsConfig
from bot import limits
from conversations.engine import Engine
from conversations.events import Event
from conversations.messages import Message
from tests.support.fake_slack import FakeSlack
from tests.support.hostile import ErrorLog, bolt_settled, error_log, snapshot
from tests.support.slack_world import SECRET, SlackWorld, payload, slack_world, slash_command
from tests.support.teams_world import TeamsWorld, activity, chat, teams_world

SLACK = "/slack/events"
TEAMS = "/api/messages"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEN_MB = 10 * 1024 * 1024
TEAMS_KEPT = frozenset({"inbound_events", "teams_conversations"})
TEAMS_KEPT_COLUMNS = {"people": frozenset({"conversation_ref"})}
"""What the Teams adapter keeps from any activity it acts on, refused or not: the
activity id (so a retry has one effect) and where to reach the sender."""


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackWorld]:
    async for world in slack_world(database_url):
        yield world


@pytest.fixture
async def teams(database_url: str) -> AsyncIterator[TeamsWorld]:
    async for world in teams_world(database_url, TeamsConfig()):
        yield world


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    with error_log() as log:
        yield log


def _signature(body: bytes, stamp: int) -> str:
    base = b"v0:" + str(stamp).encode() + b":" + body
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


async def _slack(
    slack: SlackWorld, body: bytes, content_type: str | None, **headers: str
) -> tuple[int, Any]:
    """POST ``body`` to /slack/events signed as Slack signs it; (status, JSON or text)."""
    stamp = int(time.time())
    sent = {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": _signature(body, stamp),
        **headers,
    }
    if content_type is not None:
        sent["Content-Type"] = content_type
    async with slack.http.post(
        slack.server.make_url(SLACK), data=body, headers=sent, skip_auto_headers=["Content-Type"]
    ) as response:
        raw = await response.read()
    await bolt_settled()
    return response.status, _decoded(raw)


async def _teams(teams: TeamsWorld, body: bytes, content_type: str | None) -> tuple[int, Any]:
    sent = {"Content-Type": content_type} if content_type is not None else {}
    async with teams.http.post(
        teams.server.make_url(TEAMS), data=body, headers=sent, skip_auto_headers=["Content-Type"]
    ) as response:
        return response.status, _decoded(await response.read())


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def _clear_refusal(status: int, answer: Any, expected: int) -> None:
    assert status == expected, answer
    assert isinstance(answer, dict) and isinstance(answer.get("error"), str), answer
    assert answer["error"] and "Traceback" not in answer["error"]


def _nothing_said(fake: FakeSlack) -> None:
    """Slack heard nothing from the bot (bolt may check its token with auth.test)."""
    assert {c.method for c in fake.calls} <= {"auth.test"}, fake.calls
    assert fake.responses == [] and fake.posts == []


def _command(slack: SlackWorld, text: str, *, name: str = "x") -> str:
    return slash_command(
        user_id="UMAYA", text=text, response_url=slack.fake.response_url(name), trigger_id="1.1.a"
    )


async def test_the_suite_waits_for_slacks_listeners_before_it_looks(
    slack: SlackWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt answers Slack first and runs the listener after; ``bolt_settled`` waits for
    it, so what a test then finds (a reply, a row, an ERROR) is the whole story. Here the
    engine is held until Slack has its 200, so the listener is certainly still running."""
    gate = asyncio.Event()
    handle = Engine.handle

    async def held(engine: Engine, event: Event) -> list[Message]:
        await gate.wait()
        return await handle(engine, event)

    monkeypatch.setattr(Engine, "handle", held)
    body = _command(slack, "programs", name="settled").encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": _signature(body, stamp),
    }
    async with slack.http.post(slack.server.make_url(SLACK), data=body, headers=headers) as r:
        assert r.status == 200
    assert slack.fake.responses == []
    gate.set()
    assert await bolt_settled() == 1
    assert [r["url"] for r in slack.fake.responses] == ["settled"]


# -- too big ----------------------------------------------------------------------------


async def _declared_only(server: TestServer, path: str, size: int) -> tuple[int, Any]:
    """Send a request head declaring a ``size``-byte body, and none of the body: an answer
    can only come if the server decided without reading it (or waiting for it)."""
    reader, writer = await asyncio.open_connection(str(server.host), server.port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {size}\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    try:
        async with asyncio.timeout(60):  # a guard against a hang, not a measure of speed
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length)
    finally:
        writer.close()
    return status, _decoded(body)


async def test_a_body_declared_too_big_for_slack_is_refused_before_any_of_it_is_read(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    status, answer = await _declared_only(slack.server, SLACK, TEN_MB)
    _clear_refusal(status, answer, 413)
    assert "larger than" in answer["error"]
    assert errors.new() == []


async def test_a_body_declared_too_big_for_teams_is_refused_before_any_of_it_is_read(
    teams: TeamsWorld, errors: ErrorLog
) -> None:
    status, answer = await _declared_only(teams.server, TEAMS, TEN_MB)
    _clear_refusal(status, answer, 413)
    assert "larger than" in answer["error"]
    assert errors.new() == []


async def _ten_mb_in_chunks() -> AsyncIterator[bytes]:
    """Ten megabytes with no Content-Length (chunked): the size is only known by reading."""
    for _ in range(TEN_MB // 65536):
        yield b"x" * 65536


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_ten_megabytes_to_slack_get_a_clear_413(
    slack: SlackWorld, errors: ErrorLog, chunked: bool
) -> None:
    before = await snapshot(slack.app)
    data: Any = _ten_mb_in_chunks() if chunked else b"x" * TEN_MB
    async with slack.http.post(
        slack.server.make_url(SLACK), data=data, headers={"Content-Type": FORM}
    ) as response:
        status, answer = response.status, _decoded(await response.read())
    _clear_refusal(status, answer, 413)
    assert await snapshot(slack.app) == before
    assert errors.new() == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_ten_megabytes_to_teams_get_a_clear_413(
    teams: TeamsWorld, errors: ErrorLog, chunked: bool
) -> None:
    before = await snapshot(teams.app)
    data: Any = _ten_mb_in_chunks() if chunked else b"x" * TEN_MB
    async with teams.http.post(
        teams.server.make_url(TEAMS), data=data, headers={"Content-Type": JSON}
    ) as response:
        status, answer = response.status, _decoded(await response.read())
    _clear_refusal(status, answer, 413)
    assert await snapshot(teams.app) == before
    assert teams.fake.sent == []
    assert errors.new() == []


async def _trickled(data: bytes) -> AsyncIterator[bytes]:
    """A body sent a kilobyte at a time, as a slow network delivers it."""
    for start in range(0, len(data), 1024):
        await asyncio.sleep(0)
        yield data[start : start + 1024]


async def test_a_teams_activity_that_arrives_in_pieces_is_read_whole(
    teams: TeamsWorld, errors: ErrorLog
) -> None:
    """Regression: one read of the body stream returned only what had arrived so far, so a
    valid activity bigger than one network chunk was refused as "not JSON"."""
    await teams.install("29:ana")
    body = activity("message", text="help", **teams._who("29:ana"))
    body["channelData"]["padding"] = "x" * 100_000  # well under the limit, many chunks
    before = len(teams.fake.messages(chat("29:ana")))
    async with teams.http.post(
        teams.server.make_url(TEAMS),
        data=_trickled(json.dumps(body).encode()),
        headers={"Content-Type": JSON},
    ) as response:
        assert response.status == 200, await response.text()
    [answer] = teams.fake.texts(chat("29:ana"))[before:]
    assert "Type help <command>" in answer
    assert errors.new() == []


async def test_a_slack_command_that_arrives_in_pieces_is_read_whole(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    body = _command(slack, "programs " + "y" * 3000, name="pieces").encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": _signature(body, stamp),
    }
    async with slack.http.post(
        slack.server.make_url(SLACK), data=_trickled(body), headers=headers
    ) as response:
        assert response.status == 200
    await bolt_settled()
    [reply] = [r for r in slack.fake.responses if r["url"] == "pieces"]
    assert "That's not quite how programs works" in str(reply["text"])
    assert errors.new() == []


# -- read before it is trusted (issue 16, item 5) --------------------------------------------

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = json.dumps(
    {"type": "message", "serviceUrl": "https://smba.trafficmanager.net/", "value": 1}
).replace('"value": 1', '"value": ' + '{"a": ' * 40 + "1" + "}" * 40)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT.encode()], ids=["array", "object"])
async def test_deeply_nested_json_to_teams_is_refused_before_the_token_check_not_a_500(
    teams: TeamsWorld, errors: ErrorLog, body: bytes
) -> None:
    """Regression: JSON nested 100,000 deep was parsed before the token check and its
    RecursionError became a 500 with a trace."""
    before = await snapshot(teams.app)
    status, answer = await _teams(teams, body, JSON)
    _clear_refusal(status, answer, 400)
    assert "nested" in answer["error"]
    assert await snapshot(teams.app) == before
    assert errors.new() == []


async def test_deeply_nested_json_to_slack_is_refused(slack: SlackWorld, errors: ErrorLog) -> None:
    before = await snapshot(slack.app)
    status, answer = await _slack(slack, DEEP_ARRAY, JSON)
    _clear_refusal(status, answer, 400)
    assert "nested" in answer["error"]
    payload_form = urlencode({"payload": DEEP_OBJECT}).encode()
    status, answer = await _slack(slack, payload_form, FORM)
    _clear_refusal(status, answer, 400)
    assert await snapshot(slack.app) == before
    _nothing_said(slack.fake)
    assert errors.new() == []


async def _dribbled(data: bytes, *, every: float) -> AsyncIterator[bytes]:
    """A body sent a byte at a time, slowly: someone holding the connection open."""
    for index in range(len(data)):
        await asyncio.sleep(every)
        yield data[index : index + 1]


async def _trickle(world: SlackWorld | TeamsWorld, path: str) -> None:
    started = time.monotonic()
    async with world.http.post(
        world.server.make_url(path),
        data=_dribbled(b'{"type": "message", "text": "help"}', every=0.1),
        headers={"Content-Type": JSON},
    ) as response:
        status, answer = response.status, _decoded(await response.read())
    _clear_refusal(status, answer, 408)
    assert "took more than 0.5 s to arrive" in answer["error"]
    assert time.monotonic() - started < 3.5  # 35 bytes at 0.1 s would take 3.5 s


async def test_a_slack_body_trickling_in_is_cut_off_at_the_read_deadline(
    slack: SlackWorld, errors: ErrorLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a body arriving at one byte a second held the request open for minutes
    before any check. The whole body must arrive within the read deadline, or 408."""
    monkeypatch.setattr(adapter_limits, "BODY_SECONDS", 0.5)
    await _trickle(slack, SLACK)
    assert errors.new() == []


async def test_a_teams_body_trickling_in_is_cut_off_at_the_read_deadline(
    teams: TeamsWorld, errors: ErrorLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter_limits, "BODY_SECONDS", 0.5)
    await _trickle(teams, TEAMS)
    assert errors.new() == []


# -- not what a platform sends ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"command=%2Fmentor&text=help"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\nhelp\r\n--x--"),
        (None, b"command=%2Fmentor&text=help"),
        ("application/xml", b"<command>help</command>"),
    ],
    ids=["text/plain", "multipart", "none", "xml"],
)
async def test_a_content_type_slack_never_sends_is_415_and_changes_nothing(
    slack: SlackWorld, errors: ErrorLog, content_type: str | None, body: bytes
) -> None:
    before = await snapshot(slack.app)
    real = _command(slack, "program create x1 --curriculum new-hire-buddy").encode()
    for sent in (body, real):  # even a real command's body, under the wrong type
        status, answer = await _slack(slack, sent, content_type)
        _clear_refusal(status, answer, 415)
    assert await snapshot(slack.app) == before
    _nothing_said(slack.fake)
    assert errors.new() == []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data; boundary=x", None, "application/x-www-form-urlencoded"],
    ids=["text/plain", "multipart", "none", "form"],
)
async def test_a_content_type_teams_never_sends_is_415_and_changes_nothing(
    teams: TeamsWorld, errors: ErrorLog, content_type: str | None
) -> None:
    body = json.dumps(activity("message", text="help", **teams._who("29:ana"))).encode()
    before = await snapshot(teams.app)
    status, answer = await _teams(teams, body, content_type)
    _clear_refusal(status, answer, 415)
    assert await snapshot(teams.app) == before
    assert teams.fake.sent == []
    assert errors.new() == []


INVALID_UTF8 = [
    b"command=%2Fmentor&text=\xff\xfe",
    b'{"type": "event_callback", "team_id": "T1", "event": {"text": "\xc3\x28"}}',
    b"\xed\xa0\x80",  # a surrogate, encoded: not UTF-8
]


@pytest.mark.parametrize("body", INVALID_UTF8, ids=["form", "json", "surrogate"])
async def test_a_body_that_is_not_utf8_is_400_not_500(
    slack: SlackWorld, teams: TeamsWorld, errors: ErrorLog, body: bytes
) -> None:
    """Regression: the signature check decoded the body and raised UnicodeDecodeError (500)."""
    before = await snapshot(slack.app)
    status, answer = await _slack(slack, body, JSON if body.startswith(b"{") else FORM)
    _clear_refusal(status, answer, 400)
    assert "UTF-8" in answer["error"]
    status, answer = await _teams(teams, body, JSON)
    _clear_refusal(status, answer, 400)
    assert await snapshot(slack.app) == before
    assert errors.new() == []


def _event(**fields: Any) -> bytes:
    return json.dumps({"type": "event_callback", "team_id": "T1", **fields}).encode()


def _button_press(**fields: Any) -> dict[str, Any]:
    body = payload("block_actions_button.json")
    body.update(fields)
    return body


def _form_submission(**view: Any) -> dict[str, Any]:
    body = payload("view_submission_form.json")
    body["view"].update(view)
    return body


def _form_json(body: dict[str, Any]) -> bytes:
    return quote_plus(json.dumps(body)).encode()


SLACK_REFUSED = [
    # (name, body, content type, status, words in the error)
    ("truncated JSON", b'{"type": "event_callback", "event": {', JSON, 400, "not valid JSON"),
    ("empty JSON body", b"", JSON, 400, "not valid JSON"),
    ("JSON array", b"[1, 2]", JSON, 400, "not a JSON object"),
    ("JSON string", b'"event_callback"', JSON, 400, "not a JSON object"),
    ("JSON null", b"null", JSON, 400, "not a JSON object"),
    ("JSON number", b"12", JSON, 400, "not a JSON object"),
    ("empty payload", b"payload=", FORM, 400, "payload field is not valid JSON"),
    ("payload not JSON", b"payload=%7Bnope", FORM, 400, "payload field is not valid JSON"),
    ("payload a list", b"payload=%5B1%5D", FORM, 400, "not a JSON object"),
    ("payload a string", b"payload=%22hi%22", FORM, 400, "not a JSON object"),
    ("no command", b"token=t&team_id=T1&user_id=UMAYA&text=help", FORM, 404, "unhandled"),
    ("empty form", b"", FORM, 404, "unhandled"),
    ("event without event", _event(event_id="Ev1"), JSON, 400, "event"),
    ("event that is a list", _event(event=[1]), JSON, 400, "event"),
    (
        "event without team",
        json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode(),
        JSON,
        400,
        "team_id",
    ),
    ("event without type", _event(event={"user": "UBEN"}), JSON, 400, "event.type"),
    (
        "message from nobody",
        _event(event={"type": "message", "channel_type": "im", "text": "help"}),
        JSON,
        400,
        "event.user",
    ),
    (
        "home opened by nobody",
        _event(event={"type": "app_home_opened", "user": ""}),
        JSON,
        400,
        "event.user",
    ),
    (
        "files that are not files",
        _event(event={"type": "message", "user": "UBEN", "channel_type": "im", "files": "x"}),
        JSON,
        400,
        "files",
    ),
    (
        "a file of no size",
        _event(
            event={
                "type": "message",
                "subtype": "file_share",
                "user": "UBEN",
                "channel_type": "im",
                "files": [{"size": "big", "url_private": "https://files.slack.com/x"}],
            }
        ),
        JSON,
        400,
        "size",
    ),
    ("an event id too long", _event(event_id="E" * 300, event={"type": "x"}), JSON, 400, "long"),
    (
        "button press with no actions",
        b"payload=" + _form_json(_button_press(actions=None)),
        FORM,
        400,
        "actions",
    ),
    (
        "button press with an empty list of actions",
        b"payload=" + _form_json(_button_press(actions=[])),
        FORM,
        400,
        "actions",
    ),
    (
        "a legacy message button with no actions",
        b"payload=" + _form_json({"type": "interactive_message", "callback_id": "x"}),
        FORM,
        404,
        "unhandled",
    ),
    (
        "a workflow step form",
        b"payload=" + _form_json(_form_submission(type="workflow_step")),
        FORM,
        400,
        "view.type",
    ),
    (
        "a DM event whose message is not an object",
        _event(event={"type": "message", "channel_type": "im", "user": "UB", "message": "x"}),
        JSON,
        400,
        "event.message",
    ),
    ("URL verification with no challenge", b'{"type": "url_verification"}', JSON, 400, "chall"),
    ("an unknown event type", _event(event={"type": "reaction_added"}), JSON, 404, "unhandled"),
    ("an unknown body type", b'{"type": "frobnicate"}', JSON, 404, "unhandled"),
    ("an unknown payload type", b"payload=%7B%22type%22%3A%22x%22%7D", FORM, 404, "unhandled"),
]


async def test_a_signed_body_slack_would_never_send_gets_a_clear_4xx_and_changes_nothing(
    slack: SlackWorld, errors: ErrorLog, subtests: pytest.Subtests
) -> None:
    """Regression: each of these was a 500 ("Error handling request" in the log), from
    json.loads or from bolt reading a field that was not there or not an object. (One
    server for them all, a subtest each: a refusal leaves nothing behind for the next.)"""
    for name, body, content_type, status, words in SLACK_REFUSED:
        with subtests.test(name):
            before = await snapshot(slack.app)
            answer_status, answer = await _slack(slack, body, content_type)
            _clear_refusal(answer_status, answer, status)
            assert words in answer["error"]
            assert await snapshot(slack.app) == before
            _nothing_said(slack.fake)
            assert errors.new() == []


@pytest.mark.parametrize(
    ("missing", "words"),
    [("user_id", "user_id"), ("team_id", "team_id")],
)
async def test_a_slash_command_without_who_or_where_is_refused_not_given_a_ghost(
    slack: SlackWorld, errors: ErrorLog, missing: str, words: str
) -> None:
    """Regression: without user_id the engine made a person with no id; without team_id,
    a workspace with no id whose first speaker became its coordinator."""
    body = _command(slack, "program create x1 --curriculum new-hire-buddy")
    fields = parse_qsl(body, keep_blank_values=True)
    blank = urlencode([(name, "" if name == missing else value) for name, value in fields])
    absent = urlencode([(name, value) for name, value in fields if name != missing])
    for sent in (blank, absent):
        before = await snapshot(slack.app)
        status, answer = await _slack(slack, sent.encode(), FORM)
        _clear_refusal(status, answer, 400)
        assert words in answer["error"]
        assert await snapshot(slack.app) == before
    _nothing_said(slack.fake)
    assert errors.new() == []


@pytest.mark.parametrize("stamp", ["yesterday", "", "1e9", "9" * 5000])
async def test_a_timestamp_that_is_not_a_number_is_401_not_500(
    slack: SlackWorld, errors: ErrorLog, stamp: str
) -> None:
    """Regression: the signature check turned the timestamp header into an int and raised."""
    body = _command(slack, "help").encode()
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=1",
    }
    async with slack.http.post(slack.server.make_url(SLACK), data=body, headers=headers) as answer:
        status, said = answer.status, _decoded(await answer.read())
    _clear_refusal(status, said, 401)  # a JSON sentence, like every other refusal
    _nothing_said(slack.fake)
    assert errors.new() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", "help payload"), ("channel_name", "payload-team"), ("user_name", "payload")],
)
async def test_a_slash_command_mentioning_payload_is_answered_not_lost(
    slack: SlackWorld, errors: ErrorLog, field: str, value: str
) -> None:
    """Regression: bolt reads any form body containing the word "payload" as an empty
    interactivity payload, so such a command went unanswered (a 404 to Slack)."""
    fields = parse_qsl(_command(slack, "help", name="payload"), keep_blank_values=True)
    body = urlencode([(name, value if name == field else kept) for name, kept in fields])
    status, _ = await _slack(slack, body.encode(), FORM)
    assert status == 200
    [reply] = [r for r in slack.fake.responses if r["url"] == "payload"]
    expected = "There's no command called 'payload'" if field == "text" else "help <command>"
    assert expected in html.unescape(str(reply["text"]))  # Slack shows &lt; as <
    assert errors.new() == []


# -- far too long ------------------------------------------------------------------------------


async def test_a_direct_message_far_too_long_gets_a_friendly_answer_in_the_dm(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    await slack.command("UBEN", "help")  # the workspace's first contact is kept, refused or not
    message = payload("event_message_im.json")
    message["event"].update(user="UBEN", channel="DUBEN", text="join " + "x" * 40_000)
    before = await snapshot(slack.app, ignore=frozenset({"inbound_events"}))

    status, _ = await _slack(slack, json.dumps(message).encode(), JSON)
    assert status == 200
    [answer] = slack.fake.posts_in("DUBEN")
    assert "That message is too long (40,005 characters)" in str(answer.text)
    assert await snapshot(slack.app, ignore=frozenset({"inbound_events"})) == before
    assert errors.new() == []


async def test_a_teams_form_field_far_too_long_is_refused_kindly(
    teams: TeamsWorld, errors: ErrorLog
) -> None:
    await teams.install("29:maya")
    await teams.say("29:maya", "program create buddies --curriculum new-hire-buddy")
    await teams.say("29:maya", "program open buddies")
    await teams.install("29:ben")
    await teams.say("29:ben", "join buddies")  # the join form, as a card
    before = await snapshot(teams.app, ignore=TEAMS_KEPT, columns=TEAMS_KEPT_COLUMNS)
    status, _ = await teams.press("29:ben", "Join", {"side": "mentee", "goals": "g" * 40_000})
    assert status == 200
    assert "goals: keep it under" in teams.fake.texts(chat("29:ben"))[-1]
    assert await snapshot(teams.app, ignore=TEAMS_KEPT, columns=TEAMS_KEPT_COLUMNS) == before
    assert errors.new() == []


# -- Teams activities missing what every activity has ---------------------------------------


TEAMS_REFUSED: list[tuple[str, dict[str, Any], str]] = [
    # (name, fields changed (None: removed), words in the error)
    ("no from", {"from": None}, "from.id"),
    ("from without id", {"from": {"name": "Ana"}}, "from.id"),
    ("from a string", {"from": "29:ana"}, "malformed"),
    ("from a blank id", {"from": {"id": "  "}}, "from.id"),
    ("from an id too long", {"from": {"id": "29:" + "a" * 200}}, "from.id"),
    ("no conversation", {"conversation": None}, "conversation.id"),
    ("conversation without id", {"conversation": {"conversationType": "personal"}}, "conv"),
    ("conversation a list", {"conversation": ["a:1"]}, "malformed"),
    ("ids too long", {"conversation": {"id": "a:" + "b" * 300}}, "longer than Teams"),
    ("id a number", {"id": 5}, "id is not a string"),
    ("tenant too long", {"channelData": {"tenant": {"id": "t" * 200}}}, "tenant"),
]


async def test_an_activity_without_a_usable_sender_or_conversation_is_400(
    teams: TeamsWorld, errors: ErrorLog, subtests: pytest.Subtests
) -> None:
    """Regression: with no sender the engine made a person with no id; with no
    conversation the turn failed only when answering, after the engine had acted."""
    await teams.install("29:ana")
    for name, change, words in TEAMS_REFUSED:
        with subtests.test(name):
            body = activity(
                "message",
                text="program create x1 --curriculum new-hire-buddy",
                **teams._who("29:ana"),
            )
            for field, value in change.items():
                if value is None:
                    del body[field]
                else:
                    body[field] = value
            before = await snapshot(teams.app)
            sent = len(teams.fake.sent)
            status, answer = await teams.post(body)
            _clear_refusal(status, answer, 400)
            assert words in answer["error"]
            assert await snapshot(teams.app) == before
            assert len(teams.fake.sent) == sent
            assert errors.new() == []


@pytest.mark.parametrize("kind", ["typing", "messageReaction", "event", "endOfConversation", "x"])
async def test_an_activity_type_the_bot_does_not_handle_is_acknowledged_and_ignored(
    teams: TeamsWorld, errors: ErrorLog, kind: str
) -> None:
    await teams.install("29:ana")
    body = activity(
        "message", text="program create x1 --curriculum new-hire-buddy", **teams._who("29:ana")
    )
    body["type"] = kind
    before = await snapshot(teams.app)
    sent = len(teams.fake.sent)
    status, _ = await teams.post(body)
    assert status == 200
    assert await snapshot(teams.app) == before
    assert len(teams.fake.sent) == sent
    assert errors.new() == []


async def test_a_name_with_a_nul_or_half_a_surrogate_pair_is_stored_cleaned(
    teams: TeamsWorld, errors: ErrorLog
) -> None:
    """Regression: PostgreSQL refused a NUL in a display name, and the person who sent
    ``help`` got "Sorry, something went wrong on my side"."""
    body = activity("message", text="help \x00", **teams._who("29:ana"))
    body["from"]["name"] = "A\x00na \ud800"
    status, _ = await teams.post(body)
    assert status == 200
    [answer] = teams.fake.texts(chat("29:ana"))
    assert "Type help <command>" in answer
    people = (await snapshot(teams.app))["people"]
    assert [row[3] for row in people] == ["Ana \ufffd"]
    assert errors.new() == []


# -- the server's own refusals ------------------------------------------------------------------


async def _hello(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"hello": True})


async def test_the_servers_own_refusals_are_json_too() -> None:
    """``limits.json_errors``: aiohttp's 404, 405 and 413 say what is wrong, as JSON."""
    import aiohttp

    web_app = web.Application(client_max_size=1024, middlewares=[limits.json_errors])
    web_app.router.add_post("/hello", _hello)
    server = TestServer(web_app, port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            for method, path, data, status in [
                ("POST", "/nowhere", b"", 404),
                ("GET", "/hello", b"", 405),
                ("POST", "/hello", b"x" * 4096, 413),
                ("POST", "/hello", b"x", 200),
            ]:
                async with http.request(method, server.make_url(path), data=data) as response:
                    answer = _decoded(await response.read())
                    assert response.status == status, answer
                    assert response.content_type == JSON
                    if status != 200:
                        assert isinstance(answer, dict) and answer["error"], answer
                    if status == 405:
                        assert response.headers["Allow"] == "POST"
    finally:
        await server.close()


async def test_slacks_url_verification_is_still_answered(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "c-123"})
    status, answer = await _slack(slack, body.encode(), JSON)
    assert status == 200
    assert answer == {"challenge": "c-123"} or answer == "c-123"
    assert errors.new() == []


async def test_a_button_on_the_home_tab_is_answered_in_the_dm(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    """Regression (found by the payload property): Slack sends no response URL for a
    button on the Home tab, so the answer failed to post ("respond is unsupported here")
    and the person heard nothing."""
    press = _button_press(container={"type": "view", "view_id": "V1"})
    for field in ("response_url", "message", "channel"):
        del press[field]
    press["actions"][0].update(action_id="help:0", value="")
    status, _ = await _slack(slack, b"payload=" + _form_json(press), FORM)
    assert status == 200
    [answer] = slack.fake.posts_in("UBEN")  # a user id as channel: the bot's DM with them
    assert "help <command>" in html.unescape(str(answer.text))  # Slack shows &lt; as <
    assert errors.new() == []


async def test_an_activity_with_a_nul_or_half_a_surrogate_pair_in_its_ids_is_answered(
    teams: TeamsWorld, errors: ErrorLog
) -> None:
    """Regression (found by the activity property): the adapter keeps an activity's id
    (to spot a retry) and its conversation reference as they come, and PostgreSQL refused
    a NUL in them, asyncpg half a surrogate pair: the turn failed with an ERROR."""
    await teams.install("29:ana")
    before = len(teams.fake.messages(chat("29:ana")))
    for odd in ("1\x00", "2\ud800", "3\udfff\x00"):
        body = activity("message", text="help", **teams._who("29:ana"))
        body["id"] = odd
        body["channelData"]["note\x00"] = "\udfff"
        status, _ = await teams.post(body)  # JSON carries them as \u0000 and \ud800
        assert status == 200
    answers = teams.fake.texts(chat("29:ana"))[before:]
    assert len(answers) == 3 and all("Type help <command>" in a for a in answers)
    assert errors.new() == []


async def test_a_slack_event_id_with_a_nul_or_half_a_surrogate_pair_is_answered(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    for number, odd in enumerate(("Ev\x00", "Ev\ud800")):
        message = payload("event_message_im.json")
        message["event_id"] = odd
        message["event"].update(user="UBEN", channel="DUBEN", text="help", ts=f"17.{number}")
        status, _ = await _slack(slack, json.dumps(message).encode(), JSON)
        assert status == 200
    assert len(slack.fake.posts_in("DUBEN")) == 2
    assert errors.new() == []


async def test_a_stale_form_button_on_the_home_tab_is_answered_in_the_dm(
    slack: SlackWorld, errors: ErrorLog
) -> None:
    """A "form.open" button with a broken value, pressed on the Home tab (no response URL):
    the out-of-date answer goes to the DM, as other Home-tab answers do."""
    press = _button_press(container={"type": "view", "view_id": "V1"})
    for field in ("response_url", "message", "channel"):
        del press[field]
    press["actions"][0].update(action_id="form.open:0", value="{not json")
    status, _ = await _slack(slack, b"payload=" + _form_json(press), FORM)
    assert status == 200
    [answer] = slack.fake.posts_in("UBEN")
    assert "out of date" in str(answer.text)
    assert errors.new() == []


async def test_a_request_that_takes_too_long_is_answered_503_and_changes_nothing(
    teams: TeamsWorld, errors: ErrorLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 item 5: besides the body's read deadline, the whole request has one. A
    handler stuck behind something (here, the engine taking a minute) is cancelled, its
    transaction rolled back, and the platform told to try again, within the deadline."""
    monkeypatch.setattr(limits, "REQUEST_SECONDS", 0.5)
    handle = Engine.handle

    async def stuck(engine: Engine, event: Any) -> Any:
        await asyncio.sleep(60)
        return await handle(engine, event)

    monkeypatch.setattr(Engine, "handle", stuck)
    before = await snapshot(teams.app)
    started = time.monotonic()
    message = activity("message", text="help", **teams._who("29:ana"))
    status, answer = await teams.post(message)
    assert time.monotonic() - started < 5
    assert status == 503 and "took more than 0.5 s" in answer["error"]
    assert await snapshot(teams.app) == before
    assert errors.new() == []

    monkeypatch.setattr(Engine, "handle", handle)
    before = len(teams.fake.messages(chat("29:ana")))
    status, _ = await teams.post(message)  # the Bot Framework's retry: handled, not dropped
    assert status == 200
    assert len(teams.fake.messages(chat("29:ana"))) > before
