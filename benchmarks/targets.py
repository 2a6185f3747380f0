"""The issue's targets, each checked against the measurements of the same run.

A target is a sentence and a check; the check answers (met, what was found), with ``met`` None
when the run holds no figure for it (workload not run, or broker failed). To add one, append a
``Target`` whose check reads the measurements by workload, case and metric names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .measurement import Measurement

Check = Callable[[list[Measurement]], tuple["bool | None", str]]


@dataclass(frozen=True)
class Target:
    description: str
    check: Check


def median_of(measurements: Iterable[Measurement], workload: str, metric: str,
              broker: str = "odradek", case: str | None = None) -> float | None:
    """The median of the one matching measurement (any case if ``case`` is None), if it has values."""
    for measurement in measurements:
        if (measurement.workload, measurement.metric, measurement.broker) == (workload, metric, broker) \
                and (case is None or measurement.case == case) and measurement.values:
            return measurement.median
    return None


def at_most(workload: str, metric: str, limit: float, unit: str, case: str | None = None) -> Check:
    """odradek's median of ``metric`` is no more than ``limit``."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        value = median_of(measurements, workload, metric, case=case)
        if value is None:
            return None, f"no {metric} figure in this run"
        if value <= limit:
            return True, f"{value:.3g} {unit} (limit {limit:g} {unit})"
        return False, f"{value:.3g} {unit}: {value / limit - 1:.0%} over the limit of {limit:g} {unit}"
    return check


def at_least(workload: str, metric: str, limit: float, unit: str, case: str | None = None) -> Check:
    """odradek's median of ``metric`` is at least ``limit``."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        value = median_of(measurements, workload, metric, case=case)
        if value is None:
            return None, f"no {metric} figure in this run"
        if value >= limit:
            return True, f"{value:,.0f} {unit} (at least {limit:,.0f})"
        return False, f"{value:,.0f} {unit}: {1 - value / limit:.0%} short of {limit:,.0f}"
    return check


def _ratio_in_every(workload: str, metric: str, other: str, cases: list[str],
                    met: Callable[[float], bool], shown: Callable[[float, float], str]) -> Check:
    """``met(odradek's median ÷ other's)`` in every case; ``shown(ours, theirs)`` says each case."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        found, all_met = [], True
        for case in cases:
            ours = median_of(measurements, workload, metric, case=case)
            theirs = median_of(measurements, workload, metric, broker=other, case=case)
            if ours is None or theirs is None or theirs == 0:
                return None, f"no {metric} figure for both brokers in '{case}'"
            all_met &= met(ours / theirs)
            found.append(f"{case}: {shown(ours, theirs)}")
        return all_met, "; ".join(found)
    return check


def ratio_at_least(workload: str, metric: str, other: str, factor: float, cases: list[str]) -> Check:
    """odradek's median of ``metric`` is at least ``factor`` times ``other``'s, in every case."""
    return _ratio_in_every(workload, metric, other, cases, lambda ratio: ratio >= factor,
                           lambda ours, theirs: f"{ours / theirs:.2f}x")


def ratio_at_most(workload: str, metric: str, other: str, factor: float, cases: list[str]) -> Check:
    """odradek's median of ``metric`` is at most ``factor`` times ``other``'s, in every case (a cost)."""
    return _ratio_in_every(workload, metric, other, cases, lambda ratio: ratio <= factor,
                           lambda ours, theirs: f"{ours:.3g} against {theirs:.3g}, {ours / theirs:.2f}x")


def at_most_in_every(workload: str, metric: str, limit: float, unit: str, cases: list[str],
                     reference: str | None = None) -> Check:
    """odradek's median of ``metric`` is no more than ``limit`` in every case; ``reference``'s
    medians are quoted beside them (the figure to beat), never checked."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        found, all_met = [], True
        for case in cases:
            value = median_of(measurements, workload, metric, case=case)
            if value is None:
                return None, f"no {metric} figure in '{case}'"
            all_met &= value <= limit
            theirs = median_of(measurements, workload, metric, broker=reference, case=case) if reference else None
            beside = f" ({reference} {theirs:.3g} {unit})" if theirs is not None else ""
            found.append(f"{case}: {value:.3g} {unit}{beside}")
        return all_met, "; ".join(found) + f" (limit {limit:g} {unit})"
    return check


def soak_flat(name: str) -> Check:
    """The soak's sampled ``name`` stays flat (``benchmarks.soak_samples``: last quarter vs second)."""
    from .soak_samples import LIMITS, verdict

    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        for m in measurements:
            if (m.workload, m.case, m.metric, m.broker) == ("soak", "over time", name, "odradek") \
                    and len(m.values) >= 4:
                judged = verdict(m.values, LIMITS[name])
                return judged.flat, judged.describe(name.split()[-1])
        return None, f"no soak {name} samples in this run"
    return check


