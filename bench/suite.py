"""``mentorbot bench all``: every benchmark in one run, and one table of what they found.

Runs, one after the other so none competes with another for the machine: ``inbound``
and ``memory`` (one run of servers serves both), ``tick``, ``fanout``, ``digest`` and
``matching``, each at the size its own issue names, or with ``--quick`` at sizes that
finish in a minute or two. The database benchmarks (``tick``, ``digest``) run on SQLite
and, when ``--postgres-url`` or ``TEST_DATABASE_URL`` names a server, on PostgreSQL too.

The table has one row per headline figure: what we measured, the baseline each
benchmark measured beside it in the same run, their ratio, and the issue's target with
whether it was met. ``--json`` prints one object with that summary and every
benchmark's full result. The exit status is non-zero only when a benchmark found a
wrong answer (a lost reply, a duplicate delivery, a tick or digest that miscounted),
never for a missed target: targets are for people to read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench import digest, fanout, inbound, matching, memory, tick
from bench.common import databases_for, mark


@dataclass(frozen=True)
class Sizes:
    requests: int
    warmup: int
    concurrency: int
    pairs: int
    """Inbound (and memory): measured commands, warm-up commands, concurrency, pairs."""
    tick_pairs: int
    tick_runs: int
    fanout_messages: int
    fanout_channels: int
    fanout_rate: float
    digest_pairs: int
    digest_checkins: int
    digest_runs: int
    mentees: int
    mentors: int


FULL = Sizes(
    requests=inbound.REQUESTS,
    warmup=inbound.WARMUP,
    concurrency=inbound.CONCURRENCY,
    pairs=inbound.PAIRS,
    tick_pairs=100_000,
    tick_runs=3,
    fanout_messages=10_000,
    fanout_channels=2000,
    fanout_rate=200.0,
    digest_pairs=10_000,
    digest_checkins=500_000,
    digest_runs=3,
    mentees=2000,
    mentors=1000,
)
QUICK = Sizes(
    requests=600,
    warmup=100,
    concurrency=inbound.CONCURRENCY,
    pairs=10,
    tick_pairs=10_000,
    tick_runs=1,
    fanout_messages=1000,
    fanout_channels=500,
    fanout_rate=200.0,
    digest_pairs=2000,
    digest_checkins=50_000,
    digest_runs=1,
    mentees=400,
    mentors=200,
)


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    measured: str
    baseline: str
    """What the benchmark measured beside it, named."""
    ratio: str
    target: str
    """The issue's target and whether it was met; empty where the issue sets none."""


@dataclass(frozen=True)
class Results:
    sizes: Sizes
    skipped: list[str]
    inbound: inbound.Result
    memory: memory.Result
    tick: list[tick.Result]
    fanout: fanout.Result
    digest: list[digest.Result]
    matching: matching.Result


def run(sizes: Sizes, *, databases: Sequence[str], postgres_url: str | None) -> Results:
    memory_result, inbound_result = memory.run(
        requests=sizes.requests,
        warmup=sizes.warmup,
        concurrency=sizes.concurrency,
        pairs=sizes.pairs,
    )
    tick_results = tick.run(
        pairs=sizes.tick_pairs,
        databases=databases,
        postgres_url=postgres_url,
        runs=sizes.tick_runs,
    )
    fanout_result = fanout.run(
        messages=sizes.fanout_messages,
        channels=sizes.fanout_channels,
        workspace_rate=sizes.fanout_rate,
    )
    digest_results = digest.run(
        pairs=sizes.digest_pairs,
        checkins=sizes.digest_checkins,
        databases=databases,
        postgres_url=postgres_url,
        runs=sizes.digest_runs,
    )
    matching_result = matching.run(mentees=sizes.mentees, mentors=sizes.mentors)
    return Results(
        sizes=sizes,
        skipped=[d for d in ("sqlite", "postgresql") if d not in databases],
        inbound=inbound_result,
        memory=memory_result,
        tick=tick_results,
        fanout=fanout_result,
        digest=digest_results,
        matching=matching_result,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}×"


