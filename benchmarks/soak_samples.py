"""The soak's pure parts: reading one sample of the broker, a window's p99, and the flatness verdict.

Kept apart from the clients and sockets so that they can be unit-tested on fixed text and numbers.

Flatness compares the **second** quarter of the run with the **last** one, each by its median: the
first quarter holds the warm-up (connections opened, the consumer group joined, the request pool
filled for the first time, the allocator's arenas grown to their working size), so it says nothing
about a leak; a median per quarter keeps one garbage-collector pause or one busy moment of a shared
machine from deciding. Only growth fails: a figure that drops is not a leak. A figure is flat when
its last-quarter median is at most ``limit %`` above the second quarter's, or at most ``slack``
above it in its own unit (so that sub-millisecond latencies, where a tenth of a millisecond is a
large percentage, are not failed for noise).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

LAG_SUM = "odradek_event_loop_lag_seconds_sum"
LAG_COUNT = "odradek_event_loop_lag_seconds_count"
LAG_LAST = "odradek_event_loop_lag_last_seconds"


@dataclass(frozen=True)
class Limit:
    """How much a figure may grow from the second quarter to the last and still count as flat."""
    percent: float
    slack: float          # in the figure's own unit (MB, ms)


# RSS: a leak of even a few KB per request over 30 minutes grows it far beyond 20 %; the pool of
# partial frames filling and draining moves it by a few MB, hence the slack.
# p99: a shared 2-core machine moves a p99 by tens of percent from minute to minute; a broker that
# slows down as it runs (a queue that grows, a scan that lengthens) doubles it.
LIMITS = {"RSS MB": Limit(20.0, 10.0), "produce p99 ms": Limit(50.0, 5.0)}


def status_field_kb(status_text: str, field: str = "VmRSS") -> int:
    """A ``/proc/<pid>/status`` field in kB (VmRSS, VmHWM, ...)."""
    for line in status_text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise ValueError(f"no {field} in the process status (has it exited?)")


def metric_values(text: str, names: set[str]) -> dict[str, float]:
    """The unlabelled samples of ``names`` in a Prometheus text exposition."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        if name in names:
            found[name] = float(rest.split()[0])
    return found


#: the broker's own counts of what its limits did (``/metrics``), kept as the soak's totals
BROKER_COUNTS = {
    "odradek_connections_refused_total": "broker: connections refused",
    "odradek_connections_closed_by_broker_total": "broker: connections closed by the broker",
    "kafka_server_socket_server_metrics_connection_close_total": "broker: connections closed",
}


def broker_counts(text: str) -> dict[str, int]:
    """``BROKER_COUNTS`` summed over their labels but ``reason`` (one total per reason)."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition("{") if "{" in line.split(" ")[0] else line.partition(" ")
        if name not in BROKER_COUNTS:
            continue
        labels, _, value = rest.rpartition("} ") if "} " in rest else ("", "", rest)
        reason = next((item.split("=", 1)[1].strip('"') for item in labels.split(",")
                       if item.startswith("reason=")), None)
        key = BROKER_COUNTS[name] + (f" ({reason})" if reason else "")
        found[key] = found.get(key, 0) + int(float(value.split()[0]))
    return found


def loop_lag_ms(before: dict[str, float], after: dict[str, float]) -> float | None:
    """Mean event-loop lag (ms) between two scrapes, from the histogram's sum and count; the
    latest wake-up's lag if no wake-up was counted between them (None if neither is known)."""
    if LAG_SUM in before and LAG_SUM in after and LAG_COUNT in before and LAG_COUNT in after:
        count = after[LAG_COUNT] - before[LAG_COUNT]
        if count > 0:
            return (after[LAG_SUM] - before[LAG_SUM]) / count * 1000
    return after[LAG_LAST] * 1000 if LAG_LAST in after else None


def p99(values: list[float]) -> float | None:
    """The 99th percentile (nearest rank), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def quarters(values: list[float]) -> tuple[list[float], list[float]]:
    """The second and the last quarter of ``values`` (in sample order)."""
    n = len(values)
    if n < 4:
        raise ValueError(f"{n} samples: at least 4 are needed for quarters")
    return values[n // 4:n // 2], values[n - n // 4:]


@dataclass(frozen=True)
class Verdict:
    second: float          # the second quarter's median
    last: float            # the last quarter's median
    limit: Limit

    @property
    def drift_percent(self) -> float:
        return (self.last - self.second) / self.second * 100 if self.second else 0.0

    @property
    def flat(self) -> bool:
        growth = self.last - self.second
        return growth <= self.limit.slack or self.drift_percent <= self.limit.percent

    def describe(self, unit: str) -> str:
        word = "flat" if self.flat else "NOT flat"
        return (f"{word}: last quarter {self.last:.3g} {unit} vs second {self.second:.3g} {unit} "
                f"({self.drift_percent:+.1f} %; limit +{self.limit.percent:g} % or +{self.limit.slack:g} {unit})")


def verdict(values: list[float], limit: Limit) -> Verdict:
    """Whether ``values`` (samples in time order, None-free) stay flat by ``limit``."""
    second, last = quarters(values)
    return Verdict(statistics.median(second), statistics.median(last), limit)
