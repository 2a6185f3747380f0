"""Committed group offsets with both clients: resuming, separate groups, simple commits, restarts.

A single group consumer needs no second thread: polling it in the test drives its join.
Offsets live in ``__consumer_offsets``, so a broker restart (clean or kill -9) must keep them,
metadata strings included.
"""

from __future__ import annotations

import confluent_kafka
import kafka
import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions

from .clients import ck_read, ck_wait, kp_read
from .group_helpers import create_topic, produce_to_partitions

GROUP_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 5}
BROKER_OVERRIDES = GROUP_OVERRIDES
CLIENTS = ["kafka-python", "confluent-kafka"]
PARTITIONS = 3


def subscribed(clients, broker, client: str, group: str, topic: str):
    """A group consumer subscribed to ``topic``; commits are explicit."""
    if client == "kafka-python":
        consumer = clients.kp_consumer(broker, group_id=group)
        consumer.subscribe([topic])
    else:
        consumer = clients.ck_consumer(broker, **{"group.id": group})
        consumer.subscribe([topic])
    return consumer


def read_values(client: str, consumer, count: int) -> list[bytes]:
    if client == "kafka-python":
        return [r.value for r in kp_read(consumer, count)]
    return [m.value() for m in ck_read(consumer, count)]


def commit_positions(client: str, consumer) -> None:
    """Commit, synchronously, the position the consumer reached on each assigned partition."""
    if client == "kafka-python":
        consumer.commit()
    else:
        done = consumer.commit(offsets=consumer.position(consumer.assignment()), asynchronous=False)
        assert all(tp.error is None for tp in done), done


def close(client: str, consumer) -> None:
    if client == "kafka-python":
        consumer.close(timeout_ms=5000)
    else:
        consumer.close()


def committed_offsets(client: str, consumer, topic: str, partitions: int) -> dict[int, tuple[int, str]]:
    """``{partition: (offset, metadata)}`` as the consumer's ``committed()`` reports them."""
    if client == "kafka-python":
        found = {p: consumer.committed(kafka.TopicPartition(topic, p), metadata=True) for p in range(partitions)}
        return {p: (c.offset, c.metadata) for p, c in found.items() if c is not None}
    found = ck_committed(consumer, topic, partitions)
    return {tp.partition: (tp.offset, tp.metadata) for tp in found if tp.offset >= 0}


def ck_committed(consumer, topic: str, partitions: int) -> list:
    found = consumer.committed([confluent_kafka.TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    assert all(tp.error is None for tp in found), found
    return found


@pytest.mark.parametrize("client", CLIENTS)
def test_a_new_member_resumes_from_committed_offsets(module_broker, clients, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    first = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="first-")
    consumer = subscribed(clients, module_broker, client, topic, topic)
    assert sorted(read_values(client, consumer, len(first))) == sorted(first)
    commit_positions(client, consumer)
    close(client, consumer)

    second = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="second-")
    successor = subscribed(clients, module_broker, client, topic, topic)
    assert sorted(read_values(client, successor, len(second))) == sorted(second)
    assert {p: offset for p, (offset, _) in committed_offsets(client, successor, topic, PARTITIONS).items()} == {
        p: 10 for p in range(PARTITIONS)}


@pytest.mark.parametrize("client", CLIENTS)
def test_two_groups_each_read_everything(module_broker, clients, topic, client):
    create_topic(clients, module_broker, topic, PARTITIONS)
    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10)
    for group in (f"{topic}-a", f"{topic}-b"):
        consumer = subscribed(clients, module_broker, client, group, topic)
        assert sorted(read_values(client, consumer, len(sent))) == sorted(sent)
        commit_positions(client, consumer)
    admin = clients.ck_admin(module_broker)
    for group in (f"{topic}-a", f"{topic}-b"):
        [offsets] = ck_wait(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])).values()
        assert {(tp.partition, tp.offset) for tp in offsets.topic_partitions} == {(p, 10) for p in range(PARTITIONS)}


