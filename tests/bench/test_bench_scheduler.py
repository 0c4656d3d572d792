"""The scheduler benchmarks (tick and fan-out) run end to end, small; no timing is asserted."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench import fanout, tick
from bot.cli import main


def _fields(result: type) -> set[str]:
    return {f.name for f in dataclasses.fields(result)}


def test_bench_tick_queues_one_agenda_per_due_pair(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["bench", "tick", "--json", "--pairs", "2000", "--database", "sqlite", "--runs", "1"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["benchmark"] == "tick"
    [result] = out["results"]
    assert set(result) == _fields(tick.Result)
    assert result["database"] == "sqlite"
    assert result["pairs"] == 2000
    assert result["due_agenda"] > 0
    assert result["agenda_queued"] == result["due_agenda"]
    assert result["nudge_queued"] == result["due_nudge"]
    assert result["pulse_queued"] == 2 * result["due_pulse"]  # one to each of the two
    assert result["rows_queued"] == (
        result["agenda_queued"] + result["nudge_queued"] + result["pulse_queued"]
    )
    expected = tick.instance(pairs=2000, due=0.05, seed=2026)
    assert result["due_pairs"] == expected.due_pairs
    assert len(result["tick_runs"]) == result["runs"] == 1
    assert result["bare_seconds"] > 0 and result["tick_seconds"] > 0


def test_bench_tick_table_names_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "tick", "--pairs", "300", "--database", "sqlite", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("bare query", "tick (plan + commit)", "tick ÷ bare", "rows queued", "target"):
        assert label in out


@pytest.mark.process
@pytest.mark.slow
def test_bench_fanout_delivers_every_message_exactly_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["bench", "fanout", "--json", "--messages", "200", "--channels", "100"]
    assert main([*argv, "--workspace-rate", "500"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result.pop("benchmark") == "fanout"
    assert set(result) == _fields(fanout.Result)
    assert (result["messages"], result["channels"]) == (200, 100)
    assert result["allowed_rate"] == 100  # 100 channels at one message a second each
    assert result["duplicates"] == 0
    assert result["losses"] == 0
    assert result["sent"] == 200
    assert result["dead"] == 0
    assert not result["timed_out"]
    assert result["http_429"] >= result["http_429_workspace"] >= 0
