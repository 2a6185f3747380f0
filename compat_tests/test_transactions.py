"""Transactions with real clients: commit and abort, read_committed reads, consume-transform-produce,
fencing, timeouts of abandoned transactions, restarts, and the admin views of transactions.

Reads stop at a sentinel: a record committed after everything else, so a test knows it has
seen all a consumer will ever see without waiting for silence.
"""

from __future__ import annotations

from functools import partial

import confluent_kafka
import kafka
import pytest
from confluent_kafka import TopicPartition as CkPartition
from kafka.structs import OffsetAndMetadata

from odradek.wire import ApiKey, ErrorCode
from odradek.wire.records import read_batches

from .clients import TIMEOUT, close_ck_producer, wait_until
from .group_helpers import create_topic
from .wire_client import WireClient

BROKER_OVERRIDES = {"transaction.state.log.num.partitions": 5, "offsets.topic.num.partitions": 5,
                    "group.initial.rebalance.delay.ms": 0}
CLIENTS = ["kafka-python", "confluent-kafka"]
SENTINEL = b"sentinel"


class TxnProducer:
    """One transactional producer of either client, behind the same few calls.

    confluent-kafka's is made here rather than by ``clients``, whose teardown flushes it: a
    fenced producer raises its fatal error on every call, flush included.  It is closed at
    teardown without a flush."""

    def __init__(self, clients, broker, client: str, transactional_id: str, **config):
        self.client = client
        if client == "kafka-python":
            self.producer = clients.kp_producer(broker, transactional_id=transactional_id, enable_idempotence=True,
                                                **config)
        else:
            self.producer = confluent_kafka.Producer({
                "bootstrap.servers": broker.bootstrap, "transactional.id": transactional_id,
                "socket.timeout.ms": 10_000, "retry.backoff.ms": 50, "linger.ms": 5, **config})
            clients.on_close(partial(close_ck_producer, self.producer))

    def init(self) -> None:
        if self.client == "kafka-python":
            self.producer.init_transactions()
        else:
            self.producer.init_transactions(TIMEOUT)

    def begin(self) -> None:
        self.producer.begin_transaction()

    def send(self, topic: str, values: list[bytes], partition: int = 0) -> None:
        """Send and wait until the broker has every record (still inside the transaction)."""
        for value in values:
            if self.client == "kafka-python":
                self.producer.send(topic, value=value, partition=partition)
            else:
                self.producer.produce(topic, value=value, partition=partition)
        if self.client == "kafka-python":
            self.producer.flush(timeout=TIMEOUT)
        else:
            assert self.producer.flush(TIMEOUT) == 0

    def send_offsets(self, consumer, topic: str, offsets: dict[int, int]) -> None:
        if self.client == "kafka-python":
            self.producer.send_offsets_to_transaction(
                {kafka.TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()},
                consumer.group_metadata())
        else:
            self.producer.send_offsets_to_transaction(
                [CkPartition(topic, p, o) for p, o in offsets.items()], consumer.consumer_group_metadata(), TIMEOUT)

    def commit(self) -> None:
        if self.client == "kafka-python":
            self.producer.commit_transaction()
        else:
            self.producer.commit_transaction(TIMEOUT)

    def abort(self) -> None:
        if self.client == "kafka-python":
            self.producer.abort_transaction()
        else:
            self.producer.abort_transaction(TIMEOUT)


def commit_sentinel(clients, broker, topic: str, partition: int = 0) -> None:
    sentinel = TxnProducer(clients, broker, "confluent-kafka", f"{topic}-sentinel-{partition}")
    sentinel.init()
    sentinel.begin()
    sentinel.send(topic, [SENTINEL], partition)
    sentinel.commit()


def read_to_sentinel(clients, broker, client: str, isolation: str, topic: str, partition: int = 0) -> list[bytes]:
    """Every value a consumer of ``isolation`` reads from the partition's start up to the sentinel."""
    values: list[bytes] = []
    if client == "kafka-python":
        consumer = clients.kp_consumer(broker, isolation_level=isolation)
        consumer.assign([kafka.TopicPartition(topic, partition)])

        def poll():
            for records in consumer.poll(timeout_ms=200).values():
                values.extend(r.value for r in records)
            return SENTINEL in values
    else:
        consumer = clients.ck_consumer(broker, **{"isolation.level": isolation})
        consumer.assign([CkPartition(topic, partition, confluent_kafka.OFFSET_BEGINNING)])

        def poll():
            for message in consumer.consume(num_messages=100, timeout=0.2):
                if message.error() is None:
                    values.append(message.value())
            return SENTINEL in values
    wait_until(poll, what=f"the sentinel in {topic}-{partition}")
    return values[:values.index(SENTINEL)]


