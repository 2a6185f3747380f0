"""A transaction's offsets and plain commits of the same group: whichever commit is later in
``__consumer_offsets`` wins when the transaction commits, as on Apache Kafka (its coordinator
compares the offsets of the two commit records). Run against Kafka too
(``ODRADEK_COMPAT_TARGET=kafka``)."""

from __future__ import annotations

from functools import partial

import confluent_kafka
from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka import TopicPartition as CkPartition

from .clients import TIMEOUT, ck_wait, close_ck_producer
from .group_helpers import create_topic

RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {"transaction.state.log.num.partitions": 3, "offsets.topic.num.partitions": 3,
                    "transaction.state.log.replication.factor": 1, "transaction.state.log.min.isr": 1,
                    "offsets.topic.replication.factor": 1}


def committed(clients, broker, group: str, topic: str, partitions: int) -> list[int]:
    """The group's committed offsets (OffsetFetch with require_stable, as read_committed asks)."""
    consumer = clients.ck_consumer(broker, **{"group.id": group, "isolation.level": "read_committed"})
    answer = consumer.committed([CkPartition(topic, p) for p in range(partitions)], TIMEOUT)
    return [tp.offset for tp in sorted(answer, key=lambda tp: tp.partition)]


def test_a_plain_commit_made_while_the_transaction_is_open_wins_over_its_offsets(module_broker, clients, topic):
    group = f"{topic}-group"
    create_topic(clients, module_broker, topic, 3)
    producer = confluent_kafka.Producer({"bootstrap.servers": module_broker.bootstrap, "transactional.id": topic,
                                         "socket.timeout.ms": 10_000, "retry.backoff.ms": 50})
    clients.on_close(partial(close_ck_producer, producer))
    member = clients.ck_consumer(module_broker, **{"group.id": group})  # never joins: the group stays empty
    admin = clients.ck_admin(module_broker)
    ck_wait(admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [CkPartition(topic, 0, 1), CkPartition(topic, 1, 1)])]))

    producer.init_transactions(TIMEOUT)
    producer.begin_transaction()
    producer.send_offsets_to_transaction([CkPartition(topic, p, 10 + p) for p in range(3)],
                                         member.consumer_group_metadata(), TIMEOUT)
    # the transaction's offsets are in __consumer_offsets now; a plain commit follows them for partition 0
    ck_wait(admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [CkPartition(topic, 0, 5)])]))
    producer.commit_transaction(TIMEOUT)

    # partition 0: the plain commit, written last; 1: the transaction's over the earlier plain one; 2: the transaction's
    assert committed(clients, module_broker, group, topic, 3) == [5, 11, 12]
