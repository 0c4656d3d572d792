"""One pair lifecycle: statuses change only through it, and its due times follow the status."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conversations.features.pairing import lifecycle
from storage.models import EndReason, Meeting, Pair, PairStatus, PauseReason, Programme

ROOT = Path(__file__).resolve().parents[3]
LIFECYCLE = ROOT / "conversations" / "features" / "pairing" / "lifecycle.py"
OWNED = {"status", "paused_by", "end_reason"}
"""A pair's columns only the lifecycle writes (``paused_by``/``end_reason`` exist only on pairs)."""
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _names_a_pair(node: ast.expr) -> bool:
    """``pair.status``, ``other_pair.status``, ``self.pair.status``: a name that says pair."""
    text = ast.unparse(node).lower()
    return "pair" in text


def _writes(path: Path) -> list[str]:
    """Every place in one module that assigns a pair's status, pause or end reason."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []

    def where(node: ast.AST) -> str:
        return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"

    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in OWNED
                and (target.attr != "status" or _names_a_pair(target.value))
            ):
                found.append(where(node))
        if isinstance(node, ast.Call):
            callee = ast.unparse(node.func)
            keywords = {k.arg for k in node.keywords if k.arg}
            if callee.endswith("setattr") and len(node.args) >= 2:
                name = node.args[1]
                if isinstance(name, ast.Constant) and name.value in OWNED:
                    found.append(where(node))
            if callee == "Pair" and keywords & OWNED:
                found.append(where(node))
            # update(Pair)…values(status=…): a set-based write
            if callee.endswith(".values") and "update(Pair)" in callee and keywords & OWNED:
                found.append(where(node))
    return found


def _production_modules() -> list[Path]:
    return [
        path
        for package in ("conversations", "adapters", "bot", "storage", "bench")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != LIFECYCLE and "migrations" not in path.parts
    ]


def test_only_the_lifecycle_changes_a_pairs_status() -> None:
    offenders = [spot for path in _production_modules() for spot in _writes(path)]
    assert offenders == []


def test_the_scan_finds_each_kind_of_write(tmp_path: Path) -> None:
    """The scan is not vacuous: each way of writing a status is caught."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "pair.status = 'ended'\n"
        "x.paused_by = 'me'\n"
        "setattr(p, 'end_reason', 'x')\n"
        "Pair(status='active')\n"
        "update(Pair).where(w).values(status='paused')\n"
        "programme.status = 'closed'\n"  # not a pair: allowed
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert [spot.rsplit(":", 1)[1] for spot in _writes(planted)] == ["1", "2", "3", "4", "5"]
    finally:
        ROOT = saved


def test_the_schedule_is_every_column_the_model_marks_due() -> None:
    """A new timed prompt's column, marked ``info=DUE``, is disarmed with the rest."""
    assert set(lifecycle.DUE_TIMES) == {
        "session_due_at",
        "next_agenda_at",
        "nudge_at",
        "next_pulse_at",
        "stall_at",
        "inactive_at",
        "auto_pause_at",
    }


def test_the_lifecycle_is_the_only_writer_of_due_time_arming() -> None:
    """Nobody else lists the schedule's columns to disarm them by hand."""
    listed = [
        str(path.relative_to(ROOT))
        for path in _production_modules()
        if "auto_pause_at=None" in path.read_text() or "DUE_TIMES" in path.read_text()
    ]
    assert listed == []


