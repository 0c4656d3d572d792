"""The fake Bot Connector behaves as Teams' does, for plain HTTP and for botbuilder's client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import DeserializationError
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import ClientRequestError

from tests.support.fake_teams import ADAPTIVE_CARD, FakeBotConnector, Reply, Sent


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as connector:
        yield connector


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def card(*body: dict[str, Any]) -> dict[str, Any]:
    return {
        "contentType": ADAPTIVE_CARD,
        "content": {"type": "AdaptiveCard", "version": "1.4", "body": list(body)},
    }


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.request(method, url, json=body, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, await response.json(), response
        return response.status, await response.text(), response


# -- plain HTTP ------------------------------------------------------------------------------


async def test_service_url_is_local_and_ends_with_a_slash(fake: FakeBotConnector) -> None:
    assert fake.service_url.startswith("http://127.0.0.1:")
    assert fake.service_url.endswith("/teams/")


async def test_create_conversation_answers_a_deterministic_id(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    body = {
        "bot": {"id": "28:bot"},
        "members": [{"id": "29:alice"}],
        "isGroup": False,
        "tenantId": "t1",
        "channelData": {"tenant": {"id": "t1"}},
    }
    status, answer, _ = await call(http, "POST", fake.service_url + "v3/conversations", body)
    assert status == 201
    assert answer == {"id": "a:29_alice", "activityId": None, "serviceUrl": fake.service_url}
    assert FakeBotConnector.personal_conversation_id("29:alice") == "a:29_alice"
    assert fake.sent == [Sent("create", "a:29_alice", body, "", None, None)]
    assert fake.counts["create"] == 1


async def test_create_without_members_is_a_bad_argument(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    status, answer, _ = await call(http, "POST", fake.service_url + "v3/conversations", {})
    assert status == 400
    assert answer["error"]["code"] == "BadArgument"
    assert fake.sent == []


async def test_sends_are_recorded_with_increasing_ids(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:29_alice/activities"
    headers = {"Authorization": "Bearer token-1"}
    first = await call(http, "POST", url, {"type": "message", "text": "one"}, headers)
    second = await call(http, "POST", url, {"type": "message", "text": "two"})
    assert (first[0], first[1]) == (201, {"id": "1:0001"})
    assert (second[0], second[1]) == (201, {"id": "1:0002"})
    assert [(s.kind, s.activity_id, s.authorization) for s in fake.sent] == [
        ("send", "1:0001", "Bearer token-1"),
        ("send", "1:0002", None),
    ]
    assert fake.texts() == ["one", "two"]
    assert fake.texts("a:29_alice") == ["one", "two"]
    assert fake.texts("a:someone_else") == []
    assert fake.counts["send"] == 2


async def test_a_send_without_a_type_is_refused(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:x/activities"
    status, answer, _ = await call(http, "POST", url, {"text": "no type"})
    assert status == 400
    assert answer["error"]["code"] == "BadArgument"
    assert fake.messages() == []


async def test_reply_records_what_it_replies_to(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:x/activities/f:incoming-1"
    activity = {
        "type": "message",
        "text": "Welcome",
        "attachments": [
            card(
                {"type": "TextBlock", "text": "Your mentor"},
                {"type": "FactSet", "facts": [{"title": "Name", "value": "Bob"}]},
                {"type": "Container", "items": [{"type": "TextBlock", "text": "nested"}]},
                {"type": "ActionSet", "actions": []},
            )
        ],
    }
    status, answer, _ = await call(http, "POST", url, activity)
    assert (status, answer) == (201, {"id": "1:0001"})
    [reply] = fake.messages("a:x")
    assert (reply.kind, reply.reply_to, reply.activity_id) == ("reply", "f:incoming-1", "1:0001")
    assert fake.texts() == ["Welcome\nYour mentor\nName: Bob"]
    assert fake.cards() == [activity["attachments"][0]["content"]]


async def test_update_replaces_an_activity_in_place(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:x/activities/1:0007"
    activity = {"type": "message", "attachments": [card({"type": "TextBlock", "text": "Done"})]}
    status, answer, _ = await call(http, "PUT", url, activity)
    assert (status, answer) == (200, {"id": "1:0007"})
    assert fake.updates() == [Sent("update", "a:x", activity, "1:0007", None, None)]
    assert fake.updates("a:y") == []
    assert fake.messages() == []
    assert fake.counts["update"] == 1


async def test_members_are_looked_up_one_by_one_or_all(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.add_member("29:alice", "Alice Smith", email="alice@example.com", aad_object_id="aad-1")
    fake.add_member("29:bob", "Bob", upn="bob@example.com")
    base = fake.service_url + "v3/conversations/a:29_alice/members"
    status, alice, _ = await call(http, "GET", base + "/29:alice")
    assert status == 200
    assert alice == {
        "id": "29:alice",
        "name": "Alice Smith",
        "aadObjectId": "aad-1",
        "email": "alice@example.com",
        "userPrincipalName": "alice@example.com",
        "tenantId": "t1",
        "userRole": "user",
        "givenName": "Alice",
        "surname": "Smith",
    }
    status, everyone, _ = await call(http, "GET", base)
    assert status == 200
    assert [m["id"] for m in everyone] == ["29:alice", "29:bob"]
    assert everyone[1]["userPrincipalName"] == "bob@example.com"
    status, missing, _ = await call(http, "GET", base + "/29:nobody")
    assert status == 404
    assert missing["error"]["code"] == "MemberNotFoundInConversation"


async def test_a_scripted_403_is_answered_once_and_changes_nothing(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.queue("send", Reply.error(403, "BotNotInConversationRoster", "not installed"))
    url = fake.service_url + "v3/conversations/a:x/activities"
    status, answer, _ = await call(http, "POST", url, {"type": "message", "text": "one"})
    assert status == 403
    assert answer == {"error": {"code": "BotNotInConversationRoster", "message": "not installed"}}
    assert fake.sent == []
    status, answer, _ = await call(http, "POST", url, {"type": "message", "text": "two"})
    assert (status, answer) == (201, {"id": "1:0001"})
    assert fake.texts() == ["two"]
    assert fake.counts["send"] == 2
    assert len(fake.requests) == 2


async def test_a_scripted_429_carries_retry_after(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.queue("create", Reply.throttled(7))
    url = fake.service_url + "v3/conversations"
    body = {"members": [{"id": "29:alice"}]}
    status, answer, response = await call(http, "POST", url, body)
    assert status == 429
    assert response.headers["Retry-After"] == "7"
    assert answer["error"]["code"] == "Throttled"
    assert fake.sent == []
    status, answer, _ = await call(http, "POST", url, body)
    assert (status, answer["id"]) == (201, "a:29_alice")


async def test_a_scripted_error_page_is_not_json(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.queue("update", Reply.http(502))
    status, answer, response = await call(
        http, "PUT", fake.service_url + "v3/conversations/a:x/activities/1", {"type": "message"}
    )
    assert status == 502
    assert response.content_type == "text/html"
    assert "<html>" in answer


async def test_queue_refuses_unknown_kinds(fake: FakeBotConnector) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        fake.queue("delete", Reply.http(500))


async def test_repeated_slashes_are_collapsed(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "/v3//conversations/a:x/activities"
    assert "/teams//v3//" in url
    status, _, _ = await call(http, "POST", url, {"type": "message", "text": "hi"})
    assert status == 201
    assert fake.requests == [("POST", "/teams/v3/conversations/a:x/activities")]


async def test_percent_encoded_ids_are_decoded(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = (
        fake.service_url
        + "v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D123/activities/1%3A0001"
    )
    status, _, _ = await call(http, "POST", url, {"type": "message", "text": "in thread"})
    assert status == 201
    [reply] = fake.sent
    assert reply.conversation_id == "19:abc@thread.tacv2;messageid=123"
    assert reply.reply_to == "1:0001"


async def test_anything_else_is_a_404(fake: FakeBotConnector, http: aiohttp.ClientSession) -> None:
    base = fake.service_url.removesuffix("teams/")
    for method, url in [
        ("GET", fake.service_url + "v3/conversations"),
        ("DELETE", fake.service_url + "v3/conversations/a:x/activities/1"),
        ("POST", base + "v3/conversations/a:x/activities"),
    ]:
        status, answer, _ = await call(http, method, url, {"type": "message"})
        assert status == 404
        assert answer["error"]["code"] == "NotFound"
    assert fake.counts["unknown"] == 3
    assert fake.sent == []


async def test_wait_for_wakes_when_a_message_arrives(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:x/activities"

    async def later() -> None:
        await asyncio.sleep(0.05)
        await call(http, "POST", url, {"type": "message", "text": "hello"})

    task = asyncio.create_task(later())
    await fake.wait_for(lambda: fake.texts() == ["hello"])
    await task


async def test_wait_for_times_out_with_what_was_sent(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:x/activities"
    await call(http, "POST", url, {"type": "message", "text": "something else"})
    with pytest.raises(AssertionError, match="something else"):
        await fake.wait_for(lambda: "hello" in fake.texts(), timeout=0.1)


# -- botbuilder's own client -----------------------------------------------------------------


class FixedTokenCredentials(MicrosoftAppCredentials):
    """Credentials that sign requests with a fixed token, never asking Azure AD for one."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "fake-token"


