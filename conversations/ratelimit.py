"""Sliding-window rate limits, per conversation and per workspace, as platforms enforce them.

Each adapter states its platform's published limits as a :class:`Policy`
(``adapters/<platform>/limits.py``); the dispatcher waits here before a send rather than
collecting 429s, and a 429 that still arrives is honoured by its retry with
``Retry-After``. Limits are per process.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Policy:
    per_conversation: tuple[Window, ...] = ()
    per_workspace: tuple[Window, ...] = ()


@dataclass
class _Log:
    stamps: deque[float] = field(default_factory=deque)


class RateLimiter:
    def __init__(
        self, policies: dict[str, Policy], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._policies = policies
        self._clock = clock
        self._logs: dict[tuple[str, str, float], _Log] = {}
        self._lock = asyncio.Lock()

    def _wait(self, keys: Sequence[tuple[str, Window]], now: float) -> float:
        wait = 0.0
        for key, window in keys:
            log = self._logs.setdefault((key, "w", window.seconds), _Log())
            while log.stamps and log.stamps[0] <= now - window.seconds:
                log.stamps.popleft()
            if len(log.stamps) >= window.limit:
                wait = max(wait, log.stamps[0] + window.seconds - now)
        return wait

    async def acquire(self, *, platform: str, conversation: str, workspace: str) -> None:
        """Wait until sending one more message breaks no window, then count it."""
        policy = self._policies.get(platform)
        if policy is None:
            return
        keys = [(f"c:{platform}:{conversation}", w) for w in policy.per_conversation]
        keys += [(f"w:{platform}:{workspace}", w) for w in policy.per_workspace]
        while True:
            async with self._lock:
                now = self._clock()
                wait = self._wait(keys, now)
                if wait <= 0:
                    for key, window in keys:
                        self._logs[(key, "w", window.seconds)].stamps.append(now)
                    return
            await asyncio.sleep(min(wait, 5.0))
