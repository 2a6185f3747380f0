"""Consume-transform-produce through a consumer group: 3 member processes read a 20-partition topic
and write what they read to a second one, with and without transactions.

Consumer groups of this size had been measured several times slower on odradek than on Kafka;
this workload times the whole pipeline (the group's joins included) and the broker's CPU over it.
"""

from __future__ import annotations

import functools
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from .. import confluent_load
from ..brokers.process import process_cpu_seconds
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "Consumer group pipeline: consume, transform, produce"

RECORDS = 500_000            # at scale 1
SIZE = 100
PARTITIONS = 20
MEMBERS = 3
MODES = ["at-least-once", "exactly-once"]
PROTOCOLS = ["classic", "consumer"]      # group.protocol: JoinGroup/SyncGroup, or KIP-848's heartbeats
READY_TIMEOUT = 60.0         # seconds for the members to build their clients
IDLE_LIMIT = 60.0            # seconds without progress in the committed offsets before giving up
WATCH_INTERVAL = 0.05        # seconds between two reads of the group's committed offsets
RETRIABLE = {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
             KafkaError.COORDINATOR_NOT_AVAILABLE}
REPO = Path(__file__).resolve().parents[2]

METRICS = {"total s": False, "records/s": True, "rebalance s": False,
           "broker CPU s": False, "broker cores busy": False, "output records": True,
           "load average": False}

ABOUT = f"""\
One fresh broker per round, Kafka's defaults (so `group.initial.rebalance.delay.ms=3000` on both),
warmed up before its first case: an offset commit and a committed transaction make it create
`__consumer_offsets` and `__transaction_state` (50 partitions each on Kafka, which takes it
seconds), so no case times a broker's first use of its internal topics.
Per case, a new input topic of {PARTITIONS} partitions is loaded with {RECORDS:,} records of {SIZE} B
at full scale (confluent-kafka, not timed), and an output topic of {PARTITIONS} partitions is created.
Then {MEMBERS} member processes (`python -m benchmarks.pipeline_member`,
{confluent_load.CLIENT_VERSION}, one consumer and one producer each) are told to go at once, with
the *classic* group protocol (JoinGroup/SyncGroup, the client's default eager `range,roundrobin`
assignors) or the *consumer* protocol (KIP-848 heartbeats, the broker's `uniform` assignor): each
subscribes to the input topic with one group id and, batch by batch (up to 2,000 records per
`consume`), produces every record it read to the output topic.
*at-least-once*: an idempotent producer (`acks=all`), flushed after each batch, then the batch's
offsets committed (`commit`, synchronous). *exactly-once*: a transactional producer per member;
each batch is one transaction (`begin_transaction`, produce, `send_offsets_to_transaction`,
`commit_transaction`), the consumers `isolation.level=read_committed`.

*total s* runs from *go* to the moment the group's committed offsets (read every
{WATCH_INTERVAL * 1000:.0f} ms with OffsetFetch) cover every input record, so the group's joins, the
initial rebalance delay and the last commit are all in it; *records/s* is the input over that time.
*rebalance s*: from *go* to the last change of any member's assignment (partitions assigned
or revoked, as the members' rebalance callbacks saw them). *broker CPU s*: the broker
process's CPU time (user + system, every thread, from `/proc`) over the same time, *broker cores
busy* that over the wall time (of 2 cores). *output records*: the records read back from the
output topic afterwards (read_committed), at least the input (exactly the input for exactly-once).
*load average*: the machine's 1-minute load average as the run ended (it is shared, 2 cores:
figures taken under a high load say more about the neighbours than about the broker).
"""


def run(session: Session) -> list[Measurement]:
    records = session.scaled(RECORDS, minimum=20_000)
    cases = [Case(f"{mode}, {protocol} protocol", METRICS,
                  functools.partial(_pipeline, records=records, mode=mode, protocol=protocol), True)
             for protocol in PROTOCOLS for mode in MODES]
    return run_cases(session, "group_pipeline", cases, prepare=_warm_up)


def _warm_up(bootstrap: str) -> None:
    """Have the fresh broker create its internal topics before anything is timed: an offset
    committed for a throwaway group makes ``__consumer_offsets``, a committed transaction
    ``__transaction_state``. Kafka creates each with 50 partitions on first use, which takes it
    seconds; a running pipeline meets a broker that has them."""
    from confluent_kafka import Producer

    confluent_load.create_topic(bootstrap, "pipeline-warm-up")
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "pipeline-warm-up"})
    producer.init_transactions(60)
    producer.begin_transaction()
    producer.produce("pipeline-warm-up", b"warm-up")
    producer.commit_transaction(60)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pipeline-warm-up",
                         "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                consumer.commit(offsets=[TopicPartition("pipeline-warm-up", 0, 1)], asynchronous=False)
                return
            except KafkaException as error:
                if error.args[0].code() not in RETRIABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        consumer.close()