@pytest.mark.parametrize("client", CLIENTS)
def test_assigned_consumers_commit_to_a_group_without_joining_it(module_broker, clients, topic, client):
    """assign() plus a group id: commits with generation -1 and no member id, as simple consumers make."""
    create_topic(clients, module_broker, topic, 2)
    produce_to_partitions(clients, module_broker, topic, 2, 10)
    checkpoints = {0: (7, f"{client} was here"), 1: (10, "end")}
    if client == "kafka-python":
        consumer = clients.kp_consumer(module_broker, group_id=topic)
        consumer.assign([kafka.TopicPartition(topic, p) for p in range(2)])
        kp_read(consumer, 20)
        consumer.commit({kafka.TopicPartition(topic, p): kafka.OffsetAndMetadata(o, m, -1)
                         for p, (o, m) in checkpoints.items()})
        successor = clients.kp_consumer(module_broker, group_id=topic)
        successor.assign([kafka.TopicPartition(topic, p) for p in range(2)])
        resumed = [(r.partition, r.offset) for r in kp_read(successor, 3)]
    else:
        consumer = clients.ck_consumer(module_broker, **{"group.id": topic})
        consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in range(2)])
        ck_read(consumer, 20)
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, p, o, m) for p, (o, m) in checkpoints.items()],
                        asynchronous=False)
        successor = clients.ck_consumer(module_broker, **{"group.id": topic})
        successor.assign([confluent_kafka.TopicPartition(topic, p) for p in range(2)])  # from the committed offsets
        resumed = [(m.partition(), m.offset()) for m in ck_read(successor, 3)]

    assert committed_offsets(client, consumer, topic, 2) == checkpoints
    assert committed_offsets(client, successor, topic, 2) == checkpoints
    assert resumed == [(0, 7), (0, 8), (0, 9)]
    listing = clients.ck_admin(module_broker).list_consumer_groups(request_timeout=10).result(10)
    [group] = [g for g in listing.valid if g.group_id == topic]
    assert (group.is_simple_consumer_group, group.state) == (True, ConsumerGroupState.EMPTY)


@pytest.mark.broker_overrides(GROUP_OVERRIDES)
@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "kill-9"])
def test_committed_offsets_and_metadata_survive_a_restart(broker, clients, topic, crash):
    """Commits made with kafka-python, read back with both clients and both admin clients.

    confluent-kafka-python treats metadata as C strings: it sends the terminator as part of
    the metadata (Kafka keeps it like any other byte) and reads past the end of metadata sent
    without one, so it must not even look at these.  Metadata is compared where kafka-python
    reads it, offsets everywhere.
    """
    create_topic(clients, broker, topic, 2)
    produce_to_partitions(clients, broker, topic, 2, 10)
    members_group, simple_group = f"{topic}-members", f"{topic}-simple"
    member_commits = {0: (4, "member checkpoint"), 1: (9, "{\"json\": true}")}
    simple_commits = {0: (6, "simple checkpoint \u2713"), 1: (3, "x" * 200)}

    member = subscribed(clients, broker, "kafka-python", members_group, topic)
    kp_read(member, 20)
    member.commit({kafka.TopicPartition(topic, p): kafka.OffsetAndMetadata(o, m, -1)
                   for p, (o, m) in member_commits.items()})
    member.close(timeout_ms=5000)
    simple = clients.kp_consumer(broker, group_id=simple_group)
    simple.assign([kafka.TopicPartition(topic, p) for p in range(2)])
    simple.commit({kafka.TopicPartition(topic, p): kafka.OffsetAndMetadata(o, m, -1)
                   for p, (o, m) in simple_commits.items()})
    simple.close(timeout_ms=5000)

    broker.restart(crash=crash)

    for group, expected in ((members_group, member_commits), (simple_group, simple_commits)):
        kp = clients.kp_consumer(broker, group_id=group)
        assert committed_offsets("kafka-python", kp, topic, 2) == expected
        listed = clients.kp_admin(broker).list_group_offsets(group)[group]
        assert {tp.partition: (c.offset, c.metadata) for tp, c in listed.items() if tp.topic == topic} == expected
        # confluent-kafka is not asked here: its committed() and list_consumer_group_offsets()
        # decode the metadata kafka-python wrote (no terminator) past its end, which fails at
        # random. Offsets are what confluent needs after a restart: it resumes from them below.

    successor = subscribed(clients, broker, "confluent-kafka", members_group, topic)
    resumed = sorted((m.partition(), m.offset()) for m in ck_read(successor, 7))
    assert resumed == [(0, o) for o in range(4, 10)] + [(1, 9)]
