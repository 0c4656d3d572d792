"""The matching benchmark runs end to end (small here; docs/performance.md quotes its figures)."""

from __future__ import annotations

import json

import pytest

from bot.cli import main


def test_bench_matching_prints_json_with_optimal_never_below_greedy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "matching", "--json", "--mentees", "120", "--mentors", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["benchmark"] == "matching"
    assert (result["mentees"], result["mentors"], result["capacity"]) == (120, 60, 2)
    assert result["optimal_total"] >= result["greedy_total"]
    assert result["score_ratio"] >= 1.0
    assert result["optimal_matched"] <= 120


def test_bench_matching_table_names_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "matching", "--mentees", "40", "--mentors", "20"]) == 0
    out = capsys.readouterr().out
    for label in (
        "scoring + constraints",
        "optimal assignment",
        "greedy baseline",
        "optimal ÷ greedy score",
        "optimal ÷ greedy time",
        "wall",
    ):
        assert label in out
