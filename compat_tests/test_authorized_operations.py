"""Authorized operations in describe answers: with no authorizer, Kafka grants every operation a
resource supports, and says so when asked (otherwise it sends its 'not requested' value).

Checked through confluent-kafka's admin client, then field by field on the wire (Metadata v8-v10's
cluster operations, unknown topics and groups). These run against Apache Kafka too
(``ODRADEK_COMPAT_TARGET=kafka``), which shows that what they expect is what Kafka answers.
"""

from __future__ import annotations

import uuid

from confluent_kafka import ConsumerGroupTopicPartitions, TopicCollection, TopicPartition
from confluent_kafka.admin import AclOperation, NewTopic

from odradek.wire import ApiKey, ErrorCode

from .clients import ck_wait, wait_until

RUNS_AGAINST_KAFKA_TOO = True
NOT_REQUESTED = -(1 << 31)
TOPIC_OPERATIONS = {AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE,
                    AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS}
GROUP_OPERATIONS = {AclOperation.READ, AclOperation.DELETE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS}
CLUSTER_OPERATIONS = {AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS,
                      AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER,
                      AclOperation.DESCRIBE}


def bits(operations: set[AclOperation]) -> int:
    return sum(1 << operation.value for operation in operations)


def test_the_admin_client_sees_every_operation_of_the_cluster_topics_and_groups(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    ck_wait(admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)], operation_timeout=10))
    assert set(admin.describe_cluster(include_authorized_operations=True).result(15).authorized_operations) == (
        CLUSTER_OPERATIONS)
    assert admin.describe_cluster().result(15).authorized_operations is None

    described = wait_until(lambda: _described_topic(admin, topic), what=f"{topic} described")
    assert set(described.authorized_operations) == TOPIC_OPERATIONS

    group = f"{topic}-group"
    consumer = clients.ck_consumer(module_broker, **{"group.id": group})
    consumer.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)  # an Empty classic group
    [future] = admin.describe_consumer_groups([group], include_authorized_operations=True).values()
    assert set(future.result(15).authorized_operations) == GROUP_OPERATIONS
    [future] = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]).values()
    assert [p.offset for p in future.result(15).topic_partitions] == [0]


def test_a_consumer_protocol_group_is_described_with_its_operations(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    ck_wait(admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)], operation_timeout=10))
    group = f"{topic}-group"
    consumer = clients.ck_consumer(module_broker, **{"group.id": group, "group.protocol": "consumer"})
    consumer.subscribe([topic])
    wait_until(lambda: consumer.poll(0.2) is None and consumer.assignment(), what="an assignment")
    [future] = admin.describe_consumer_groups([group], include_authorized_operations=True).values()
    described = future.result(15)
    assert (described.is_simple_consumer_group, len(described.members)) == (False, 1)
    assert set(described.authorized_operations) == GROUP_OPERATIONS
    [future] = admin.describe_consumer_groups([group]).values()
    assert future.result(15).authorized_operations is None


def _described_topic(admin, topic: str):
    try:
        return admin.describe_topics(TopicCollection([topic]), include_authorized_operations=True)[topic].result(15)
    except Exception:  # Kafka may not know the new topic yet
        return None


def test_metadata_reports_operations_only_when_asked(wire, topic):
    create = {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": topic, "num_partitions": 1, "replication_factor": 1, "assignments": [], "configs": []}]}
    assert wire.send(ApiKey.CREATE_TOPICS, 7, create).topics[0].error_code == ErrorCode.NONE
    missing, no_id = f"{topic}-missing", uuid.UUID(int=0)
    for version in (8, 10, 12):
        for asked in (True, False):
            answer = wire.send(ApiKey.METADATA, version, {
                "topics": [{"name": topic, "topic_id": no_id}, {"name": missing, "topic_id": no_id}],
                "allow_auto_topic_creation": False, "include_cluster_authorized_operations": asked,
                "include_topic_authorized_operations": asked})
            topic_operations = bits(TOPIC_OPERATIONS) if asked else NOT_REQUESTED
            assert sorted((t.name, t.topic_authorized_operations) for t in answer.topics) == [
                (topic, topic_operations), (missing, topic_operations)]  # unknown topics too, as Kafka does
            cluster_operations = bits(CLUSTER_OPERATIONS) if asked and version <= 10 else NOT_REQUESTED
            assert answer.cluster_authorized_operations == cluster_operations, version

    by_unknown_id = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": None, "topic_id": uuid.uuid4()}],
                                                    "allow_auto_topic_creation": False,
                                                    "include_topic_authorized_operations": True})
    assert [(t.error_code, t.topic_authorized_operations) for t in by_unknown_id.topics] == [
        (ErrorCode.UNKNOWN_TOPIC_ID, NOT_REQUESTED)]

    partitions = wire.send(ApiKey.DESCRIBE_TOPIC_PARTITIONS, 0, {
        "topics": [{"name": topic}, {"name": missing}], "response_partition_limit": 10, "cursor": None})
    assert sorted((t.name, t.topic_authorized_operations) for t in partitions.topics) == [
        (topic, bits(TOPIC_OPERATIONS)), (missing, bits(TOPIC_OPERATIONS))]  # always sent


def test_describe_cluster_and_groups_report_operations_only_when_asked(wire, topic):
    for asked, cluster_operations in ((True, bits(CLUSTER_OPERATIONS)), (False, NOT_REQUESTED)):
        answer = wire.send(ApiKey.DESCRIBE_CLUSTER, 2, {"include_cluster_authorized_operations": asked,
                                                        "endpoint_type": 1, "include_fenced_brokers": False})
        assert answer.cluster_authorized_operations == cluster_operations

    missing = f"{topic}-no-such-group"
    for version, missing_error in ((5, ErrorCode.NONE), (6, ErrorCode.GROUP_ID_NOT_FOUND)):
        answer = wire.send(ApiKey.DESCRIBE_GROUPS, version, {"groups": [missing], "include_authorized_operations": True})
        [group] = answer.groups
        # a group that does not exist is Dead (v5) and gets every operation; v6 answers not found, and none
        expected = bits(GROUP_OPERATIONS) if missing_error == ErrorCode.NONE else NOT_REQUESTED
        assert (group.error_code, group.group_state, group.authorized_operations) == (missing_error, "Dead", expected)
    answer = wire.send(ApiKey.CONSUMER_GROUP_DESCRIBE, 0, {"group_ids": [missing], "include_authorized_operations": True})
    assert [(g.error_code, g.authorized_operations) for g in answer.groups] == [
        (ErrorCode.GROUP_ID_NOT_FOUND, NOT_REQUESTED)]
