"""A fake chat platform for the webhook transport, served inside the test process.

``POST /`` takes one delivery (JSON with its outbox ``key``) and answers
``200 {"id": "m-<n>"}``; ``GET /{key}`` answers ``200 {"id": ...}`` when a
delivery with that key was accepted, else ``404`` — what the dispatcher asks
before re-sending a row whose sender died. Optional behaviour:

* ``delay``: seconds to wait before answering a POST. The delivery is accepted
  (and counted) when it *arrives*, as a real platform posts the message before
  its answer travels back, so a sender killed during the delay has delivered
  without learning it: the mid-send window a crash leaves.
* ``script``: statuses (500 or 429) for the first POSTs, in order; those
  deliveries are refused and not counted. A 429 carries ``Retry-After: 1``.

Only POSTs answered 200 count as deliveries; a key accepted twice is a
duplicate. :meth:`FakePlatform.reached` gives an :class:`asyncio.Event` set once
a number of distinct keys has been accepted, so tests await it with a timeout
instead of polling.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.local_server import LocalServer


@dataclass(frozen=True, slots=True)
class Post:
    """One POST as it arrived, with the status it was answered with."""

    key: str
    status: int
    body: dict[str, Any]


class FakePlatform(LocalServer):
    def __init__(self, *, delay: float = 0.0, script: Iterable[int] = ()) -> None:
        self.delay = delay
        self.script = list(script)
        self.posts: list[Post] = []
        """Every POST in arrival order, refused ones included."""
        self.accepted: list[str] = []
        """Keys of the POSTs answered 200, in arrival order (a duplicate appears twice)."""
        self.counts: Counter[str] = Counter()
        """Per key, how many times it was accepted (delivered)."""
        self.ids: dict[str, str] = {}
        """The platform message id given to each key's first accepted delivery."""
        self.confirm_queries: Counter[str] = Counter()
        """GET /{key} per key, whatever the answer."""
        self.confirmed: Counter[str] = Counter()
        """GET /{key} answered 200: a recovered row confirmed instead of re-sent."""
        self._thresholds: list[tuple[int, asyncio.Event]] = []
        self.url = ""

    # -- what tests read ---------------------------------------------------------------

    @property
    def duplicates(self) -> dict[str, int]:
        return {key: n for key, n in self.counts.items() if n > 1}

    @property
    def refused(self) -> Counter[int]:
        return Counter(p.status for p in self.posts if p.status != 200)

    def reached(self, distinct: int) -> asyncio.Event:
        """An event set once ``distinct`` different keys have been accepted."""
        event = asyncio.Event()
        if len(self.counts) >= distinct:
            event.set()
        else:
            self._thresholds.append((distinct, event))
        return event

    # -- the server --------------------------------------------------------------------

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = str(body.get("key")) if isinstance(body, dict) else ""
        status = self.script[len(self.posts)] if len(self.posts) < len(self.script) else 200
        self.posts.append(Post(key=key, status=status, body=body))
        message_id = ""
        if status == 200:
            self.accepted.append(key)
            self.counts[key] += 1
            self.ids.setdefault(key, f"m-{len(self.accepted)}")
            message_id = f"m-{len(self.accepted)}"
            self._notify()
        if self.delay:
            await asyncio.sleep(self.delay)
        if status == 429:
            return web.json_response(
                {"error": "rate_limited"}, status=429, headers={"Retry-After": "1"}
            )
        if status != 200:
            return web.json_response({"error": "internal"}, status=status)
        return web.json_response({"id": message_id})

    async def _get(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        self.confirm_queries[key] += 1
        if key not in self.ids:
            return web.json_response({"error": "not_found"}, status=404)
        self.confirmed[key] += 1
        return web.json_response({"id": self.ids[key]})

    def _notify(self) -> None:
        distinct = len(self.counts)
        for target, event in self._thresholds:
            if distinct >= target:
                event.set()
        self._thresholds = [(t, e) for t, e in self._thresholds if not e.is_set()]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self._post)
        app.router.add_get("/{key:.+}", self._get)

    def started(self, base_url: str) -> str:
        self.url = base_url
        return self.url
