"""The digest benchmark runs end to end, small, and its digest has the seeded figures; no
timing is asserted."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import pytest

from bench import digest
from bot.cli import main
from conversations.features.digest.digest import MAX_HIGHLIGHTS
from storage.models import EnrolmentStatus, PairStatus

ARGV = ["bench", "digest", "--json", "--pairs", "300", "--checkins", "6000", "--runs", "1"]


def _fields(result: type) -> set[str]:
    return {f.name for f in dataclasses.fields(result)}


def _check(result: dict[str, Any], database: str) -> None:
    assert set(result) == _fields(digest.Result)
    assert set(result["digest"]) == set(result["expected"]) == _fields(digest.Counts)
    assert result["database"] == database
    assert (result["pairs"], result["checkins"], result["programmes"]) == (300, 6000, 5)
    assert result["rows"]["check_ins"] == 6000
    assert result["rows"]["pairs"] == 300
    # What the benchmark seeded, counted here from the same deterministic instance.
    seed = digest.instance(pairs=300, checkins=6000, seed=2026)
    found = result["digest"]
    assert found == result["expected"]
    assert result["counts_match"]
    assert found["active_pairs"] == sum(p["status"] == PairStatus.ACTIVE for p in seed.pairs)
    assert 0 < found["active_pairs"] < 300  # some ended or paused
    assert found["open_concerns"] == sum(c["status"] != "resolved" for c in seed.concerns)
    assert found["participants"] == sum(
        e["status"] != EnrolmentStatus.LEFT for e in seed.enrolments
    )
    assert found["waiting_mentees"] >= 300 // 40
    assert found["rated_this_week"] > 0 and found["met_this_week"] > 0
    assert 0 < found["answered_this_week"] < found["asked_this_week"]
    assert 0 < found["highlights"] <= MAX_HIGHLIGHTS
    # Every aggregate query was timed, under its name.
    assert list(result["queries"]) == [name for _, name in digest.AGGREGATE_QUERIES]
    assert result["slowest_query"] in result["queries"]
    assert len(result["aggregates_runs"]) == len(result["compose_runs"]) == result["runs"] == 1
    assert result["bare_seconds"] > 0 and result["aggregates_seconds"] > 0
    assert result["compose_seconds"] > 0 and result["png_bytes"] > 0


@pytest.mark.slow
def test_bench_digest_reports_the_seeded_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGV, "--database", "sqlite"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["benchmark"] == "digest"
    assert out["skipped"] == []
    [result] = out["results"]
    _check(result, "sqlite")


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="TEST_DATABASE_URL is not set: PostgreSQL leg skipped",
)
@pytest.mark.postgres
@pytest.mark.slow
def test_bench_digest_on_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGV, "--database", "postgresql"]) == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    _check(result, "postgresql")


def test_bench_digest_table_names_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "digest", "--pairs", "300", "--checkins", "6000", "--database", "sqlite"]
    assert main([*argv, "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for label in (
        "bare: count(*), avg(rating) of check_ins",
        "aggregates (figures, departments, highlights)",
        "aggregates ÷ bare",
        "whole digest (compose, chart included)",
        "compose ÷ bare",
        "figures as seeded",
        "target",
        "slowest query",
        "departments: mentees waiting",
    ):
        assert label in out


def test_instance_has_exactly_the_check_ins_asked_for() -> None:
    seed = digest.instance(pairs=7, checkins=101, seed=1)
    assert len(seed.check_ins) == 101
    keys = [(c[0], c[1], c[2]) for c in seed.check_ins]
    assert len(set(keys)) == len(keys)  # check_ins' unique (pair, person, session index)
    assert all(c[6] < digest.NOW for c in seed.check_ins)