def sdk_client(fake: FakeBotConnector) -> ConnectorClient:
    return ConnectorClient(MicrosoftAppCredentials.empty(), base_url=fake.service_url)


def no_retries(client: ConnectorClient) -> ConnectorClient:
    """Make msrest give up at once and hand back the error response, whatever the method.

    ``retries = 0`` alone still turns a retryable status (5xx) into a ``ClientRequestError``
    wrapping urllib3's "max retries exceeded", losing the status; ``raise_on_status = False``
    makes urllib3 return the response, so the SDK raises ``ErrorResponseException``. Both
    change the Retry object the client's sessions already share, so they apply at once.
    """
    client.config.retry_policy.retries = 0
    client.config.retry_policy.policy.raise_on_status = False
    return client


async def test_the_sdk_sends_and_starts_conversations(fake: FakeBotConnector) -> None:
    client = sdk_client(fake)
    sent = await client.conversations.send_to_conversation(
        "a:x", Activity(type="message", text="hi")
    )
    assert sent.id == "1:0001"
    created = await client.conversations.create_conversation(
        ConversationParameters(
            bot=ChannelAccount(id="28:bot"),
            members=[ChannelAccount(id="29:alice")],
            is_group=False,
            tenant_id="t1",
        )
    )
    assert created.id == FakeBotConnector.personal_conversation_id("29:alice")
    assert created.service_url == fake.service_url
    replied = await client.conversations.reply_to_activity(
        "19:abc@thread.tacv2;messageid=9", "f:1", Activity(type="message", text="re")
    )
    assert replied.id == "1:0002"
    updated = await client.conversations.update_activity(
        "a:x", "1:0001", Activity(type="message", text="hi again")
    )
    assert updated.id == "1:0001"
    assert [(s.kind, s.conversation_id, s.reply_to) for s in fake.sent] == [
        ("send", "a:x", None),
        ("create", "a:29_alice", None),
        ("reply", "19:abc@thread.tacv2;messageid=9", "f:1"),
        ("update", "a:x", None),
    ]
    assert fake.sent[1].activity["members"] == [{"id": "29:alice"}]
    # msrest spells it "tenantID"; Teams reads the tenant from channelData.tenant.id anyway.
    assert fake.sent[1].activity["tenantID"] == "t1"
    assert "tenantId" not in fake.sent[1].activity
    assert fake.texts() == ["hi", "re"]
    assert all(s.authorization is None for s in fake.sent)


