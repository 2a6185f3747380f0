"""Share groups (KIP-932): consume throughput with 1, 3 and 6 share consumers on one partition, and
how soon a record whose consumer stopped is redelivered once its acquisition lock runs out."""

from __future__ import annotations

import contextlib
import functools
import json
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from .. import confluent_load
from ..brokers.process import process_cpu_seconds
from ..java_tools import producer_perf
from ..measurement import Measurement
from ..probes import Probe
from ..rounds import Case, run_cases
from ..session import Session
from ..share_probe import MARK, PING, ConsumerProcesses, OffsetTally, parse_ranges, percentile
from .produce import PERF_PROPS

TITLE = "Share groups: consume throughput and redelivery"

RECORDS = 2_000_000           # per throughput case, at scale 1
SIZE = 100
CONSUMERS = [1, 3, 6]
ROUNDS = 30                   # redeliveries timed per repetition, at scale 1
LOCK_MS = 1_000               # Kafka's lowest allowed record lock duration
#: Broker settings of the redelivery case (Kafka's names): the record lock at its floor, which
#: Kafka's default floor (group.share.min.record.lock.duration.ms=15000) would otherwise refuse.
LOCK_OVERRIDES = {"group.share.min.record.lock.duration.ms": LOCK_MS,
                  "group.share.record.lock.duration.ms": LOCK_MS}
SHARE_APIS = {76: "ShareGroupHeartbeat", 78: "ShareFetch", 79: "ShareAcknowledge"}
READY_TIMEOUT = 60.0          # seconds for every consumer of a group to receive its first record
PING_INTERVAL = 0.05          # seconds between pings while waiting for them
IDLE_LIMIT = 30.0             # seconds without a batch (or a redelivery) before a case gives up

THROUGHPUT_METRICS = {"records/s": True, "broker CPU s per 1M records": False,
                      "consumers CPU s per 1M records": False, "duplicates": False}
REDELIVERY_METRICS = {"redelivery p50 ms": False, "redelivery p99 ms": False}
REDELIVERY_CASE = f"lock timeout, {LOCK_MS} ms lock"


def throughput_case(consumers: int) -> str:
    return f"{consumers} consumer{'s' if consumers > 1 else ''}, 1 partition"


ABOUT = f"""\
Consumers are confluent-kafka's `ShareConsumer` ({confluent_load.CLIENT_VERSION}) with the
client's defaults, so implicit acknowledgement: the records one `poll` returned are accepted by the
next `poll`. **Each consumer runs in its own process** (`python -m benchmarks.share_probe`), so
no two share a GIL; the machine has 2 cores, which 6 consumer processes and the broker share.
Every group is new, with the broker's group defaults (`share.auto.offset.reset=latest`): its
consumers first join, and small *ping* records are written every {PING_INTERVAL * 1000:.0f} ms
until each consumer has received one (joining takes Kafka's heartbeat interval, 5 s by default,
and is not part of any figure); only then are the measured records written.

*Throughput* (one fresh broker per round, Kafka's defaults, so at most
`group.share.partition.max.record.locks=2000` records of the partition are acquired and not yet
acknowledged at any time): a new topic of **1 partition** per case, shared by 1, 3 or 6 consumers
of one group. Once all have joined they stop polling, and `ProducerPerformance` writes
{RECORDS:,} records of {SIZE} B at full scale (`acks=1 batch.size=262144 linger.ms=10`, as in the
produce workload; the client fetches only inside `poll`, so nothing is acquired meanwhile). Then
all are told to go and poll as fast as they can. *records/s* is N over the time from *go* to the
moment the last of the N distinct offsets reached a consumer; each consumer then acknowledges its
last batch (`commit_sync`), and every acknowledgement must have succeeded. *duplicates* counts
records delivered more than once (distinct offsets are counted, so a duplicate does not count
twice). *broker CPU s per 1M records*: the broker process's CPU time (user + system, every thread,
from `/proc`, as in the CPU workload) over the same time; *consumers CPU s per 1M records*: the
consumer processes' own CPU time, summed (lower is better).

*Redelivery* (one fresh broker per round with `group.share.record.lock.duration.ms={LOCK_MS}` and
`group.share.min.record.lock.duration.ms={LOCK_MS}`: {LOCK_MS / 1000:g} s is the lowest record lock
Kafka allows, and its default floor is 15 s): two consumers of one group poll a 1-partition topic;
{ROUNDS} times at full scale, one record is written. The consumer that gets it stops polling without
acknowledging it (its process stays in the group, heartbeating), so the broker must take the record
back when the lock runs out and hand it to the other consumer, which is polling; then the holder
polls again. *Redelivery* is the other consumer's receipt time minus the holder's receipt time
minus the lock duration ({LOCK_MS} ms): how long after the lock ran out the record reached its next
consumer. The broker's acquisition and expiry cannot be seen from outside, so both ends are a
consumer's receipt (`poll` handing the record over); each consumer's own delay from the broker's
answer to that moment enters with an opposite sign, so on the 2-core machine single rounds
come out some milliseconds early or late, and a figure at or below zero means the record came back
as soon as this can measure. p50 and p99 are nearest-rank over the rounds of one repetition (with
{ROUNDS} rounds, p99 is the slowest); the table gives their medians over the repetitions.

Tansu's ApiVersions answer lists no share group API, so it has no figures here.
"""