def raw_fetch(broker, topic: str, isolation_level: int, partition: int = 0) -> tuple[int, list[bytes], list]:
    """One Fetch v11 from offset 0: (last stable offset, the values of the data records sent,
    the aborted transactions as (producer id, first offset))."""
    with WireClient(broker) as wire:
        response = wire.send(ApiKey.FETCH, 11, {
            "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20,
            "isolation_level": isolation_level, "session_id": 0, "session_epoch": -1,
            "topics": [{"topic": topic, "partitions": [{"partition": partition, "current_leader_epoch": -1,
                                                         "fetch_offset": 0, "log_start_offset": -1,
                                                         "partition_max_bytes": 1 << 20}]}],
            "forgotten_topics_data": [], "rack_id": ""})
    [answer] = response.responses[0].partitions
    assert answer.error_code == ErrorCode.NONE
    values = [r.value for b in read_batches(bytes(answer.records or b"")) if not b.is_control for r in b.records]
    aborted = [(a.producer_id, a.first_offset) for a in answer.aborted_transactions or []]
    return answer.last_stable_offset, values, aborted


def end_offset(broker, topic: str, isolation_level: int, partition: int = 0) -> int:
    """ListOffsets "latest" as a consumer of ``isolation_level`` sees it: the LSO for read_committed."""
    with WireClient(broker) as wire:
        response = wire.send(ApiKey.LIST_OFFSETS, 5, {
            "replica_id": -1, "isolation_level": isolation_level,
            "topics": [{"name": topic, "partitions": [
                {"partition_index": partition, "current_leader_epoch": -1, "timestamp": -1}]}],
        })
    [answer] = response.topics[0].partitions
    assert answer.error_code == ErrorCode.NONE
    return answer.offset


# -- commit and abort -----------------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_read_committed_sees_committed_records_only(module_broker, clients, topic, client):
    create_topic(clients, module_broker, topic, 2)
    producer = TxnProducer(clients, module_broker, client, topic)
    producer.init()
    for outcome in ("commit", "abort", "commit"):
        producer.begin()
        for partition in (0, 1):
            producer.send(topic, [f"{outcome}-{partition}-{i}".encode() for i in range(3)], partition)
        if outcome == "commit":
            producer.commit()
        else:
            producer.abort()
    for partition in (0, 1):
        commit_sentinel(clients, module_broker, topic, partition)

    for partition in (0, 1):
        # the aborted transaction begins after three records and a commit marker
        last_stable, _, aborted = raw_fetch(module_broker, topic, 1, partition)
        assert [first for _, first in aborted] == [4] and last_stable == 14  # nothing is left open
        committed = [f"commit-{partition}-{i}".encode() for i in range(3)] * 2
        everything = committed[:3] + [f"abort-{partition}-{i}".encode() for i in range(3)] + committed[3:]
        for reader in CLIENTS:
            assert read_to_sentinel(clients, module_broker, reader, "read_committed", topic, partition) == committed
            assert read_to_sentinel(clients, module_broker, reader, "read_uncommitted", topic, partition) == everything


@pytest.mark.parametrize("client", CLIENTS)
def test_an_open_transaction_holds_back_read_committed_readers(module_broker, clients, topic, client):
    create_topic(clients, module_broker, topic, 1)
    producer = TxnProducer(clients, module_broker, client, topic)
    producer.init()
    producer.begin()
    producer.send(topic, [b"early"])
    producer.commit()
    producer.begin()
    producer.send(topic, [b"open-1", b"open-2"])

    # "early" and its marker are stable; the open transaction starts at offset 2
    assert end_offset(module_broker, topic, isolation_level=1) == 2
    assert end_offset(module_broker, topic, isolation_level=0) == 4
    plain = clients.ck_producer(module_broker)
    plain.produce(topic, value=SENTINEL, partition=0)
    assert plain.flush(TIMEOUT) == 0
    assert read_to_sentinel(clients, module_broker, "confluent-kafka", "read_uncommitted", topic) == [
        b"early", b"open-1", b"open-2"]

    # the sentinel after the open transaction is not sent to read_committed consumers yet
    assert raw_fetch(module_broker, topic, isolation_level=1) == (2, [b"early"], [])
    assert raw_fetch(module_broker, topic, isolation_level=0) == (2, [b"early", b"open-1", b"open-2", SENTINEL], [])
    producer.commit()
    assert end_offset(module_broker, topic, isolation_level=1) == 6
    assert read_to_sentinel(clients, module_broker, client, "read_committed", topic) == [
        b"early", b"open-1", b"open-2"]