async def test_the_sdk_reads_members(fake: FakeBotConnector) -> None:
    fake.add_member("29:alice", "Alice Smith", email="alice@example.com", aad_object_id="aad-1")
    client = sdk_client(fake)
    alice = await client.conversations.get_conversation_member("a:x", "29:alice")
    assert (alice.id, alice.name, alice.aad_object_id) == ("29:alice", "Alice Smith", "aad-1")
    everyone = await client.conversations.get_conversation_members("a:x")
    assert [m.id for m in everyone] == ["29:alice"]
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.get_conversation_member("a:x", "29:nobody")
    assert caught.value.response.status_code == 404
    assert caught.value.error.error.code == "MemberNotFoundInConversation"


async def test_the_sdk_sends_the_bearer_token(fake: FakeBotConnector) -> None:
    client = ConnectorClient(FixedTokenCredentials("app-id", "secret"), base_url=fake.service_url)
    await client.conversations.send_to_conversation("a:x", Activity(type="message", text="hi"))
    assert fake.sent[0].authorization == "Bearer fake-token"


async def test_sdk_errors_carry_status_code_and_error_code(fake: FakeBotConnector) -> None:
    client = sdk_client(fake)
    fake.queue("send", Reply.error(403, "MessageWritesBlocked", "blocked"))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation("a:x", Activity(type="message", text="hi"))
    error = caught.value
    assert error.response.status_code == 403
    assert error.error.error.code == "MessageWritesBlocked"
    assert error.error.error.message == "blocked"
    assert error.message == "(MessageWritesBlocked) blocked"

    fake.queue("send", Reply.throttled(3))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation("a:x", Activity(type="message", text="hi"))
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "3"
    assert caught.value.error.error.code == "Throttled"

    fake.queue("send", Reply(502))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation("a:x", Activity(type="message", text="hi"))
    assert caught.value.response.status_code == 502
    assert caught.value.error.error is None
    assert fake.sent == []


