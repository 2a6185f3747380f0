"""Online migration between the two group protocols (KIP-848): kafka-python members (the classic
protocol) and a confluent-kafka member (``group.protocol=consumer``) in one group.

The consumer-protocol member joining the classic group converts it to a consumer group; the
classic members go on with JoinGroup/SyncGroup/Heartbeat against it. When that member leaves,
the group converts back. Each step is checked as clients see it (DescribeGroups,
ConsumerGroupDescribe and ListGroups: type and protocol), assignments stay disjoint, and every
record is read once. ``ODRADEK_COMPAT_TARGET=kafka`` runs the same test against Kafka 4.3.
"""

from __future__ import annotations

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .group_helpers import assert_each_read_once, create_topic, produce_to_partitions, wait_for_records
from .wire_client import WireClient

BROKER_OVERRIDES = {"offsets.topic.num.partitions": 5, "group.initial.rebalance.delay.ms": 0,
                    "group.consumer.heartbeat.interval.ms": 300, "group.consumer.min.heartbeat.interval.ms": 100,
                    "group.consumer.session.timeout.ms": 10_000, "group.consumer.min.session.timeout.ms": 1000}
PARTITIONS = 4
RUNS_AGAINST_KAFKA_TOO = True


def classic_view(broker, group: str):
    """DescribeGroups: (error, state, protocol type, protocol, member ids)."""
    with WireClient(broker) as client:
        [found] = client.send(ApiKey.DESCRIBE_GROUPS, 5, {"groups": [group],
                                                          "include_authorized_operations": False}).groups
    return found.error_code, found.group_state, found.protocol_type, found.protocol_data, \
        {m.member_id for m in found.members}


def consumer_view(broker, group: str):
    """ConsumerGroupDescribe: (error, state, member ids)."""
    with WireClient(broker) as client:
        [found] = client.send(ApiKey.CONSUMER_GROUP_DESCRIBE, 0, {"group_ids": [group],
                                                                  "include_authorized_operations": False}).groups
    return found.error_code, found.group_state, {m.member_id for m in found.members}


def member_types(broker, group: str) -> dict[str, int]:
    """ConsumerGroupDescribe v1 (KIP-1099): each member's MemberType (0 classic, 1 consumer)."""
    with WireClient(broker) as client:
        [found] = client.send(ApiKey.CONSUMER_GROUP_DESCRIBE, 1, {"group_ids": [group],
                                                                  "include_authorized_operations": False}).groups
    return {m.member_id: m.member_type for m in found.members}


def listed_type(broker, group: str) -> str:
    with WireClient(broker) as client:
        listed = client.send(ApiKey.LIST_GROUPS, 5, {"states_filter": [], "types_filter": []}).groups
    return next(g.group_type for g in listed if g.group_id == group)


def wait_for_disjoint_cover(members: list, topic: str) -> list[frozenset]:
    """Until every partition is held by exactly one member and every member holds one."""
    def split():
        held = [frozenset(p for t, p in m.assignment if t == topic) for m in members]
        return (all(held) and sum(map(len, held)) == PARTITIONS
                and frozenset().union(*held) == frozenset(range(PARTITIONS)) and held)
    return wait_until(lambda: [m.check() for m in members] and split(), timeout=60,
                      what=f"{len(members)} members to share the {PARTITIONS} partitions")


def test_a_consumer_protocol_member_upgrades_a_classic_group_and_leaving_downgrades_it(
        module_broker, clients, members, topic):
    broker = module_broker
    create_topic(clients, broker, topic, PARTITIONS)
    classic = [members.start(broker, "kafka-python", topic, [topic]) for _ in range(2)]
    wait_for_disjoint_cover(classic, topic)
    sent = produce_to_partitions(clients, broker, topic, PARTITIONS, 5, tag="classic-")
    wait_for_records(classic, len(sent), timeout=60)
    error, state, protocol_type, protocol, _ = classic_view(broker, topic)
    assert (error, state, protocol_type, protocol) == (ErrorCode.NONE, "Stable", "consumer", "range")
    assert listed_type(broker, topic) == "classic"

    # upgrade: the consumer-protocol member joins the classic group
    upgrading = members.start(broker, "confluent-kafka", topic, [topic], group_protocol="consumer")
    group = classic + [upgrading]
    wait_for_disjoint_cover(group, topic)
    ids = {m.member_id for m in group}
    wait_until(lambda: consumer_view(broker, topic) == (ErrorCode.NONE, "Stable", ids), timeout=60,
               what="the converted group to be Stable with its three members")
    assert listed_type(broker, topic) == "consumer"
    assert member_types(broker, topic) == {**{m.member_id: 0 for m in classic}, upgrading.member_id: 1}
    assert classic_view(broker, topic)[1:] == ("Dead", "", "", set())  # DescribeGroups v5: not a classic group now
    more = produce_to_partitions(clients, broker, topic, PARTITIONS, 5, tag="mixed-")
    sent += more
    assert_each_read_once(wait_for_records(group, len(sent), timeout=60), sent)

    # downgrade: the last consumer-protocol member leaves
    upgrading.close()
    wait_for_disjoint_cover(classic, topic)
    wait_until(lambda: classic_view(broker, topic)[:4] == (ErrorCode.NONE, "Stable", "consumer", "range"), timeout=60,
               what="the group to be a Stable classic group again")
    assert classic_view(broker, topic)[4] == {m.member_id for m in classic}
    assert listed_type(broker, topic) == "classic"
    assert consumer_view(broker, topic)[0] == ErrorCode.GROUP_ID_NOT_FOUND
    last = produce_to_partitions(clients, broker, topic, PARTITIONS, 5, tag="after-")
    sent += last
    assert_each_read_once(wait_for_records(group, len(sent), timeout=60), sent)