def run(session: Session) -> list[Measurement]:
    unsupported: dict[str, str] = {}
    records = session.scaled(RECORDS, minimum=10_000)
    cases = [Case(throughput_case(consumers), THROUGHPUT_METRICS,
                  functools.partial(_throughput, consumers=consumers, records=records), True)
             for consumers in CONSUMERS]
    measurements = run_cases(session, "share", cases,
                             start=functools.partial(_serving, session, unsupported, None))
    redelivery = Case(REDELIVERY_CASE, REDELIVERY_METRICS,
                      functools.partial(_redelivery, rounds=session.scaled(ROUNDS, minimum=5)))
    measurements += run_cases(session, "share", [redelivery],
                              start=functools.partial(_serving, session, unsupported, LOCK_OVERRIDES))
    for measurement in measurements:
        if measurement.broker in unsupported:
            measurement.note = unsupported[measurement.broker]
    return measurements


class ShareGroupsUnsupported(Exception):
    """The broker under test lists no share group API: a note, not a failure, in the table."""


@contextlib.contextmanager
def _serving(session: Session, unsupported: dict[str, str], overrides: dict | None, name: str):
    """``session.broker(name)``, if it serves share groups; else its note in ``unsupported``."""
    if name in unsupported:
        raise ShareGroupsUnsupported(unsupported[name])
    with session.broker(name, overrides) as running:
        missing = missing_share_apis(running.bootstrap)
        if missing:
            unsupported[name] = (f"does not serve share groups: its ApiVersions answer lists no "
                                 f"{', '.join(missing)}")
            raise ShareGroupsUnsupported(unsupported[name])
        yield running


def missing_share_apis(bootstrap: str) -> list[str]:
    """The share group APIs the broker's ApiVersions answer does not list."""
    with Probe(bootstrap) as probe:
        return [api for key, api in SHARE_APIS.items() if key not in probe.advertised]


def _throughput(broker, *, consumers: int, records: int) -> dict[str, float]:
    bootstrap = broker.bootstrap
    topic = group = f"share-throughput-{consumers}"
    confluent_load.create_topic(bootstrap, topic)
    with ConsumerProcesses.probes("drain", bootstrap, topic, group, consumers) as processes:
        _wait_until_ready(processes, bootstrap, topic)
        base = _end_offset(bootstrap, topic)
        producer_perf(bootstrap, topic, records, SIZE, acks=1, **PERF_PROPS)
        tally = OffsetTally(base, records)
        cpu = process_cpu_seconds(broker.pid)
        go = time.monotonic_ns()
        processes.send_all(f"go {base}")
        while not tally.complete:
            got = processes.line(IDLE_LIMIT)
            if got is None:
                raise TimeoutError(f"{tally.distinct:,} of {records:,} records delivered, "
                                   f"then nothing for {IDLE_LIMIT:.0f} s")
            done = _tally_batch(tally, got[1])
        broker_cpu = process_cpu_seconds(broker.pid) - cpu
        processes.send_all("stop")
        finals = _final_reports(processes, tally)
    failed = sum(report["failed acknowledgements"] for report in finals)
    if failed:
        first = next(r["first failure"] for r in finals if r["first failure"])
        raise RuntimeError(f"{failed} acknowledgements failed (first: {first})")
    millions = records / 1e6
    return {"records/s": records / ((done - go) / 1e9),
            "broker CPU s per 1M records": broker_cpu / millions,
            "consumers CPU s per 1M records": sum(report["cpu s"] for report in finals) / millions,
            "duplicates": tally.duplicates}


