"""Consumer groups (KIP-848) as records: what each change writes, and the group replay gives back.

Every record goes through its bytes (``encode_record``/``decode_record``) on the way back, as
it would through ``__consumer_offsets``.
"""

from __future__ import annotations

import pytest
import trio
import trio.testing

from odradek.server.groups.consumer_group import ConsumerGroup, MemberState
from odradek.server.groups.consumer_group_changes import LoadedConsumerGroup, apply, changes, image_of
from odradek.server.groups.consumer_group_records import (
    CURRENT_ASSIGNMENT_TYPE, GROUP_EPOCH_TYPE, MEMBER_METADATA_TYPE, PARTITION_METADATA_TYPE,
    TARGET_ASSIGNMENT_EPOCH_TYPE, TARGET_ASSIGNMENT_MEMBER_TYPE, ConsumerGroupKey, CurrentAssignment, GroupEpoch,
    MemberSubscription, PartitionMetadata, TargetAssignment, TargetAssignmentEpoch,
)
from odradek.server.groups.offsets_records import Tombstone, decode_record, encode_record
from odradek.wire import ErrorCode

from consumer_harness import REBALANCE_MS, SESSION_S, Harness, settle


@pytest.fixture
def clock():
    return trio.testing.MockClock(autojump_threshold=0)


def replayed(h: Harness, group_id: str = "g") -> ConsumerGroup | None:
    """The group the harness's log describes, read back through the records' bytes."""
    groups: dict[str, LoadedConsumerGroup] = {}
    for batch in h.written:
        for record in batch:
            apply(groups, decode_record(*encode_record(record)))
    loaded = groups.get(group_id)
    return None if loaded is None else loaded.build()


def restarted(nursery, h: Harness) -> Harness:
    """A coordinator that knows the group only from the log ``h`` wrote, as after a restart; it
    writes on to the same log."""
    again = Harness(nursery)
    again.topics = again.coordinator.topics = h.topics
    again.coordinator.restore(replayed(h))
    again.written = h.written
    return again


def same(stored: ConsumerGroup, live: ConsumerGroup) -> None:
    assert image_of(stored) == image_of(live)
    for topic_id, partition in {(t, p) for m in live.members.values() for a in (m.assigned, m.pending_revocation)
                                for t, ps in a.items() for p in ps}:
        assert stored.owner_epoch(topic_id, partition) == live.owner_epoch(topic_id, partition)


async def test_every_change_is_written_as_it_is_held(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 6)
        h.topics.create("u", 2)
        a = await h.client("a", names=("t", "u"))
        same(replayed(h), h.group())
        b = await h.client("b", instance_id="i-b")
        c = await h.client("c", regex="^u$")
        await a.beat()
        same(replayed(h), h.group())  # a revoking, b and c waiting for partitions
        assert h.group().members["a"].state == MemberState.UNREVOKED_PARTITIONS
        await settle(a, b, c)
        same(replayed(h), h.group())
        await h.heartbeat("b", -2, instance_id="i-b")  # away for now, its partitions held
        same(replayed(h), h.group())
        await h.heartbeat("c", -1)
        await a.beat(names=["t"])
        same(replayed(h), h.group())
        nursery.cancel_scope.cancel()