# -- consume-transform-produce --------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_consume_transform_produce_commits_offsets_with_its_output(module_broker, clients, topic, client):
    source, sink, group = f"{topic}-in", f"{topic}-out", f"{topic}-group"
    create_topic(clients, module_broker, source, 1)
    create_topic(clients, module_broker, sink, 1)
    feed = clients.ck_producer(module_broker)
    for i in range(10):
        feed.produce(source, value=b"%d" % i, partition=0)
    assert feed.flush(TIMEOUT) == 0

    consumer = group_consumer(clients, module_broker, client, group, source)
    inputs = poll_values(client, consumer, 10)
    producer = TxnProducer(clients, module_broker, client, f"{topic}-app")
    producer.init()
    for batch, outcome in ((inputs[:4], "commit"), (inputs[4:7], "abort"), (inputs[4:], "commit")):
        producer.begin()
        producer.send(sink, [b"out-" + value for value in batch])
        producer.send_offsets(consumer, source, {0: int(batch[-1]) + 1})
        if outcome == "commit":
            producer.commit()
        else:
            # the open transaction's offsets are not the group's yet; stable readers must wait
            assert fetch_offset(module_broker, group, source) == (ErrorCode.NONE, 4)
            assert fetch_offset(module_broker, group, source, require_stable=True) == (
                ErrorCode.UNSTABLE_OFFSET_COMMIT, -1)
            producer.abort()
            assert fetch_offset(module_broker, group, source, require_stable=True) == (ErrorCode.NONE, 4)
    assert committed_offset(client, consumer, source) == 10
    commit_sentinel(clients, module_broker, sink)
    assert read_to_sentinel(clients, module_broker, client, "read_committed", sink) == [
        b"out-%d" % i for i in range(10)]


def group_consumer(clients, broker, client: str, group: str, topic: str):
    if client == "kafka-python":
        consumer = clients.kp_consumer(broker, group_id=group, isolation_level="read_committed")
    else:
        consumer = clients.ck_consumer(broker, **{"group.id": group, "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    return consumer


def poll_values(client: str, consumer, count: int) -> list[bytes]:
    values: list[bytes] = []

    def poll():
        if client == "kafka-python":
            for records in consumer.poll(timeout_ms=200).values():
                values.extend(r.value for r in records)
        else:
            values.extend(m.value() for m in consumer.consume(num_messages=count, timeout=0.2) if m.error() is None)
        return len(values) >= count
    wait_until(poll, what=f"{count} records")
    return values


def fetch_offset(broker, group: str, topic: str, require_stable: bool = False) -> tuple[int, int]:
    """(error, offset) of the group's partition 0 of ``topic``, by OffsetFetch v8."""
    with WireClient(broker) as wire:
        response = wire.send(ApiKey.OFFSET_FETCH, 8, {
            "groups": [{"group_id": group, "topics": [{"name": topic, "partition_indexes": [0]}]}],
            "require_stable": require_stable})
    [answer] = response.groups[0].topics[0].partitions
    return answer.error_code, answer.committed_offset


def committed_offset(client: str, consumer, topic: str) -> int | None:
    if client == "kafka-python":
        return consumer.committed(kafka.TopicPartition(topic, 0))
    [found] = consumer.committed([CkPartition(topic, 0)], timeout=TIMEOUT)
    assert found.error is None
    return found.offset


# -- fencing --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "second"), [("kafka-python", "confluent-kafka"),
                                               ("confluent-kafka", "kafka-python")])
def test_a_second_producer_with_the_same_id_fences_the_first(module_broker, clients, topic, first, second):
    create_topic(clients, module_broker, topic, 1)
    zombie = TxnProducer(clients, module_broker, first, topic)
    zombie.init()
    zombie.begin()
    zombie.send(topic, [b"zombie"])
    successor = TxnProducer(clients, module_broker, second, topic)
    successor.init()  # aborts the zombie's open transaction and bumps the epoch past it

    if first == "kafka-python":
        with pytest.raises(kafka.errors.ProducerFencedError):
            zombie.commit()
    else:
        with pytest.raises(confluent_kafka.KafkaException) as raised:
            zombie.commit()
        assert raised.value.args[0].code() == confluent_kafka.KafkaError._FENCED
    successor.begin()
    successor.send(topic, [b"successor"])
    successor.commit()
    commit_sentinel(clients, module_broker, topic)
    assert read_to_sentinel(clients, module_broker, "confluent-kafka", "read_committed", topic) == [b"successor"]


# -- admin views ----------------------------------------------------------------------------------

