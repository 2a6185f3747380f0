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


class TokenBucket:
    """Kafka's ``TokenBucket`` stat, which the controller mutation quota (KIP-599) is measured with.

    The bucket holds up to ``quota * (num - 1) * window`` tokens (the burst) and refills at
    ``quota`` tokens a second; each mutation takes one token per partition, and the bucket may go
    below zero. It starts full. A request is refused (strict) or throttled (permissive) while the
    bucket is below zero, for as long as it takes to refill to zero: ``-tokens / quota`` seconds.
    """

    __slots__ = ("tokens", "_updated_ms", "_num", "_window_ms")

    def __init__(self, num_samples: int, window_ms: int):
        self.tokens: float | None = None  # None: full, at the first look
        self._updated_ms = 0.0
        self._num = max(num_samples, 1)
        self._window_ms = window_ms

    def _refill(self, quota: float, now_ms: float) -> None:
        burst = (self._num - 1) * self._window_ms / 1000 * quota
        if self.tokens is None:
            self.tokens = burst
        else:
            self.tokens = min(burst, self.tokens + quota * (now_ms - self._updated_ms) / 1000)
        self._updated_ms = now_ms

    def measure(self, quota: float, now_ms: float) -> float:
        self._refill(quota, now_ms)
        return self.tokens

    def record(self, value: float, quota: float, now_ms: float) -> None:
        self._refill(quota, now_ms)
        burst = (self._num - 1) * self._window_ms / 1000 * quota
        self.tokens = min(burst, self.tokens - value)

    @staticmethod
    def throttle_ms(tokens: float, quota: float) -> int:
        """How long until the bucket is back at zero (0 when it is not below)."""
        return round(-tokens / quota * 1000) if tokens < 0 else 0
