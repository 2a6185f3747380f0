"""KIP-848 consumer groups (``group.protocol=consumer``) with confluent-kafka: the broker assigns.

Skipped while odradek's ApiVersions lacks ConsumerGroupHeartbeat (API key 68).  The broker's
heartbeat interval and session timeout, which KIP-848 members take from the broker, are
lowered so members converge within a few heartbeats.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupType

from .clients import wait_until
from .group_helpers import (
    CONSUMER_GROUP_HEARTBEAT,
    assert_each_read_once,
    create_topic,
    describe_group,
    produce_to_partitions,
    serves_api,
    wait_for_records,
    wait_for_split,
)

SESSION_MS = 4000
BROKER_OVERRIDES = {"offsets.topic.num.partitions": 5,
                    "group.consumer.heartbeat.interval.ms": 300, "group.consumer.min.heartbeat.interval.ms": 100,
                    "group.consumer.session.timeout.ms": SESSION_MS, "group.consumer.min.session.timeout.ms": 1000}
PARTITIONS = 6


@pytest.fixture(autouse=True)
def _needs_the_consumer_protocol(module_broker):
    if not serves_api(module_broker, CONSUMER_GROUP_HEARTBEAT):
        pytest.skip("odradek's ApiVersions lacks ConsumerGroupHeartbeat (key 68): KIP-848 groups not served yet")


def start(members, broker, topic: str, count: int) -> list:
    return [members.start(broker, "confluent-kafka", topic, [topic], group_protocol="consumer")
            for _ in range(count)]


def test_three_members_share_six_partitions_and_read_each_record_once(module_broker, clients, members, topic):
    create_topic(clients, module_broker, topic, PARTITIONS)
    group = start(members, module_broker, topic, 3)
    split = wait_for_split(group, topic, PARTITIONS)

    sent = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 20)
    assert_each_read_once(wait_for_records(group, len(sent)), sent)
    for member, mine in zip(group, split):
        assert {r.partition for r in member.records} == mine

    described = describe_group(clients, module_broker, topic)
    assert (described.type, described.state) == (ConsumerGroupType.CONSUMER, ConsumerGroupState.STABLE)
    assert described.partition_assignor == "uniform"  # the first of Kafka's group.consumer.assignors
    assert {m.member_id: frozenset(tp.partition for tp in m.assignment.topic_partitions)
            for m in described.members} == {m.member_id: s for m, s in zip(group, split)}


def test_a_member_that_leaves_hands_its_partitions_over(module_broker, clients, members, topic):
    create_topic(clients, module_broker, topic, PARTITIONS)
    group = start(members, module_broker, topic, 3)
    wait_for_split(group, topic, PARTITIONS)
    before = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="before-")
    wait_for_records(group, len(before))
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} ==
               {(topic, p): 10 for p in range(PARTITIONS)}, what="every member to commit what it read")

    group[0].close()  # a heartbeat with member epoch -1
    wait_for_split(group[1:], topic, PARTITIONS, timeout=SESSION_MS / 1000 - 1)
    after = produce_to_partitions(clients, module_broker, topic, PARTITIONS, 10, tag="after-")
    assert_each_read_once(wait_for_records(group, len(before) + len(after)), before + after)


def test_a_killed_member_is_evicted_after_the_session_timeout(module_broker, clients, members, topic):
    create_topic(clients, module_broker, topic, PARTITIONS)
    survivors = start(members, module_broker, topic, 2)
    doomed = members.spawn(module_broker, "confluent-kafka", topic, [topic], group_protocol="consumer")
    wait_for_split(survivors + [doomed], topic, PARTITIONS, timeout=30)

    doomed.kill()
    killed_at = time.monotonic()
    wait_for_split(survivors, topic, PARTITIONS, timeout=SESSION_MS / 1000 + 10)
    took = time.monotonic() - killed_at
    assert took >= SESSION_MS / 2000, f"partitions moved {took:.1f}s after the kill, before the session timed out"
