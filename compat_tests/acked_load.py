"""Load for fault tests: a producer that remembers exactly what the cluster acknowledged, and the
check that every acknowledged record is there afterwards, once, in order.

The producer is confluent-kafka with ``acks=all`` and ``enable.idempotence``, writing numbered
values (one counter per partition, so order is checkable) from its own thread until stopped.
Its delivery reports are the truth: a record counts as acknowledged only if its report came
back without error, with the offset the leader gave it. The check reads every partition from
the start (read_committed) up to its end and demands that each acknowledged record is at its
acknowledged offset, that no value appears twice, and that each partition's values increase.
"""

from __future__ import annotations

import threading
import time

import confluent_kafka
from confluent_kafka import TopicPartition

from .clients import close_ck_producer

TIMEOUT = 60.0


class AckedLoad:
    def __init__(self, bootstrap: str, topic: str, partitions: int, rate_per_s: int = 2000, **config):
        self.topic = topic
        self.partitions = partitions
        self.acked: dict[int, dict[int, bytes]] = {p: {} for p in range(partitions)}  # partition -> offset -> value
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval = 1.0 / rate_per_s if rate_per_s else 0.0
        settings = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 2,
                    "message.timeout.ms": int(TIMEOUT * 1000), "retry.backoff.ms": 50,
                    "topic.metadata.refresh.interval.ms": 1000}
        self._producer = confluent_kafka.Producer({**settings, **config})
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "AckedLoad":
        self._thread.start()
        return self

    @property
    def count(self) -> int:
        with self._lock:
            return sum(len(offsets) for offsets in self.acked.values())

    def wait_for(self, count: int, timeout: float = TIMEOUT) -> None:
        """Until at least ``count`` more records than now are acknowledged."""
        target = self.count + count
        deadline = time.monotonic() + timeout
        while self.count < target:
            assert time.monotonic() < deadline, f"only {self.count} of {target} records acknowledged in {timeout}s"
            assert self._thread.is_alive(), "the producer thread died"
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT + 10)
        remaining = self._producer.flush(TIMEOUT)
        close_ck_producer(self._producer)
        assert remaining == 0, f"{remaining} records neither acknowledged nor failed after {TIMEOUT}s"

    def _run(self) -> None:
        sequence = 0
        while not self._stop.is_set():
            partition = sequence % self.partitions
            value = b"%d:%012d" % (partition, sequence)
            try:
                self._producer.produce(self.topic, value=value, partition=partition, on_delivery=self._delivered)
            except BufferError:
                self._producer.poll(0.05)
                continue
            sequence += 1
            self._producer.poll(0)
            if self._interval:
                time.sleep(self._interval)

    def _delivered(self, err, message) -> None:
        with self._lock:
            if err is not None:
                self.errors.append(f"{err.name()}: {err.str()}")
            else:
                self.acked[message.partition()][message.offset()] = message.value()

    def verify(self, bootstrap: str) -> int:
        """Read everything back and check it against what was acknowledged; the records read."""
        consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": f"verify-{self.topic}",
                                             "enable.auto.commit": False, "isolation.level": "read_committed",
                                             "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})
        try:
            found = {p: self._read_partition(consumer, p) for p in range(self.partitions)}
        finally:
            consumer.close()
        for partition, offsets in self.acked.items():
            values = found[partition]
            seen = set()
            previous = b""
            for offset, value in sorted(values.items()):
                assert value not in seen, f"{value!r} appears twice in partition {partition}"
                assert value > previous, f"partition {partition} out of order at offset {offset}"
                seen.add(value)
                previous = value
            for offset, value in offsets.items():
                assert values.get(offset) == value, (
                    f"acknowledged {value!r} at {partition}/{offset}, but found {values.get(offset)!r}")
        return sum(len(v) for v in found.values())

    def _read_partition(self, consumer, partition: int) -> dict[int, bytes]:
        _, high = consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=TIMEOUT)
        consumer.assign([TopicPartition(self.topic, partition, 0)])
        values: dict[int, bytes] = {}
        deadline = time.monotonic() + TIMEOUT
        position = 0
        while position < high:
            assert time.monotonic() < deadline, f"partition {partition}: read to {position} of {high}"
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            values[message.offset()] = message.value()
            position = message.offset() + 1
        return values
