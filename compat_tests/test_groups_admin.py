"""Group administration with both admin clients: list, describe, fetch, alter and delete.

Each test runs one active group (real members, so it is Stable with a known assignment)
next to an idle one that only ever had offsets committed for it, and checks that the two
are told apart the way Kafka tells them apart.
"""

from __future__ import annotations

import kafka
import kafka.errors
import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, KafkaError, KafkaException
from confluent_kafka import TopicPartition as CkPartition

from .clients import ck_wait
from .group_helpers import create_topic, describe_group, produce_to_partitions, wait_for_records, wait_for_split

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 5}
PARTITIONS = 4


def start_active_group(clients, members, broker, client: str, group: str, topic: str) -> list:
    """Two members of ``group`` sharing ``topic`` (made beforehand), having read and committed all of it."""
    sent = produce_to_partitions(clients, broker, topic, PARTITIONS, 5)
    client_id = {"kafka-python": "client_id", "confluent-kafka": "client.id"}[client]
    group_members = [members.start(broker, client, group, [topic], **{client_id: "compat-member"})
                     for _ in range(2)]
    wait_for_split(group_members, topic, PARTITIONS)
    wait_for_records(group_members, len(sent))
    return group_members


def ck_list(admin, **filters) -> dict:
    listing = admin.list_consumer_groups(request_timeout=10, **filters).result(10)
    assert not listing.errors, listing.errors
    return {g.group_id: g for g in listing.valid}


def ck_alter_errors(admin, group: str, partitions: list[CkPartition]) -> set[int]:
    """Error codes AlterConsumerGroupOffsets met, whether for the group or per partition."""
    try:
        [result] = ck_wait(admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group, partitions)], request_timeout=10)).values()
    except KafkaException as exc:
        return {exc.args[0].code()}
    return {tp.error.code() for tp in result.topic_partitions if tp.error is not None}


def ck_offsets(admin, group: str) -> dict[tuple[str, int], int]:
    [result] = ck_wait(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                                         request_timeout=10)).values()
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions}


def test_confluent_admin_lists_describes_alters_and_deletes_groups(module_broker, clients, members, topic):
    active, idle = f"{topic}-active", f"{topic}-idle"
    admin = clients.ck_admin(module_broker)
    create_topic(clients, module_broker, topic, PARTITIONS)
    group_members = start_active_group(clients, members, module_broker, "confluent-kafka", active, topic)
    assert ck_alter_errors(admin, idle, [CkPartition(topic, 0, 3), CkPartition(topic, 1, 5)]) == set()
    assert ck_offsets(admin, idle) == {(topic, 0): 3, (topic, 1): 5}
    assert ck_offsets(admin, active) == {(topic, p): 5 for p in range(PARTITIONS)}

    listed = ck_list(admin)
    assert (listed[active].state, listed[active].is_simple_consumer_group) == (ConsumerGroupState.STABLE, False)
    assert (listed[idle].state, listed[idle].is_simple_consumer_group) == (ConsumerGroupState.EMPTY, True)
    stable = ck_list(admin, states={ConsumerGroupState.STABLE})
    empty = ck_list(admin, states={ConsumerGroupState.EMPTY})
    assert active in stable and idle not in stable
    assert idle in empty and active not in empty

    described = describe_group(clients, module_broker, active)
    assert (described.group_id, described.state, described.partition_assignor) == (
        active, ConsumerGroupState.STABLE, "range")
    assert not described.is_simple_consumer_group
    assert described.coordinator.id == 1 and described.coordinator.port == module_broker.port
    assert {m.member_id for m in described.members} == {m.member_id for m in group_members}
    assert {m.client_id for m in described.members} == {"compat-member"}
    assert all(m.host for m in described.members)
    assert {m.member_id: {(tp.topic, tp.partition) for tp in m.assignment.topic_partitions}
            for m in described.members} == {m.member_id: set(m.assignment) for m in group_members}
    idle_described = describe_group(clients, module_broker, idle)
    assert (idle_described.state, idle_described.members) == (ConsumerGroupState.EMPTY, [])

    # Offsets of a group with live members belong to its members: an outsider's commit is refused.
    assert ck_alter_errors(admin, active, [CkPartition(topic, 0, 0)]) == {KafkaError.UNKNOWN_MEMBER_ID}
    assert ck_offsets(admin, active)[(topic, 0)] == 5

    deletions = admin.delete_consumer_groups([active, idle], request_timeout=10)
    with pytest.raises(KafkaException) as non_empty:
        deletions[active].result(10)
    assert non_empty.value.args[0].code() == KafkaError.NON_EMPTY_GROUP
    deletions[idle].result(10)
    listed = ck_list(admin)
    assert active in listed and idle not in listed
    assert ck_offsets(admin, idle) == {}


