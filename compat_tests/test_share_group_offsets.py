"""A share group's offsets through ``kafka-share-groups``: --reset-offsets sets an empty group's
start offsets, --describe shows them with the lag (also after a share consumer has read and
acknowledged records), --delete-offsets drops the group's state for a topic; and the three APIs
behind them (DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets) answer
a group with members, unknown groups, topics and partitions as Kafka does.

Like the other share group tests, these run against Apache Kafka 4.3 too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import uuid

import confluent_kafka
import pytest

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .java.kafka_tool import SHARE_GROUPS, run_tool
from .share_members import WireShareMember, wait_for_coordinator
from .test_share_groups import create_topic

RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {
    "offsets.topic.num.partitions": 5,
    "group.share.heartbeat.interval.ms": 300, "group.share.min.heartbeat.interval.ms": 100,
}
pytestmark = pytest.mark.usefixtures("kafka_jars")
RECORDS_PER_PARTITION = 5
NO_TOPIC = uuid.UUID(int=0)  # the topic id answered for a topic the broker does not know


@pytest.fixture
def group(topic):
    return f"share-{topic}"


def produce(broker, topic: str, partitions: int) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(RECORDS_PER_PARTITION * partitions):
        producer.produce(topic, value=b"v%d" % i, partition=i % partitions)
    assert producer.flush(30) == 0


def tool(broker, *args: str) -> list[str]:
    return run_tool(SHARE_GROUPS, "--bootstrap-server", broker.bootstrap, *args).lines()


def described(broker, group: str) -> dict[tuple[str, int], tuple[int, int]]:
    """``--describe``'s rows: (topic, partition) -> (start offset, lag)."""
    rows = [line.split() for line in tool(broker, "--describe", "--group", group)[1:]]
    return {(row[1], int(row[2])): (int(row[3]), int(row[4])) for row in rows}


def test_reset_describe_and_delete_offsets_with_kafka_share_groups(module_broker, wire, topic, group):
    create_topic(module_broker, topic, 2)
    produce(module_broker, topic, 2)
    wait_for_coordinator(wire, group)

    dry = tool(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--dry-run")
    assert dry[0].split() == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    assert sorted(line.split() for line in dry[1:]) == [[group, topic, "0", "0"], [group, topic, "1", "0"]]
    tool(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute")
    assert described(module_broker, group) == {(topic, 0): (0, 5), (topic, 1): (0, 5)}

    tool(module_broker, "--reset-offsets", "--group", group, "--topic", f"{topic}:1", "--to-latest", "--execute")
    assert described(module_broker, group) == {(topic, 0): (0, 5), (topic, 1): (5, 0)}

    assert tool(module_broker, "--delete-offsets", "--group", group, "--topic", topic)[1].split() == [topic, "Successful"]
    assert tool(module_broker, "--describe", "--group", group) == [f"Share group '{group}' has no offset information."]


def test_a_share_consumer_that_acknowledged_everything_leaves_no_lag(module_broker, wire, topic, group):
    create_topic(module_broker, topic, 2)
    produce(module_broker, topic, 2)
    wait_for_coordinator(wire, group)
    tool(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute")

    consumer = confluent_kafka.ShareConsumer({"bootstrap.servers": module_broker.bootstrap, "group.id": group})
    try:
        consumer.subscribe([topic])
        read = []
        wait_until(lambda: read.extend(m for m in consumer.poll(0.5) if m.error() is None)
                   or len(read) >= 2 * RECORDS_PER_PARTITION, timeout=60, what="every record")
        consumer.poll(0.5)  # acknowledges what the last poll returned (implicit acknowledgement)
    finally:
        consumer.close()
    assert len(read) == 2 * RECORDS_PER_PARTITION
    # every record acknowledged: nothing left to deliver (the start offset moves on when it may)
    rows = wait_until(lambda: (found := described(module_broker, group)) and all(lag == 0 for _, lag in found.values())
                      and found, what="the lag to drop to nothing")
    assert set(rows) == {(topic, 0), (topic, 1)}
    assert all(start in (0, RECORDS_PER_PARTITION) for start, _ in rows.values())


def test_the_offset_apis_answer_as_kafka(module_broker, wire, topic, group):
    topic_id = create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)

    def alter(group_id, topics):
        return wire.send(ApiKey.ALTER_SHARE_GROUP_OFFSETS, 0, {"group_id": group_id, "topics": [
            {"topic_name": name, "partitions": [{"partition_index": p, "start_offset": 0} for p in partitions]}
            for name, partitions in topics]})

    def delete(group_id, topics):
        return wire.send(ApiKey.DELETE_SHARE_GROUP_OFFSETS, 0, {"group_id": group_id, "topics": [
            {"topic_name": name} for name in topics]})

    # (Kafka's share coordinator may not be ready for the first state it is asked to initialize)
    altered = wait_until(lambda: (a := alter(group, [(topic, [0, 3]), ("no-such-topic", [0])])).responses[1]
                         .partitions[0].error_code == ErrorCode.NONE and a, timeout=60, what="the offsets set")
    assert altered.error_code == ErrorCode.NONE
    assert [(t.topic_name, t.topic_id, [(p.partition_index, p.error_code) for p in t.partitions])
            for t in altered.responses] == [
        ("no-such-topic", NO_TOPIC, [(0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]),
        (topic, topic_id, [(0, ErrorCode.NONE), (3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)])]

    [described] = wire.send(ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS, 1, {"groups": [
        {"group_id": group, "topics": [{"topic_name": "no-such-topic", "partitions": [0]}]}]}).groups
    [(name, topic_id_seen, [partition])] = [(t.topic_name, t.topic_id, t.partitions) for t in described.topics]
    assert (name, topic_id_seen) == ("no-such-topic", NO_TOPIC)
    assert (partition.start_offset, partition.leader_epoch, partition.lag, partition.error_code) == (-1, 0, -1, 0)

    missing = delete(f"{group}-missing", [topic])
    assert (missing.error_code, missing.error_message) == (ErrorCode.GROUP_ID_NOT_FOUND,
                                                           f"Group {group}-missing not found.")
    member = WireShareMember(module_broker, group, [topic])
    try:
        assert member.beat().error_code == ErrorCode.NONE
        for refused in (alter(group, [(topic, [0])]), delete(group, [topic])):
            assert (refused.error_code, refused.error_message) == (ErrorCode.NON_EMPTY_GROUP, "The group is not empty.")
        member.leave()
    finally:
        member.close()
    deleted = delete(group, [topic, "no-such-topic"])
    assert [(t.topic_name, t.error_code, t.error_message) for t in deleted.responses] == [
        (topic, ErrorCode.NONE, None),
        ("no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.")]

