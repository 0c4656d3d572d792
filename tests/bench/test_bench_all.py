"""``mentorbot bench all``: every benchmark runs and the summary names each figure beside
its baseline. Here at the smallest sizes (standing in for ``--quick``); no timing is
asserted."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from bench import suite
from bot.cli import main

TINY = suite.Sizes(
    requests=20,
    warmup=6,
    concurrency=4,
    pairs=2,
    tick_pairs=300,
    tick_runs=1,
    fanout_messages=60,
    fanout_channels=60,
    fanout_rate=500.0,
    digest_pairs=120,
    digest_checkins=1200,
    digest_runs=1,
    mentees=40,
    mentors=20,
)
SECTIONS = ("inbound", "memory", "tick", "fanout", "digest", "matching")
LISTING = dataclasses.replace(
    TINY,
    requests=8,
    warmup=2,
    concurrency=2,
    tick_pairs=30,
    fanout_messages=10,
    fanout_channels=10,
    digest_pairs=12,
    digest_checkins=60,
    mentees=8,
    mentors=4,
)
"""Smaller still for the table, which names the benchmarks and reads no figure."""


def _databases() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@pytest.mark.process
@pytest.mark.slow
def test_bench_all_quick_json_has_every_section_and_every_figure_beside_its_baseline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suite, "QUICK", TINY)
    assert main(["bench", "all", "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["benchmark"] == "all"
    assert out["sizes_named"] == "quick"
    assert out["sizes"]["requests"] == 20
    for section in SECTIONS:
        assert out[section], section
    assert out["inbound"]["ours"]["replies"] == out["inbound"]["ours"]["requests"] == 20
    assert out["memory"]["serve_after_mb"] > 0
    assert [t["database"] for t in out["tick"]] == _databases()
    assert [d["database"] for d in out["digest"]] == _databases()
    assert out["skipped"] == ([] if len(_databases()) == 2 else ["postgresql"])
    assert out["fanout"]["duplicates"] == out["fanout"]["losses"] == 0
    summary = out["summary"]
    assert {row["benchmark"] for row in summary} == set(SECTIONS)
    for row in summary:
        assert row["figure"] and row["measured"] and row["baseline"], row
    per_database = [r for r in summary if r["benchmark"] in ("tick", "digest")]
    assert len(per_database) == 2 * len(_databases())
    targets = [r["target"] for r in summary if r["target"]]
    judged = [t for t in targets if t.rstrip(")").endswith((": met", ": MISSED"))]
    assert len(judged) >= 4  # memory twice, matching, the reply's p99
    for unjudged in set(targets) - set(judged):  # set at a size (or concurrency) not run here
        assert unjudged.startswith("(") and unjudged.endswith(" at full size)")
    assert len(targets) >= 8  # throughput ratio, p99, memory twice, tick, fan-out, digest…


@pytest.mark.process
@pytest.mark.slow
def test_bench_all_table_lists_every_benchmark(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suite, "QUICK", LISTING)
    assert main(["bench", "all", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("mentorbot bench all (quick sizes")
    assert lines[1].split()[:3] == ["benchmark", "figure", "measured"]
    listed = {line.split()[0] for line in lines[3:] if line and not line.startswith("(")}
    assert listed == set(SECTIONS)
