"""An idempotent producer whose connection is cut mid-stream retries without duplicates or gaps.

Each client streams numbered records through a ``FaultProxy`` that, a few times, lets a
Produce request reach odradek and then hangs up before its answer reaches the client.  The
client resends that batch, and those sent after it on the same connection, with their
original sequence numbers; odradek must recognise them as duplicates and answer with the
offsets it gave them the first time.  Afterwards every record is stored exactly once, in
order, at contiguous offsets, in batches whose sequence numbers run on without a break.

The two clients pipeline differently, so each gets the settings that put the most batches
at risk per cut.  kafka-python keeps one batch per partition in flight and puts every
partition's batch in one request: four partitions, so one cut loses four batches' answers.
librdkafka keeps at most five *records* per partition in flight: one record per batch and
one partition, so a cut can leave up to five appended batches unanswered, the whole window
of batches the broker remembers per producer.
"""

from __future__ import annotations

import logging

import confluent_kafka
import pytest
from confluent_kafka.admin import NewTopic
from kafka import TopicPartition

from .clients import TIMEOUT, ck_wait, kp_read
from .fault_proxy import FaultProxy
from .log_files import partition_batches

RECORDS = 2000
# librdkafka reports a cut connection (and, briefly, no live broker) to error_cb; both are expected
CK_CONNECTION_ERRORS = {confluent_kafka.KafkaError._TRANSPORT, confluent_kafka.KafkaError._ALL_BROKERS_DOWN}


@pytest.fixture
def proxy(request):
    """A broker behind a FaultProxy, advertising the proxy so that clients never bypass it.

    The broker is conftest's ``broker`` fixture, given the advertised listener through the
    ``broker_overrides`` marker, so tests list ``broker`` after ``proxy``.  The proxy is closed
    before the broker stops.
    """
    faults = FaultProxy()
    request.node.add_marker(pytest.mark.broker_overrides(
        {"advertised.listeners": f"PLAINTEXT://{faults.bootstrap}"}))
    faults.start(request.getfixturevalue("broker").port)
    yield faults
    faults.close()


def numbered(i: int) -> bytes:
    return b"record %05d" % i


def test_kafka_python_retries_without_duplicates_or_gaps(proxy, broker, clients, topic):
    partitions, cuts = 4, (3, 8, 14)  # batches of ~20 records: ~25 requests, each with 4 batches
    create_topic(clients, proxy, topic, partitions)
    producer = clients.kp_producer(proxy, enable_idempotence=True, acks="all", linger_ms=5,
                                   batch_size=25 * 18, max_in_flight_requests_per_connection=5,
                                   delivery_timeout_ms=TIMEOUT * 1000, reconnect_backoff_ms=10)
    proxy.cut_after_produce(*cuts)
    futures = [producer.send(topic, value=numbered(i), partition=i % partitions) for i in range(RECORDS)]
    producer.flush(timeout=TIMEOUT)
    acknowledged = [(meta.partition, meta.offset) for meta in (f.get(timeout=TIMEOUT) for f in futures)]

    assert_connections_were_cut(proxy, len(cuts))
    assert acknowledged == [(i % partitions, i // partitions) for i in range(RECORDS)]
    assert_stored_once_in_order(clients, proxy, broker, topic, partitions)


def test_confluent_kafka_retries_without_duplicates_or_gaps(proxy, broker, clients, topic):
    cuts = (5, 300, 700, 1100, 1500)  # one request per record
    create_topic(clients, proxy, topic, 1)
    errors: list[confluent_kafka.KafkaError] = []
    producer = clients.ck_producer(proxy, **{
        "enable.idempotence": True, "linger.ms": 5, "batch.num.messages": 1,
        "max.in.flight.requests.per.connection": 5, "message.timeout.ms": int(TIMEOUT * 1000),
        "reconnect.backoff.ms": 10, "reconnect.backoff.max.ms": 100,
        "error_cb": errors.append, "logger": logging.getLogger("librdkafka")})
    proxy.cut_after_produce(*cuts)
    reports: list[tuple[confluent_kafka.KafkaError | None, confluent_kafka.Message]] = []
    for i in range(RECORDS):
        producer.produce(topic, value=numbered(i), partition=0,
                         on_delivery=lambda err, msg: reports.append((err, msg)))
        producer.poll(0)
    assert producer.flush(TIMEOUT) == 0, f"records still undelivered after {TIMEOUT}s; client errors: {errors}"

    assert_connections_were_cut(proxy, len(cuts))
    assert [err for err, _ in reports if err is not None] == []
    assert [e for e in errors if e.fatal() or e.code() not in CK_CONNECTION_ERRORS] == []
    acknowledged = {msg.value(): msg.offset() for _, msg in reports}
    assert acknowledged == {numbered(i): i for i in range(RECORDS)}
    assert_stored_once_in_order(clients, proxy, broker, topic, 1)


def create_topic(clients, proxy, topic: str, partitions: int) -> None:
    admin = clients.ck_admin(proxy)
    ck_wait(admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                operation_timeout=10))


def assert_connections_were_cut(proxy: FaultProxy, expected: int) -> None:
    """The faults really happened: otherwise the test would pass without any retry."""
    assert proxy.cuts == expected, f"{proxy.cuts} cuts after {proxy.produce_requests} Produce requests"


def assert_stored_once_in_order(clients, proxy: FaultProxy, broker, topic: str, partitions: int) -> None:
    """Read back by a consumer and from the segment files: each record once, in order, no gaps."""
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = clients.kp_consumer(proxy)
    consumer.assign(assigned)
    consumer.seek_to_beginning()
    assert consumer.end_offsets(assigned) == {tp: RECORDS // partitions for tp in assigned}
    read = kp_read(consumer, RECORDS)
    for partition in range(partitions):
        mine = [r for r in read if r.partition == partition]
        assert [r.value for r in mine] == [numbered(i) for i in range(partition, RECORDS, partitions)]
        assert [r.offset for r in mine] == list(range(len(mine)))

        batches = partition_batches(broker.data_dir, topic, partition)
        assert len({b.producer_id for b in batches}) == 1 and batches[0].producer_id >= 0
        assert batches[0].base_offset == 0 and batches[0].base_sequence == 0
        for previous, batch in zip(batches, batches[1:]):
            assert batch.base_offset == previous.base_offset + previous.last_offset_delta + 1, batches
            assert batch.base_sequence == previous.base_sequence + previous.record_count, batches
        assert sum(b.record_count for b in batches) == RECORDS // partitions
