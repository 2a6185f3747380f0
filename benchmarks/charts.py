"""PNG charts of one workload's medians: grouped bars, one colour per broker.

Metrics are charted in three families, by their unit: throughput ("/s": one panel per metric, a
group of bars per case), latency ("ms": one panel per case, a group per percentile), and the rest
(one panel per metric, a group per case), so like is drawn next to like.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .measurement import Measurement

COLOURS = {"odradek": "#2a7ab0", "kafka": "#d9822b", "tansu": "#5b9a4d"}
COLUMNS = 3


def family(metric: str) -> str:
    if "/s" in metric:
        return "throughput"
    if re.search(r"\bms\b", metric):
        return "latency"
    return "other"


def workload_charts(workload: str, measurements: list[Measurement], brokers: list[str],
                    out_dir: Path) -> list[Path]:
    """Draw the workload's charts into ``out_dir``; return the files written."""
    written = []
    for name in ("throughput", "latency", "other"):
        chosen = [m for m in measurements if family(m.metric) == name and m.values]
        if not chosen:
            continue
        # latency: a panel per case, a group of bars per percentile; else a panel per metric
        # and a group per case
        place = (lambda m: (m.case, m.metric)) if name == "latency" else (lambda m: (m.metric, m.case))
        medians = {(*place(m), m.broker): m.median for m in chosen}
        panels = _ordered(place(m)[0] for m in chosen)
        groups = {panel: _ordered(place(m)[1] for m in chosen if place(m)[0] == panel) for panel in panels}
        path = out_dir / f"{workload}-{name}.png"
        # a log scale cannot show a value at or below zero (a lateness measured as slightly early)
        positive = all(value > 0 for value in medians.values())
        _draw(path, panels, groups, brokers, medians, log_scale=name == "latency" and positive)
        written.append(path)
    return written


def _draw(path: Path, panels: list[str], groups: dict[str, list[str]], brokers: list[str],
          medians: dict[tuple[str, str, str], float], log_scale: bool = False) -> None:
    """Grouped bars; ``log_scale`` for latencies, which span milliseconds to seconds across brokers."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    columns = min(COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure, axes = pyplot.subplots(rows, columns, figsize=(5.5 * columns, 3.8 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    width = 0.8 / len(brokers)
    for ax, panel in zip(axes.flat, panels):
        labels = groups[panel]
        for index, broker in enumerate(brokers):
            heights = [medians.get((panel, label, broker)) for label in labels]
            xs = [position + (index - (len(brokers) - 1) / 2) * width for position in range(len(labels))]
            bars = ax.bar(xs, [h or 0 for h in heights], width, label=broker,
                          color=COLOURS.get(broker))
            ax.bar_label(bars, labels=[_short(h) for h in heights], fontsize=7, padding=1)
        ax.set_title(panel, fontsize=10)
        ax.set_xticks(range(len(labels)), [_wrap(label) for label in labels], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        if log_scale:
            ax.set_yscale("log")
        ax.margins(y=0.15)
    axes.flat[0].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def _ordered(items) -> list[str]:
    return list(dict.fromkeys(items))


def _short(value: float | None) -> str:
    if value is None:
        return "n/a"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _wrap(label: str, width: int = 12) -> str:
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
