"""One member of the group pipeline workload: a consumer of the input topic and a producer to the
output topic, in its own process (so no two members share a GIL), as a consume-transform-produce
application runs.

    python -m benchmarks.pipeline_member <bootstrap> <input> <output> <group> <mode> <protocol> <member>

``mode`` is ``at-least-once`` (each batch produced, the producer flushed, then the batch's offsets
committed with OffsetCommit) or ``exactly-once`` (each batch in one transaction: produced, its
offsets added with ``send_offsets_to_transaction``, committed with EndTxn). The member builds its
clients, prints ``ready``, and waits for ``go`` on stdin before subscribing, so the group's joins
are timed; it prints ``assigned <monotonic seconds> <partitions>`` at every assignment (and
``revoked ...`` at every revocation) and stops
(closing, so leaving its group) at the end of stdin. An error is printed as one ``{"error": ...}``
line and ends the process.
"""

from __future__ import annotations

import json
import select
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

BATCH = 2_000            # records asked of one consume() call
POLL_TIMEOUT = 0.1       # seconds one consume() call waits


def main(argv: list[str]) -> int:
    bootstrap, source, sink, group, mode, protocol, member = argv
    transactional = mode == "exactly-once"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": protocol,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "isolation.level": "read_committed",
                         })
    producer_settings = {"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                         "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000}
    if transactional:
        producer_settings["transactional.id"] = f"{group}-member-{member}"
    else:
        producer_settings["enable.idempotence"] = True
    producer = Producer(producer_settings)
    if transactional:
        producer.init_transactions(30)
    _say("ready")
    if sys.stdin.readline().strip() != "go":
        return 0
    consumer.subscribe([source], on_assign=_on_assign, on_revoke=_on_revoke)
    try:
        while not _stdin_closed():
            batch = consumer.consume(num_messages=BATCH, timeout=POLL_TIMEOUT)
            if not batch:
                continue
            for message in batch:
                if message.error() is not None:
                    raise KafkaException(message.error())
            if transactional:
                _transaction(consumer, producer, sink, batch)
            else:
                _at_least_once(consumer, producer, sink, batch)
    finally:
        consumer.close()
        producer.flush(30)
    return 0


def _at_least_once(consumer: Consumer, producer: Producer, sink: str, batch: list) -> None:
    _produce(producer, sink, batch)
    if producer.flush(60):
        raise RuntimeError("records not delivered within 60 s")
    try:
        consumer.commit(offsets=_next_offsets(batch), asynchronous=False)
    except KafkaException as error:
        # a rebalance took some of these partitions: their new owner reads them again
        if error.args[0].code() not in (KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION,
                                        KafkaError.UNKNOWN_MEMBER_ID):
            raise


def _transaction(consumer: Consumer, producer: Producer, sink: str, batch: list) -> None:
    producer.begin_transaction()
    try:
        _produce(producer, sink, batch)
        producer.send_offsets_to_transaction(_next_offsets(batch), consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(60)
    except KafkaException as error:
        if not error.args[0].txn_requires_abort():
            raise
        # fenced by a rebalance (stale generation): abort, and read the batch again if still ours
        producer.abort_transaction(30)
        owned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        for first in _first_offsets(batch):
            if (first.topic, first.partition) in owned:
                consumer.seek(first)


def _produce(producer: Producer, sink: str, batch: list) -> None:
    for message in batch:
        while True:
            try:
                producer.produce(sink, message.value(), message.key())
                break
            except BufferError:
                producer.poll(0.001)
    producer.poll(0)


def _next_offsets(batch: list) -> list[TopicPartition]:
    last: dict[tuple[str, int], int] = {}
    for message in batch:
        last[message.topic(), message.partition()] = message.offset()
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]


def _first_offsets(batch: list) -> list[TopicPartition]:
    first: dict[tuple[str, int], int] = {}
    for message in batch:
        first.setdefault((message.topic(), message.partition()), message.offset())
    return [TopicPartition(topic, partition, offset) for (topic, partition), offset in first.items()]


def _on_assign(_consumer, partitions) -> None:
    _say(f"assigned {time.monotonic():.6f} {len(partitions)}")


def _on_revoke(_consumer, partitions) -> None:
    _say(f"revoked {time.monotonic():.6f} {len(partitions)}")


def _stdin_closed() -> bool:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable) and not sys.stdin.readline()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # reported to the workload, which raises it
        _say(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
