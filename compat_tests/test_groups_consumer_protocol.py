"""KIP-848 consumer groups (``group.protocol=consumer``) with confluent-kafka: the broker assigns.

The broker's heartbeat interval and session timeout, which KIP-848 members take from the
broker, are lowered so members converge within a few heartbeats.  Where no client shows an
answer (a group of the other type), the request is sent with odradek's own codecs.
"""

from __future__ import annotations

import time

import confluent_kafka
import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType
from odradek.wire import ApiKey, ErrorCode

from .clients import ck_wait, wait_until
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
from .wire_client import WireClient

SESSION_MS = 4000
BROKER_OVERRIDES = {"offsets.topic.num.partitions": 5,
                    "group.consumer.heartbeat.interval.ms": 300, "group.consumer.min.heartbeat.interval.ms": 100,
                    "group.consumer.session.timeout.ms": SESSION_MS, "group.consumer.min.session.timeout.ms": 1000}
PARTITIONS = 6


def start(members, broker, topic: str, count: int, **config) -> list:
    return [members.start(broker, "confluent-kafka", topic, [topic], group_protocol="consumer", **config)
            for _ in range(count)]


def test_the_broker_serves_the_consumer_protocol(module_broker):
    assert serves_api(module_broker, CONSUMER_GROUP_HEARTBEAT)


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


def test_two_members_asking_for_range_get_runs_of_partitions_in_member_id_order(module_broker, clients, members,
                                                                               topic):
    create_topic(clients, module_broker, topic, 4)
    group = start(members, module_broker, topic, 2, **{"group.remote.assignor": "range"})
    split = wait_for_split(group, topic, 4)
    first, second = sorted(zip(group, split), key=lambda pair: pair[0].member_id)
    assert (first[1], second[1]) == ({0, 1}, {2, 3})
    assert describe_group(clients, module_broker, topic).partition_assignor == "range"


def test_commits_survive_the_members_that_made_them(module_broker, clients, members, topic):
    """Offsets committed at a member epoch are read back by the member, by an admin, and by the
    next members of the group, which resume where the first ones stopped."""
    create_topic(clients, module_broker, topic, 4)
    group = start(members, module_broker, topic, 2)
    wait_for_split(group, topic, 4)
    before = produce_to_partitions(clients, module_broker, topic, 4, 5, tag="before-")
    assert_each_read_once(wait_for_records(group, len(before)), before)
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} == {(topic, p): 5 for p in range(4)},
               what="both members to commit what they read")
    for member in group:
        member.close()

    [listed] = ck_wait(clients.ck_admin(module_broker).list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(topic)])).values()
    assert {tp.partition: tp.offset for tp in listed.topic_partitions} == {p: 5 for p in range(4)}

    successor = start(members, module_broker, topic, 1)
    wait_for_split(successor, topic, 4)
    after = produce_to_partitions(clients, module_broker, topic, 4, 5, tag="after-")
    assert_each_read_once(wait_for_records(successor, len(after)), after)


def test_a_live_member_reads_back_what_it_committed(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 2)
    produce_to_partitions(clients, module_broker, topic, 2, 3)
    consumer = clients.ck_consumer(module_broker, **{"group.id": topic, "group.protocol": "consumer"})
    consumer.subscribe([topic])
    wait_until(lambda: consumer.consume(timeout=0.2) is not None and len(consumer.assignment()) == 2,
               what="the consumer to be assigned both partitions")
    done = consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, p, 2) for p in range(2)], asynchronous=False)
    assert [tp.error for tp in done] == [None, None]
    found = consumer.committed([confluent_kafka.TopicPartition(topic, p) for p in range(2)], timeout=10)
    assert [(tp.partition, tp.offset, tp.error) for tp in found] == [(0, 2, None), (1, 2, None)]


def test_offsets_are_committed_and_fetched_at_the_member_epoch(module_broker, clients, topic):
    """OffsetCommit v9+ and OffsetFetch v9+ name the member and its epoch (librdkafka fetches
    without them, so this speaks the protocol itself)."""
    create_topic(clients, module_broker, topic, 1)
    with WireClient(module_broker) as client:
        joined = client.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": topic, "member_id": "m", "member_epoch": 0, "rebalance_timeout_ms": 10_000,
            "subscribed_topic_names": [topic], "topic_partitions": []})
        epoch = joined.member_epoch
        assert (joined.error_code, epoch) == (ErrorCode.NONE, 2)  # a new group is at 1: its first member takes 2

        def commit(member_epoch: int) -> int:
            response = client.send(ApiKey.OFFSET_COMMIT, 9, {
                "group_id": topic, "generation_id_or_member_epoch": member_epoch, "member_id": "m",
                "group_instance_id": None, "topics": [{"name": topic, "partitions": [
                    {"partition_index": 0, "committed_offset": 7, "committed_metadata": ""}]}]})
            return response.topics[0].partitions[0].error_code

        def fetch(member_id: str | None, member_epoch: int) -> tuple[int, list[int]]:
            [group] = client.send(ApiKey.OFFSET_FETCH, 9, {"require_stable": False, "groups": [{
                "group_id": topic, "member_id": member_id, "member_epoch": member_epoch,
                "topics": [{"name": topic, "partition_indexes": [0]}]}]}).groups
            return group.error_code, [p.committed_offset for t in group.topics for p in t.partitions]

        assert commit(epoch + 1) == ErrorCode.STALE_MEMBER_EPOCH
        assert commit(epoch) == ErrorCode.NONE
        assert fetch("m", epoch) == (ErrorCode.NONE, [7])
        assert fetch("m", epoch - 1) == (ErrorCode.STALE_MEMBER_EPOCH, [])
        assert fetch("stranger", epoch) == (ErrorCode.UNKNOWN_MEMBER_ID, [])
        assert fetch(None, -1) == (ErrorCode.NONE, [7])  # an admin tool