def _target(text: str, met: bool, *, judged: bool = True) -> str:
    """The target and its verdict; a target the issue sets at a size this run did not
    reach is shown without one (a tick of 10,000 pairs says little about 100,000)."""
    return f"{text}: {mark(met)}" if judged else f"({text} at full size)"


def rows(results: Results) -> list[Row]:
    """The headline figures, each beside its baseline."""
    i, m = results.inbound, results.memory
    ours, bare = i.ours, i.bare
    at = f"at {i.concurrency} concurrent"
    p99 = inbound.P99_TARGET_MS
    found = [
        Row(
            "inbound",
            f"/mentor status/s {at} (SQLite)",
            f"{ours.throughput:,.1f}",
            f"{bare.throughput:,.1f} bare bolt",
            _x(i.ratio),
            _target(
                f"≥ {inbound.RATIO_TARGET:g}×",
                i.ratio_met,
                judged=i.concurrency == inbound.CONCURRENCY,
            ),
        ),
        Row(
            "inbound",
            f"HTTP p99 {at}",
            f"{ours.http_p99_ms:.1f} ms",
            f"{bare.http_p99_ms:.1f} ms bare bolt",
            _x(ours.http_p99_ms / bare.http_p99_ms) if bare.http_p99_ms else "—",
            _target(f"< {p99:g} ms", i.http_p99_met, judged=i.concurrency == inbound.CONCURRENCY),
        ),
        Row(
            "inbound",
            "HTTP p50",
            f"{ours.http_p50_ms:.1f} ms",
            f"{bare.http_p50_ms:.1f} ms bare bolt",
            _x(ours.http_p50_ms / bare.http_p50_ms) if bare.http_p50_ms else "—",
            "",
        ),
        Row(
            "inbound",
            "reply at response_url p50 / p99",
            f"{ours.reply_p50_ms or 0:.1f} / {ours.reply_p99_ms or 0:.1f} ms",
            "bare bolt sends none",
            "—",
            f"({_target(f'< {p99:g} ms', i.reply_p99_met)})",
        ),
        Row(
            "inbound",
            "server CPU per command",
            f"{ours.server_cpu_ms:.2f} ms",
            f"{bare.server_cpu_ms:.2f} ms bare bolt",
            _x(ours.server_cpu_ms / bare.server_cpu_ms) if bare.server_cpu_ms else "—",
            "",
        ),
        Row(
            "memory",
            "serve resident, idle",
            f"{m.serve_idle_mb:.1f} MB",
            f"{m.bare_idle_mb:.1f} MB bare bolt",
            _x(m.serve_idle_mb / m.bare_idle_mb) if m.bare_idle_mb else "—",
            _target(f"< {memory.RSS_TARGET_MB:g} MB", m.serve_idle_mb < memory.RSS_TARGET_MB),
        ),
        Row(
            "memory",
            f"serve resident, after {m.requests:,} commands",
            f"{m.serve_after_mb:.1f} MB",
            f"{m.bare_after_mb:.1f} MB bare bolt",
            _x(m.serve_over_bare),
            _target(f"< {memory.RSS_TARGET_MB:g} MB", m.serve_after_mb < memory.RSS_TARGET_MB),
        ),
        Row(
            "memory",
            "python + aiohttp, idle",
            f"{m.python_aiohttp_mb:.1f} MB",
            "(the floor)",
            "—",
            "",
        ),
    ]
    for t in results.tick:
        found.append(
            Row(
                "tick",
                f"tick, {t.pairs:,} pairs ({t.database})",
                _ms(t.tick_seconds),
                f"{_ms(t.bare_seconds)} due-pairs query",
                _x(t.ratio),
                _target(
                    f"< {tick.TICK_TARGET_SECONDS:g} s, ≤ {tick.RATIO_TARGET:g}×",
                    t.tick_under_2s and t.within_3x_bare,
                    judged=t.pairs >= FULL.tick_pairs,
                ),
            )
        )
    f = results.fanout
    found.append(
        Row(
            "fanout",
            f"{f.messages:,} messages over {f.channels:,} channels",
            f"{f.achieved_rate:,.1f}/s",
            f"{f.allowed_rate:g}/s allowed",
            _x(f.achieved_ratio),
            _target(
                f"≥ {fanout.RATE_TARGET:.0%}, no duplicate or loss",
                f.target_met,
                judged=f.messages >= FULL.fanout_messages,
            ),
        )
    )
    for d in results.digest:
        found.append(
            Row(
                "digest",
                f"digest, {d.pairs:,} pairs, {d.checkins:,} check-ins ({d.database})",
                _ms(d.compose_seconds),
                f"{_ms(d.bare_seconds)} bare aggregate",
                _x(d.compose_ratio),
                _target(
                    "< 1 s",
                    d.compose_under_1s,
                    judged=d.pairs >= FULL.digest_pairs and d.checkins >= FULL.digest_checkins,
                ),
            )
        )
    g = results.matching
    found += [
        Row(
            "matching",
            f"optimal score, {g.mentees:,} × {g.mentors:,}",
            f"{g.optimal_total:,.1f}",
            f"{g.greedy_total:,.1f} greedy",
            _x(g.score_ratio),
            _target("≥ greedy", g.optimal_total >= g.greedy_total - 1e-6),
        ),
        Row(
            "matching",
            "optimal solve time",
            f"{g.optimal_seconds:.3f} s",
            f"{g.greedy_seconds:.3f} s greedy",
            _x(g.time_ratio),
            "",
        ),
    ]
    return found