def test_kafka_python_admin_lists_describes_fetches_and_deletes_groups(module_broker, clients, members, topic):
    active, idle, other = f"{topic}-active", f"{topic}-idle", f"{topic}-other"
    admin = clients.kp_admin(module_broker)
    create_topic(clients, module_broker, topic, PARTITIONS)
    create_topic(clients, module_broker, other, 1)
    # Offsets for a topic the group will not subscribe to, committed while it is still empty.
    old_offsets = {kafka.TopicPartition(other, 0): kafka.OffsetAndMetadata(2, "old", -1)}
    assert admin.alter_group_offsets(active, old_offsets) == {kafka.TopicPartition(other, 0): kafka.errors.NoError}
    idle_offsets = {kafka.TopicPartition(topic, p): kafka.OffsetAndMetadata(p + 1, f"idle {p}", -1) for p in range(2)}
    assert admin.alter_group_offsets(idle, idle_offsets) == {tp: kafka.errors.NoError for tp in idle_offsets}
    group_members = start_active_group(clients, members, module_broker, "kafka-python", active, topic)

    listed = {g["group_id"]: g for g in admin.list_groups()}
    assert listed[active]["protocol_type"] == "consumer"
    assert listed[idle]["protocol_type"] == ""
    stable = {g["group_id"] for g in admin.list_groups(states_filter=["Stable"])}
    assert active in stable and idle not in stable

    described = admin.describe_groups([active, idle])
    assert described[active]["error"] is None
    assert (described[active]["group_state"], described[active]["protocol_type"],
            described[active]["protocol_data"]) == ("Stable", "consumer", "range")
    assert {m["member_id"] for m in described[active]["members"]} == {m.member_id for m in group_members}
    assert {m["client_id"] for m in described[active]["members"]} == {"compat-member"}
    assert (described[idle]["group_state"], described[idle]["members"]) == ("Empty", [])

    offsets = admin.list_group_offsets([active, idle])
    assert {(tp.topic, tp.partition): (o.offset, o.metadata) for tp, o in offsets[active].items()} == {
        **{(topic, p): (5, "") for p in range(PARTITIONS)}, (other, 0): (2, "old")}
    assert {(tp.topic, tp.partition): (o.offset, o.metadata) for tp, o in offsets[idle].items()} == {
        (topic, 0): (1, "idle 0"), (topic, 1): (2, "idle 1")}

    # OffsetDelete: a topic the live members subscribe to is theirs; any other can go.
    assert admin.delete_group_offsets(active, [kafka.TopicPartition(other, 0), kafka.TopicPartition(topic, 0)]) == {
        kafka.TopicPartition(other, 0): kafka.errors.NoError,
        kafka.TopicPartition(topic, 0): kafka.errors.GroupSubscribedToTopicError}
    assert set(admin.list_group_offsets(active)[active]) == {kafka.TopicPartition(topic, p) for p in range(PARTITIONS)}
    assert admin.delete_group_offsets(idle, [kafka.TopicPartition(topic, 0)]) == {
        kafka.TopicPartition(topic, 0): kafka.errors.NoError}
    assert set(admin.list_group_offsets(idle)[idle]) == {kafka.TopicPartition(topic, 1)}

    assert admin.delete_groups([active, idle]) == {active: "NonEmptyGroupError", idle: "OK"}
    assert idle not in {g["group_id"] for g in admin.list_groups()}
