"""The digest chart: each key result's progress against the ideal pace line, as a PNG."""

from __future__ import annotations

import io
from datetime import datetime

from bot.services.schedule.messages import Chart


def render_chart(chart: Chart) -> bytes:
    """Draw progress (percent) over the cycle, one line per key result, ideal pace dashed."""
    import matplotlib  # imported here: only processes that draw charts pay for it

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    def x(moment: datetime) -> float:
        return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]

    start, end, now = x(chart.start), x(chart.end), x(chart.now)
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        axes.plot([start, end], [0, 100], linestyle="--", color="grey", label="ideal pace")
        highest = 100.0
        for series in chart.series:
            xs = [x(moment) for moment, _progress in series.points]
            ys = [progress * 100 for _moment, progress in series.points]
            highest = max(highest, *ys)
            axes.step(xs, ys, where="post", marker="o", markersize=3, label=series.label)
        axes.axvline(now, color="black", linewidth=0.8, alpha=0.4)
        axes.set_xlim(start, end)
        axes.set_ylim(0, highest + 10)
        axes.set_ylabel("progress (%)")
        axes.set_title(chart.title, fontsize=11)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
        axes.legend(loc="upper left", fontsize=8)
        axes.grid(alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
