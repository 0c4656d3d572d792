"""What the benchmarks share: bulk-insert chunks, which databases to run on, the
side-by-side table the database benchmarks print (one column per database), and the
latency percentile and resident-memory reading of the server benchmarks."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Table

CHUNK = 5000
"""Rows per executemany statement when seeding."""


def model_table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def databases_for(
    database: str, postgres_url: str | None, *, bench: str
) -> tuple[list[str], list[str], str | None] | str:
    """(databases to run, databases skipped, PostgreSQL URL), or why it cannot run.

    ``both`` runs PostgreSQL only when a URL is given or ``TEST_DATABASE_URL`` is set."""
    url = postgres_url or os.environ.get("TEST_DATABASE_URL")
    skipped = ["postgresql"] if database == "both" and not url else []
    both = ["sqlite", "postgresql"] if url else ["sqlite"]
    chosen = both if database == "both" else [database]
    if "postgresql" in chosen and not url:
        return f"mentorbot: bench {bench}: PostgreSQL needs --postgres-url or TEST_DATABASE_URL"
    return chosen, skipped, url


def side_by_side(
    head: str, labels: Sequence[str], columns: Sequence[Sequence[str]], names: Sequence[str]
) -> str:
    """``head``, then one row per label with each database's value right-aligned."""
    width = max(len(label) for label in labels)
    cell = max(len(v) for col in [*columns, names] for v in col)
    lines = [head, f"{'':<{width}}  " + "  ".join(f"{n:>{cell}}" for n in names)]
    for i, label in enumerate(labels):
        lines.append(f"{label:<{width}}  " + "  ".join(f"{col[i]:>{cell}}" for col in columns))
    return "\n".join(lines)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values``; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def resident_kb(pid: int) -> int:
    """A live process's resident memory (``VmRSS`` in ``/proc/<pid>/status``), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"process {pid} reports no resident memory (has it exited?)")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a live process has used so far, from ``/proc/<pid>/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (command)": state is fields[0]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
