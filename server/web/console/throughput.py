"""Records and bytes per second, from the counters the broker keeps for ``/metrics``
(``broker.stats.topics``), sampled every few seconds by the console's background task.

Sampling copies the per-topic counters (three ints a topic) and keeps a short history of the
broker-wide totals for the charts; rates per topic are the difference between the last two
samples. Nothing is counted on the hot path for this. Other samplers on the same clock (the
groups' lag history) ride along in ``also``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import trio

INTERVAL_S = 2.0
HISTORY = 150  # samples kept for the charts: 5 minutes


@dataclass(frozen=True)
class Rates:
    records_in: float = 0.0
    bytes_in: float = 0.0
    bytes_out: float = 0.0


@dataclass(frozen=True)
class Sample:
    at: float  # wall clock, seconds
    totals: tuple[int, int, int]  # records in, bytes in, bytes out, broker-wide


class Throughput:
    def __init__(self, stats, interval_s: float = INTERVAL_S, also=()):
        self.stats = stats
        self.also = list(also)  # other samplers on the same clock (each with ``sample(now)``)
        self.interval_s = interval_s
        self.history: deque[tuple[float, Rates]] = deque(maxlen=HISTORY)
        self._previous: tuple[float, dict[str, tuple[int, int, int]]] | None = None
        self._last: tuple[float, dict[str, tuple[int, int, int]]] | None = None

    async def run(self) -> None:
        while True:
            self.sample()
            await trio.sleep(self.interval_s)

    def sample(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        counts = {topic: (c.messages_in, c.bytes_in, c.bytes_out) for topic, c in self.stats.topics.by_topic.items()}
        self._previous, self._last = self._last, (now, counts)
        if self._previous is not None:
            self.history.append((now, self.total()))
        for sampler in self.also:
            sampler.sample(now)

    def of_topic(self, topic: str) -> Rates:
        return self._rates(lambda counts: counts.get(topic, (0, 0, 0)))

    def total(self) -> Rates:
        return self._rates(lambda counts: tuple(map(sum, zip((0, 0, 0), *counts.values()))))

    def _rates(self, pick) -> Rates:
        if self._previous is None or self._last is None:
            return Rates()
        (then, old), (now, new) = self._previous, self._last
        elapsed = max(now - then, 1e-9)
        before, after = pick(old), pick(new)
        return Rates(*((b - a) / elapsed for a, b in zip(before, after)))
