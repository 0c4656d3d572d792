"""Planned messages are rendered when they are sent, from what is true then.

A row queued by the planner holds a kind and a reference (a session index, a
prompt id, a pulse day). Its renderer builds the message at send time, or
returns ``None`` when the message is no longer needed — the meeting was
logged, the question answered, the pair ended — and the row is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.context import EngineSettings
from conversations.curriculum import Curriculum, Library
from conversations.messages import Message
from conversations.registry import Renderer
from storage.models import (
    OutboxMessage,
    Pair,
    Person,
)


class Job:
    """What a renderer needs: the row, its pair and person, the curriculum, the time."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        row: OutboxMessage,
        pair: Pair | None,
        person: Person | None,
        library: Library,
        now: datetime,
        settings: EngineSettings | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.session = session
        self.row = row
        self.pair = pair
        self.person = person
        self.library = library
        self.now = now

    @property
    def curriculum(self) -> Curriculum | None:
        return self.library.get(self.pair.programme.curriculum_key) if self.pair else None

    @property
    def ref(self) -> int:
        return self.row.ref_index if self.row.ref_index is not None else -1


async def render(job: Job, renderers: Mapping[str, Renderer]) -> Message | None:
    """The message for a row: stored as written, or rendered now for planned kinds."""
    if not job.row.planned:
        return Message.from_json(job.row.payload) if job.row.payload else None
    renderer = renderers.get(job.row.kind)
    return await renderer(job) if renderer else None