def soak_read_back(measurements: list[Measurement]) -> tuple[bool | None, str]:
    """Every record the soak's acks=all producer saw acknowledged was read back at the end."""
    acknowledged = median_of(measurements, "soak", "acknowledged", case="totals")
    read = median_of(measurements, "soak", "read back", case="totals")
    if acknowledged is None or read is None:
        return None, "no soak totals in this run"
    return read >= acknowledged, f"{read:,.0f} read back of {acknowledged:,.0f} acknowledged"


PERF_PRODUCE = ["perf-test 100 B acks=1", "perf-test 100 B acks=all", "perf-test 1 KB acks=1",
                "perf-test 1 KB acks=all"]
PERF_CONSUME = ["perf-test 100 B", "perf-test 1 KB"]
CONFLUENT_PRODUCE = ["confluent-kafka 100 B acks=1", "confluent-kafka 1 KB acks=1"]
CONFLUENT_CONSUME = ["confluent-kafka 100 B", "confluent-kafka 1 KB"]
# the cluster workload's cases (benchmarks/workloads/cluster.py)
CLUSTER_PRODUCE = "perf-test 100 B, 6 partitions"
CLUSTER_LATENCY = "5K msg/s, 1 partition"
CLUSTER_FAILOVER = ["kill -9 of a leader (not the controller)", "kill -9 of a leader that is the controller"]

def within_of(workload: str, metric: str, cases: list[str], tolerance: float) -> Check:
    """Each case's median ratio (e.g. metrics on ÷ off) is at least ``1 - tolerance``."""
    def check(measurements: list[Measurement]) -> tuple[bool | None, str]:
        found, all_met = [], True
        for case in cases:
            value = median_of(measurements, workload, metric, case=case)
            if value is None:
                return None, f"no {metric} figure in '{case}'"
            all_met &= value >= 1 - tolerance
            found.append(f"{case}: {value:.3f}")
        return all_met, "; ".join(found) + f" (at least {1 - tolerance:.2f})"
    return check


# the group pipeline workload's cases (benchmarks/workloads/group_pipeline.py)
GROUP_PIPELINE = [f"{mode}, {protocol} protocol" for protocol in ("classic", "consumer")
                  for mode in ("at-least-once", "exactly-once")]

# the CPU workload's confluent-kafka cases (issue 16)
CPU_PRODUCE = ["confluent-kafka produce_batch 100 B"]
CPU_CONSUME = ["confluent-kafka consume 100 B"]
CPU_METRIC = "broker CPU s per 1M records"
METRICS_RATIOS = ["confluent-kafka produce: on ÷ off", "confluent-kafka consume: on ÷ off"]

# the many_partitions workload's topic cases (benchmarks/workloads/many_partitions.py)
ONE_THOUSAND, TEN_THOUSAND = "1,000 partitions", "10,000 partitions"

