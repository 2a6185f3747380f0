"""Consume throughput: Kafka's own ConsumerPerformance, and confluent-kafka as a second client."""

from __future__ import annotations

import functools

from .. import confluent_load
from ..java_tools import consumer_perf, producer_perf
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session
from .produce import PERF_PROPS, SIZES

TITLE = "Consume throughput"

PERF_METRICS = {"records/s": True, "MB/s": True, "rebalance ms": False}
CONFLUENT_METRICS = {"records/s": True, "MB/s": True}

ABOUT = f"""\
Per round, one fresh broker gets two topics of **1 partition** each, loaded once before anything is
timed by `ProducerPerformance` (`acks=1`, `batch.size=262144`, `linger.ms=10`, as in the produce
workload): {SIZES[0][2]:,} records of 100 B and {SIZES[1][2]:,} of 1024 B at full scale. Both clients
then read all of each topic from its first offset, so they read the same records in the same batches.

**perf-test** is Apache Kafka 4.3.1's `ConsumerPerformance` (`kafka-consumer-perf-test`,
`--num-records N --timeout 30000`, a new consumer group each run, consumer defaults: 1 MiB per
partition per fetch, `fetch.min.bytes=1`). records/s and MB/s are the tool's `fetch.nMsg.sec` and
`fetch.MB.sec`: the group's join and first assignment are excluded and reported on their own as
`rebalance ms` (lower is better), since joining a group is not part of reading.

**confluent-kafka** ({confluent_load.CLIENT_VERSION}) assigns partition 0 from its beginning (no
group join) with the client's defaults except `fetch.queue.backoff.ms=10` (by default the client
pauses fetching for 1000 ms whenever its local queue holds 100,000 records, which caps 100 B records
near 200K/s against any broker), and calls `consume(num_messages=10000)` until all N records
arrived, checking each for an error. records/s is timed from the arrival of the first record to the
last one.
"""

TOPICS = {size: f"consume-{size}" for _, size, _ in SIZES}


def run(session: Session) -> list[Measurement]:
    counts = {size: session.scaled(records, minimum=1000) for _, size, records in SIZES}
    cases = [Case(f"perf-test {label}", PERF_METRICS,
                  functools.partial(_perf_test, size=size, count=counts[size]))
             for label, size, _ in SIZES]
    cases += [Case(f"confluent-kafka {label}", CONFLUENT_METRICS,
                   functools.partial(_confluent, size=size, count=counts[size]))
              for label, size, _ in SIZES]
    return run_cases(session, "consume", cases, prepare=functools.partial(_load, counts=counts))


def _load(bootstrap: str, *, counts: dict[int, int]) -> None:
    for size, count in counts.items():
        confluent_load.create_topic(bootstrap, TOPICS[size])
        producer_perf(bootstrap, TOPICS[size], count, size, acks=1, **PERF_PROPS)


def _perf_test(bootstrap: str, *, size: int, count: int) -> dict[str, float]:
    result = consumer_perf(bootstrap, TOPICS[size], count, timeout_ms=30000)
    if result.records < count:
        raise RuntimeError(f"ConsumerPerformance read {result.records} of {count} records")
    return {"records/s": result.records_per_second, "MB/s": result.mb_per_second,
            "rebalance ms": result.rebalance_ms}


def _confluent(bootstrap: str, *, size: int, count: int) -> dict[str, float]:
    rate = confluent_load.consume(bootstrap, TOPICS[size], count)
    return {"records/s": rate, "MB/s": rate * size / confluent_load.MEGABYTE}
