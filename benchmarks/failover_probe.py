"""Failover as a producer sees it: from ``kill -9`` of a partition's leader to the first record sent
after the kill that the cluster acknowledged (which only a new leader can do).

The producer is confluent-kafka with ``enable.idempotence=true`` and ``acks=all``, every other
setting the client's default (so its retries, backoffs and metadata refreshes are what an
application gets), sending ``RATE`` numbered records a second to partition 0 of a topic. Once
records are being acknowledged the leader is killed; the clock runs from just before the signal
to the delivery report of the first record produced after it. Meanwhile a thread asks a surviving
broker for the partition's leader every ``WATCH_INTERVAL``: the time until it names another one
is the cluster's part of the failover, the rest is the client finding the new leader and retrying.
Every record must be acknowledged in the end; a delivery error fails the measurement.
"""

from __future__ import annotations

import struct
import threading
import time
from dataclasses import dataclass

from confluent_kafka import Producer

RATE = 1000               # records per second, one tick a millisecond
WARMUP = 2.0              # seconds of acknowledged records before the kill
GIVE_UP = 120.0           # seconds after the kill without a new leader's acknowledgement
WATCH_INTERVAL = 0.02     # seconds between Metadata questions after the kill
WATCH_SETTLE = 10.0       # seconds the watch may still take once the producer has recovered
RECORD_SIZE = 100
SEQUENCE = struct.Struct(">q")
PRODUCER_SETTINGS = {"enable.idempotence": True, "acks": "all"}


class FailoverClock:
    """Which acknowledgement ends the failover: the first of a record sent after the kill."""

    def __init__(self) -> None:
        self.killed_at: float | None = None
        self.first_after: int | None = None     # the sequence number of the first record sent after the kill
        self.recovered_at: float | None = None
        self.acknowledged = 0

    def kill(self, at: float, next_sequence: int) -> None:
        self.killed_at, self.first_after = at, next_sequence

    def delivered(self, sequence: int, at: float) -> None:
        self.acknowledged += 1
        if self.recovered_at is None and self.first_after is not None and sequence >= self.first_after:
            self.recovered_at = at

    @property
    def seconds(self) -> float | None:
        if self.recovered_at is None:
            return None
        return self.recovered_at - self.killed_at


@dataclass
class FailoverResult:
    failover_s: float          # kill -> first acknowledgement of a record sent after it
    new_leader_s: float        # kill -> a surviving broker's Metadata names another leader
    new_leader: int
    acknowledged: int


def measure_failover(cluster, topic: str, victim: int) -> FailoverResult:
    """Produce to ``topic``'s partition 0, led by ``victim``, kill it, time the recovery."""
    clock = FailoverClock()
    errors: list[str] = []

    def delivered(error, message) -> None:
        if error is not None:
            errors.append(str(error))
        else:
            clock.delivered(SEQUENCE.unpack_from(message.value())[0], time.perf_counter())

    producer = Producer({"bootstrap.servers": cluster.bootstrap, **PRODUCER_SETTINGS, "on_delivery": delivered})
    padding = bytes(RECORD_SIZE - SEQUENCE.size)
    watch: _LeaderWatch | None = None
    sent = 0
    start = next_tick = time.perf_counter()
    try:
        while clock.seconds is None and not errors:
            now = time.perf_counter()
            due = int((now - start) * RATE) + 1
            while sent < due:
                producer.produce(topic, SEQUENCE.pack(sent) + padding, partition=0)
                sent += 1
            producer.poll(0)
            if clock.killed_at is None and now - start >= WARMUP and clock.acknowledged:
                watch = _LeaderWatch(cluster, topic, victim)
                clock.kill(time.perf_counter(), sent)
                cluster.kill(victim)
                watch.start(clock.killed_at)
            elif clock.killed_at is not None and now - clock.killed_at > GIVE_UP:
                raise TimeoutError(f"no record sent after the kill of broker {victim} was acknowledged "
                                   f"within {GIVE_UP:.0f} s ({clock.acknowledged} of {sent} acknowledged)")
            next_tick += 1 / RATE
            time.sleep(max(0.0, next_tick - time.perf_counter()))
        unsent = producer.flush(60)
        if watch is not None:
            watch.wait(WATCH_SETTLE)   # its last question may be a moment behind the client
    finally:
        if watch is not None:
            watch.stop()
    if errors or unsent:
        raise RuntimeError(f"{len(errors)} records failed, {unsent} not delivered"
                           + (f" (first: {errors[0]})" if errors else ""))
    if watch.seconds is None:
        raise RuntimeError(f"no surviving broker named a new leader for {topic} after the kill of broker {victim}")
    return FailoverResult(clock.seconds, watch.seconds, watch.leader, clock.acknowledged)


class _LeaderWatch:
    """Asks the surviving brokers for the partition's leader until it is another broker."""

    def __init__(self, cluster, topic: str, victim: int):
        self._cluster, self._topic, self._victim = cluster, topic, victim
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.seconds: float | None = None
        self.leader = -1

    def start(self, killed_at: float) -> None:
        self._killed_at = killed_at
        self._thread.start()

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(GIVE_UP)

    def _run(self) -> None:
        while not self._stopped.is_set() and self.seconds is None:
            try:
                leader = self._cluster.leader(self._topic)
            except (OSError, ConnectionError):   # a broker busy electing may refuse or drop one question
                leader = -1
            if leader >= 0 and leader != self._victim:
                self.leader, self.seconds = leader, time.perf_counter() - self._killed_at
            self._stopped.wait(WATCH_INTERVAL)