async def test_an_sdk_error_page_is_a_deserialization_error_without_a_status(
    fake: FakeBotConnector,
) -> None:
    fake.queue("send", Reply.http(502))
    with pytest.raises(DeserializationError, match="text/html") as caught:
        await sdk_client(fake).conversations.send_to_conversation(
            "a:x", Activity(type="message", text="hi")
        )
    assert not hasattr(caught.value, "response")


async def test_the_sdk_never_retries_a_post(fake: FakeBotConnector) -> None:
    """Two 502s then success: each send is one request; the SDK does not try again."""
    client = sdk_client(fake)
    fake.queue("send", Reply.http(502), Reply.error(502, "BadGateway"))
    fake.queue("reply", Reply.throttled(0))
    with pytest.raises(DeserializationError):
        await client.conversations.send_to_conversation("a:x", Activity(type="message"))
    assert fake.counts["send"] == 1
    with pytest.raises(ErrorResponseException):
        await client.conversations.send_to_conversation("a:x", Activity(type="message"))
    assert fake.counts["send"] == 2
    sent = await client.conversations.send_to_conversation("a:x", Activity(type="message"))
    assert sent.id == "1:0001"
    assert fake.counts["send"] == 3
    with pytest.raises(ErrorResponseException):
        await client.conversations.reply_to_activity("a:x", "1:0001", Activity(type="message"))
    assert fake.counts["reply"] == 1


async def test_the_sdk_retries_puts_and_gets_unless_told_not_to(fake: FakeBotConnector) -> None:
    client = sdk_client(fake)
    assert client.config.retry_policy.retries == 3
    client.config.retry_policy.backoff_factor = 0  # the default 0.8 sleeps 1.6s here
    fake.queue("update", Reply.http(502), Reply.http(502))
    updated = await client.conversations.update_activity(
        "a:x", "1:0001", Activity(type="message", text="edited")
    )
    assert updated.id == "1:0001"
    assert fake.counts["update"] == 3
    assert len(fake.updates()) == 1

    fake.queue("member", Reply.throttled(0))
    fake.add_member("29:alice", "Alice")
    alice = await client.conversations.get_conversation_member("a:x", "29:alice")
    assert alice.id == "29:alice"
    assert fake.counts["member"] == 2

    fake.queue("update", *[Reply.error(500, "InternalServerError")] * 4)
    with pytest.raises(ClientRequestError, match="Max retries exceeded"):
        await client.conversations.update_activity("a:x", "1:0001", Activity(type="message"))
    assert fake.counts["update"] == 3 + 4

    no_retries(client)
    fake.queue("update", Reply.error(502, "BadGateway"), Reply.error(502, "BadGateway"))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.update_activity("a:x", "1:0001", Activity(type="message"))
    assert caught.value.response.status_code == 502
    assert caught.value.error.error.code == "BadGateway"
    assert fake.counts["update"] == 3 + 4 + 1

    fake.queue("member", Reply.throttled(0))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.get_conversation_member("a:x", "29:alice")
    assert caught.value.response.status_code == 429
    assert fake.counts["member"] == 3