async def test_a_new_group_writes_kafkas_records_in_kafkas_order(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        await h.client("a")
        [batch] = h.written
        assert [type(r) for r in batch] == [MemberSubscription, GroupEpoch, TargetAssignment, TargetAssignmentEpoch,
                                            CurrentAssignment]
        subscription, epoch, target, target_epoch, current = batch
        assert (subscription.member_id, subscription.subscribed_topic_names, subscription.rebalance_timeout_ms,
                subscription.client_id, subscription.client_host) == ("a", ("t",), REBALANCE_MS, "client",
                                                                      "/127.0.0.1")
        assert epoch.epoch == 2 and epoch.metadata_hash != 0  # Kafka 4.3's first epoch
        assert (target.partitions, target_epoch.assignment_epoch) == ({t: frozenset({0, 1})}, 2)
        assert target_epoch.assignment_timestamp_ms > 0
        assert (current.member_epoch, current.previous_member_epoch, current.state, current.assigned) == (
            2, 0, 0, {t: {0: 2, 1: 2}})  # each partition given at epoch 2 (KIP-1251)
        nursery.cancel_scope.cancel()


async def test_a_heartbeat_that_changes_nothing_writes_nothing(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 2)
        a, b = await h.client("a"), await h.client("b")
        await settle(a, b)
        written = len(h.written)
        for _ in range(3):
            await a.beat()
            await b.beat()
        assert len(h.written) == written
        nursery.cancel_scope.cancel()


async def test_a_leaving_member_leaves_tombstones_then_a_new_epoch(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 2)
        a, b = await h.client("a"), await h.client("b")
        await settle(a, b)
        await h.heartbeat("a", -1)
        assert h.written[-1][:4] == [Tombstone(ConsumerGroupKey(CURRENT_ASSIGNMENT_TYPE, "g", "a")),
                                     Tombstone(ConsumerGroupKey(TARGET_ASSIGNMENT_MEMBER_TYPE, "g", "a")),
                                     Tombstone(ConsumerGroupKey(MEMBER_METADATA_TYPE, "g", "a")),
                                     GroupEpoch("g", h.group().group_epoch, h.group().metadata_hash)]
        same(replayed(h), h.group())
        nursery.cancel_scope.cancel()


def test_a_deleted_group_leaves_a_tombstone_for_every_key_the_epoch_last():
    group = ConsumerGroup("g", group_epoch=4, assignment_epoch=4)
    records = changes("g", image_of(group), None)
    assert records == [Tombstone(ConsumerGroupKey(t, "g")) for t in (
        TARGET_ASSIGNMENT_EPOCH_TYPE, PARTITION_METADATA_TYPE, GROUP_EPOCH_TYPE)]
    groups = {"g": LoadedConsumerGroup("g", GroupEpoch("g", 4), TargetAssignmentEpoch("g", 4))}
    for record in records:
        apply(groups, record)
    assert groups == {}


async def test_a_loaded_group_answers_its_members_without_a_rebalance(clock):
    """What a restart does: a coordinator that knows the group only from its records."""
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 4)
        a, b = await h.client("a"), await h.client("b", instance_id="i-b")
        await settle(a, b)
        epochs, owned, written = (a.epoch, b.epoch), (a.owned, b.owned), len(h.written)

        again = restarted(nursery, h)
        a.h = b.h = again
        for _ in range(3):
            assert (await a.beat())["assignment"] is None and (await b.beat())["assignment"] is None
        assert ((a.epoch, b.epoch), (a.owned, b.owned)) == (epochs, owned)
        assert len(again.written) == written  # nothing changed, nothing written: no rebalance
        assert a.owned[t] | b.owned[t] == frozenset(range(4))
        nursery.cancel_scope.cancel()


async def test_a_loaded_member_that_does_not_come_back_is_fenced_a_session_after_the_load(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        a, b = await h.client("a"), await h.client("b")
        await settle(a, b)
        await trio.sleep(SESSION_S - 1)  # both sessions nearly over when the group is loaded

        again = restarted(nursery, h)
        a.h = again
        for _ in range(7):
            await trio.sleep(SESSION_S / 8)
            await a.beat()
        assert set(again.group().members) == {"a", "b"}  # b's session started again at the load...
        for _ in range(2):
            await trio.sleep(SESSION_S / 8)
            await a.beat()
        assert set(again.group().members) == {"a"}  # ...and ended a session later
        assert a.owned == {t: frozenset({0, 1})}
        nursery.cancel_scope.cancel()


async def test_a_loaded_member_revoking_partitions_keeps_its_rebalance_deadline(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        t = h.topics.create("t", 2)
        await h.heartbeat("a", 0, names=["t"], owned={}, rebalance_ms=10_000)
        b = await h.client("b")
        await h.heartbeat("a", 2, owned={t: {0, 1}})  # told to revoke one, never does
        again = restarted(nursery, h)
        assert again.group().members["a"].state == MemberState.UNREVOKED_PARTITIONS
        b.h = again
        await trio.sleep(10.1)
        assert "a" not in again.group().members
        await b.beat()
        assert b.owned == {t: frozenset({0, 1})}
        same(replayed(again), again.group())  # the fencing was written too
        nursery.cancel_scope.cancel()


async def test_a_change_that_cannot_be_written_is_undone_and_answered_with_the_error(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 2)
        a = await h.client("a")
        before = image_of(h.group())
        h.refuse = ErrorCode.NOT_COORDINATOR
        refused = await h.heartbeat("b", 0, names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
        assert refused["error_code"] == ErrorCode.NOT_COORDINATOR
        assert (await h.heartbeat("a", -1))["error_code"] == ErrorCode.NOT_COORDINATOR
        assert (await h.heartbeat("n", 0, group_id="new", names=["t"], owned={}, rebalance_ms=REBALANCE_MS)
                )["error_code"] == ErrorCode.NOT_COORDINATOR
        assert image_of(h.group()) == before and "new" not in h.groups
        h.refuse = None
        b = await h.client("b")
        await settle(a, b)
        same(replayed(h), h.group())
        nursery.cancel_scope.cancel()


async def test_kafkas_older_subscription_metadata_is_deleted_with_the_next_epoch(clock):
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        h.topics.create("t", 2)
        a = await h.client("a")
        h.written.append([PartitionMetadata("g")])  # as Kafka 4.0 would have left it
        again = restarted(nursery, h)
        assert again.group().partition_metadata_stored
        a.h = again
        await again.client("b")
        assert Tombstone(ConsumerGroupKey(PARTITION_METADATA_TYPE, "g")) in again.written[-1]
        assert not again.group().partition_metadata_stored
        nursery.cancel_scope.cancel()
