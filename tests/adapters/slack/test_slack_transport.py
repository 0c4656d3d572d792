"""The Slack transport, against a fake Slack Web API: what Slack receives, and what the
dispatcher is told when Slack says no."""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from adapters.slack.transport import EVENT_TYPE, SlackTransport
from conversations.delivery import Delivery, DeliveryError, Removed
from conversations.messages import Attachment, Button, Card, Message, Section
from storage.models import Pair, Person, Programme, Workspace
from tests.support.fake_slack import FakeSlack, Reply

TOKEN = "xoxb-test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends every request through a proxy named in the environment, which
    would take requests for the local fake elsewhere."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(tokens={TOKEN: "T1"}) as fake:
        yield fake


Opened = Callable[..., Awaitable[SlackTransport]]


@pytest.fixture
async def transport(slack: FakeSlack) -> AsyncIterator[Opened]:
    """Opens transports to the fake (a fresh one is a new process: nothing cached)."""
    opened: list[SlackTransport] = []

    async def open_transport(
        *, coordinator: str | None = None, tokens: dict[str, str] | None = None
    ) -> SlackTransport:
        installed = tokens if tokens is not None else {"T1": TOKEN}

        async def token_for(workspace: Workspace) -> str | None:
            return installed.get(workspace.external_id)

        async def coordinator_copy(pair: Pair) -> str | None:
            assert pair.programme.safeguarded
            return coordinator

        made = SlackTransport(token_for, base_url=slack.api_url, coordinator_copy=coordinator_copy)
        opened.append(made)
        return made

    yield open_transport
    for made in opened:
        await made.close()


def person(id: int, user: str, name: str) -> Person:
    return Person(id=id, workspace_id=1, platform_user_id=user, display_name=name, timezone="UTC")


WORKSPACE = Workspace(id=1, platform="slack", external_id="T1", name="Acme", settings={})
ANA = person(1, "U1", "Ana")
BEN = person(2, "U2", "Ben")
AGENDA = Message(
    text="Session 2 with Ben: goals. Did you meet?",
    card=Card(
        header="Session 2: goals",
        sections=(Section(text="Talk about what you want from the next month."),),
        buttons=(Button(label="We met", action="met", value="7", style="primary"),),
    ),
    kind="agenda",
)


def pair(*, safeguarded: bool = False) -> Pair:
    programme = Programme(
        id=3,
        workspace_id=1,
        key="spring",
        name="Spring mentoring",
        curriculum_key="basics",
        curriculum_version=1,
        cadence_days=14,
        safeguarded=safeguarded,
    )
    return Pair(
        id=7, programme_id=3, mentor_id=2, mentee_id=1, mentor=BEN, mentee=ANA, programme=programme
    )


def delivery(
    key: str = "agenda:7:2",
    *,
    to: Person | None = ANA,
    pair: Pair | None = None,
    channel: str | None = None,
    workspace: Workspace = WORKSPACE,
    message: Message = AGENDA,
) -> Delivery:
    return Delivery(
        outbox_id=1,
        key=key,
        workspace=workspace,
        message=message,
        person=to,
        pair=pair,
        channel=channel,
    )


def expected_blocks(message: Message) -> list[dict[str, Any]] | None:
    """What the Block Kit renderer makes of the message; None (text only) until it exists."""
    try:
        blocks = importlib.import_module("adapters.slack.blocks")
    except ModuleNotFoundError:
        return None
    made: list[dict[str, Any]] = blocks.message_blocks(message)
    return made or None


async def failure(transport: SlackTransport, sent: Delivery) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await transport.send(sent)
    return caught.value


# -- where messages go ---------------------------------------------------------------------