TARGETS = [
    Target("produce ≥ 1.0x Apache Kafka with kafka-producer-perf-test (100 B and 1 KB)",
           ratio_at_least("produce", "records/s", "kafka", 1.0, PERF_PRODUCE)),
    Target("consume ≥ 1.0x Apache Kafka with kafka-consumer-perf-test (100 B and 1 KB)",
           ratio_at_least("consume", "records/s", "kafka", 1.0, PERF_CONSUME)),
    Target("produce ≥ 1.5x Tansu with confluent-kafka",
           ratio_at_least("produce", "records/s", "tansu", 1.5, CONFLUENT_PRODUCE)),
    Target("consume ≥ 5x Tansu with confluent-kafka",
           ratio_at_least("consume", "records/s", "tansu", 5.0, CONFLUENT_CONSUME)),
    Target("≥ 1,000,000 records/s produced by kafka-producer-perf-test at 100 B",
           at_least("produce", "records/s", 1_000_000, "records/s", case="perf-test 100 B acks=1")),
    Target("end-to-end p99 ≤ 10 ms at 5K msg/s with acks=all",
           at_most("latency", "p99 ms", 10, "ms", case="5K msg/s acks=all")),
    Target("append throughput within ±10% from an empty log to a 20 GB one",
           at_most("log_growth", "append MB/s deviation %", 10, "%", case="flatness")),
    Target("seek latency within ±10% from an empty log to a 20 GB one",
           at_most("log_growth", "seek ms deviation %", 10, "%", case="flatness")),
    Target("≥ 300,000 records/s produced by `odradek perf` (its defaults) at 100 B",
           at_least("odradek_perf", "produce records/s", 300_000, "records/s", case="odradek perf 100 B")),
    Target("3 brokers, RF=3: produce ≥ 1.0x Apache Kafka with kafka-producer-perf-test (100 B, acks=all)",
           ratio_at_least("cluster", "records/s", "kafka", 1.0, [CLUSTER_PRODUCE])),
    Target("3 brokers, RF=3: end-to-end p99 ≤ 20 ms at 5K msg/s with acks=all",
           at_most("cluster", "p99 ms", 20, "ms", case=CLUSTER_LATENCY)),
    Target("3 brokers, RF=3: leader failover ≤ 5 s, kill -9 to the first acks=all record acknowledged "
           "by the new leader, default settings (Apache Kafka's figure beside it)",
           at_most_in_every("cluster", "failover s", 5, "s", CLUSTER_FAILOVER, reference="kafka")),
    Target("consume-transform-produce, 3 group members, 20 partitions, 500K records: total time ≤ "
           "Apache Kafka's (records/s ≥ 1.0x), with and without transactions",
           ratio_at_least("group_pipeline", "records/s", "kafka", 1.0, GROUP_PIPELINE)),
    Target("Produce and Fetch throughput with metrics on within 3% of metrics off",
           within_of("metrics", "ratio", METRICS_RATIOS, 0.03)),
    Target("soak beside hostile clients: broker RSS stays flat", soak_flat("RSS MB")),
    Target("soak beside hostile clients: the acks=all producer's p99 stays flat", soak_flat("produce p99 ms")),
    Target("soak beside hostile clients: every acknowledged record read back", soak_read_back),
    Target("startup ≤ 0.3 s", at_most("startup", "startup s", 0.3, "s")),
    Target("idle RSS ≤ 40 MB", at_most("startup", "idle RSS MB", 40, "MB")),
    Target("broker CPU per produced record ≤ 0.5x Tansu's (confluent-kafka produce_batch, 100 B, acks=1)",
           ratio_at_most("cpu", CPU_METRIC, "tansu", 0.5, CPU_PRODUCE)),
    Target("broker CPU per produced record ≤ 0.3x Apache Kafka's (confluent-kafka produce_batch, 100 B, acks=1)",
           ratio_at_most("cpu", CPU_METRIC, "kafka", 0.3, CPU_PRODUCE)),
    Target("broker CPU per consumed record ≤ 0.25x Tansu's (confluent-kafka consumer, 100 B)",
           ratio_at_most("cpu", CPU_METRIC, "tansu", 0.25, CPU_CONSUME)),
    Target("consume at 10,000 partitions ≥ 1.5x Apache Kafka (kafka-consumer-perf-test)",
           ratio_at_least("many_partitions", "consume records/s", "kafka", 1.5, [TEN_THOUSAND])),
    Target("Fetch round trip at 10,000 partitions with nothing new ≤ 5 ms (an incremental fetch session)",
           at_most("many_partitions", "idle Fetch ms", 5, "ms", case=TEN_THOUSAND)),
    Target("Metadata answer at 10,000 partitions ≤ Apache Kafka's",
           ratio_at_most("many_partitions", "Metadata ms", "kafka", 1.0, [TEN_THOUSAND])),
    Target("creating 1,000 and 10,000 partitions ≤ Apache Kafka's time",
           ratio_at_most("many_partitions", "create s", "kafka", 1.0, [ONE_THOUSAND, TEN_THOUSAND])),
]
