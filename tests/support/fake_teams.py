"""A fake Bot Connector REST API (v3), as Microsoft Teams serves it, inside the test process.

Teams bots never talk to Teams directly: they answer and start conversations by calling
the Bot Connector service at the ``serviceUrl`` each incoming activity carries
(``https://smba.trafficmanager.net/amer/`` and the like). Point the bot's connector
client at :attr:`FakeBotConnector.service_url` instead, and tests see what Teams would
have received without any network traffic leaving 127.0.0.1. The botbuilder SDK's
client (msrest, ``requests`` in a worker thread) works against it unchanged.

It implements just enough of the API to deliver messages, with camelCase JSON bodies:

* ``POST v3/conversations``: start a conversation (a 1:1 chat with a user). The id is
  deterministic, ``a:<user id with ':' replaced by '_'>`` (see
  :meth:`FakeBotConnector.personal_conversation_id`); answered 201.
* ``POST v3/conversations/{conversationId}/activities``: send; recorded, answered 201
  with increasing activity ids ``1:0001``, ``1:0002``…
* ``POST v3/conversations/{conversationId}/activities/{activityId}``: reply to an
  activity (botbuilder replies in-turn this way); recorded with ``reply_to``.
* ``PUT v3/conversations/{conversationId}/activities/{activityId}``: update an
  activity in place (a card changed after it was answered); answered 200.
* ``GET v3/conversations/{conversationId}/members/{memberId}`` and
  ``GET v3/conversations/{conversationId}/members``: the people registered with
  :meth:`FakeBotConnector.add_member`, shaped as Teams returns them; an unknown member
  is a 404 ``MemberNotFoundInConversation``.

Anything else is a 404 with an error body. Paths may carry repeated slashes
(``/teams//v3/...``, as clients joining a serviceUrl that ends in ``/`` produce) and
percent-encoded conversation ids (``19%3Aabc%40thread.tacv2``); both are normalised.

Failures are scripted per kind of call with :meth:`FakeBotConnector.queue`: the next
calls of that kind get those replies instead (``Reply.error(403, "MessageWritesBlocked")``,
``Reply.throttled(2)``, ``Reply.http(502)``) and change nothing. Accepted calls are kept
in :attr:`FakeBotConnector.sent`; every request, failed or not, in
:attr:`FakeBotConnector.requests` and :attr:`FakeBotConnector.counts`.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from multidict import CIMultiDict

from tests.support.local_server import LocalServer

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
"""The attachment content type of an Adaptive Card."""

PREFIX = "teams"
"""The path of :attr:`FakeBotConnector.service_url`, as Teams' regional serviceUrls have one."""

KINDS = frozenset({"create", "send", "reply", "update", "member", "members"})
"""The kinds of call :meth:`FakeBotConnector.queue` can script."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted answer: status, body (JSON, or text for a non-JSON error page), headers."""

    status: int
    body: dict[str, Any] | list[Any] | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, code: str, message: str = "Scripted failure") -> Reply:
        """An error as the Bot Connector reports one: ``{"error": {"code", "message"}}``."""
        return cls(status, {"error": {"code": code, "message": message}})

    @classmethod
    def throttled(cls, retry_after: int = 2) -> Reply:
        """A 429 with a ``Retry-After`` header, as Teams throttles a bot sending too fast."""
        return cls(
            429,
            {"error": {"code": "Throttled", "message": "Too many requests"}},
            {"Retry-After": str(retry_after)},
        )

    @classmethod
    def http(cls, status: int, text: str = "<html><body>Bad Gateway</body></html>") -> Reply:
        """A non-JSON error page, as a gateway in front of the service answers."""
        return cls(status, text)


@dataclass(frozen=True, slots=True)
class Sent:
    """One call the connector accepted."""

    kind: str
    """``"send"``, ``"reply"``, ``"update"`` or ``"create"``."""
    conversation_id: str
    activity: dict[str, Any]
    """The JSON body as received (for ``"create"``, the conversation parameters)."""
    activity_id: str
    """The activity id answered (or updated); ``""`` for ``"create"``."""
    reply_to: str | None
    """For ``"reply"``, the activity replied to."""
    authorization: str | None
    """The ``Authorization`` header it carried."""


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _card_lines(card: Mapping[str, Any]) -> list[str]:
    """The text of a card's top-level TextBlocks, and its FactSets as "title: value"."""
    lines: list[str] = []
    for item in card.get("body") or []:
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "TextBlock" and item.get("text"):
            lines.append(str(item["text"]))
        elif item.get("type") == "FactSet":
            for fact in item.get("facts") or []:
                lines.append(f"{fact.get('title', '')}: {fact.get('value', '')}")
    return lines