async def test_a_message_to_ana_lands_in_her_dm_with_its_key(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport()

    message_id = await slack_transport.send(delivery())

    [opened] = slack.calls_to("conversations.open")
    assert opened.params["users"] == "U1"
    assert opened.token == TOKEN
    [post] = slack.posts
    assert post.channel == "DU1"
    assert message_id == f"DU1:{post.ts}"
    assert post.text == AGENDA.text
    assert post.metadata == {"event_type": EVENT_TYPE, "event_payload": {"key": "agenda:7:2"}}
    assert post.params["unfurl_links"] is False
    assert post.blocks == expected_blocks(AGENDA)


async def test_without_a_block_kit_renderer_the_text_goes_alone(
    slack: FakeSlack, transport: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "adapters.slack.blocks", None)  # as if not installed

    await (await transport()).send(delivery())

    [post] = slack.posts
    assert post.text == AGENDA.text
    assert post.blocks is None
    assert post.metadata is not None


async def test_a_second_message_to_ana_reuses_her_dm(slack: FakeSlack, transport: Opened) -> None:
    slack_transport = await transport()

    first = await slack_transport.send(delivery("one"))
    second = await slack_transport.send(delivery("two"))

    assert slack.counts["conversations.open"] == 1
    assert slack.counts["chat.postMessage"] == 2
    assert first != second
    assert [p.channel for p in slack.posts] == ["DU1", "DU1"]


async def test_a_pair_message_goes_to_one_group_dm_with_both(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport()

    await slack_transport.send(delivery(to=None, pair=pair()))

    [opened] = slack.calls_to("conversations.open")
    assert opened.params["users"] == "U2,U1"
    [post] = slack.posts
    assert post.channel == FakeSlack.conversation_id("U1", "U2")


async def test_a_safeguarded_pair_talks_with_a_coordinator_present(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport(coordinator="UCOORD")

    await slack_transport.send(delivery(to=None, pair=pair(safeguarded=True)))

    [opened] = slack.calls_to("conversations.open")
    assert opened.params["users"] == "U2,U1,UCOORD"
    [post] = slack.posts
    assert post.channel == FakeSlack.conversation_id("U1", "U2", "UCOORD")


async def test_a_safeguarded_pair_without_a_coordinator_gets_nothing(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport(coordinator=None)

    error = await failure(slack_transport, delivery(to=None, pair=pair(safeguarded=True)))

    assert error.permanent and str(error).startswith("safeguarding:")
    assert slack.calls == []


async def test_an_announcement_is_posted_to_its_channel(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport()
    note = Message(text="Spring mentoring opens on Monday.", kind="announcement")

    message_id = await slack_transport.send(delivery(to=None, channel="C42", message=note))

    assert slack.counts["conversations.open"] == 0
    [post] = slack.posts
    assert (post.channel, post.text, message_id) == ("C42", note.text, f"C42:{post.ts}")
    assert post.blocks == expected_blocks(note)


# -- when Slack says no --------------------------------------------------------------------


async def test_a_rate_limit_says_when_to_retry(slack: FakeSlack, transport: Opened) -> None:
    slack.queue("chat.postMessage", Reply.ratelimited(retry_after=3))

    error = await failure(await transport(), delivery())

    assert str(error) == "ratelimited"
    assert error.retry_after == 3
    assert not error.permanent
    assert slack.posts == []


async def test_a_person_slack_cannot_find_is_unreachable(
    slack: FakeSlack, transport: Opened
) -> None:
    slack.queue("conversations.open", Reply.error("user_not_found"))

    error = await failure(await transport(), delivery())

    assert error.permanent and str(error).startswith("unreachable:")
    assert "U1" in str(error)
    assert slack.counts["chat.postMessage"] == 0


async def test_a_deactivated_person_is_unreachable_when_the_token_is_fine(
    slack: FakeSlack, transport: Opened
) -> None:
    slack.queue("conversations.open", Reply.error("account_inactive"))

    error = await failure(await transport(), delivery())

    assert error.permanent and str(error).startswith("unreachable: account_inactive")
    assert slack.counts["auth.test"] == 1


async def test_a_deactivated_bot_account_means_the_app_is_gone_from_the_workspace(
    slack: FakeSlack, transport: Opened
) -> None:
    slack.queue("conversations.open", Reply.error("account_inactive"))
    slack.queue("auth.test", Reply.error("account_inactive"))

    error = await failure(await transport(), delivery())

    assert isinstance(error, Removed) and error.workspace
    assert str(error) == "Slack refused its token: account_inactive"


async def test_a_missing_scope_is_an_installation_problem(
    slack: FakeSlack, transport: Opened
) -> None:
    slack.queue("chat.postMessage", Reply.error("missing_scope"))

    error = await failure(await transport(), delivery())

    assert not isinstance(error, Removed)
    assert error.permanent and str(error) == "auth: missing_scope"


async def test_a_missing_channel_is_a_channel_problem(slack: FakeSlack, transport: Opened) -> None:
    slack.queue("chat.postMessage", Reply.error("channel_not_found"))

    error = await failure(await transport(), delivery(to=None, channel="C404"))

    assert error.permanent and str(error).startswith("channel:")


async def test_a_vanished_dm_is_opened_afresh(slack: FakeSlack, transport: Opened) -> None:
    slack_transport = await transport()
    await slack_transport.send(delivery("one"))
    slack.queue("chat.postMessage", Reply.error("channel_not_found"))
    await failure(slack_transport, delivery("two"))

    await slack_transport.send(delivery("three"))

    assert slack.counts["conversations.open"] == 2


async def test_a_slack_outage_is_retried(slack: FakeSlack, transport: Opened) -> None:
    slack.queue("chat.postMessage", Reply.http(500))

    error = await failure(await transport(), delivery())

    assert not error.permanent
    assert error.retry_after is None
    assert slack.posts == []


async def test_slack_out_of_reach_is_retried() -> None:
    async with FakeSlack() as gone:
        url = gone.api_url

    async def token_for(workspace: Workspace) -> str | None:
        return TOKEN

    slack_transport = SlackTransport(token_for, base_url=url)
    try:
        error = await failure(slack_transport, delivery())
    finally:
        await slack_transport.close()

    assert not error.permanent
    assert str(error).startswith("slack unreachable:")


async def test_a_team_without_an_installation_is_gone_without_asking_slack(
    slack: FakeSlack, transport: Opened
) -> None:
    error = await failure(await transport(tokens={}), delivery())

    assert isinstance(error, Removed) and error.workspace
    assert str(error) == "no installation of the app is stored for it"
    assert slack.calls == []


async def test_a_refused_token_means_the_app_is_gone_from_the_workspace(
    slack: FakeSlack, transport: Opened
) -> None:
    error = await failure(await transport(tokens={"T1": "xoxb-revoked"}), delivery())

    assert isinstance(error, Removed) and error.workspace
    assert str(error) == "Slack refused its token: invalid_auth"
    assert slack.calls_to("conversations.open")[0].token == "xoxb-revoked"


# -- after a crash -------------------------------------------------------------------------


async def test_confirm_finds_a_message_that_already_arrived(
    slack: FakeSlack, transport: Opened
) -> None:
    sent = await (await transport()).send(delivery("agenda:7:2"))
    await (await transport()).send(delivery("agenda:7:3"))

    restarted = await transport()

    assert await restarted.confirm(delivery("agenda:7:2")) == sent
    assert await restarted.confirm(delivery("agenda:7:9")) is None
    [history, *_] = slack.calls_to("conversations.history")
    assert history.params["channel"] == "DU1"
    assert history.params["limit"] == "50"
    assert history.params["include_all_metadata"] == "1"


async def test_confirm_is_none_when_slack_cannot_say(slack: FakeSlack, transport: Opened) -> None:
    slack_transport = await transport()
    await slack_transport.send(delivery())
    slack.queue("conversations.history", Reply.http(500))

    assert await slack_transport.confirm(delivery()) is None
    assert await (await transport(tokens={})).confirm(delivery()) is None


DIGEST = Message(
    text="Mentoring this week: 4 active pairs, 3 met (75 %). Pairs that met: ▃▅█",
    card=Card(header="Mentoring this week", sections=(Section(text="Counts only."),)),
    kind="digest",
    attachments=(Attachment(name="mentoring-2026-W11.png", media_type="image/png", data=PNG),),
)


async def test_a_digests_chart_is_uploaded_beside_it_in_the_dm(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport()

    await slack_transport.send(delivery("digest:1:2026-W11", message=DIGEST))

    [post] = slack.posts
    assert post.channel == FakeSlack.conversation_id("U1") and "▃▅█" in str(post.text)
    [shared] = slack.shared
    assert shared["channel"] == post.channel
    assert list(slack.uploads.values()) == [PNG]


async def test_a_chart_that_cannot_be_uploaded_leaves_the_words_and_no_retry(
    slack: FakeSlack, transport: Opened
) -> None:
    slack_transport = await transport()
    slack.queue("files.getUploadURLExternal", Reply.error("not_allowed_token_type"))

    sent = await slack_transport.send(delivery("digest:1:2026-W11", message=DIGEST))

    assert sent is not None and len(slack.posts) == 1  # posted once, not failed for a retry
    assert slack.uploads == {} and slack.shared == []
