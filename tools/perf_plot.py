"""``odradek perf --plot``: the latency histogram and throughput over time, drawn with matplotlib
(the optional ``odradek[plot]`` extra, imported only when a plot is asked for)."""

from __future__ import annotations

from pathlib import Path

from .perf_stats import PERCENTILES, Stats, percentile


def plot(path: Path, produced: Stats | None, consumed: Stats | None) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("odradek perf: --plot needs matplotlib (pip install 'odradek[plot]')") from None
    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot

    figure, (latency, throughput) = pyplot.subplots(1, 2, figsize=(12, 4.5))
    if produced and produced.latencies_ms:
        ordered = sorted(produced.latencies_ms)
        latency.hist(ordered, bins=50, color="tab:blue")
        for pct in PERCENTILES:
            latency.axvline(percentile(ordered, pct), linestyle="--", linewidth=1, color="tab:red")
            latency.annotate(f"p{pct:g}", (percentile(ordered, pct), 0), rotation=90, fontsize=8,
                             xytext=(2, 10), textcoords="offset points")
    latency.set(title="Produce latency", xlabel="latency (ms)", ylabel="records")
    for stats, label in ((produced, "produce"), (consumed, "consume")):
        if stats and len(stats.timeline) > 1:
            times, rates = _rates(stats.timeline)
            throughput.plot(times, rates, label=label)
    throughput.set(title="Throughput over time", xlabel="time (s)", ylabel="records/sec")
    throughput.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def _rates(timeline: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
    """Records per second in equal time slices of the run (at most 40, at most one per sample)."""
    buckets = max(1, min(40, len(timeline) - 1))
    end = timeline[-1][0] or 1e-9
    width = end / buckets
    counts = [0] * buckets
    previous = 0
    for at, done in timeline:
        counts[min(int(at / width), buckets - 1)] += done - previous
        previous = done
    return [width * (i + 0.5) for i in range(buckets)], [count / width for count in counts]
