"""Memory benchmark: resident memory of ``mentorbot serve``, idle and after the inbound run.

The inbound benchmark (:mod:`bench.inbound`) starts both servers as processes of their
own; each one's ``VmRSS`` (``/proc/<pid>/status``) is read after start-up, once it has
been idle for a moment, and again after it has handled the warm-up and the measured
commands. The baselines, measured in the same run: the bare slack-bolt app at the same
two moments, and a Python interpreter that has only imported aiohttp, the floor any
aiohttp server starts from. MB here are 1,048,576 bytes.

The issue's target, reported as met or not: ``mentorbot serve`` under 200 MB resident,
idle and after the run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from bench import inbound
from bench.common import mark, resident_kb

RSS_TARGET_MB = 200.0


@dataclass(frozen=True)
class Result:
    requests: int
    """Commands each server had handled when its second sample was taken."""
    concurrency: int
    serve_idle_mb: float
    serve_after_mb: float
    bare_idle_mb: float
    bare_after_mb: float
    python_aiohttp_mb: float
    """``python -c "import aiohttp"``, waiting: what any aiohttp process starts from."""
    serve_over_bare: float
    """serve ÷ bare slack-bolt, after the run."""
    target_met: bool


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)


async def python_floor_kb() -> int:
    """The resident memory of a Python process that has imported aiohttp and waits."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys, aiohttp; print('ready', flush=True); sys.stdin.read()",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        if (await asyncio.wait_for(process.stdout.readline(), 60)).strip() != b"ready":
            raise RuntimeError("the bare Python process did not start")
        return resident_kb(process.pid)
    finally:
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)


def result(resident: inbound.Resident, *, concurrency: int, floor_kb: int) -> Result:
    serve = max(resident.serve_idle_kb, resident.serve_after_kb)
    return Result(
        requests=resident.requests,
        concurrency=concurrency,
        serve_idle_mb=_mb(resident.serve_idle_kb),
        serve_after_mb=_mb(resident.serve_after_kb),
        bare_idle_mb=_mb(resident.bare_idle_kb),
        bare_after_mb=_mb(resident.bare_after_kb),
        python_aiohttp_mb=_mb(floor_kb),
        serve_over_bare=round(resident.serve_after_kb / resident.bare_after_kb, 2)
        if resident.bare_after_kb
        else 0.0,
        target_met=serve / 1024 < RSS_TARGET_MB,
    )


async def measure(**sizes: Any) -> tuple[Result, inbound.Result]:
    """The inbound run (``sizes`` as :func:`bench.inbound.measure` takes them), and the
    memory figures it sampled along the way."""
    run, resident = await inbound.measure(**sizes)
    floor = await python_floor_kb()
    return result(resident, concurrency=run.concurrency, floor_kb=floor), run


def table(result: Result) -> str:
    rows = [
        ("", "mentorbot serve", "bare slack-bolt"),
        ("idle after start-up", f"{result.serve_idle_mb:.1f} MB", f"{result.bare_idle_mb:.1f} MB"),
        (
            f"after {result.requests:,} /mentor status",
            f"{result.serve_after_mb:.1f} MB",
            f"{result.bare_after_mb:.1f} MB",
        ),
        ("python + aiohttp, idle", f"{result.python_aiohttp_mb:.1f} MB", ""),
        ("serve ÷ bare, after", f"{result.serve_over_bare:.2f}×", ""),
        (f"target: serve < {RSS_TARGET_MB:g} MB", mark(result.target_met), ""),
    ]
    width = max(len(r[0]) for r in rows)
    cell = max(len(v) for r in rows for v in r[1:])
    head = f"Resident memory (VmRSS), concurrency {result.concurrency}"
    return "\n".join(
        [head, *(f"{a:<{width}}  {b:>{cell}}  {c:>{cell}}".rstrip() for a, b, c in rows)]
    )


def run(**sizes: Any) -> tuple[Result, inbound.Result]:
    return asyncio.run(measure(**sizes))


def main(*, as_json: bool, requests: int, warmup: int, concurrency: int, pairs: int) -> int:
    memory, run_ = run(
        requests=max(1, requests),
        warmup=max(0, warmup),
        concurrency=max(1, concurrency),
        pairs=max(1, pairs),
    )
    print(json.dumps({"benchmark": "memory", **asdict(memory)}) if as_json else table(memory))
    return 0 if inbound.complete(run_) else 1