def _tally_batch(tally: OffsetTally, line: str) -> int:
    """Add a ``batch TIME RANGES`` report to the tally; its time."""
    kind, stamp, runs = line.split(" ", 2)
    if kind != "batch":
        raise RuntimeError(f"unexpected report from a share consumer: {line!r}")
    for first, last in parse_ranges(runs):
        tally.add(first, last)
    return int(stamp)


def _final_reports(processes: ConsumerProcesses, tally: OffsetTally) -> list[dict]:
    """Each process's closing JSON line; batches reported before it still count (as duplicates)."""
    finals: dict[int, dict] = {}
    while len(finals) < len(processes.processes):
        got = processes.line(IDLE_LIMIT)
        if got is None:
            raise TimeoutError(f"{len(processes.processes) - len(finals)} share consumers did not stop")
        index, line = got
        if line.startswith("{"):
            finals[index] = json.loads(line)
        else:
            _tally_batch(tally, line)
    return list(finals.values())


def _redelivery(bootstrap: str, *, rounds: int) -> dict[str, float]:
    topic = group = "share-redelivery"
    confluent_load.create_topic(bootstrap, topic)
    latencies = []
    with ConsumerProcesses.probes("hold", bootstrap, topic, group, 2) as processes:
        producer = _wait_until_ready(processes, bootstrap, topic)
        for number in range(rounds):
            producer.produce(topic, MARK + b" %d" % number)
            producer.flush(10)
            holder, offset, acquired = _expect(processes, "acquired", IDLE_LIMIT)
            taker, again, received = _expect(processes, "redelivered", LOCK_MS / 1000 + IDLE_LIMIT)
            if taker == holder or again != offset:
                raise RuntimeError(f"record {offset} held by consumer {holder + 1}, then consumer "
                                   f"{taker + 1} got record {again} redelivered")
            latencies.append((received - acquired) / 1e6 - LOCK_MS)
            processes.send(holder, "resume")
        processes.send_all("stop")
    return {"redelivery p50 ms": percentile(latencies, 0.50), "redelivery p99 ms": percentile(latencies, 0.99)}


def _expect(processes: ConsumerProcesses, kind: str, timeout: float) -> tuple[int, int, int]:
    """The next ``kind OFFSET TIME ...`` report: (which consumer, offset, time); others skipped."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        got = processes.line(left)
        if got is None:
            break
        index, line = got
        words = line.split()
        if words[0] == kind:
            return index, int(words[1]), int(words[2])
    raise TimeoutError(f"no share consumer reported '{kind}' within {timeout:.0f} s")


def _wait_until_ready(processes: ConsumerProcesses, bootstrap: str, topic: str) -> Producer:
    """Write pings until every consumer has received one; the producer, every ping delivered."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    waiting = set(range(len(processes.processes)))
    deadline = time.monotonic() + READY_TIMEOUT
    while waiting:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} of {len(processes.processes)} share consumers had no "
                               f"record {READY_TIMEOUT:.0f} s after joining")
        producer.produce(topic, PING)
        producer.poll(0)
        got = processes.line(PING_INTERVAL)
        while got is not None:
            if got[1] == "ready":
                waiting.discard(got[0])
            got = processes.line(0)
    if producer.flush(10):
        raise RuntimeError("pings not delivered")
    return producer


def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "share-bench-offsets"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        consumer.close()
