"""Kafka clients configured the way a user would point them at odradek, with bounded waits.

odradek has no group coordinator and no idempotent producer yet, so: consumers use ``assign()``
(confluent-kafka insists on a ``group.id`` even then, so it gets one with commits and offset
storing off), and kafka-python 3's producer, idempotent by default, is told not to be.
Every helper that waits takes a deadline and fails loudly when it passes.
"""

from __future__ import annotations

import time
from typing import Callable

import confluent_kafka
import confluent_kafka.admin
import kafka
import kafka.admin

TIMEOUT = 15.0  # seconds: generous for one client round trip against a local broker


class Clients:
    """Makes clients for a test and closes every one of them at teardown."""

    def __init__(self) -> None:
        self._closers: list[Callable[[], object]] = []
        self._admins: list[confluent_kafka.admin.AdminClient] = []  # see ck_admin

    # kafka-python
    def kp_producer(self, broker, **config) -> kafka.KafkaProducer:
        settings = dict(bootstrap_servers=broker.bootstrap, enable_idempotence=False,
                        request_timeout_ms=10_000, max_block_ms=10_000, retry_backoff_ms=50)
        producer = kafka.KafkaProducer(**{**settings, **config})
        self._closers.append(lambda: producer.close(timeout=5))
        return producer

    def kp_consumer(self, broker, **config) -> kafka.KafkaConsumer:
        """A kafka-python consumer. Its metadata is refreshed every 3 s rather than every 5 min:
        kafka-python forgets a topic subscribed while a Metadata request is in flight (the answer
        to the older request clears its "update needed" flag), and a group leader that joined in
        that window assigns nothing until its next refresh."""
        settings = dict(bootstrap_servers=broker.bootstrap, group_id=None, enable_auto_commit=False,
                        auto_offset_reset="earliest", request_timeout_ms=10_000, retry_backoff_ms=50,
                        fetch_max_wait_ms=100, metadata_max_age_ms=3_000)
        consumer = kafka.KafkaConsumer(**{**settings, **config})
        self._closers.append(lambda: consumer.close(timeout_ms=5000))
        return consumer

    def kp_admin(self, broker, **config) -> kafka.admin.KafkaAdminClient:
        settings = dict(bootstrap_servers=broker.bootstrap, request_timeout_ms=10_000)
        admin = kafka.admin.KafkaAdminClient(**{**settings, **config})
        self._closers.append(admin.close)
        return admin

    # confluent-kafka (librdkafka)
    def ck_producer(self, broker, **config) -> confluent_kafka.Producer:
        settings = {"bootstrap.servers": broker.bootstrap, "enable.idempotence": False,
                    "message.timeout.ms": 10_000, "socket.timeout.ms": 10_000,
                    "retry.backoff.ms": 50, "linger.ms": 5}
        producer = confluent_kafka.Producer({**settings, **config})
        self._closers.append(lambda: (producer.flush(5), close_ck_producer(producer)))
        return producer

    def ck_consumer(self, broker, **config) -> confluent_kafka.Consumer:
        settings = {"bootstrap.servers": broker.bootstrap, "group.id": "odradek-compat-assign-only",
                    "enable.auto.commit": False, "enable.auto.offset.store": False,
                    "auto.offset.reset": "earliest", "socket.timeout.ms": 10_000,
                    "fetch.wait.max.ms": 100, "topic.metadata.refresh.interval.ms": 1000}
        consumer = confluent_kafka.Consumer({**settings, **config})
        self._closers.append(consumer.close)
        return consumer

    def ck_admin(self, broker, **config) -> confluent_kafka.admin.AdminClient:
        settings = {"bootstrap.servers": broker.bootstrap, "socket.timeout.ms": 10_000}
        admin = confluent_kafka.admin.AdminClient({**settings, **config})
        self._admins.append(admin)  # dropping the last reference would fail its pending futures
        return admin

    def on_close(self, closer: Callable[[], object]) -> None:
        """Run ``closer`` at teardown with the clients made here (for clients made elsewhere)."""
        self._closers.append(closer)

    def close_all(self) -> None:
        errors = []
        for close in reversed(self._closers):
            try:
                close()
            except Exception as exc:  # one client failing to close must not leak the others
                errors.append(exc)
        self._closers.clear()
        self._admins.clear()
        if errors:
            raise errors[0]


def close_ck_producer(producer: confluent_kafka.Producer) -> None:
    """Stop a confluent-kafka producer's threads now, rather than when the garbage collector gets
    to it (after its broker stopped, it would log "Connection refused" until then). What it still
    holds is dropped: a test that needed it delivered has flushed it already."""
    try:
        producer.purge()
        producer.close()
    except confluent_kafka.KafkaException:  # a fenced producer refuses every call, close included
        pass


def kp_read(consumer: kafka.KafkaConsumer, count: int, timeout: float = TIMEOUT) -> list:
    """Poll an assigned kafka-python consumer until ``count`` records arrived."""
    records: list = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
    assert len(records) >= count, f"kafka-python read {len(records)} of {count} records in {timeout}s"
    return records


def ck_read(consumer: confluent_kafka.Consumer, count: int, timeout: float = TIMEOUT) -> list:
    """Poll an assigned confluent-kafka consumer until ``count`` messages arrived; errors fail."""
    messages: list = []
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=count - len(messages), timeout=0.2):
            error = message.error()
            if error is not None and error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
                raise AssertionError(f"confluent-kafka consumer error: {error}")
            if error is None:
                messages.append(message)
    assert len(messages) >= count, f"confluent-kafka read {len(messages)} of {count} messages in {timeout}s"
    return messages


def ck_produce(producer: confluent_kafka.Producer, topic: str, items, timeout: float = TIMEOUT,
               **produce_args) -> list:
    """Produce ``(key, value)`` pairs, flush, and return the delivery reports; any error fails."""
    reports: list = []
    for key, value in items:
        producer.produce(topic, key=key, value=value,
                         on_delivery=lambda err, msg: reports.append((err, msg)), **produce_args)
        producer.poll(0)
    remaining = producer.flush(timeout)
    assert remaining == 0, f"{remaining} messages still undelivered after {timeout}s"
    errors = [err for err, _ in reports if err is not None]
    assert not errors, f"delivery failed: {errors[:3]}"
    return [msg for _, msg in reports]


def ck_wait(futures: dict, timeout: float = TIMEOUT) -> dict:
    """Resolve a confluent-kafka AdminClient result dict: ``{key: result}``, raising the first error."""
    return {key: future.result(timeout=timeout) for key, future in futures.items()}


def wait_until(predicate: Callable[[], object], timeout: float = TIMEOUT, interval: float = 0.05,
               what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
