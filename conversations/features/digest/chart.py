"""The digest's picture: eight weeks of pairs that met and of check-ins answered.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global
backend, nothing shared between threads), small enough to sit inside a Teams
card as a data URI. :func:`sparkline` is the same trend in text, for wherever a
picture cannot go.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

BARS = "#4a6fa5"
LINE = "#d1793f"
TICKS = "▁▂▃▄▅▆▇█"


def chart_png(
    *,
    week_ends: Sequence[datetime],
    met: Sequence[int],
    response_rate: Sequence[int | None],
) -> bytes:
    """A PNG: bars of pairs that met each week, a line of the check-in response rate (%).

    Oldest week first. About 480×220 pixels, usually under 25 KB.

    matplotlib is imported here, not at the top: it costs a server about 45 MB resident
    and a second of start-up, and only a digest (once a week) draws with it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 2.75), dpi=80)
    FigureCanvasAgg(figure)
    left = figure.add_subplot(1, 1, 1)
    labels = [f"{end.day} {end:%b}" for end in week_ends]
    positions = list(range(len(labels)))
    left.bar(positions, list(met), color=BARS, label="Pairs that met")
    left.set_ylabel("Pairs that met", fontsize=8, color=BARS)
    left.set_xticks(positions, labels, fontsize=7)
    left.tick_params(axis="y", labelsize=7)
    left.set_ylim(0, max([*met, 1]) * 1.2)
    left.spines[["top"]].set_visible(False)
    right = left.twinx()
    known = [(x, r) for x, r in zip(positions, response_rate, strict=True) if r is not None]
    if known:
        right.plot(
            [x for x, _ in known],
            [r for _, r in known],
            color=LINE,
            marker="o",
            linewidth=2,
            markersize=3,
        )
    right.set_ylim(0, 105)
    right.set_ylabel("Check-ins answered (%)", fontsize=8, color=LINE)
    right.tick_params(axis="y", labelsize=7)
    right.spines[["top"]].set_visible(False)
    left.set_title("Last 8 weeks (week ending)", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def sparkline(values: Sequence[int | None]) -> str:
    """``▁▃▅█``-style trend, oldest first; a gap (·) where there is no figure."""
    known = [v for v in values if v is not None]
    top = max(known, default=0)
    if top <= 0:
        return "".join("·" if v is None else TICKS[0] for v in values)
    return "".join(
        "·" if v is None else TICKS[min(len(TICKS) - 1, round(v / top * (len(TICKS) - 1)))]
        for v in values
    )
