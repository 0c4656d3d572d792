"""Log lines say which request, workspace, programme and outbox row they are about.

With ``LOG_FORMAT=json`` each line is one JSON object; the ids come from what the
server, the engine and the dispatcher bound to the task, never from what a person
wrote, and no token or secret appears.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import JsonLines
from conversations import logcontext
from conversations.delivery import Delivery
from conversations.engine import Engine
from conversations.messages import Message
from storage.models import OutboxMessage, Workspace
from storage.repositories import enqueue
from tests.support.harness import open_chat
from tests.support.slack_world import SECRET, SlackWorld, slash_command

PRIVATE = "my manager keeps shouting at me"


class Lines:
    """JSON log lines as the ``serve`` process writes them, captured from the root logger."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def __call__(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines()
    handler = logging.StreamHandler(captured.stream)
    handler.addFilter(logcontext.ContextFilter())
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield captured
    finally:
        root.removeHandler(handler)


def test_ids_bind_to_a_block_and_only_known_fields_are_accepted() -> None:
    assert logcontext.current() == {}
    with logcontext.about(request_id="r1", platform="slack"):
        logcontext.bind(workspace="T1", outbox_id=7, programme=None)
        assert logcontext.current() == {
            "request_id": "r1",
            "platform": "slack",
            "workspace": "T1",
            "outbox_id": "7",
        }
        with logcontext.about(outbox_id=8):
            assert logcontext.current()["outbox_id"] == "8"
        assert logcontext.current()["outbox_id"] == "7"
    assert logcontext.current() == {}
    with pytest.raises(ValueError, match="not a log context field: token"):
        logcontext.bind(token="xoxb-1")


def test_a_call_that_passes_its_own_id_keeps_it() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.outbox_id = "42"
    with logcontext.about(outbox_id=1, workspace="T9"):
        assert logcontext.ContextFilter().filter(record)
    assert (record.outbox_id, record.workspace) == ("42", "T9")


async def test_a_failing_slack_command_logs_its_request_workspace_and_programme(
    slack: SlackWorld,
    lines: Lines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await slack.command("UMAYA", "program create buddies --curriculum new-hire-buddy")
    original = Engine._dispatch

    async def failing(self: Engine, ctx: Any, event: Any) -> list[Message]:
        await ctx.programme("buddies")  # the engine resolved the programme, then broke
        raise RuntimeError("the database said no")

    monkeypatch.setattr(Engine, "_dispatch", failing)
    body = slash_command(
        user_id="UMAYA",
        text=f"concern buddies {PRIVATE}",
        response_url=slack.fake.response_url("failing"),
        trigger_id="1.2.abc",
    )
    response = await slack.post(body, headers={"X-Request-Id": "lb-1234"})
    assert response.status == 200
    await slack.fake.wait_until(lambda: any(r["url"] == "failing" for r in slack.fake.responses))
    monkeypatch.setattr(Engine, "_dispatch", original)
    hostile = await slack.post(
        slash_command(
            user_id="UMAYA",
            text="status",
            response_url=slack.fake.response_url("hostile"),
            trigger_id="1.3.abc",
        ),
        headers={"X-Request-Id": "not an id at all"},
    )
    assert hostile.status == 200
    await slack.fake.wait_until(lambda: any(r["url"] == "hostile" for r in slack.fake.responses))
    logged = lines()
    failed = [line for line in logged if line["message"].startswith("failed handling")]
    assert len(failed) == 1, logged
    [line] = failed
    assert line["level"] == "ERROR"
    assert line["request_id"] == "lb-1234"
    assert (line["platform"], line["workspace"], line["programme"]) == ("slack", "T1", "buddies")
    assert "RuntimeError: the database said no" in line["exception"]
    everything = json.dumps(logged)
    for secret in (PRIVATE, SECRET, "xoxb-test", "gIkuvaNzQIHg97ATvDxqgjtO"):
        assert secret not in everything
    assert "not an id at all" not in everything


async def test_a_failed_send_logs_its_outbox_row_and_workspace(
    database_url: str, lines: Lines
) -> None:
    class Broken:
        async def send(self, delivery: Delivery) -> str | None:
            raise KeyError("a bug in an adapter")

    async with open_chat(database_url) as chat:
        await chat.say("uma", "help")  # the workspace exists once someone has spoken
        now = chat.app.clock.now()
        async with chat.app.sessions.begin() as session:
            workspace = await session.scalar(
                select(Workspace).where(Workspace.external_id == chat.workspace)
            )
            assert workspace is not None
            await enqueue(
                session,
                workspace_id=workspace.id,
                key="log:1",
                kind="announcement",
                payload=Message(text="hello", kind="announcement").to_json(),
                not_before=now,
                created_at=now,
                channel="C1",
                timing="now",
            )
            row_id = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.idempotency_key == "log:1")
            )
        await chat.app.dispatcher(Broken(), platforms=frozenset({"console"})).deliver_due()
    [line] = [line for line in lines() if line["message"].startswith("transport failed")]
    assert (line["outbox_id"], line["workspace"], line["platform"]) == (
        str(row_id),
        chat.workspace,
        "console",
    )
    assert "request_id" not in line