def _named(sizes: Sizes) -> str:
    return {QUICK: "quick", FULL: "full"}.get(sizes, "custom")


def table(results: Results, *, cores: int | None = None) -> str:
    header = Row("benchmark", "figure", "measured", "baseline (same run)", "ratio", "target")
    found = [header, *rows(results)]
    columns = list(zip(*(asdict(r).values() for r in found), strict=True))
    widths = [max(len(v) for v in column) for column in columns]
    right = {2, 4}  # the numbers: measured and ratio

    def line(values: Sequence[str]) -> str:
        cells = [
            f"{v:>{w}}" if k in right else f"{v:<{w}}"
            for k, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    head = f"mentorbot bench all ({_named(results.sizes)} sizes"
    head += f", {cores} cores" if cores else ""
    head += f", load average {results.inbound.load_average:.2f} at the start)"
    lines = [head, line(list(asdict(header).values()))]
    lines.append("  ".join("─" * w for w in widths))
    lines += [line(list(asdict(r).values())) for r in found[1:]]
    if results.skipped:
        lines.append("(PostgreSQL skipped: set TEST_DATABASE_URL or pass --postgres-url)")
    return "\n".join(lines)


def correct(results: Results) -> bool:
    """No benchmark found a wrong answer (targets missed do not count)."""
    return (
        inbound.complete(results.inbound)
        and results.fanout.duplicates == 0
        and results.fanout.losses == 0
        and all(t.agenda_queued == t.due_agenda for t in results.tick)
        and all(d.counts_match for d in results.digest)
        and results.matching.optimal_total >= results.matching.greedy_total - 1e-6
    )


def report(results: Results, *, cores: int | None) -> dict[str, Any]:
    """The one JSON object ``--json`` prints: the summary and every full result."""
    return {
        "benchmark": "all",
        "sizes_named": _named(results.sizes),
        "cores": cores,
        "sizes": asdict(results.sizes),
        "skipped": results.skipped,
        "summary": [asdict(r) for r in rows(results)],
        "inbound": asdict(results.inbound),
        "memory": asdict(results.memory),
        "tick": [asdict(t) for t in results.tick],
        "fanout": asdict(results.fanout),
        "digest": [asdict(d) for d in results.digest],
        "matching": asdict(results.matching),
    }


def main(
    *, as_json: bool, quick: bool, postgres_url: str | None, sizes: Sizes | None = None
) -> int:
    """``sizes`` overrides the ``--quick`` choice (the tests run it smaller still)."""
    chosen = databases_for("both", postgres_url, bench="all")
    if isinstance(chosen, str):
        print(chosen)
        return 2
    databases, _, url = chosen
    results = run(sizes or (QUICK if quick else FULL), databases=databases, postgres_url=url)
    cores = os.cpu_count()
    print(json.dumps(report(results, cores=cores)) if as_json else table(results, cores=cores))
    return 0 if correct(results) else 1
