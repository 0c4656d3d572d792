"""Which request, workspace, programme and outbox row a log line is about.

Log calls deep in the engine cannot be handed these ids without threading them
through every signature, so the edges (the web server for each request, the
adapters once they know the workspace, the engine once a command names a
programme, the dispatcher for each row) bind them to the running asyncio task's
context, and a logging filter copies them onto every record. Only ids go here:
never tokens, names or anything a person wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

FIELDS = ("request_id", "platform", "workspace", "programme", "outbox_id")
"""What a log line may be about; JSON log lines carry each as a key when known."""

_CURRENT: ContextVar[Mapping[str, str]] = ContextVar(
    "mentorbot_log_context", default=MappingProxyType({})
)


def bind(**ids: object) -> None:
    """Attach ids to the rest of this task (each request and each send runs in its own)."""
    known = {name: str(value) for name, value in ids.items() if value not in (None, "")}
    unknown = set(known) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a log context field: {', '.join(sorted(unknown))}")
    _CURRENT.set({**_CURRENT.get(), **known})


@contextmanager
def about(**ids: object) -> Iterator[None]:
    """Attach ids for one block only (one outbox row among a batch in the same task)."""
    token = _CURRENT.set(dict(_CURRENT.get()))
    try:
        bind(**ids)
        yield
    finally:
        _CURRENT.reset(token)


def current() -> dict[str, str]:
    return dict(_CURRENT.get())


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record, unless a call passed its own via ``extra``."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _CURRENT.get().items():
            record.__dict__.setdefault(name, value)
        return True
