"""confluent-kafka (librdkafka) as the second client: topic creation and the timed produce/consume loops.

Every broker gets the same client settings, so a difference in the figures is the broker's. The loops
keep Python's share small (one payload object reused, no per-record callback) because on a 2-core
machine the client competes with the broker for CPU.
"""

from __future__ import annotations

import time

import confluent_kafka
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

CLIENT_VERSION = f"confluent-kafka {confluent_kafka.__version__}, librdkafka {confluent_kafka.libversion()[0]}"
TOPIC_READY_TIMEOUT = 30.0   # seconds for a new topic to be created and show a leader
MEGABYTE = 1024 * 1024       # the perf tools' "MB" (ProducerPerformance divides by 1024 * 1024)

PRODUCER_SETTINGS = {
    "acks": "1",
    "linger.ms": 5,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 1_000_000,
}
CONSUMER_SETTINGS = {
    "group.id": "benchmarks-confluent",  # required by the client; no group is joined (assign only)
    "enable.auto.commit": False,
    # Once its local queue holds queued.min.messages (100000) the client waits this long before the
    # next fetch; the default 1000 ms would cap 100 B records near 200K/s whatever the broker does.
    "fetch.queue.backoff.ms": 10,
}
CONSUME_BATCH = 10_000
PRODUCE_BATCH = 10_000      # records per produce_batch call


def payload(size: int) -> bytes:
    """Uppercase letters, as ProducerPerformance's random payloads are: incompressible enough, printable."""
    return bytes(65 + (i * 7919) % 26 for i in range(size))


def create_topic(bootstrap: str, topic: str, partitions: int = 1, replication_factor: int = 1,
                 config: dict[str, str] | None = None, replicas: list[list[int]] | None = None) -> None:
    """Create ``topic`` and return once Metadata names a leader for every partition.

    Loading right after CreateTopics could otherwise hit NOT_LEADER errors on a broker that
    creates partitions asynchronously, and their retries would be measured. ``replicas`` places
    each partition's replicas by hand (its first the preferred leader), instead of a count and a
    replication factor. A replicated topic is awaited until every replica is in sync, and until the
    preferred replica leads, so acks=all is timed with the whole ISR from the first record.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if replicas is not None:
        new = NewTopic(topic, num_partitions=len(replicas), replica_assignment=replicas, config=config or {})
        partitions, replication_factor = len(replicas), len(replicas[0])
    else:
        new = NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor,
                       config=config or {})
    future = admin.create_topics([new], operation_timeout=TOPIC_READY_TIMEOUT)[topic]
    future.result(timeout=TOPIC_READY_TIMEOUT)
    wait_for_topic(bootstrap, topic, partitions, replication_factor, replicas)


def wait_for_topic(bootstrap: str, topic: str, partitions: int, replication_factor: int = 1,
                   replicas: list[list[int]] | None = None) -> None:
    """Until Metadata shows every partition led, ``replication_factor`` replicas in sync, and the
    leader each partition's first replica in ``replicas`` (if given)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + TOPIC_READY_TIMEOUT
    while time.monotonic() < deadline:
        described = admin.list_topics(topic, timeout=5).topics.get(topic)
        if (described is not None and described.error is None
                and len(described.partitions) == partitions
                and all(_ready(p, replication_factor, replicas) for p in described.partitions.values())):
            return
        time.sleep(0.1)
    raise TimeoutError(f"topic {topic} has no leader (or not every replica in sync) after "
                       f"{TOPIC_READY_TIMEOUT:.0f} s")


def _ready(partition, replication_factor: int, replicas: list[list[int]] | None) -> bool:
    if partition.error is not None or partition.leader < 0 or len(partition.isrs) < replication_factor:
        return False
    return replicas is None or partition.leader == replicas[partition.id][0]


