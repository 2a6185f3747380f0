"""A share group's records: Kafka's bytes back and forth, their replay, and a group written to
``__consumer_offsets`` by a running coordinator read back by the next broker."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
import trio
import trio.testing

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups import offsets_records
from odradek.server.groups.share_group import ShareGroup
from odradek.server.groups.share_group_records import (
    ShareCurrentMemberAssignment, ShareGroupMetadata, ShareMemberMetadata, ShareRecordKey, ShareStatePartitionMetadata,
    ShareTargetAssignmentMember, ShareTargetAssignmentMetadata, ShareTombstone, decode, encode, group_tombstones,
    member_tombstones, replay,
)
from odradek.server.groups.share_partition_metadata import SharePartitionMetadata, TopicPartitions
from odradek.server.groups.share_state import UnkeptShareState
from odradek.wire import ErrorCode

T1, T2 = uuid.UUID(int=1), uuid.UUID(int=2)
RECORDS = [
    ShareGroupMetadata("g", 7, -1234567890123),
    ShareMemberMetadata("g", "m", "rack-a", "client", "/10.0.0.1", ("t", "u")),
    ShareMemberMetadata("g", "m", None, "", "", ()),
    ShareTargetAssignmentMetadata("g", 7, 1_700_000_000_000),
    ShareTargetAssignmentMember("g", "m", {T1: frozenset({0, 2}), T2: frozenset({1})}),
    ShareCurrentMemberAssignment("g", "m", 7, 6, {T1: frozenset({0})}),
    ShareStatePartitionMetadata("g", SharePartitionMetadata(
        initializing={T2: TopicPartitions("u", frozenset({3}))},
        initialized={T1: TopicPartitions("t", frozenset({0, 1, 2}))},
        deleting={uuid.UUID(int=3): "gone"})),
    *member_tombstones("g", "m"),
    ShareTombstone(ShareRecordKey(11, "g")),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_each_record_reads_back_as_written(record):
    key, value = offsets_records.encode_record(record)
    assert offsets_records.record_type(key) == record.key.record_type
    assert (value is None) == isinstance(record, ShareTombstone)
    assert offsets_records.decode_record(key, value) == record
    assert decode(*encode(record)) == record


def test_the_bytes_are_kafkas_layout():
    """Key: int16 type, then the key's non-flexible strings; value: int16 version 0, then flexible fields."""
    key, value = encode(ShareGroupMetadata("g", 7, 1))
    assert key == b"\x00\x0b" + b"\x00\x01g"
    assert value == b"\x00\x00" + (7).to_bytes(4, "big") + (1).to_bytes(8, "big") + b"\x00"
    key, value = encode(ShareTombstone(ShareRecordKey(10, "g", "m")))
    assert (key, value) == (b"\x00\x0a\x00\x01g\x00\x01m", None)


def test_replay_builds_the_group_and_the_tombstones_take_it_apart():
    groups: dict = {}
    for record in RECORDS[:7]:
        replay(groups, record)
    group = groups["g"]
    assert (group.group_epoch, group.metadata_hash, group.assignment_epoch) == (7, -1234567890123, 7)
    member = group.members["m"]
    assert (member.member_epoch, member.previous_member_epoch, member.rack_id, member.assigned) == \
           (7, 6, None, {T1: frozenset({0})})
    assert group.target == {"m": {T1: frozenset({0, 2}), T2: frozenset({1})}}
    assert group.partitions.initialized_partitions() == {T1: frozenset({0, 1, 2})}
    for tombstone in group_tombstones(group):
        replay(groups, tombstone)
    assert groups == {} and group.dead


def test_a_member_record_out_of_kafkas_order_is_refused():
    groups: dict = {}
    replay(groups, ShareMemberMetadata("g", "m", None, "c", "h", ("t",)))
    replay(groups, ShareTargetAssignmentMember("g", "m", {}))
    with pytest.raises(ValueError):
        replay(groups, ShareTombstone(ShareRecordKey(10, "g", "m")))  # its target is still there


async def test_a_group_written_by_one_broker_is_the_next_ones(tmp_path):
    def open_broker():
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=["offsets.topic.num.partitions=3"]))
        broker.open_storage()
        broker.groups.adopt(broker.groups.load())
        # group records only: the share coordinator (not run here) stands aside
        broker.groups.share.persister = UnkeptShareState()
        return broker

    first = open_broker()
    topic_id = first.logs.create_topic("t", 2, {}).topic_id
    async with trio.open_nursery() as nursery:
        await nursery.start(first.groups.run)
        for member_id in ("a", "b"):
            answer = await first.groups.share.heartbeat(SimpleNamespace(
                group_id="g", member_id=member_id, member_epoch=0, rack_id=None, subscribed_topic_names=["t"]),
                "client", "/127.0.0.1")
            assert answer["error_code"] == ErrorCode.NONE
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    written: ShareGroup = first.groups.groups["g"]
    assert written.partitions.initialized_partitions() == {topic_id: frozenset({0, 1})}
    first.logs.close()

    second = open_broker()
    try:
        read: ShareGroup = second.groups.groups["g"]
        assert read is not written
        assert (read.group_epoch, read.assignment_epoch, read.metadata_hash) == \
               (written.group_epoch, written.assignment_epoch, written.metadata_hash)
        assert read.members == written.members and read.target == written.target
        assert read.partitions.initialized_partitions() == written.partitions.initialized_partitions()
    finally:
        second.logs.close()
