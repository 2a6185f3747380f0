"""What a perf run measures: latencies, the progress timeline, and their summaries.

Latencies are kept per acknowledged batch, each with the number of records it stands for, and
percentiles are taken over records: every record of a batch is given its batch's latency, since
the records of one batch are sent and acknowledged together.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

PERCENTILES = (50, 95, 99, 99.9)

Sample = tuple[float, int]  # (latency in ms, records it applies to)


def percentile(sorted_samples: list[Sample], pct: float) -> float:
    """The nearest-rank percentile over records of (latency, records) samples sorted by latency
    (0 for none)."""
    total = sum(count for _, count in sorted_samples)
    if not total:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value, count in sorted_samples:
        seen += count
        if seen >= rank:
            return value
    return sorted_samples[-1][0]


@dataclass
class Stats:
    """Records and bytes done over time, and for the producer a latency per acknowledged batch."""

    total: int
    started: float = field(default_factory=time.monotonic)  # monotonic seconds, shared by every phase's Stats
    records: int = 0
    bytes: int = 0
    latencies: list[Sample] = field(default_factory=list)
    timeline: list[tuple[float, int]] = field(default_factory=lambda: [(0.0, 0)])  # (seconds since start, records)

    def add(self, records: int, size: int, latency_ms: float | None = None) -> None:
        self.records += records
        self.bytes += size
        if latency_ms is not None:
            self.latencies.append((latency_ms, records))
        self.timeline.append((self.elapsed, self.records))

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rates(self) -> tuple[float, float]:
        """Records per second and MB per second so far."""
        seconds = max(self.timeline[-1][0] if self.records else self.elapsed, 1e-9)
        return self.records / seconds, self.bytes / seconds / (1024 * 1024)

    def producer_summary(self) -> str:
        """One line shaped like kafka-producer-perf-test's final line."""
        per_second, mb = self.rates()
        ordered = sorted(self.latencies)
        weight = sum(count for _, count in ordered)
        average = sum(value * count for value, count in ordered) / weight if weight else 0.0
        pcts = ", ".join(f"{percentile(ordered, p):.0f} ms {_ordinal(p)}" for p in PERCENTILES)
        return (f"{self.records} records sent, {per_second:.1f} records/sec ({mb:.2f} MB/sec), "
                f"{average:.2f} ms avg latency, {ordered[-1][0] if ordered else 0:.2f} ms max latency, {pcts}.")

    def consumer_summary(self) -> str:
        per_second, mb = self.rates()
        return (f"{self.records} records consumed, {self.bytes / (1024 * 1024):.2f} MB, {mb:.2f} MB/sec, "
                f"{per_second:.1f} records/sec.")


class ProgressBar:
    """A one-line bar redrawn in place, at most every ``interval`` seconds; drawn only when
    ``stream`` is a terminal."""

    def __init__(self, label: str, stream: TextIO = sys.stderr, width: int = 30, interval: float = 0.1):
        self.label = label
        self.stream = stream
        self.width = width
        self.interval = interval
        self.enabled = stream.isatty()
        self._drawn = -math.inf

    def update(self, stats: Stats) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn < self.interval and stats.records < stats.total:
            return
        self._drawn = now
        done = min(stats.records / stats.total, 1.0) if stats.total else 1.0
        filled = int(done * self.width)
        per_second, _ = stats.rates()
        self.stream.write(f"\r{self.label} [{'#' * filled}{' ' * (self.width - filled)}] {done:6.1%} "
                          f"{stats.records}/{stats.total} records, {per_second:,.0f} records/sec")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _ordinal(pct: float) -> str:
    return f"{pct:g}th"
