"""Where the CPU goes: the broker's and the client's CPU time while Kafka's perf tools run.

On a 2-core machine the client and the broker share the cores, so a throughput figure says little
about which of them is the limit. This workload reads both processes' CPU time around the same
perf-test runs as the produce and consume workloads: a broker that needs less CPU per record
leaves more of the machine to the client, and *broker cores* near 2 would mean the broker is the
limit.
"""

from __future__ import annotations

import functools
import resource
import time

from .. import confluent_load
from ..brokers.process import process_cpu_seconds
from ..java_tools import consumer_perf, producer_perf
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session
from .produce import PERF_PROPS

TITLE = "CPU per record: broker and client"

RECORDS = 5_000_000
SIZE = 100
METRICS = {"broker CPU s per 1M records": False, "client CPU s per 1M records": False,
           "broker cores busy": False, "records/s": True}

ABOUT = f"""\
One fresh broker per round. *produce*: `ProducerPerformance`, {RECORDS:,} records of {SIZE} B to a
1-partition topic, `acks=1 batch.size=262144 linger.ms=10` (as in the produce workload).
*consume*: `ConsumerPerformance` then reads them all. *confluent-kafka produce_batch* / *consume*:
the same count and size to a second 1-partition topic with confluent-kafka
({confluent_load.CLIENT_VERSION}; `produce_batch` of 10,000 records, `acks=1`, then its consumer
reading them all by assignment, after a first lookup of its group's coordinator, so that
creating `__consumer_offsets` is not counted per record); the client runs in the suite's own process, so its CPU is that
process's (rusage of self) over the run. For each run: the broker process's CPU time
(user + system, every thread, from `/proc/<pid>/stat`; the JVM for Kafka) and the tool's (its JVM,
from the children's rusage), each per million records (lower is better); *broker cores busy* is
the broker's CPU time over the run's wall time (of the 2 cores); *records/s* is the tool's figure.
"""


def run(session: Session) -> list[Measurement]:
    records = session.scaled(RECORDS, minimum=10_000)
    cases = [Case("produce perf-test 100 B", METRICS, functools.partial(_produce, records=records), True),
             Case("consume perf-test 100 B", METRICS, functools.partial(_consume, records=records), True)]
    cases += [Case("confluent-kafka produce_batch 100 B", METRICS,
                   functools.partial(_confluent_produce, records=records), True),
              Case("confluent-kafka consume 100 B", METRICS,
                   functools.partial(_confluent_consume, records=records), True)]
    return run_cases(session, "cpu", cases)


def _produce(broker, *, records: int) -> dict[str, float]:
    confluent_load.create_topic(broker.bootstrap, "cpu")
    with _CpuMeter(broker.pid) as meter:
        result = producer_perf(broker.bootstrap, "cpu", records, SIZE, acks=1, **PERF_PROPS)
    return meter.figures(records, result.records_per_second)


def _consume(broker, *, records: int) -> dict[str, float]:
    with _CpuMeter(broker.pid) as meter:
        result = consumer_perf(broker.bootstrap, "cpu", records)
    return meter.figures(records, result.records_per_second)


def _confluent_produce(broker, *, records: int) -> dict[str, float]:
    confluent_load.create_topic(broker.bootstrap, "cpu-confluent")
    with _CpuMeter(broker.pid, client=_self_cpu) as meter:
        rate = confluent_load.produce_batches(broker.bootstrap, "cpu-confluent", records, SIZE)
    return meter.figures(records, rate)


def _confluent_consume(broker, *, records: int) -> dict[str, float]:
    confluent_load.find_group_coordinator(broker.bootstrap, "cpu-confluent")  # offsets topic: not per record
    with _CpuMeter(broker.pid, client=_self_cpu) as meter:
        rate = confluent_load.consume(broker.bootstrap, "cpu-confluent", records)
    return meter.figures(records, rate)


class _CpuMeter:
    """CPU seconds of the broker (by pid) and of the client over a with-block: by default the
    waited-for child processes (the perf tools' JVMs), or what ``client`` reads."""

    def __init__(self, pid: int, client=None):
        self.pid = pid
        self._client_cpu = client or _children_cpu

    def __enter__(self):
        self._broker, self._children, self._wall = process_cpu_seconds(self.pid), self._client_cpu(), time.monotonic()
        return self

    def __exit__(self, *exc):
        self.broker = process_cpu_seconds(self.pid) - self._broker
        self.client = self._client_cpu() - self._children
        self.wall = time.monotonic() - self._wall

    def figures(self, records: int, rate: float) -> dict[str, float]:
        millions = records / 1e6
        return {"broker CPU s per 1M records": self.broker / millions,
                "client CPU s per 1M records": self.client / millions,
                "broker cores busy": self.broker / self.wall, "records/s": rate}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