def _cards_of(activity: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        attachment["content"]
        for attachment in activity.get("attachments") or []
        if isinstance(attachment, Mapping)
        and attachment.get("contentType") == ADAPTIVE_CARD
        and isinstance(attachment.get("content"), dict)
    ]


class FakeBotConnector(LocalServer):
    def __init__(self, *, tenant_id: str = "t1") -> None:
        self.tenant_id = tenant_id
        """The tenant members belong to."""
        self.sent: list[Sent] = []
        """Every call accepted, in order (scripted failures are not here)."""
        self.requests: list[tuple[str, str]] = []
        """Every request received: (method, normalised and decoded path)."""
        self.counts: Counter[str] = Counter()
        """Requests by kind, scripted failures included; unroutable ones count as "unknown"."""
        self.members: dict[str, dict[str, Any]] = {}
        """User id → the member as Teams returns it; fill with :meth:`add_member`."""
        self._script: dict[str, deque[Reply]] = {}
        self._activities = 0
        self._changed = asyncio.Condition()
        self._service_url: str | None = None

    # -- what tests use ------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        """``http://127.0.0.1:<port>/teams/``: the serviceUrl to give the bot."""
        if self._service_url is None:
            raise RuntimeError("FakeBotConnector is not started")
        return self._service_url

    @staticmethod
    def personal_conversation_id(user_id: str) -> str:
        """The id of the 1:1 chat ``POST v3/conversations`` starts with this user."""
        return "a:" + user_id.replace(":", "_")

    def queue(self, kind: str, *replies: Reply) -> None:
        """Answer the next calls of ``kind`` with these replies, in order.

        ``kind`` is one of "create", "send", "reply", "update", "member" (one member)
        or "members" (the list).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
        self._script.setdefault(kind, deque()).extend(replies)

    def add_member(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        aad_object_id: str | None = None,
        upn: str | None = None,
    ) -> dict[str, Any]:
        """Register someone the member endpoints know; returns the member as served."""
        given, _, surname = name.partition(" ")
        member: dict[str, Any] = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "email": email,
            "userPrincipalName": upn if upn is not None else email,
            "tenantId": self.tenant_id,
            "userRole": "user",
            "givenName": given or None,
            "surname": surname or None,
        }
        self.members[user_id] = member
        return member

    def messages(self, conversation_id: str | None = None) -> list[Sent]:
        """Sends and replies (not updates or creates), optionally in one conversation."""
        return [
            s
            for s in self.sent
            if s.kind in {"send", "reply"}
            and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    def updates(self, conversation_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.kind == "update"
            and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        """What each message says: its ``text``, then its Adaptive Cards' text, one per line."""
        texts = []
        for message in self.messages(conversation_id):
            lines = [str(message.activity["text"])] if message.activity.get("text") else []
            for card in _cards_of(message.activity):
                lines.extend(_card_lines(card))
            texts.append("\n".join(lines))
        return texts

    def cards(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """The Adaptive Cards the messages carried, in order."""
        return [card for m in self.messages(conversation_id) for card in _cards_of(m.activity)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (no polling) until a request makes ``predicate()`` true."""

        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(waiting(), timeout=timeout)
        except TimeoutError:
            raise AssertionError(
                f"condition not met within {timeout}s; "
                f"requests: {self.requests!r}; texts sent: {self.texts()!r}"
            ) from None

    # -- the endpoints -------------------------------------------------------------------

    def _next_activity_id(self) -> str:
        self._activities += 1
        return f"1:{self._activities:04d}"

    def _record(
        self,
        kind: str,
        conversation_id: str,
        activity_id: str,
        body: dict[str, Any],
        authorization: str | None,
        reply_to: str | None = None,
    ) -> None:
        self.sent.append(Sent(kind, conversation_id, body, activity_id, reply_to, authorization))

    def _create(self, body: dict[str, Any], authorization: str | None) -> web.Response:
        members = body.get("members") or []
        if not members or not isinstance(members[0], Mapping) or not members[0].get("id"):
            return _error(400, "BadArgument", "Conversation members must be specified")
        conversation_id = self.personal_conversation_id(str(members[0]["id"]))
        self._record("create", conversation_id, "", body, authorization)
        answer = {"id": conversation_id, "activityId": None, "serviceUrl": self.service_url}
        return web.json_response(answer, status=201)

    def _send(
        self,
        kind: str,
        conversation_id: str,
        body: dict[str, Any],
        authorization: str | None,
        reply_to: str | None = None,
    ) -> web.Response:
        if not body.get("type"):
            return _error(400, "BadArgument", "Activity type must be specified")
        activity_id = self._next_activity_id()
        self._record(kind, conversation_id, activity_id, body, authorization, reply_to)
        return web.json_response({"id": activity_id}, status=201)

    def _update(
        self,
        conversation_id: str,
        activity_id: str,
        body: dict[str, Any],
        authorization: str | None,
    ) -> web.Response:
        self._record("update", conversation_id, activity_id, body, authorization)
        return web.json_response({"id": activity_id})

    def _member(self, member_id: str) -> web.Response:
        member = self.members.get(member_id)
        if member is None:
            return _error(
                404, "MemberNotFoundInConversation", f"Member {member_id} not found in conversation"
            )
        return web.json_response(member)

    def _members(self) -> web.Response:
        return web.json_response(list(self.members.values()))

    # -- the server ----------------------------------------------------------------------

    @staticmethod
    def _segments(request: web.Request) -> list[str]:
        """The path's segments, repeated slashes collapsed, each percent-decoded."""
        raw = request.raw_path.partition("?")[0]
        return [unquote(part) for part in raw.split("/") if part]

    @staticmethod
    def _kind(method: str, route: list[str]) -> str:
        match route:
            case ["v3", "conversations"] if method == "POST":
                return "create"
            case ["v3", "conversations", _, "activities"] if method == "POST":
                return "send"
            case ["v3", "conversations", _, "activities", _] if method == "POST":
                return "reply"
            case ["v3", "conversations", _, "activities", _] if method == "PUT":
                return "update"
            case ["v3", "conversations", _, "members", _] if method == "GET":
                return "member"
            case ["v3", "conversations", _, "members"] if method == "GET":
                return "members"
        return "unknown"

    @staticmethod
    def _scripted(reply: Reply) -> web.Response:
        headers: CIMultiDict[str] = CIMultiDict()
        if isinstance(reply.body, str):
            headers["Content-Type"] = "text/html; charset=utf-8"
            body = reply.body.encode()
        elif reply.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            body = json.dumps(reply.body).encode()
        else:
            body = b""
        headers.update(reply.headers)
        return web.Response(body=body, status=reply.status, headers=headers)

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            return await self._answer(request)
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _answer(self, request: web.Request) -> web.Response:
        segments = self._segments(request)
        self.requests.append((request.method, "/" + "/".join(segments)))
        route = segments[1:] if segments[:1] == [PREFIX] else ["<outside the serviceUrl>"]
        kind = self._kind(request.method, route)
        self.counts[kind] += 1
        if kind == "unknown":
            return _error(404, "NotFound", f"No such endpoint: {request.method} {request.path}")
        script = self._script.get(kind)
        if script:
            return self._scripted(script.popleft())
        authorization = request.headers.get("Authorization")
        if kind == "member":
            return self._member(route[4])
        if kind == "members":
            return self._members()
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "BadSyntax", "The request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "BadSyntax", "The request body must be a JSON object")
        if kind == "create":
            return self._create(body, authorization)
        if kind == "update":
            return self._update(route[2], route[4], body, authorization)
        reply_to = route[4] if kind == "reply" else None
        return self._send(kind, route[2], body, authorization, reply_to)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    def started(self, base_url: str) -> str:
        self._service_url = f"{base_url}/{PREFIX}/"
        return self._service_url
