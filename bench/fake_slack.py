"""The little of Slack the inbound benchmark needs, served on a loopback port.

The test suite has a fuller fake (``tests/support/fake_slack.py``), but ``tests/`` is not part of
the installed package and ``mentorbot bench`` must run from an install. This one answers
what a slash command makes the bot call, and times the reply:

* ``auth.test`` (bolt asks once, on the first request) and ``users.info`` (the adapter asks
  once an hour per person, for their time zone and name);
* ``conversations.open`` and ``chat.postMessage``, should background delivery send anything;
  any other Web API method is answered ``ok`` and counted;
* ``POST /respond/<name>``: a slash command's ``response_url``. The moment a reply arrives
  is noted with :func:`time.perf_counter` in this process, where the load generator also
  notes when it sent the command, so the reply latency needs no clock shared across
  processes.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    """``time.perf_counter()`` when the reply reached us."""
    text: str


class FakeSlack:
    def __init__(self, users: dict[str, dict[str, Any]], *, team: str) -> None:
        self.users = users
        """users.info answers: user id → {"real_name": …, "tz": …, "profile": {…}}."""
        self.team = team
        self.counts: Counter[str] = Counter()
        self.replies = 0
        self._waiting: dict[str, asyncio.Future[Arrival]] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}/respond/{name}"

    def expect(self, name: str) -> asyncio.Future[Arrival]:
        """A future the first reply posted to ``response_url(name)`` resolves."""
        future: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
        self._waiting[name] = future
        return future

    def forget(self, name: str) -> None:
        self._waiting.pop(name, None)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.api_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _respond(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await request.json()
        self.replies += 1
        future = self._waiting.pop(request.match_info["name"], None)
        if future is not None and not future.done():
            future.set_result(Arrival(at=arrived, text=str(body.get("text") or "")))
        return web.json_response({"ok": True})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.counts[method] += 1
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            params.update((await request.post()).items())
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": self.team, "user_id": "UBOT", "bot_id": "BBOT"}
            )
        if method == "users.info":
            user = str(params.get("user") or "")
            found = self.users.get(user)
            if found is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            return web.json_response({"ok": True, "user": {"id": user, **found}})
        if method == "conversations.open":
            users = str(params.get("users") or "").replace(",", "")
            return web.json_response({"ok": True, "channel": {"id": f"D{users}"}})
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            return web.json_response({"ok": True, "channel": params.get("channel"), "ts": ts})
        return web.json_response({"ok": True})
