"""Committed offsets and groups: who may commit, persistence across restarts, expiry, deletion."""

from __future__ import annotations

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.classic_group import ClassicGroup, ClassicMember, GroupState
from odradek.server.groups.group_error import GroupError
from odradek.server.groups.offsets_records import OffsetCommit
from odradek.wire import ErrorCode

DAY_MS = 86_400_000


@pytest.fixture
def open_broker(tmp_path):
    opened = []

    def open_one():
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=["offsets.topic.num.partitions=3"]))
        broker.open_storage()
        broker.groups.adopt(broker.groups.load())
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def commit(group, topic="t", partition=0, offset=5, at=1_000, metadata="m"):
    return OffsetCommit(group=group, topic=topic, partition=partition, offset=offset, leader_epoch=0,
                        metadata=metadata, commit_timestamp_ms=at)


def stable_group(group_id, generation=3):
    group = ClassicGroup(group_id, state=GroupState.STABLE, generation=generation, protocol_type="consumer",
                         protocol_name="range")
    group.add(ClassicMember("m-1", "static-1", "c", "/h", 10_000, 30_000, "consumer", [("range", b"")]))
    return group


def test_who_may_commit(open_broker):
    coordinator = open_broker().groups
    coordinator.check_commit("simple", -1, "", None)  # assign() users: no group membership needed
    assert coordinator.groups["simple"].state == GroupState.EMPTY
    with pytest.raises(GroupError) as missing:
        coordinator.check_commit("nobody", 4, "m", None)
    assert missing.value.code == ErrorCode.ILLEGAL_GENERATION
    coordinator.groups["g"] = stable_group("g")
    coordinator.check_commit("g", 3, "m-1", "static-1")
    for args, code in [(("g", -1, "", None), ErrorCode.UNKNOWN_MEMBER_ID),
                       (("g", 2, "m-1", None), ErrorCode.ILLEGAL_GENERATION),
                       (("g", 3, "m-2", None), ErrorCode.UNKNOWN_MEMBER_ID),
                       (("g", 3, "m-2", "static-1"), ErrorCode.FENCED_INSTANCE_ID),
                       (("", -1, "", None), ErrorCode.INVALID_GROUP_ID)]:
        with pytest.raises(GroupError) as refused:
            coordinator.check_commit(*args)
        assert refused.value.code == code, args


async def test_offsets_and_groups_survive_a_restart(open_broker):
    # (async: restoring a group schedules its members' session deadlines on the trio clock)
    first = open_broker()
    first.groups.ensure_topic()
    assert await first.groups.commit_offsets(
        "a", [commit("a", offset=7, metadata="seven"), commit("a", partition=1, offset=9)]) == ErrorCode.NONE
    assert await first.groups.commit_offsets("b", [commit("b", offset=1)]) == ErrorCode.NONE
    first.groups.delete_offsets("b", [("t", 0)])
    group = stable_group("a")
    group.members["m-1"].assignment = b"assigned"
    assert await first.groups._store_group(group)() == ErrorCode.NONE
    first.logs.close()

    again = open_broker().groups
    restored = again.offsets.get("a", "t", 0)
    assert (restored.offset, restored.metadata) == (7, "seven")
    assert again.offsets.get("a", "t", 1).offset == 9
    assert not again.offsets.has_offsets("b")
    loaded = again.groups["a"]
    assert (loaded.state, loaded.generation, loaded.protocol_name) == (GroupState.STABLE, 3, "range")
    assert loaded.members["m-1"].assignment == b"assigned"
    assert loaded.static_members == {"static-1": "m-1"}


async def test_offsets_expire_after_retention_only_for_idle_groups(open_broker):
    coordinator = open_broker().groups
    coordinator.ensure_topic()
    coordinator.check_commit("simple", -1, "", None)
    await coordinator.commit_offsets("simple", [commit("simple", at=0), commit("simple", partition=1, at=DAY_MS)])
    coordinator.groups["busy"] = stable_group("busy")
    await coordinator.commit_offsets("busy", [commit("busy", at=0)])
    retention = coordinator.config.offsets_retention_ms
    coordinator.expire_offsets(retention + 1)
    assert coordinator.offsets.get("simple", "t", 0) is None  # committed at 0: past retention
    assert coordinator.offsets.get("simple", "t", 1) is not None
    assert coordinator.offsets.get("busy", "t", 0) is not None  # members: never expires
    coordinator.expire_offsets(retention + DAY_MS + 1)
    assert "simple" not in coordinator.groups  # nothing left: the group is gone too


async def test_delete_group_needs_an_empty_group(open_broker):
    coordinator = open_broker().groups
    coordinator.ensure_topic()
    coordinator.groups["busy"] = stable_group("busy")
    assert await coordinator.delete_group("busy") == ErrorCode.NON_EMPTY_GROUP
    assert await coordinator.delete_group("unknown") == ErrorCode.GROUP_ID_NOT_FOUND
    coordinator.check_commit("idle", -1, "", None)
    await coordinator.commit_offsets("idle", [commit("idle")])
    assert await coordinator.delete_group("idle") == ErrorCode.NONE
    assert "idle" not in coordinator.groups and not coordinator.offsets.has_offsets("idle")
