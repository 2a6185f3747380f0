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
TOPICS_CHARTED = 200  # the topics most recently active keep a history of their own


@dataclass(frozen=True)
class Rates:
    records_in: float = 0.0
    bytes_in: float = 0.0
    bytes_out: float = 0.0


class Throughput:
    def __init__(self, stats, interval_s: float = INTERVAL_S, also=()):
        self.stats = stats
        self.also = list(also)  # other samplers on the same clock (each with ``sample(now)``)
        self.interval_s = interval_s
        self.history: deque[tuple[float, Rates]] = deque(maxlen=HISTORY)
        self._previous: tuple[float, dict[str, tuple[int, int, int]]] | None = None
        self._last: tuple[float, dict[str, tuple[int, int, int]]] | None = None
        # topic -> its rates, for the topics with traffic in the window, least recently active first
        self._by_topic: dict[str, deque[tuple[float, Rates]]] = {}
        self._active: dict[str, float] = {}  # topic -> when its counters last moved

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
            self._sample_topics(now)
        for sampler in self.also:
            sampler.sample(now)

    def _sample_topics(self, now: float) -> None:
        """Each active topic's rates into its own history: a topic whose counters moved joins (or
        moves to the end), one idle for the whole window leaves, and beyond ``TOPICS_CHARTED`` the
        least recently active leave first."""
        old, new = self._previous[1], self._last[1]
        for topic, after in new.items():
            if after != old.get(topic, (0, 0, 0)):
                self._active.pop(topic, None)
                self._active[topic] = now
                if topic not in self._by_topic:
                    self._by_topic[topic] = deque(maxlen=HISTORY)
        window = HISTORY * self.interval_s
        for topic in [t for t, at in self._active.items() if at < now - window]:
            del self._active[topic], self._by_topic[topic]
        while len(self._active) > TOPICS_CHARTED:
            topic = next(iter(self._active))
            del self._active[topic], self._by_topic[topic]
        for topic, history in self._by_topic.items():
            history.append((now, self.of_topic(topic)))

    def history_of(self, topic: str) -> list[tuple[float, Rates]]:
        """The topic's rates over the window, if it has been active in it (else empty)."""
        return list(self._by_topic.get(topic, ()))

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