async def _paired(chat: Any) -> None:
    """Maya pairs Ana (mentor) and Ben (mentee) in an open programme, as a coordinator would."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor --department Engineering")
    await chat.say("ben", "join buddies mentee --department Sales")
    for handle in ("ana", "ben"):
        await chat.say(handle, "conduct buddies agree")
    reply = await chat.say("maya", "pair @ana @ben buddies")
    assert reply.startswith("Paired Ana (mentor) with Ben (mentee)"), reply


def test_transitions_arm_and_disarm_the_schedule() -> None:
    programme = Programme(cadence_days=14, settings={})
    pair = lifecycle.proposed(programme_id=1, mentor_id=1, mentee_id=2, reason="", now=NOW)
    lifecycle.activate(pair, programme=programme, curriculum=None, now=NOW)
    assert pair.status == PairStatus.ACTIVE
    assert pair.session_due_at == NOW + timedelta(days=14)
    assert pair.next_agenda_at is None  # armed when the session falls due, not before
    assert pair.nudge_at == NOW + timedelta(days=7)
    assert pair.next_pulse_at == NOW + timedelta(days=30)
    unarmed = ("auto_pause_at", "next_agenda_at")
    assert all(getattr(pair, c) is not None for c in lifecycle.DUE_TIMES if c not in unarmed)
    assert not lifecycle.waiting(pair)

    assert lifecycle.pause(pair, PauseReason.PARTICIPANT) is True
    assert (pair.status, pair.paused_by) == (PairStatus.PAUSED, PauseReason.PARTICIPANT)
    assert all(getattr(pair, c) is None for c in lifecycle.DUE_TIMES)
    assert lifecycle.pause(pair, PauseReason.PARTICIPANT) is False
    assert lifecycle.pause(pair, PauseReason.PROGRAMME_TEAM) is True  # the team takes over
    assert pair.paused_by is not None and pair.paused_by.held_by_team

    later = NOW + timedelta(days=3)
    lifecycle.resume(pair, programme=programme, now=later)
    assert (pair.status, pair.paused_by) == (PairStatus.ACTIVE, None)
    assert pair.session_due_at == later + timedelta(days=14)

    lifecycle.end(pair, reason=EndReason.LEFT, now=later)
    assert (pair.status, pair.end_reason, pair.ended_at) == (PairStatus.ENDED, "left", later)
    assert all(getattr(pair, c) is None for c in lifecycle.DUE_TIMES)


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (PairStatus.PROPOSED, "pause"),
        (PairStatus.PROPOSED, "resume"),
        (PairStatus.PROPOSED, "end"),
        (PairStatus.ACTIVE, "activate"),
        (PairStatus.ACTIVE, "resume"),
        (PairStatus.ENDED, "pause"),
        (PairStatus.ENDED, "resume"),
        (PairStatus.ENDED, "end"),
        (PairStatus.ENDED, "activate"),
        (PairStatus.PAUSED, "meeting"),
        (PairStatus.ACTIVE, "complete by ending"),
        (PairStatus.PAUSED, "complete by ending"),
    ],
)
def test_illegal_transitions_raise(status: PairStatus, move: str) -> None:
    programme = Programme(cadence_days=14, settings={})
    pair = Pair(id=1, status=status)
    moves = {
        "pause": lambda: lifecycle.pause(pair, PauseReason.PARTICIPANT),
        "resume": lambda: lifecycle.resume(pair, programme=programme, now=NOW),
        "end": lambda: lifecycle.end(pair, reason=EndReason.COMPLETED, now=NOW),
        "activate": lambda: lifecycle.activate(pair, programme=programme, curriculum=None, now=NOW),
        "meeting": lambda: lifecycle.meeting_logged(pair, programme, NOW),
        "complete by ending": lambda: lifecycle.end(pair, reason=EndReason.COMPLETED, now=NOW),
    }
    with pytest.raises(lifecycle.IllegalTransition):
        moves[move]()
    assert pair.status == status


async def test_set_based_transitions_claim_each_pair_once(chat: Any) -> None:
    await _paired(chat)
    sessions = chat.app.sessions
    async with sessions() as session:
        pair = (await session.scalars(select(Pair))).one()
        assert pair.status == PairStatus.ACTIVE
    async with sessions.begin() as session:
        first = await lifecycle.pause_where(
            session, Pair.id == pair.id, reason=PauseReason.INACTIVITY
        )
        second = await lifecycle.pause_where(
            session, Pair.id == pair.id, reason=PauseReason.INACTIVITY
        )
    assert (first, second) == ([pair.id], [])
    async with sessions.begin() as session:
        ended = await lifecycle.end_where(
            session, Pair.id == pair.id, reason=EndReason.ENDED_BY_TEAM, now=NOW
        )
        again = await lifecycle.end_where(
            session, Pair.id == pair.id, reason=EndReason.ENDED_BY_TEAM, now=NOW
        )
    async with sessions() as session:
        row = (await session.scalars(select(Pair).where(Pair.id == pair.id))).one()
    assert (ended, again) == ([pair.id], [])
    assert (row.status, row.end_reason, row.paused_by) == (
        PairStatus.ENDED,
        EndReason.ENDED_BY_TEAM,
        None,
    )
    assert isinstance(row.end_reason, EndReason)
    assert all(getattr(row, c) is None for c in lifecycle.DUE_TIMES)


async def test_a_pair_completes_only_once_every_session_is_met_skipped_or_passed_unheard(
    chat: Any,
) -> None:
    """Regression (issue 15): pairs "completed" their sessions because the clock ran."""
    await _paired(chat)  # six sessions
    sessions = chat.app.sessions
    outcomes = ["met", "skipped", "not_heard", "met", "not_yet"]
    async with sessions.begin() as session:
        pair = (await session.scalars(select(Pair))).one()
        pair.session_index = 6  # the clock says it is over; the record says otherwise
        for index, outcome in enumerate(outcomes):
            session.add(
                Meeting(pair_id=pair.id, session_index=index, outcome=outcome, logged_at=NOW)
            )
        with pytest.raises(lifecycle.IllegalTransition):
            await lifecycle.complete(session, pair, total=6, now=NOW)
        assert await lifecycle.complete_where(session, Pair.id == pair.id, total=6, now=NOW) == []
        with pytest.raises(lifecycle.IllegalTransition):
            await lifecycle.end_where(
                session, Pair.id == pair.id, reason=EndReason.COMPLETED, now=NOW
            )
        assert pair.status == PairStatus.ACTIVE
        # Session 5 said "not yet", then passed unheard; session 6 was skipped.
        session.add(Meeting(pair_id=pair.id, session_index=4, outcome="not_heard", logged_at=NOW))
        session.add(Meeting(pair_id=pair.id, session_index=5, outcome="skipped", logged_at=NOW))
        await lifecycle.complete(session, pair, total=6, now=NOW)
        assert (pair.status, pair.end_reason) == (PairStatus.ENDED, EndReason.COMPLETED)
