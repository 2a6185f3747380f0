"""Produce throughput: Kafka's own ProducerPerformance, and confluent-kafka as a second client."""

from __future__ import annotations

import functools

from .. import confluent_load
from ..java_tools import producer_perf
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "Produce throughput"

# (label, record size in bytes, records at scale 1): about ten seconds each against Apache Kafka
SIZES = [("100 B", 100, 5_000_000), ("1 KB", 1024, 1_000_000)]
PERF_PROPS = {"batch.size": 262144, "linger.ms": 10}
PERF_METRICS = {"records/s": True, "MB/s": True, "p99 ms": False}
CONFLUENT_METRICS = {"records/s": True, "MB/s": True}

ABOUT = f"""\
One fresh broker per round; every case writes its own new topic with **1 partition**, created
beforehand with CreateTopics and awaited until Metadata shows its leader. No compression.

**perf-test** is Apache Kafka 4.3.1's `ProducerPerformance` (`kafka-producer-perf-test`, run from the
Maven Central jars with the JVM options its script uses): `--throughput -1` (unthrottled),
`--record-size 100` or `1024`, {SIZES[0][2]:,} and {SIZES[1][2]:,} records at full scale, producer
settings Kafka 4.x's defaults plus `--command-property acks=1|all batch.size=262144 linger.ms=10`
(the larger batches the Kafka docs recommend for throughput; the same for every broker). Figures are
the tool's own final line: records/s, MB/s (MiB, as the tool divides by 1024²) and the 99th
percentile of its produce latency (send to acknowledgement, which grows with the queue the
unthrottled tool builds up; lower is better).

**confluent-kafka** ({confluent_load.CLIENT_VERSION}) produces the same counts of the same sizes
with `acks=1`, `linger.ms=5`, `batch.size=1000000`, `queue.buffering.max.messages=1000000`, in a tight `produce()` loop that waits with `poll()` only when
the local queue is full; delivery reports for errors only. records/s is timed from the first
`produce()` to the end of `flush()`, so every record counted was acknowledged. This shows the broker
with a client whose per-record cost is lower than the JVM tool's.
"""


def run(session: Session) -> list[Measurement]:
    cases = []
    for label, size, records in SIZES:
        count = session.scaled(records, minimum=1000)
        for acks in ("1", "all"):
            cases.append(Case(f"perf-test {label} acks={acks}", PERF_METRICS,
                              functools.partial(_perf_test, count=count, size=size, acks=acks)))
    for label, size, records in SIZES:
        cases.append(Case(f"confluent-kafka {label} acks=1", CONFLUENT_METRICS,
                          functools.partial(_confluent, count=session.scaled(records, minimum=1000),
                                            size=size)))
    return run_cases(session, "produce", cases)


def _perf_test(bootstrap: str, *, count: int, size: int, acks: str) -> dict[str, float]:
    topic = f"produce-perf-{size}-acks-{acks}"
    confluent_load.create_topic(bootstrap, topic)
    result = producer_perf(bootstrap, topic, count, size, acks=acks, **PERF_PROPS)
    return {"records/s": result.records_per_second, "MB/s": result.mb_per_second,
            "p99 ms": result.p99_ms}


def _confluent(bootstrap: str, *, count: int, size: int) -> dict[str, float]:
    topic = f"produce-confluent-{size}"
    confluent_load.create_topic(bootstrap, topic)
    rate = confluent_load.produce(bootstrap, topic, count, size)
    return {"records/s": rate, "MB/s": rate * size / confluent_load.MEGABYTE}
