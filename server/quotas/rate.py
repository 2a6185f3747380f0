"""Kafka's sampled rate, as its quota sensors measure it, and the throttle time of a violation.

Kafka's ``Rate`` keeps ``quota.window.num`` samples of ``quota.window.size.seconds`` each; the rate
is their sum over the time they span, counted as at least ``num - 1`` whole windows (so a client's
first burst is spread over that long), and samples older than ``num`` windows are reset. A value
recorded that takes the rate above the quota is throttled for ``(rate - quota) / quota *
window span``: the time after which the rate is back at the quota if nothing more comes.
"""

from __future__ import annotations


class Rate:
    __slots__ = ("_samples", "_current", "_num", "_window_ms")

    def __init__(self, num_samples: int, window_ms: int):
        self._samples: list[list[float]] = []  # [window start ms, value]
        self._current = 0
        self._num = max(num_samples, 1)
        self._window_ms = window_ms

    def record(self, value: float, now_ms: float) -> None:
        samples = self._samples
        if not samples:
            samples.append([now_ms, 0.0])
            self._current = 0
        sample = samples[self._current]
        if now_ms - sample[0] >= self._window_ms:
            self._current = (self._current + 1) % self._num
            if self._current >= len(samples):
                samples.append([now_ms, 0.0])
            else:
                samples[self._current][:] = [now_ms, 0.0]
            sample = samples[self._current]
        sample[1] += value

    def measure(self, now_ms: float) -> float:
        """Per second."""
        expire = self._num * self._window_ms
        for sample in self._samples:
            if now_ms - sample[0] >= expire:
                sample[:] = [now_ms, 0.0]
        total = sum(sample[1] for sample in self._samples)
        return total / (self.window_ms(now_ms) / 1000)

    def window_ms(self, now_ms: float) -> float:
        oldest = min((sample[0] for sample in self._samples), default=now_ms)
        elapsed = now_ms - oldest
        full = int(elapsed // self._window_ms)
        if full < self._num - 1:
            elapsed += (self._num - 1 - full) * self._window_ms
        return elapsed

    def record_and_throttle(self, value: float, bound: float, now_ms: float) -> int:
        """Record ``value``; the throttle time in ms if the rate is now above ``bound``, else 0."""
        self.record(value, now_ms)
        rate = self.measure(now_ms)
        if rate <= bound:
            return 0
        return round((rate - bound) / bound * self.window_ms(now_ms))
