"""``odradek perf --plot``: the latency histogram and throughput over time, drawn with matplotlib
(the optional ``odradek[plot]`` extra, imported only when a plot is asked for).

``require_matplotlib`` runs before anything is measured, so a missing extra costs the user one
line at the start, not the run. Both phases share one wall-clock axis: the consume phase is drawn
where it happened, after the produce phase, not from zero.
"""

from __future__ import annotations

from pathlib import Path

from .perf_stats import PERCENTILES, Stats, percentile

MISSING = "--plot needs matplotlib: pip install 'odradek[plot]'"


def require_matplotlib():
    """matplotlib's pyplot, set to draw into files only; ``ImportError`` if it is not installed."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot

    return pyplot


def plot(path: Path, produced: Stats | None, consumed: Stats | None) -> None:
    pyplot = require_matplotlib()
    figure, (latency, throughput) = pyplot.subplots(1, 2, figsize=(12, 4.5))
    if produced and produced.latencies:
        ordered = sorted(produced.latencies)
        latency.hist([value for value, _ in ordered], weights=[count for _, count in ordered], bins=50,
                     color="tab:blue")
        for pct in PERCENTILES:
            at = percentile(ordered, pct)
            latency.axvline(at, linestyle="--", linewidth=1, color="tab:red")
            latency.annotate(f"p{pct:g}", (at, 0), rotation=90, fontsize=8, xytext=(2, 10),
                             textcoords="offset points")
    latency.set(title="Produce latency (per batch, counted per record)", xlabel="latency (ms)", ylabel="records")
    for label, times, rates in throughput_series(produced, consumed):
        throughput.plot(times, rates, label=label)
    throughput.set(title="Throughput over time", xlabel="time since the run began (s)", ylabel="records/sec")
    throughput.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def throughput_series(produced: Stats | None,
                      consumed: Stats | None) -> list[tuple[str, list[float], list[float]]]:
    """(phase, times, records/sec) per phase that has any, the times in seconds since the first
    phase began, so the phases line up on one clock as they ran."""
    phases = [(label, stats) for label, stats in (("produce", produced), ("consume", consumed)) if stats]
    origin = min((stats.started for _, stats in phases), default=0.0)
    series = []
    for label, stats in phases:
        if len(stats.timeline) > 1:
            times, rates = _rates(stats.timeline)
            series.append((label, [stats.started - origin + t for t in times], rates))
    return series


def _rates(timeline: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
    """Records per second in equal time slices of a phase (at most 40, at most one per sample),
    at the slices' midpoints in seconds from the phase's start."""
    buckets = max(1, min(40, len(timeline) - 1))
    end = timeline[-1][0] or 1e-9
    width = end / buckets
    counts = [0] * buckets
    previous = 0
    for at, done in timeline:
        counts[min(int(at / width), buckets - 1)] += done - previous
        previous = done
    return [width * (i + 0.5) for i in range(buckets)], [count / width for count in counts]