def _pipeline(broker, *, records: int, mode: str, protocol: str) -> dict[str, float]:
    suffix = f"{mode.replace('-', '')}-{protocol}"
    source, sink, group = f"pipeline-in-{suffix}", f"pipeline-out-{suffix}", f"pipeline-{suffix}"
    confluent_load.create_topic(broker.bootstrap, source, PARTITIONS)
    confluent_load.create_topic(broker.bootstrap, sink, PARTITIONS)
    _load(broker.bootstrap, source, records)
    members = Members([[sys.executable, "-m", "benchmarks.pipeline_member", broker.bootstrap, source, sink,
                        group, mode, protocol, str(index)] for index in range(MEMBERS)])
    try:
        members.wait_for("ready", READY_TIMEOUT)
        watcher = _CommittedOffsets(broker.bootstrap, group, source)
        cpu_before = process_cpu_seconds(broker.pid)
        start = time.monotonic()
        members.send_all("go")
        watcher.wait_for(records, members)
        elapsed = time.monotonic() - start
        cpu = process_cpu_seconds(broker.pid) - cpu_before
        load = os.getloadavg()[0]   # the shared machine's 1-minute load average as the run ended
        watcher.close()
        rebalance = max(members.assigned) - start if members.assigned else float("nan")
    finally:
        members.close()
    output = _count(broker.bootstrap, sink)
    if output < records or (mode == "exactly-once" and output != records):
        raise RuntimeError(f"{output:,} records in the output topic for {records:,} read")
    return {"total s": elapsed, "records/s": records / elapsed, "rebalance s": rebalance,
            "broker CPU s": cpu, "broker cores busy": cpu / elapsed, "output records": output,
            "load average": load}


def _load(bootstrap: str, topic: str, records: int) -> None:
    """``records`` values spread over the topic's partitions by key."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, **confluent_load.PRODUCER_SETTINGS})
    value = confluent_load.payload(SIZE)
    for index in range(records):
        while True:
            try:
                producer.produce(topic, value, str(index % 1000).encode())
                break
            except BufferError:
                producer.poll(0.001)
    if producer.flush(120):
        raise RuntimeError("the input topic was not loaded within 120 s")


def _count(bootstrap: str, topic: str) -> int:
    """Committed records in ``topic`` (read_committed, from the start of every partition)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pipeline-count",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "fetch.queue.backoff.ms": 10, "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    try:
        count, ended = 0, set()
        deadline = time.monotonic() + IDLE_LIMIT
        while len(ended) < PARTITIONS and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=10_000, timeout=1.0):
                if message.error() is None:
                    count += 1
                elif message.error().code() == KafkaError._PARTITION_EOF:
                    ended.add(message.partition())
        return count
    finally:
        consumer.close()


class _CommittedOffsets:
    """The group's committed offsets of the input topic, summed, read with OffsetFetch."""

    def __init__(self, bootstrap: str, group: str, topic: str):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "enable.auto.commit": False})
        self.partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]

    def total(self) -> int:
        """The sum, or -1 while the coordinator cannot say yet (Kafka's offsets topic still being
        created or loaded: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS)."""
        try:
            committed = self.consumer.committed(self.partitions, timeout=10)
        except KafkaException as error:
            if error.args[0].retriable() or error.args[0].code() in RETRIABLE:
                return -1
            raise
        return sum(max(tp.offset, 0) for tp in committed)

    def wait_for(self, records: int, members: "Members") -> None:
        last, progress_at = -1, time.monotonic()
        while True:
            members.drain()
            total = self.total()
            if total >= records:
                return
            now = time.monotonic()
            if total != last:
                last, progress_at = total, now
            elif now - progress_at > IDLE_LIMIT:
                raise TimeoutError(f"{total:,} of {records:,} offsets committed, then none for {IDLE_LIMIT:.0f} s")
            time.sleep(WATCH_INTERVAL)

    def close(self) -> None:
        self.consumer.close()


class Members:
    """The member processes and their report lines (``ready``, ``assigned ...``, errors)."""

    def __init__(self, commands: list[list[str]]):
        self.processes = [subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                          for command in commands]
        self._pending = {p.stdout.fileno(): b"" for p in self.processes}
        self.assigned: list[float] = []     # when any member's assignment changed (monotonic s)
        self.events: list[str] = []
        self.ready = 0

    def wait_for(self, word: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.ready < len(self.processes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.ready} of {len(self.processes)} members {word} after {timeout:.0f} s")
            self.drain(0.1)

    def drain(self, timeout: float = 0) -> None:
        readable, _, _ = select.select(list(self._pending), [], [], timeout)
        for fd in readable:
            data = os.read(fd, 1 << 16)
            if not data:
                raise RuntimeError("a member exited unexpectedly")
            *complete, self._pending[fd] = (self._pending[fd] + data).split(b"\n")
            for line in complete:
                self._take(line.decode().strip())

    def _take(self, line: str) -> None:
        if line == "ready":
            self.ready += 1
        elif line.startswith(("assigned ", "revoked ")):
            self.assigned.append(float(line.split()[1]))
            self.events.append(line)
        elif line.startswith('{"error"'):
            raise RuntimeError(f"a member failed: {line}")

    def send_all(self, line: str) -> None:
        for process in self.processes:
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()

    def close(self) -> None:
        """End of input: each member closes its clients (leaving the group) and exits."""
        for process in self.processes:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