def produce(bootstrap: str, topic: str, records: int, size: int, security: dict | None = None) -> float:
    """Produce ``records`` values of ``size`` bytes as fast as the client takes them; records/s.

    Timed from the first ``produce`` call to the end of ``flush``, so every record is acknowledged.
    A full local queue is waited out with ``poll``; delivery reports are asked for errors only.
    ``security`` holds the client's security settings for a TLS or SASL listener.
    """
    failures: list[str] = []
    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS, **(security or {}),
                         "delivery.report.only.error": True,
                         "on_delivery": lambda error, _message: failures.append(str(error))})
    value = payload(size)
    send = producer.produce
    start = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                send(topic, value)
                break
            except BufferError:
                producer.poll(0.001)
    unsent = producer.flush(120)
    elapsed = time.perf_counter() - start
    if unsent or failures:
        raise RuntimeError(f"{unsent} records not delivered, {len(failures)} failed"
                           + (f" (first: {failures[0]})" if failures else ""))
    return records / elapsed


def produce_batches(bootstrap: str, topic: str, records: int, size: int, batch: int = PRODUCE_BATCH) -> float:
    """Like ``produce``, but handing the client ``batch`` records per ``produce_batch`` call; records/s.

    The client's Python share per record is then a list entry, so the broker's CPU per record is
    measured with the least client-side noise (the CPU workload's confluent-kafka case).
    """
    failures: list[str] = []
    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS, "delivery.report.only.error": True})
    report = lambda error, _message: failures.append(str(error))  # noqa: E731 (errors only)
    value = payload(size)
    room = PRODUCER_SETTINGS["queue.buffering.max.messages"] - batch
    start = time.perf_counter()
    sent = 0
    while sent < records:
        while len(producer) > room:     # wait for room rather than have part of a batch refused
            producer.poll(0.001)
        chunk = [{"value": value} for _ in range(min(batch, records - sent))]
        queued = producer.produce_batch(topic, chunk, partition=0, on_delivery=report)
        if queued != len(chunk):
            raise RuntimeError(f"produce_batch queued {queued} of {len(chunk)} records")
        sent += queued
        producer.poll(0)
    unsent = producer.flush(120)
    elapsed = time.perf_counter() - start
    if unsent or failures:
        raise RuntimeError(f"{unsent} records not delivered, {len(failures)} failed"
                           + (f" (first: {failures[0]})" if failures else ""))
    return records / elapsed


def find_group_coordinator(bootstrap: str, topic: str) -> None:
    """Have the broker find (and so create) the consumer group coordinator: its offsets topic.

    ``consume`` sets a group.id, so its client looks the coordinator up first, and a broker creates
    ``__consumer_offsets`` (50 partitions) then; done beforehand, that one-off cost is not counted
    in a measurement of CPU per consumed record.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, **CONSUMER_SETTINGS})
    try:
        consumer.committed([TopicPartition(topic, 0)], timeout=TOPIC_READY_TIMEOUT)
    finally:
        consumer.close()


def consume(bootstrap: str, topic: str, records: int, timeout: float = 30.0, security: dict | None = None) -> float:
    """Read ``records`` values of partition 0 from its start; records/s from the first to the last.

    The partition is assigned, not subscribed, so no group rebalance is part of the run. The clock
    starts when the first record arrives (it is asked for alone), so connecting and the offset
    lookup are excluded, as ConsumerPerformance excludes its rebalance.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, **CONSUMER_SETTINGS, **(security or {})})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    try:
        read, start = 0, None
        while read < records:
            # consume() waits for all it asks for, so never ask beyond the last record
            wanted = 1 if start is None else min(CONSUME_BATCH, records - read)
            batch = consumer.consume(num_messages=wanted, timeout=timeout)
            if not batch:
                raise TimeoutError(f"read {read} of {records} records, then nothing for {timeout:.0f} s")
            for message in batch:
                if message.error() is not None:
                    raise KafkaException(message.error())
            if start is None:
                start = time.perf_counter()
            read += len(batch)
        elapsed = time.perf_counter() - start
    finally:
        consumer.close()
    return (read - 1) / elapsed