def test_admin_clients_list_and_describe_the_group_as_a_consumer_group(module_broker, clients, members, topic):
    create_topic(clients, module_broker, topic, 2)
    group = start(members, module_broker, topic, 1)
    wait_for_split(group, topic, 2)
    admin = clients.ck_admin(module_broker)
    listing = admin.list_consumer_groups(types={ConsumerGroupType.CONSUMER}, request_timeout=10).result(10)
    [mine] = [g for g in listing.valid if g.group_id == topic]
    assert (mine.type, mine.state, mine.is_simple_consumer_group) == (ConsumerGroupType.CONSUMER,
                                                                      ConsumerGroupState.STABLE, False)
    classic_only = admin.list_consumer_groups(types={ConsumerGroupType.CLASSIC}, request_timeout=10).result(10)
    assert topic not in {g.group_id for g in classic_only.valid}

    described = describe_group(clients, module_broker, topic)
    [member] = described.members
    assert member.member_id == group[0].member_id
    assert {tp.partition for tp in member.assignment.topic_partitions} == {0, 1}
    assert {tp.partition for tp in member.target_assignment.topic_partitions} == {0, 1}


def test_a_regex_subscription_takes_topics_created_later(module_broker, clients, members, topic):
    create_topic(clients, module_broker, f"{topic}-a", 1)
    member = members.start(module_broker, "confluent-kafka", topic, [f"^{topic}-.*"], group_protocol="consumer")
    wait_until(lambda: member.check() or member.assignment == {(f"{topic}-a", 0)}, what="the matching topic")
    create_topic(clients, module_broker, f"{topic}-b", 2)
    wait_until(lambda: member.check() or member.assignment == {(f"{topic}-a", 0), (f"{topic}-b", 0), (f"{topic}-b", 1)},
               what="the topic created later")


def test_the_other_protocol_is_served_as_kafka_serves_it(module_broker, clients, members, topic):
    """A classic member may join a consumer group (it is served from the consumer group), and a
    consumer-protocol member may join a classic group (which is converted to a consumer group,
    see ``test_groups_protocol_migration``); both need well-formed consumer-protocol metadata,
    and are refused as Kafka 4.3 refuses them when it is not."""
    create_topic(clients, module_broker, topic, 1)
    wait_for_split(start(members, module_broker, topic, 1), topic, 1)
    with WireClient(module_broker) as client:
        def join(group_id: str, member_id: str, instance_id: str | None = None):
            return client.send(ApiKey.JOIN_GROUP, 9, {
                "group_id": group_id, "session_timeout_ms": 10_000, "rebalance_timeout_ms": 10_000,
                "member_id": member_id, "group_instance_id": instance_id, "protocol_type": "consumer",
                "protocols": [{"name": "range", "metadata": b""}]})

        first = join(topic, "")
        assert first.error_code == ErrorCode.MEMBER_ID_REQUIRED
        assert join(topic, first.member_id).error_code == ErrorCode.UNKNOWN_SERVER_ERROR  # b"" is no subscription
        described = client.send(ApiKey.DESCRIBE_GROUPS, 6, {"groups": [topic], "include_authorized_operations": False})
        [group] = described.groups
        assert (group.error_code, group.error_message, group.group_state) == (
            ErrorCode.GROUP_ID_NOT_FOUND, f"Group {topic} is not a classic group.", "Dead")

        classic = f"{topic}-classic"
        assert join(classic, "", "static").error_code == ErrorCode.NONE
        heartbeat = client.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": classic, "member_id": "m", "member_epoch": 0, "rebalance_timeout_ms": 10_000,
            "subscribed_topic_names": [topic], "topic_partitions": []})
        assert (heartbeat.error_code, heartbeat.error_message) == (
            ErrorCode.GROUP_ID_NOT_FOUND, f"Cannot upgrade classic group {classic} to consumer group because the "
                                          "embedded consumer protocol is malformed.")
        unknown = client.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": f"{topic}-nowhere", "member_id": "m", "member_epoch": 3, "rebalance_timeout_ms": -1,
            "subscribed_topic_names": None, "topic_partitions": None})
        assert (unknown.error_code, unknown.error_message) == (
            ErrorCode.GROUP_ID_NOT_FOUND, f"Consumer group {topic}-nowhere not found.")


@pytest.mark.broker_overrides(BROKER_OVERRIDES)
def test_members_go_on_after_a_broker_restart_from_their_commits(broker, clients, members, topic):
    """Groups and offsets live in ``__consumer_offsets``: after a clean restart the members go on
    under their own ids, from their commits (kill -9: ``test_groups_consumer_durable``)."""
    create_topic(clients, broker, topic, 4)
    group = start(members, broker, topic, 2)
    wait_for_split(group, topic, 4)
    before = produce_to_partitions(clients, broker, topic, 4, 5, tag="before-")
    wait_for_records(group, len(before))
    wait_until(lambda: {k: v for m in group for k, v in m.committed.items()} == {(topic, p): 5 for p in range(4)},
               what="both members to commit what they read")

    broker.restart()
    after = produce_to_partitions(clients, broker, topic, 4, 5, tag="after-")
    assert_each_read_once(wait_for_records(group, len(before) + len(after), timeout=30), before + after)
    described = describe_group(clients, broker, topic)
    assert {m.member_id for m in described.members} == {m.member_id for m in group}  # back under their own ids
