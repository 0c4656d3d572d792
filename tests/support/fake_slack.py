"""A fake Slack Web API, served inside the test process on an ephemeral port.

Point an ``AsyncWebClient`` (or anything taking ``SLACK_API_URL``) at
:attr:`FakeSlack.api_url`. It answers ``/api/<method>`` over GET or POST, with
parameters in the query string, a form body or a JSON body (slack_sdk uses all
three), and checks the ``Authorization: Bearer`` token against the ones it was
given. It implements just enough of Slack to deliver messages:

* ``auth.test``: which team the token belongs to.
* ``conversations.open``: a deterministic id per set of users, ``D<user>`` for
  one and ``G<users, sorted>`` for several (see :meth:`FakeSlack.conversation_id`).
* ``chat.postMessage``: records the post (channel, text, blocks, metadata) and
  answers with an increasing ``ts``.
* ``conversations.history``: the channel's posts, newest first, with their
  metadata only when ``include_all_metadata`` is set, as Slack does.
* ``oauth.v2.access``: an install code from :attr:`FakeSlack.installs` becomes that
  workspace's bot token; :meth:`FakeSlack.uninstall` revokes a workspace's tokens, which
  are then answered ``token_revoked``.

Failures are scripted per method with :meth:`FakeSlack.queue`: the next calls to
that method get those replies instead (``Reply.error("user_not_found")``,
``Reply.ratelimited(3)``, ``Reply.http(500)``) and change nothing. Every call is
recorded in :attr:`FakeSlack.calls` and counted in :attr:`FakeSlack.counts`, so
tests assert on what Slack received, as bolt-python's mock Web API server does.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.local_server import LocalServer, in_pieces

JSON_FIELDS = frozenset({"blocks", "metadata", "attachments"})
"""Parameters that arrive JSON-encoded in a form body."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted answer: the body (JSON, or text for a non-JSON error page) and status."""

    body: dict[str, Any] | str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, error: str, *, status: int = 200) -> Reply:
        return cls({"ok": False, "error": error}, status=status)

    @classmethod
    def ratelimited(cls, retry_after: int = 3) -> Reply:
        return cls(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    @classmethod
    def http(
        cls, status: int, text: str = "<html><body>Internal Server Error</body></html>"
    ) -> Reply:
        return cls(text, status=status)


@dataclass(frozen=True, slots=True)
class Install:
    """What Slack's OAuth gives for an install code: the workspace, its new bot token, and
    who installed the app."""

    team: str
    name: str
    token: str
    installer: str


@dataclass(frozen=True, slots=True)
class Call:
    """One request as Slack saw it."""

    method: str
    params: dict[str, Any]
    token: str | None
    """The bearer token (or ``token`` parameter) it carried."""


@dataclass(frozen=True, slots=True)
class Post:
    """A message chat.postMessage accepted."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    metadata: dict[str, Any] | None
    params: dict[str, Any]


class FakeSlack(LocalServer):
    def __init__(self, *, tokens: Mapping[str, str] | None = None) -> None:
        self.tokens = dict(tokens if tokens is not None else {"xoxb-test": "T1"})
        """Bot token → team id. Any other token is answered ``invalid_auth``."""
        self.installs: dict[str, Install] = {
            "good-code": Install(team="T2", name="Globex", token="xoxb-installed", installer="UZED")
        }
        """Install code → what ``oauth.v2.access`` gives for it (see :meth:`uninstall`)."""
        self.revoked: set[str] = set()
        """Tokens of an uninstalled app: answered ``token_revoked``, as Slack does."""
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.posts: list[Post] = []
        self._script: dict[str, deque[Reply]] = {}
        self.api_url = ""
        self.base_url = ""
        self.users: dict[str, dict[str, Any]] = {}
        """users.info answers: user id → {"tz": …, "real_name": …, "profile": {…}}."""
        self.responses: list[dict[str, Any]] = []
        """What was posted to response URLs (replies to slash commands and buttons)."""
        self._changed = asyncio.Condition()
        self.socket_envelopes: list[dict[str, Any]] = []
        """What the Socket Mode websocket sends a client that connects, after "hello"."""
        self.socket_acks: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        """Files the bot uploaded (files.uploadV2): file id → content."""
        self.shared: list[dict[str, Any]] = []
        """files.completeUploadExternal calls: which files went to which channel."""
        self.files: dict[str, bytes] = {}
        """Files people shared: name → content, downloadable with a valid bot token."""
        self.file_delivery: dict[str, str] = {}
        """How a shared file is served: "slow" (in two pieces with a pause between), "cut"
        (cut short half-way), or a URL to redirect to; whole and at once if not named here."""

    # -- what tests use ------------------------------------------------------------------

    def queue(self, method: str, *replies: Reply) -> None:
        """Answer the next calls to ``method`` with these replies, in order."""
        self._script.setdefault(method, deque()).extend(replies)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts_in(self, channel: str) -> list[Post]:
        return [p for p in self.posts if p.channel == channel]

    def uninstall(self, team: str) -> None:
        """The app is uninstalled from ``team``: each of its tokens stops working."""
        for token, owner in list(self.tokens.items()):
            if owner == team:
                del self.tokens[token]
                self.revoked.add(token)

    @staticmethod
    def conversation_id(*users: str) -> str:
        """The id conversations.open gives these users: a DM or a group DM."""
        members = sorted(set(users))
        return f"D{members[0]}" if len(members) == 1 else "G" + "".join(members)

    # -- the methods ---------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "team_id": team, "user_id": "UBOT", "bot_id": "BBOT"}

    def _conversations_open(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(set(users)) > 8:
            return {"ok": False, "error": "too_many_users"}
        return {"ok": True, "channel": {"id": self.conversation_id(*users)}}

    def _chat_post_message(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"{1700000000 + len(self.posts)}.{len(self.posts) + 1:06d}"
        post = Post(
            channel=str(channel),
            ts=ts,
            text=params.get("text"),
            blocks=params.get("blocks"),
            metadata=params.get("metadata"),
            params=params,
        )
        self.posts.append(post)
        message = {"type": "message", "text": post.text, "ts": ts, "bot_id": "BBOT"}
        return {"ok": True, "channel": post.channel, "ts": ts, "message": message}

    def _conversations_history(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata")).lower() in {"1", "true"}
        messages = []
        for post in reversed(self.posts_in(channel)):
            message: dict[str, Any] = {"type": "message", "text": post.text, "ts": post.ts}
            if with_metadata and post.metadata is not None:
                message["metadata"] = post.metadata
            messages.append(message)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _connections_open(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/socket"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, send the queued envelopes, record the client's acks."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        for envelope in self.socket_envelopes:
            await socket.send_json(envelope)
        async for frame in socket:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(frame.data))
                await self._changed_now()
        return socket

    def _upload_url(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        file_id = f"F{len(self.uploads) + 1:04d}"
        self.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    def _complete_upload(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        self.shared.append(
            {
                "channel": params.get("channel_id"),
                "files": files,
                "comment": params.get("initial_comment"),
            }
        )
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.counts[f"files/{request.match_info['name']}"] += 1  # a download, asked for
        header = request.headers.get("Authorization", "")
        if header.removeprefix("Bearer ") not in self.tokens:
            return web.Response(status=403, text="not allowed")
        content = self.files.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404)
        delivery = self.file_delivery.get(request.match_info["name"])
        if delivery is not None and delivery.startswith("http"):
            raise web.HTTPFound(delivery)
        if delivery is not None:
            return await in_pieces(request, content, cut=delivery == "cut")
        return web.Response(body=content, content_type="text/csv")

    def _users_info(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        user = str(params.get("user") or "")
        found = self.users.get(user)
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user, "team_id": team, **found}}

    def _recorded(self, params: dict[str, Any], team: str) -> dict[str, Any]:
        return {
            "ok": True,
            "view": params.get("view"),
            "ts": params.get("ts"),
            "channel": params.get("channel"),
        }

    async def wait_until(self, ready: Callable[[], bool], *, within: float = 10.0) -> None:
        """Wait (no polling) until something the bot sent makes ``ready()`` true."""

        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(ready)

        await asyncio.wait_for(waiting(), timeout=within)

    async def _changed_now(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        """Exchange an install code for a bot token, as Slack's OAuth v2 does."""
        install = self.installs.get(str(params.get("code")))
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        self.tokens[install.token] = install.team
        self.revoked.discard(install.token)
        return {
            "ok": True,
            "access_token": install.token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "UBOT",
            "app_id": "A1",
            "team": {"id": install.team, "name": install.name},
            "enterprise": None,
            "authed_user": {"id": install.installer},
            "is_enterprise_install": False,
        }

    def response_url(self, name: str) -> str:
        """A response URL for a payload: what the bot posts there is kept in ``responses``."""
        return f"{self.base_url}/respond/{name}"

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"url": request.match_info["name"], **body})
        await self._changed_now()
        return web.json_response({"ok": True})

    # -- the server ----------------------------------------------------------------------

    @staticmethod
    async def _params(request: web.Request) -> tuple[dict[str, Any], str | None]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if name in JSON_FIELDS and isinstance(value, str):
                    params[name] = json.loads(value)
                else:
                    params[name] = value
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        return params, token or params.pop("token", None)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, token = await self._params(request)
        self.calls.append(Call(method=method, params=params, token=token))
        self.counts[method] += 1
        script = self._script.get(method)
        if script:
            reply = script.popleft()
            if isinstance(reply.body, str):
                return web.Response(
                    text=reply.body,
                    status=reply.status,
                    headers=reply.headers,
                    content_type="text/html",
                )
            return web.json_response(reply.body, status=reply.status, headers=reply.headers)
        if method == "oauth.v2.access":
            answer = self._oauth_access(params)
            await self._changed_now()
            return web.json_response(answer)
        if token is None:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        team = self.tokens.get(token)
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        implementation = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "views.open": self._recorded,
            "views.publish": self._recorded,
            "chat.update": self._recorded,
        }.get(method)
        if implementation is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer = implementation(params, team)
        await self._changed_now()
        return web.json_response(answer)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_post("/upload/{file_id}", self._upload)

    def started(self, base_url: str) -> str:
        self.base_url = base_url
        self.api_url = f"{base_url}/api/"
        return self.api_url
