"""The soak's well-behaved clients (confluent-kafka), each in its own thread until told to stop.

- a producer, ``acks=all`` and idempotent, at a steady rate: each delivery report's time from
  ``produce`` is its latency, kept for the sampler's p99 of each window;
- consumers in one group, subscribed, committing as they go;
- a transactional producer committing small transactions;
- an admin client listing topics and groups now and then.

At the end ``read_back`` reads every partition from its start to its end: every record the producer
saw acknowledged must be there.
"""

from __future__ import annotations

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from .soak_threads import ClientThreads

PRODUCE_RATE = 200            # records/s of the acks=all producer
VALUE = b"v" * 200
CONSUMERS = 2
GROUP = "soak-group"
TRANSACTION_RECORDS = 10
TRANSACTION_EVERY = 1.0       # seconds
ADMIN_EVERY = 5.0


class GoodClients(ClientThreads):
    def __init__(self, bootstrap: str, topic: str, tx_topic: str):
        self.bootstrap = bootstrap
        self.topic = topic
        self.tx_topic = tx_topic
        self._latencies: list[float] = []
        super().__init__([self._produce, self._transactions, self._admin] + [self._consume] * CONSUMERS)

    def take_latencies(self) -> list[float]:
        """The delivery latencies (s) reported since the last call."""
        with self._lock:
            taken, self._latencies = self._latencies, []
        return taken

    def _produce(self) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all", "enable.idempotence": True,
                             "linger.ms": 5})

        def delivered(sent: float, error, _message) -> None:
            if error is not None:
                self._count("delivery failures")
                return
            latency = time.monotonic() - sent
            with self._lock:
                self._latencies.append(latency)
                self.counts["acknowledged"] += 1

        period, due, index = 1.0 / PRODUCE_RATE, time.monotonic(), 0
        while not self.stopping:
            now = time.monotonic()
            while due <= now:
                producer.produce(self.topic, VALUE, key=str(index).encode(),
                                 on_delivery=lambda e, m, sent=time.monotonic(): delivered(sent, e, m))
                index += 1
                due += period
            producer.poll(max(0.0, due - time.monotonic()))
        left = producer.flush(60)
        self._count("produced", index)
        self._count("unflushed at the end", left)

    def _consume(self) -> None:
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": GROUP,
                             "auto.offset.reset": "earliest"})
        consumer.subscribe([self.topic])
        try:
            while not self.stopping:
                for message in consumer.consume(num_messages=500, timeout=0.5):
                    if message.error() is None:
                        self._count("consumed by the group")
        finally:
            consumer.close()

    def _transactions(self) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "soak-tx"})
        producer.init_transactions(60)
        for _ in self.every(TRANSACTION_EVERY):
            producer.begin_transaction()
            for _ in range(TRANSACTION_RECORDS):
                producer.produce(self.tx_topic, VALUE)
            producer.commit_transaction(60)
            self._count("transactions committed")

    def _admin(self) -> None:
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        for _ in self.every(ADMIN_EVERY):
            admin.list_topics(timeout=30)
            admin.list_consumer_groups(request_timeout=30).result(timeout=30)
            self._count("admin calls", 2)


def read_back(bootstrap: str, topic: str, committed_only: bool = False, timeout: float = 120.0) -> int:
    """How many records ``topic`` holds, read from every partition's start to its end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "soak-read-back",
                         "enable.auto.commit": False,
                         "isolation.level": "read_committed" if committed_only else "read_uncommitted"})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        done = {p for p, end in ends.items() if end == 0}
        read, deadline = 0, time.monotonic() + timeout
        while len(done) < len(partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"read {read} records of {topic}; partitions {sorted(set(partitions) - done)} "
                                   f"not read to their end in {timeout:.0f} s")
            for message in consumer.consume(num_messages=10_000, timeout=1.0):
                if message.error() is not None:
                    continue
                read += 1
                # the last offset may be a transaction marker, never delivered: the end is reached
                # when the consumer's position passes it
                if message.offset() + 1 >= ends[message.partition()]:
                    done.add(message.partition())
            for position in consumer.position([TopicPartition(topic, p) for p in partitions if p not in done]):
                if position.offset >= ends[position.partition]:
                    done.add(position.partition)
        return read
    finally:
        consumer.close()
