"""Telling "the database is away" apart from "this statement was wrong".

Every long-running part meets the first during a restart, a failover or a dropped
network path: the adapters answer the person "try again in a moment", and the
ticker, the dispatcher and the engine log one line instead of a trace on every
tick and every request until it is back.
"""

from __future__ import annotations

from sqlalchemy import exc as sql


def database_unreachable(error: BaseException) -> bool:
    """True when ``error`` says the database could not be reached or dropped the
    connection, rather than that a statement was wrong.

    SQLAlchemy wraps what a driver raises on a live connection (``OperationalError``,
    ``InterfaceError``, or any error it recognised as a disconnect), and says when no
    pooled connection came free in time; a failure to open a connection (refused,
    reset, timed out, "the database system is starting up") is raised as the driver
    raised it, from inside the pool's connect.
    """
    if isinstance(error, sql.OperationalError | sql.InterfaceError | sql.TimeoutError):
        return True
    if isinstance(error, sql.DBAPIError):
        return error.connection_invalidated
    if isinstance(error, sql.SQLAlchemyError):
        return False
    trace = error.__traceback__
    while trace is not None:
        if str(trace.tb_frame.f_globals.get("__name__", "")).startswith("sqlalchemy.pool"):
            return True
        trace = trace.tb_next
    return False


def reason(error: BaseException) -> str:
    """One line naming a database failure: the driver's own error and message, without
    the statement or its parameters (which may hold what someone wrote)."""
    cause = error.orig if isinstance(error, sql.DBAPIError) and error.orig else error
    text = " ".join(str(cause).split())[:200]
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__