def test_describe_and_list_transactions_and_producers(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 1)
    producer = TxnProducer(clients, module_broker, "confluent-kafka", topic)
    producer.init()
    producer.begin()
    producer.send(topic, [b"a", b"b"])
    with WireClient(module_broker) as wire:
        [described] = wire.send(ApiKey.DESCRIBE_TRANSACTIONS, 0, {"transactional_ids": [topic]}).transaction_states
        assert (described.error_code, described.transaction_state) == (ErrorCode.NONE, "Ongoing")
        assert [(t.topic, list(t.partitions)) for t in described.topics] == [(topic, [0])]
        listed = wire.send(ApiKey.LIST_TRANSACTIONS, 1, {"state_filters": ["Ongoing"], "producer_id_filters": [],
                                                         "duration_filter": -1})
        assert (topic, "Ongoing") in [(t.transactional_id, t.transaction_state) for t in listed.transaction_states]
        producers = wire.send(ApiKey.DESCRIBE_PRODUCERS, 0, {"topics": [{"name": topic, "partition_indexes": [0]}]})
        [active] = producers.topics[0].partitions[0].active_producers
        assert (active.producer_id, active.current_txn_start_offset, active.last_sequence) == (
            described.producer_id, 0, 1)

        producer.commit()
        [described] = wire.send(ApiKey.DESCRIBE_TRANSACTIONS, 0, {"transactional_ids": [topic]}).transaction_states
        assert (described.transaction_state, list(described.topics)) == ("CompleteCommit", [])
        producers = wire.send(ApiKey.DESCRIBE_PRODUCERS, 0, {"topics": [{"name": topic, "partition_indexes": [0]}]})
        assert producers.topics[0].partitions[0].active_producers[0].current_txn_start_offset == -1
        [missing] = wire.send(ApiKey.DESCRIBE_TRANSACTIONS, 0, {"transactional_ids": ["nobody"]}).transaction_states
        assert missing.error_code == ErrorCode.TRANSACTIONAL_ID_NOT_FOUND


# -- timeouts and restarts ------------------------------------------------------------------------

@pytest.mark.broker_overrides({"transaction.abort.timed.out.transaction.cleanup.interval.ms": 200,
                               "transaction.state.log.num.partitions": 3})
@pytest.mark.parametrize("client", CLIENTS)
def test_an_abandoned_transaction_is_aborted_after_its_timeout(broker, clients, topic, client):
    create_topic(clients, broker, topic, 1)
    timeout = {"transaction_timeout_ms": 1000} if client == "kafka-python" else {
        "transaction.timeout.ms": 1000, "message.timeout.ms": 1000, "socket.timeout.ms": 1000}
    abandoned = TxnProducer(clients, broker, client, f"{topic}-abandoned", **timeout)
    abandoned.init()
    abandoned.begin()
    abandoned.send(topic, [b"abandoned"])
    assert end_offset(broker, topic, isolation_level=1) == 0

    # without a commit or abort the coordinator aborts it, and the LSO moves on
    wait_until(lambda: end_offset(broker, topic, isolation_level=1) == 2, what="the timed-out transaction's abort")
    commit_sentinel(clients, broker, topic)
    assert read_to_sentinel(clients, broker, client, "read_committed", topic) == []
    assert read_to_sentinel(clients, broker, client, "read_uncommitted", topic) == [b"abandoned"]
    assert "open longer than its timeout of 1000 ms" in broker.log_text()


@pytest.mark.broker_overrides({"transaction.state.log.num.partitions": 3, "offsets.topic.num.partitions": 3,
                               "group.initial.rebalance.delay.ms": 0})
@pytest.mark.parametrize("crash", [False, True], ids=["clean", "crash"])
def test_transactions_survive_a_restart_mid_way(broker, clients, topic, crash):
    source, group = f"{topic}-in", f"{topic}-group"
    create_topic(clients, broker, topic, 1)
    create_topic(clients, broker, source, 1)
    feed = clients.ck_producer(broker)
    for i in range(4):
        feed.produce(source, value=b"%d" % i, partition=0)
    assert feed.flush(TIMEOUT) == 0
    consumer = group_consumer(clients, broker, "confluent-kafka", group, source)
    poll_values("confluent-kafka", consumer, 4)

    producer = TxnProducer(clients, broker, "confluent-kafka", topic)
    producer.init()
    producer.begin()
    producer.send(topic, [b"first"])
    producer.send_offsets(consumer, source, {0: 2})
    producer.commit()
    producer.begin()
    producer.send(topic, [b"second"])
    producer.send_offsets(consumer, source, {0: 4})

    broker.restart(crash=crash)
    assert end_offset(broker, topic, isolation_level=1) == 2  # the open transaction still holds the LSO
    assert fetch_offset(broker, group, source) == (ErrorCode.NONE, 2)
    assert fetch_offset(broker, group, source, require_stable=True) == (ErrorCode.UNSTABLE_OFFSET_COMMIT, -1)
    producer.commit()  # the producer carries on with the transaction it had open
    assert fetch_offset(broker, group, source, require_stable=True) == (ErrorCode.NONE, 4)
    commit_sentinel(clients, broker, topic)
    assert read_to_sentinel(clients, broker, "kafka-python", "read_committed", topic) == [b"first", b"second"]
