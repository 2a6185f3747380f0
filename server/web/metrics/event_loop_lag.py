"""How late the event loop wakes a sleeping task: the broker's responsiveness in one figure.

Everything the broker serves runs in one trio thread, so anything that holds the loop (a big
encode, a blocking call that should be in a worker thread) delays every client. A task sleeps
``INTERVAL_S`` over and over and records how much later than asked it woke.
"""

from __future__ import annotations

from bisect import bisect_left

import trio
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

INTERVAL_S = 0.25
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class EventLoopLag(Collector):
    def __init__(self):
        self.counts = [0] * (len(BUCKETS_S) + 1)
        self.sum_s = 0.0
        self.last_s = 0.0

    async def run(self) -> None:
        while True:
            asked = trio.current_time() + INTERVAL_S
            await trio.sleep_until(asked)
            self.observe(max(trio.current_time() - asked, 0.0))

    def observe(self, lag_s: float) -> None:
        self.counts[bisect_left(BUCKETS_S, lag_s)] += 1
        self.sum_s += lag_s
        self.last_s = lag_s

    def collect(self):
        histogram = HistogramMetricFamily("odradek_event_loop_lag_seconds",
                                          "How much later than asked a sleeping task woke")
        buckets, total = [], 0
        for bound, count in zip((*map(str, BUCKETS_S), "+Inf"), self.counts):
            total += count
            buckets.append((bound, total))
        histogram.add_metric([], buckets, self.sum_s)
        yield histogram
        yield GaugeMetricFamily("odradek_event_loop_lag_last_seconds", "The latest wake-up's lateness",
                                value=self.last_s)
