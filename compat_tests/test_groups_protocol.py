"""Classic group protocol answers pinned request by request, where a client only shows the effect.

A restarted static member that led its group must not be told it leads before JoinGroup v9
(which added SkipAssignment): a client that believes it leads runs its assignor and, like
kafka-python, may rejoin and so rebalance the very group static membership keeps still.
"""

from __future__ import annotations

import struct

import pytest
from odradek.wire import ApiKey, ErrorCode

from .wire_client import WireClient

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 5}


def kafka_string(text: str) -> bytes:
    return struct.pack(">h", len(text)) + text.encode()


def subscription(topic: str) -> bytes:
    """A consumer-protocol subscription, version 0, with no user data."""
    return struct.pack(">hi", 0, 1) + kafka_string(topic) + struct.pack(">i", -1)


def join(client: WireClient, version: int, group: str, instance: str, topic: str):
    return client.send(ApiKey.JOIN_GROUP, version, {
        "group_id": group, "session_timeout_ms": 10_000, "rebalance_timeout_ms": 10_000, "member_id": "",
        "group_instance_id": instance, "protocol_type": "consumer",
        "protocols": [{"name": "range", "metadata": subscription(topic)}]})


def sync(client: WireClient, group: str, joined, instance: str, assignments: dict[str, bytes]):
    return client.send(ApiKey.SYNC_GROUP, 5, {
        "group_id": group, "generation_id": joined.generation_id, "member_id": joined.member_id,
        "group_instance_id": instance, "protocol_type": "consumer", "protocol_name": "range",
        "assignments": [{"member_id": m, "assignment": a} for m, a in assignments.items()]})


@pytest.mark.parametrize("version", [7, 9])
def test_a_restarted_static_leader_gets_its_assignment_back_without_leading_again(module_broker, topic, version):
    assignment = b"whatever the leader's assignor wrote"
    with WireClient(module_broker) as first:
        joined = join(first, version, topic, "static-leader", topic)
        assert (joined.error_code, joined.leader) == (ErrorCode.NONE, joined.member_id)
        synced = sync(first, topic, joined, "static-leader", {joined.member_id: assignment})
        assert (synced.error_code, synced.assignment) == (ErrorCode.NONE, assignment)

    with WireClient(module_broker) as restarted:  # same instance ID, no member ID: a restart
        again = join(restarted, version, topic, "static-leader", topic)
        assert (again.error_code, again.generation_id) == (ErrorCode.NONE, joined.generation_id)
        assert again.member_id != joined.member_id
        if version < 9:  # the old leader's ID: the new incarnation must not run its assignor
            assert (again.leader, again.members, again.skip_assignment) == (joined.member_id, [], False)
        else:  # told it leads, with the members to watch, but to skip the assignment
            assert (again.leader, again.skip_assignment) == (again.member_id, True)
            assert [m.member_id for m in again.members] == [again.member_id]
        synced = sync(restarted, topic, again, "static-leader", {})
        assert (synced.error_code, synced.assignment) == (ErrorCode.NONE, assignment)
