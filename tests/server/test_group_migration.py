"""Online upgrade and downgrade between the group protocols (KIP-848), on trio's virtual clock:
classic members speak JoinGroup/SyncGroup/Heartbeat through the classic coordinator beside the
consumer coordinator (``consumer_harness``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio
import trio.testing

from odradek.server.groups.classic_group import ClassicGroup, GroupState
from odradek.server.groups.consumer_group import ConsumerGroup
from odradek.server.groups.consumer_group_changes import LoadedConsumerGroup, apply, image_of
from odradek.server.groups.consumer_group_config import MigrationPolicy
from odradek.server.groups.consumer_group_records import GroupEpoch, MemberSubscription
from odradek.server.groups.offsets_records import GroupMetadata, GroupMetadataKey, Tombstone
from odradek.wire import ErrorCode
from odradek.wire.embedded import (
    CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION, decode_embedded, encode_embedded,
)

from consumer_harness import Harness

SUBSCRIPTION = encode_embedded(CONSUMER_PROTOCOL_SUBSCRIPTION, 1, {"topics": ["t"], "user_data": None,
                                                                     "owned_partitions": []})


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


class ClassicClient:
    """A classic consumer: joins, syncs and heartbeats through the classic coordinator."""

    def __init__(self, h: Harness, client_id: str):
        self.h, self.client_id = h, client_id
        self.member_id, self.generation, self.partitions = "", -1, set()

    def _request(self, **fields):
        return SimpleNamespace(group_id="g", member_id=self.member_id, group_instance_id=None, **fields)

    async def join(self) -> dict:
        answer = await self.h.classic.join(self._request(
            session_timeout_ms=10_000, rebalance_timeout_ms=10_000, protocol_type="consumer",
            protocols=[SimpleNamespace(name="range", metadata=SUBSCRIPTION)], reason=None), 9, self.client_id, "/h")
        if answer["error_code"] == ErrorCode.MEMBER_ID_REQUIRED:
            self.member_id = answer["member_id"]
            return await self.join()
        assert answer["error_code"] == ErrorCode.NONE, answer
        self.member_id, self.generation = answer["member_id"], answer["generation_id"]
        return answer

    async def sync(self, assignments=()) -> dict:
        answer = await self.h.classic.sync(self._request(generation_id=self.generation, protocol_type="consumer",
                                                          protocol_name="range", assignments=list(assignments)))
        if answer["error_code"] == ErrorCode.NONE:
            _, assignment = decode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, answer["assignment"])
            self.partitions = {p for tp in assignment.assigned_partitions for p in tp.partitions}
        return answer

    def heartbeat(self) -> ErrorCode:
        return self.h.classic.heartbeat(self._request(generation_id=self.generation))


async def classic_group_of_two(h: Harness) -> tuple[ClassicClient, ClassicClient]:
    """Two classic members, the first leading: partitions 0-1 to a, 2-3 to b."""
    a, b = ClassicClient(h, "a"), ClassicClient(h, "b")
    async with trio.open_nursery() as joins:
        joins.start_soon(a.join)
        joins.start_soon(b.join)
    leader, follower = (a, b) if h.groups["g"].leader_id == a.member_id else (b, a)

    def assigned(*partitions):
        return encode_embedded(CONSUMER_PROTOCOL_ASSIGNMENT, 1, {
            "assigned_partitions": [{"topic": "t", "partitions": list(partitions)}], "user_data": None})
    async with trio.open_nursery() as syncs:
        syncs.start_soon(follower.sync)
        syncs.start_soon(leader.sync, [SimpleNamespace(member_id=leader.member_id, assignment=assigned(0, 1)),
                                       SimpleNamespace(member_id=follower.member_id, assignment=assigned(2, 3))])
    assert h.groups["g"].state == GroupState.STABLE
    return leader, follower


def replayed(h: Harness) -> ConsumerGroup:
    groups: dict[str, LoadedConsumerGroup] = {}
    for batch in h.written:
        for record in batch:
            if not isinstance(record, (GroupMetadata, Tombstone)) or not isinstance(record.key, GroupMetadataKey):
                apply(groups, record)
    return groups["g"].build()


async def test_a_consumer_protocol_member_upgrades_a_classic_group(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a, b = await classic_group_of_two(h)
        generation = h.groups["g"].generation
        before = len(h.written)

        c = await h.client("c")
        group = h.group()
        assert isinstance(group, ConsumerGroup) and group.group_epoch == generation + 1
        assert {m: group.members[m].classic is not None for m in group.members} == {
            a.member_id: True, b.member_id: True, "c": False}
        upgrade = h.written[before]
        assert upgrade[0] == Tombstone(GroupMetadataKey("g"))  # the classic group goes, in the same batch
        assert {r.member_id for r in upgrade if isinstance(r, MemberSubscription)} == {a.member_id, b.member_id, "c"}
        assert image_of(replayed(h)) == image_of(group)  # written as it is held, classic metadata included

        # the classic members are told to rejoin; they give everything up (eager) and take their targets
        assert a.heartbeat() == b.heartbeat() == ErrorCode.REBALANCE_IN_PROGRESS
        for member in (a, b):
            await member.join()
            assert (await member.sync())["error_code"] == ErrorCode.NONE
            assert member.generation == group.group_epoch
        await c.beat()
        await c.beat()
        assert a.heartbeat() == b.heartbeat() == ErrorCode.NONE
        owned = [a.partitions, b.partitions, {p for p in c.owned.get(t, ())}]
        assert sorted(map(len, owned)) == [1, 1, 2] and set().union(*owned) == {0, 1, 2, 3}
        nursery.cancel_scope.cancel()


async def test_the_last_consumer_protocol_member_leaving_downgrades_the_group(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 4)
        a, b = await classic_group_of_two(h)
        await h.client("c")
        for member in (a, b):
            await member.join()
            await member.sync()
        epoch = h.group().group_epoch
        before = len(h.written)

        assert (await h.heartbeat("c", -1))["error_code"] == ErrorCode.NONE
        group = h.groups["g"]
        assert isinstance(group, ClassicGroup) and group.generation == epoch
        assert (group.state, group.protocol_type, group.protocol_name) == (
            GroupState.PREPARING_REBALANCE, "consumer", "range")  # and its members rejoin
        [downgrade] = h.written[before:]
        assert isinstance(downgrade[-1], GroupMetadata) and downgrade[-1].generation == epoch
        assert downgrade[-2] == Tombstone(GroupEpoch("g", 0).key)  # every consumer group record deleted first
        assert a.heartbeat() == ErrorCode.REBALANCE_IN_PROGRESS
        async with trio.open_nursery() as joins:
            joins.start_soon(a.join)
            joins.start_soon(b.join)
        assert h.groups["g"].state == GroupState.COMPLETING_REBALANCE and a.generation == epoch + 1
        nursery.cancel_scope.cancel()


async def test_the_migration_policy_can_forbid_the_upgrade(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery, migration_policy=MigrationPolicy.DOWNGRADE)
        h.topics.create("t", 4)
        await classic_group_of_two(h)
        refused = await h.heartbeat("c", 0, names=["t"], owned={}, rebalance_ms=10_000)
        assert (refused["error_code"], refused["error_message"]) == (
            ErrorCode.GROUP_ID_NOT_FOUND,
            "Cannot upgrade classic group g to consumer group because online upgrade is disabled.")
        assert isinstance(h.groups["g"], ClassicGroup) and h.groups["g"].state == GroupState.STABLE
        nursery.cancel_scope.cancel()


def test_the_policy_reads_kafkas_values():
    assert [MigrationPolicy.parse(v) for v in ("bidirectional", "UPGRADE", "downgrade", "disabled")] == list(
        MigrationPolicy)
    with pytest.raises(ValueError, match="group.consumer.migration.policy must be one of"):
        MigrationPolicy.parse("sideways")
